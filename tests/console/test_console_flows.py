"""Pilot tests of the console's flows, fed with the core's real typed events over a bus.

The service side is a real ``EventBus`` and a recorder of commands (``Service``) until
the control API is on main; what is asserted is what the console sends and shows.
"""

from __future__ import annotations

import asyncio
import gc
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from textual import events
from textual.widgets import Button, Input, Label, TabbedContent, TextArea

from studio.console.app import LATER_PANES, ConsoleApp, pane_class
from studio.console.client import Response
from studio.console.colours import palette
from studio.console.panes.chat.chat_log import ChatLog
from studio.console.panes.composer.composer_pane import ComposerPane
from studio.console.panes.viewer.frame_view import FrameView
from studio.console.screens.confirm_stop import ConfirmStop
from studio.console.screens.golive_form import GoLiveForm
from studio.console.screens.help_screen import HelpScreen
from studio.golive.events import OperatorAnswered
from tests.console.console_helpers import (
    LARGE,
    SMALL,
    T0,
    Service,
    chat,
    console,
    live_session,
    on_air_card,
    payment_step,
    registration_step,
    settle,
    shown_rows,
    tweet_step,
)

TWEET = "https://x.com/human/status/1234567890"
TX = "0x" + "1f" * 32


async def test_attaching_draws_the_whole_state_then_follows_events() -> None:
    service = Service(live_session())
    app = console(service)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app.attached.is_set)
        assert app.model.viewers_total == 19 and len(app.model.chat) == 6
        assert app.sub_title == "LIVE"
        service.publish(chat(T0 + 61, "erin", id="late", text="just arrived", first_time=True))
        await settle(pilot, lambda: app.model.chat[-1].author == "erin")
        assert app.model.chat[-1].first_time


async def test_closing_the_console_and_coming_back_shows_the_same_broadcast() -> None:
    service = Service(live_session())
    first = console(service)
    async with first.run_test(size=SMALL) as pilot:
        await settle(pilot, first.attached.is_set)
        service.publish(chat(T0 + 70, "frank", id="x", text="still here?"))
        await settle(pilot, lambda: first.model.chat_total == 7)
    service.publish(chat(T0 + 80, "gina", id="y", text="while you were away"))
    again = console(service)
    async with again.run_test(size=SMALL) as pilot:
        await settle(pilot, again.attached.is_set)
        assert [line.author for line in again.model.chat][-2:] == ["frank", "gina"]
        assert again.model.live and again.model.display == ":99"


async def test_the_console_freezes_what_it_holds_once_drawn_and_thaws_it_when_it_ends() -> None:
    """The garbage collector's full passes skip what the console holds after its first
    picture (studio/heap.py), and get it back when the console ends."""
    assert gc.get_freeze_count() == 0
    app = console(Service(live_session()))
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot, lambda: gc.get_freeze_count() > 0)
        frozen = gc.get_freeze_count()
        app.post_message(events.Key("f3", None))  # a pane mounted later is not frozen
        await settle(pilot, lambda: app.query_one(TabbedContent).active == "viewer")
        assert gc.get_freeze_count() <= frozen  # (frozen objects freed since count down)
    assert gc.get_freeze_count() == 0


async def test_a_pane_shown_for_the_first_time_mounts_while_keys_are_answered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """F3 shows the viewer at once; while its pane mounts (held here), F6 is answered,
    and the viewer, once mounted, does not take the focus from the tab now shown."""
    from studio.console.panes.viewer.viewer_pane import ViewerPane

    release = asyncio.Event()
    real = ViewerPane.on_mount

    async def held(pane: ViewerPane) -> None:
        await release.wait()
        real(pane)

    async def until(condition: Callable[[], bool]) -> None:
        # not pilot.pause(): it waits for every widget, the held pane too
        for _ in range(500):
            if condition():
                return
            await asyncio.sleep(0.01)
        raise AssertionError("condition never held")

    monkeypatch.setattr(ViewerPane, "on_mount", held)
    app = console(Service(live_session()))
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app.attached.is_set)
        tabs = app.query_one("#tabs", TabbedContent)
        try:
            app.post_message(events.Key("f3", None))
            await until(lambda: tabs.active == "viewer" and bool(app.query("#viewer-pane")))
            app.post_message(events.Key("f6", None))  # answered while the viewer still mounts
            await until(lambda: tabs.active == "operator")
            assert not release.is_set() and not app.query_one("#viewer-pane", ViewerPane).ready
        finally:
            release.set()  # a console that held the keys could not end either
        await settle(pilot, lambda: app.query_one("#viewer-pane", ViewerPane).ready)
        await settle(pilot, lambda: not app._opening)  # noqa: SLF001 - the worker is done
        assert tabs.active == "operator"
        assert app.focused is not None and app.focused in app.query_one("#operator-pane").query("*")


async def test_scrolling_up_pauses_the_tail_and_end_resumes() -> None:
    history = live_session() + [
        chat(T0 + 100 + i, f"viewer{i % 5}", id=f"n{i}", text=f"line {i}") for i in range(60)
    ]
    service = Service(history)
    app = console(service)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app.attached.is_set)
        log = app.query_one(ChatLog)
        await settle(pilot, lambda: log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y)
        log.focus()
        await pilot.press("pageup")
        await settle(pilot, lambda: log.paused)
        for i in range(3):
            service.publish(chat(T0 + 200 + i, "zed", id=f"p{i}", text="hey"))
        await settle(pilot, lambda: log.unseen == 3)
        status = app.query_one("#chat-status", Label)
        assert "Paused · 3 new" in str(status.render())
        top = log.scroll_y
        assert top < log.max_scroll_y
        await pilot.press("end")
        await settle(pilot, lambda: not log.paused and log.unseen == 0)
        await settle(pilot, lambda: log.scroll_y == log.max_scroll_y)


async def test_chat_goes_to_the_room_the_operator_chose() -> None:
    service = Service(live_session())
    app = console(service)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app.attached.is_set)
        await pilot.press("f2")
        await pilot.press(*"gm chat", "enter")
        await pilot.press("ctrl+t")  # ClawCast
        app.query_one("#chat-text", Input).focus()
        await pilot.press(*"hello claw", "enter")
        await pilot.press("ctrl+t")  # another agent's room
        app.query_one("#chat-text", Input).focus()
        await pilot.press(*"hi neighbour", "enter")  # no room named yet: not sent
        app.query_one("#chat-room", Input).value = "other_agent"
        app.query_one("#chat-text", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: len(service.commands) == 3)
        assert [(c.verb, dict(c.args)) for c in service.commands] == [
            ("chat.send", {"text": "gm chat"}),
            ("chat.send", {"text": "hello claw", "clawcast": True}),
            ("chat.send", {"text": "hi neighbour", "to": "other_agent"}),
        ]


async def test_the_tweet_is_copyable_and_the_link_is_checked_before_it_is_sent() -> None:
    service = Service(live_session() + [tweet_step()])
    app = console(service)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot, lambda: app.query("StepPrompt"))
        await pilot.pause()
        assert app.query_one("#tabs", TabbedContent).active == "operator"
        answer = app.query_one(".answer", Input)
        assert app.focused is answer
        await pilot.press("ctrl+y")
        assert app.clipboard == tweet_step().data["verification_message"]
        await pilot.press(*"https://twitter.com/x")
        problem = app.query_one(".answer-problem", Label)
        await settle(pilot, lambda: "tweet_url" in str(problem.render()))
        assert app.query_one("#send", Button).disabled
        await pilot.press("enter")
        assert service.commands == []
        answer.value = TWEET
        await settle(pilot, lambda: not app.query_one("#send", Button).disabled)
        await pilot.press("enter")
        await settle(pilot, lambda: len(service.commands) == 1)
        assert dict(service.commands[0].args) == {"need": "tweet_url", "value": TWEET}
        service.publish(OperatorAnswered(platform="retake", need="tweet_url"))
        await settle(pilot, lambda: not app.query("StepPrompt"))


async def test_the_basefm_payment_shows_the_fee_and_takes_only_a_txhash() -> None:
    service = Service(live_session() + [payment_step()])
    app = console(service)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, lambda: app.query("StepPrompt"))
        details = str(app.query_one(".step-details").render())
        assert "$5 USDC on Base" in details and "0xabab" in details
        answer = app.query_one(".answer", Input)
        answer.value = "0x1234"
        await settle(pilot, lambda: "txHash" in str(app.query_one(".answer-problem").render()))
        answer.value = TX
        await settle(pilot, lambda: not app.query_one("#send", Button).disabled)
        await pilot.click("#send")
        await settle(pilot, lambda: len(service.commands) == 1)
        assert dict(service.commands[0].args) == {"need": "tx_hash", "value": TX}


async def test_a_refused_answer_is_shown_with_the_rule_it_broke() -> None:
    service = Service(live_session() + [payment_step()])
    service.answers["answer"] = Response(False, "baseFM did not accept the payment", code=402,
                                         problems=[{"field": "txHash", "rule": "not found on Base"}])  # fmt: skip
    app = console(service)
    async with app.run_test(size=LARGE, notifications=True) as pilot:
        await settle(pilot, lambda: app.query("StepPrompt"))
        app.query_one(".answer", Input).value = TX
        await settle(pilot, lambda: not app.query_one("#send", Button).disabled)
        await pilot.click("#send")
        await settle(
            pilot, lambda: any("not found on Base" in n.message for n in app._notifications)
        )


async def test_stop_asks_first() -> None:
    service = Service(live_session())
    app = console(service)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot, app.attached.is_set)
        await pilot.press("f10")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmStop))
        assert app.screen.live == ["clawcast", "retake"]
        await pilot.press("escape")
        await settle(pilot, lambda: not isinstance(app.screen, ConfirmStop))
        assert service.commands == []
        await pilot.press("f10")
        await settle(pilot, lambda: isinstance(app.screen, ConfirmStop))
        await pilot.press("y")
        await settle(pilot, lambda: len(service.commands) == 1)
        assert service.commands[0].verb == "stop"


async def test_reconnect_now_is_a_command_and_go_live_says_a_broadcast_runs() -> None:
    service = Service(live_session())
    app = console(service)
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await settle(pilot, app.attached.is_set)
        await pilot.press("ctrl+r")
        await pilot.press("f9")
        await settle(pilot, lambda: len(service.commands) == 1)
        await settle(pilot, lambda: any("already live" in n.message for n in app._notifications))
        assert [c.verb for c in service.commands] == ["reconnect"]
        assert not isinstance(app.screen, GoLiveForm)


async def test_composing_a_poll_checking_saving_loading_and_publishing(tmp_path: Path) -> None:
    service = Service(live_session())
    app = console(service, playlist_dir=tmp_path)
    async with app.run_test(size=LARGE, notifications=True) as pilot:
        await settle(pilot, app.attached.is_set)
        await pilot.press("f5")
        composer = app.query_one(ComposerPane)
        app.query_one("#slide-type").value = "poll"
        await pilot.press("ctrl+n")
        await settle(pilot, lambda: len(composer.playlist.slides) == 1)
        editor = app.query_one("#slide-json", TextArea)
        assert json.loads(editor.text)["type"] == "poll"
        await settle(pilot, lambda: composer.query_one("#preview").children)
        slide = json.loads(editor.text)
        slide["content"]["options"] = ["only one"]
        editor.text = json.dumps(slide)
        problems = app.query_one("#slide-problems")
        await settle(pilot, lambda: "content.options" in str(problems.render()))
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert service.commands == []  # nothing invalid is sent
        slide["content"]["options"] = ["Chess engine", "Weather bot"]
        editor.text = json.dumps(slide)
        await settle(pilot, lambda: "valid" in str(problems.render()))
        app.query_one("#slide-type").value = "text"
        await pilot.press("ctrl+n")
        await settle(pilot, lambda: len(composer.playlist.slides) == 2)
        await pilot.press("ctrl+k")  # the text slide first
        assert [s["type"] for s in composer.playlist.slides] == ["text", "poll"]
        await pilot.press("ctrl+s")
        saved = json.loads((tmp_path / "playlist.json").read_text())
        assert [s["type"] for s in saved["slides"]] == ["text", "poll"]
        await pilot.press("ctrl+d")
        assert len(composer.playlist.slides) == 1
        await pilot.press("ctrl+o")
        await settle(pilot, lambda: len(composer.playlist.slides) == 2)
        await pilot.press("ctrl+e")
        await settle(pilot, lambda: len(service.commands) == 1)
        sent = service.commands[0]
        assert sent.verb == "clawcast.batch"
        assert sent.args["slides"][1]["content"]["options"] == ["Chess engine", "Weather bot"]


async def test_duets_request_browse_accept_reply() -> None:
    service = Service(live_session())
    service.answers["clawcast.duets"] = Response(True, "open requests", [
        {"id": "d-1", "host_name": "deep_thought", "question": "What is the answer?"}])  # fmt: skip
    app = console(service)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app.attached.is_set)
        await pilot.press("f5")
        app.query_one("#duet-question", Input).value = "Tabs or spaces?"
        await pilot.click("#duet-request")
        await pilot.click("#duet-browse")
        await settle(pilot, lambda: app.query_one("#duet-requests").option_count == 1)
        app.query_one("#duet-requests").highlighted = 0
        app.query_one("#duet-text", Input).value = "42"
        await pilot.click("#duet-accept")
        await pilot.click("#duet-reply")
        await settle(pilot, lambda: len(service.commands) == 4)
        assert [(c.verb, dict(c.args)) for c in service.commands] == [
            ("clawcast.duet.request", {"question": "Tabs or spaces?"}),
            ("clawcast.duets", {}),
            ("clawcast.duet.accept", {"request_id": "d-1", "answer": "42"}),
            ("clawcast.duet.reply", {"request_id": "d-1", "reply": "42"}),
        ]


async def test_f1_shows_the_focused_panes_keys_and_the_palette_has_every_action() -> None:
    service = Service(live_session())
    app = console(service)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app.attached.is_set)
        await pilot.press("f5")
        await pilot.press("f1")
        await settle(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert app.screen.pane_title == "Slides"
        assert "composer.publish" in {b.id for b in app.screen.pane_bindings}
        await pilot.press("escape")
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Go live", "Stop", "Publish", "Book slot", "Send to", "Reconnect now",
                "Theme: light", "Theme: basefm"} <= titles  # fmt: skip


async def test_a_pane_comes_on_its_first_show_by_key_mouse_or_palette() -> None:
    """Only the operator pane is there at start; every way of showing another tab brings
    its pane, drawn from the state already received."""
    service = Service(live_session())
    app = console(service)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app.attached.is_set)
        assert [t for t in LATER_PANES if app.mounted_pane(t)] == []
        await pilot.press("f4")  # key
        await settle(pilot, lambda: app.mounted_pane("queue") is not None)
        assert app.query_one("#tabs", TabbedContent).active == "queue"
        await pilot.click("#tabs Tab#--content-tab-viewer")  # mouse
        await settle(pilot, lambda: app.mounted_pane("viewer") is not None)
        viewer = app.mounted_pane("viewer")
        assert viewer is not None and viewer.ready and viewer.is_on_screen
        assert app.mounted_pane("composer") is None
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        commands["New slide"].callback()  # palette: a composer action before its first show
        await settle(pilot, lambda: app.mounted_pane("composer") is not None)
        composer = app.query_one(ComposerPane)
        await settle(pilot, lambda: len(composer.playlist.slides) == 1)
        assert app.query_one("#tabs", TabbedContent).active == "composer"
        assert app.mounted_pane("voice") is None and app.mounted_pane("account") is None


async def test_every_binding_has_an_id_and_a_tooltip() -> None:
    service = Service(live_session())
    app = console(service)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app.attached.is_set)
        classes = {type(n) for n in (app, *app.query("*"))}
        classes |= {pane_class(tab) for tab in LATER_PANES}  # not shown yet: not mounted
        bindings = [b for c in classes for b in c.BINDINGS
                    if c.__module__.startswith("studio.")]  # fmt: skip
        assert len(bindings) > 15
        assert all(b.id and b.tooltip for b in bindings), [b for b in bindings if not b.id]


async def test_themes_switch_while_running_and_a_broken_file_is_only_a_notice(
    tmp_path: Path,
) -> None:
    from studio.ui.themes import BUILTIN_THEMES

    (tmp_path / "broken.toml").write_text('name = "broken"\nprimary = "purple-ish"\n')
    service = Service(live_session())
    app = console(service, theme_folders=(BUILTIN_THEMES, tmp_path))
    shown: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: (shown.append(str(message)), notify(message, **kw))[1]  # type: ignore[method-assign]
    async with app.run_test(size=LARGE, notifications=True) as pilot:
        await settle(pilot, lambda: shown)  # a notice expires; what was notified stays
        assert any("broken.toml was skipped" in m for m in shown)
        assert [p.path.name for p in app.theme_problems] == ["broken.toml"]
        await settle(pilot, app.attached.is_set)
        assert {"onair", "light", "high-contrast", "retake", "clawcast", "basefm"} <= set(
            app.available_themes
        )
        before = app.theme
        await pilot.press("f8")
        await settle(pilot, lambda: app.theme != before)
        log = app.query_one(ChatLog)
        dark_muted = palette(app)["text-muted"]
        app.theme = "light"
        await pilot.pause()
        muted = palette(app)["text-muted"]
        assert muted != dark_muted
        clock = list(log.render_line(0))[0]  # the time, in the muted colour
        assert clock.text.strip() and clock.style and clock.style.color
        assert (
            clock.style.color.get_truecolor().hex.lower() == muted.lower()
        )  # redrawn in the new colours


async def test_small_terminals_show_one_pane_and_chat_on_f2() -> None:
    service = Service(live_session())
    app = console(service)
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot, app.attached.is_set)
        chat, tabs = app.query_one("#chat"), app.query_one("#tabs")
        assert not chat.display or chat.region.width == 0 or not chat.is_on_screen
        await pilot.press("f2")
        await settle(pilot, lambda: chat.is_on_screen and chat.region.width == 80)
        assert not tabs.is_on_screen
        await pilot.press("f3")
        await settle(pilot, lambda: tabs.is_on_screen and not chat.is_on_screen)


async def test_the_viewer_grabs_the_display_the_service_names_at_least_twice_a_second() -> None:
    grabs: list[str] = []

    def grab(display: str):  # noqa: ANN202
        grabs.append(display)
        return on_air_card()

    service = Service(live_session())
    app = console(service, frozen=False, grab=grab, frame_interval=0.2)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app.attached.is_set)
        await pilot.press("f3")
        frame = app.query_one(FrameView)
        await settle(pilot, lambda: frame.frames_drawn >= 3, tries=400)
        assert set(grabs) == {":99"}
        await pilot.press("f4")  # hidden: no more grabs
        await pilot.pause(0.5)
        count = len(grabs)
        await pilot.pause(0.6)
        assert len(grabs) <= count + 1


async def test_the_registration_step_is_answered_with_the_fields_as_one_json_object() -> None:
    service = Service([registration_step()])
    app = console(service)
    fields = {"agent_name": "flow_bot", "agent_description": "Registers from the console",
              "image_url": "https://example.com/a.png",
              "wallet_address": "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV", "ticker": "FLOW"}  # fmt: skip
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot, lambda: app.query("#reg-agent_name"))
        for name, value in {**fields, "ticker": "way-too-long-ticker"}.items():
            app.query_one(f"#reg-{name}", Input).value = value
        await settle(pilot, lambda: app.query_one("#reg-ticker").has_class("-invalid"))
        assert str(app.query_one("#reg-ticker-problem", Label).render()).startswith("ticker: ")
        assert app.query_one("#register", Button).disabled
        app.query_one("#reg-ticker", Input).focus()
        await pilot.press("enter")  # wrong: Enter moves on, nothing is sent
        await pilot.pause()
        assert service.commands == []
        app.query_one("#reg-ticker", Input).value = fields["ticker"]
        await settle(pilot, lambda: not app.query_one("#register", Button).disabled)
        app.query_one("#reg-ticker", Input).focus()
        await pilot.press("enter")
        await settle(pilot, lambda: service.commands)
        (command,) = service.commands
        assert command.verb == "answer" and command.args["need"] == "registration-1"
        assert json.loads(command.args["value"]) == fields


async def test_the_go_live_form_checks_each_field_and_gives_the_plan(tmp_path: Path) -> None:
    from studio.console.service_client import ServiceClient
    from tests.console.console_helpers import frozen_config

    app = ConsoleApp(ServiceClient(tmp_path / "none.sock"), frozen_config())
    chosen: list[object] = []
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot, lambda: "not attached" in app.sub_title)
        app.push_screen(GoLiveForm(), chosen.append)
        await settle(pilot, lambda: isinstance(app.screen, GoLiveForm))
        form = app.screen
        await pilot.press("tab", "tab", "space")  # baseFM
        await settle(pilot, lambda: form.query_one("#gl-basefm_wallet-problem", Label).render())
        problem = str(form.query_one("#gl-basefm_wallet-problem", Label).render())
        assert problem.startswith("basefm_wallet: is required with basefm")
        form.query_one("#gl-clawcast_url", Input).value = "ftp://nope"
        await settle(pilot, lambda: form.query_one("#gl-clawcast_url").has_class("-invalid"))
        await pilot.press("ctrl+g")  # refused while wrong
        await pilot.pause()
        assert chosen == [] and isinstance(app.screen, GoLiveForm)
        form.query_one("#gl-clawcast_url", Input).value = ""
        form.query_one("#gl-basefm_wallet", Input).value = "0x" + "ab" * 20
        form.query_one("#gl-duration", Input).value = "90"
        form.query_one("#gl-log", Input).value = str(tmp_path / "agent.log")
        await settle(pilot, lambda: not form.query_one("#go", Button).disabled)
        await pilot.press("ctrl+g")
        await settle(pilot, lambda: chosen)
    (plan,) = chosen
    assert plan.platforms == ["basefm"] and plan.basefm_wallet == "0x" + "ab" * 20
    assert plan.duration == 90 and plan.log == tmp_path / "agent.log" and plan.kiosk


async def test_the_basefm_cooldown_counts_down_and_offers_retry_and_give_up() -> None:
    """baseFM's 429: a live countdown (simulated clock), the other legs still live, and
    the operator's two ways out, each an answer to the step the leg asked."""
    from studio.cli.control_cmd import cooldown_line
    from tests.console.test_console_snapshots import cooldown_step

    now = [T0 + 60]
    service = Service(live_session() + [cooldown_step()])
    app = console(service, now=lambda: now[0])
    async with app.run_test(size=SMALL) as pilot:
        await settle(pilot, lambda: app.query("StepPrompt"))
        details = app.query_one(".step-details")
        assert "Retried by itself in 23:59:12" in str(details.render())
        assert app.model.legs["retake"].live and app.model.legs["clawcast"].live
        now[0] += 65
        app.tick()  # the console's one-second timer (frozen consoles have none)
        await settle(pilot, lambda: "in 23:58:07" in str(details.render()))
        await pilot.press("ctrl+g")
        await settle(pilot, lambda: len(service.commands) == 1)
        await pilot.click("#give-up")
        await settle(pilot, lambda: len(service.commands) == 2)
        assert [dict(c.args) for c in service.commands] == [
            {"need": "cooldown-3", "value": "retry"},
            {"need": "cooldown-3", "value": "give up"},
        ]
    # the same countdown in `studio status`
    data = cooldown_step().data
    assert "retried by itself in 23:58:07" in cooldown_line(data, T0 + 125)
    assert "in 0:00:00" in cooldown_line(data, data["until"] + 5)


async def test_a_flood_past_the_scrollback_keeps_the_newest_and_counts_every_line() -> None:
    history = live_session() + [
        chat(T0 + 100 + i, f"viewer{i % 5}", id=f"n{i}", text=f"line {i}") for i in range(60)
    ]
    service = Service(history)
    app = console(service)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app.attached.is_set)
        log = app.query_one(ChatLog)
        await settle(pilot, lambda: log.max_scroll_y > 0 and log.scroll_y == log.max_scroll_y)
        bound = app.model.scrollback
        log.focus()
        await pilot.press("pageup")
        await settle(pilot, lambda: log.paused)
        flood = bound + 300
        for first in range(0, flood, 500):  # the bus holds 1,000 events a listener
            for i in range(first, min(first + 500, flood)):
                service.publish(chat(T0 + 300 + i, f"viewer{i % 7}", id=f"f{i}", text=f"flood {i}"))
            await settle(pilot, lambda n=i: app.model.chat_total == 66 + n + 1)
        assert log.unseen == flood  # the ones pushed out of the bound unseen are counted too
        assert log.line_count == bound  # the bound holds: only the newest lines are kept
        assert log.kept[0].text == f"flood {flood - bound}"
        status = app.query_one("#chat-status", Label)
        assert f"Paused · {flood} new" in str(status.render())
        await pilot.press("end")
        await settle(pilot, lambda: not log.paused and log.scroll_y == log.max_scroll_y)
        assert f"flood {flood - 1}" in shown_rows(log)[-1]
        assert f"Chat · {bound} kept of {66 + flood}" in str(status.render())


async def test_the_queue_tab_with_no_broadcast_says_so_and_the_console_stays(
    tmp_path: Path,
) -> None:
    """F4 before any broadcast runs: the directories cannot be read; a notice, no crash."""
    from studio.console.service_client import ServiceClient
    from tests.console.console_helpers import frozen_config

    app = ConsoleApp(ServiceClient(tmp_path / "none.sock"), frozen_config())
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, lambda: app.sub_title.endswith("not attached"))
        await pilot.press("f4")
        await settle(pilot, lambda: any("not attached to a broadcast" in str(n.message)
                                        for n in app._notifications))  # fmt: skip
        assert app.is_running and app.query_one("#tabs", TabbedContent).active == "queue"
