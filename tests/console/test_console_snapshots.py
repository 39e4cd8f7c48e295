"""Pictures of every pane, modal and operator prompt in its main states, at 80x24 and
200x50, on a frozen clock with a steady cursor. Look at a picture before updating it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Checkbox, Input, TextArea

from studio.console.app import ConsoleApp
from studio.console.panes.chat.chat_log import ChatLog
from studio.console.panes.composer.composer_pane import ComposerPane
from studio.console.screens.golive_form import GoLiveForm
from studio.golive.events import OperatorNeeded, PollResultsChanged, SlidesOnAir
from tests.console.console_helpers import (
    LARGE,
    SMALL,
    T0,
    Service,
    chat,
    console,
    directories,
    live_session,
    payment_step,
    registration_step,
    settle,
    tweet_step,
)

Setup = Callable[[ConsoleApp, Pilot[None]], Awaitable[None]]


def cooldown_step() -> OperatorNeeded:
    """baseFM's 429 as the baseFM leg asks it (``studio.golive.basefm_leg``)."""
    return OperatorNeeded(
        at=T0 + 30, platform="basefm", need="cooldown", id="cooldown-3",
        prompt="baseFM allows one session a day per wallet: it is retried by itself when the "
        "cooldown ends. Answer retry to try now, or give up to go on without baseFM (the "
        "other platforms stay live).",
        data={"until": T0 + 60 + 23 * 3600 + 59 * 60 + 12, "wallet": "0x" + "ab" * 20,
              "choices": ["retry", "give up"]},
    )  # fmt: skip


def wallet_step() -> OperatorNeeded:
    return OperatorNeeded(
        at=T0 + 31, platform="basefm", need="wallet",
        prompt="The community guest pass works only with the claimed Agentbot wallet.",
        data={"expected": "0x" + "c0ffee" * 6 + "beef"},
    )  # fmt: skip


async def _attached(app: ConsoleApp, pilot: Pilot[None]) -> None:
    await settle(pilot, app.attached.is_set)
    await pilot.pause()


def tab(name: str) -> Setup:
    async def run(app: ConsoleApp, pilot: Pilot[None]) -> None:
        await _attached(app, pilot)
        await app.open_tab(name).wait()
        await pilot.pause()
        await pilot.pause()

    return run


async def payment_typed_wrong(app: ConsoleApp, pilot: Pilot[None]) -> None:
    await _attached(app, pilot)
    await settle(pilot, lambda: app.query(".answer"))
    app.query_one(".answer", Input).value = "0x12345"
    await settle(pilot, lambda: app.query_one(".answer").has_class("-invalid"))


async def registration(app: ConsoleApp, pilot: Pilot[None]) -> None:
    await _attached(app, pilot)
    await settle(pilot, lambda: app.query("#reg-agent_name"))
    values = {"agent_name": "agent smith!", "agent_description": "Builds parsers live",
              "image_url": "https://i.imgur.com/avatar.png", "wallet_address": "not-a-wallet",
              "ticker": "SMITH"}  # fmt: skip
    for name, value in values.items():
        app.query_one(f"#reg-{name}", Input).value = value
    await settle(pilot, lambda: app.query_one("#reg-wallet_address").has_class("-invalid"))
    app.query_one("#reg-agent_name", Input).focus()
    await pilot.pause()


def golive_form(values: dict[str, str] | None = None) -> Setup:
    async def run(app: ConsoleApp, pilot: Pilot[None]) -> None:
        await _attached(app, pilot)
        app.push_screen(GoLiveForm())
        await settle(pilot, lambda: isinstance(app.screen, GoLiveForm))
        form = app.screen
        if values:
            form.query_one("#gl-basefm", Checkbox).value = True
            for name, value in values.items():
                form.query_one(f"#gl-{name}", Input).value = value
            await settle(pilot, lambda: form.query_one("#gl-duration").has_class("-invalid"))
            form.query_one("#gl-title", Input).focus()
        await pilot.pause()
        await pilot.pause()

    return run


WRONG_FORM = {"title": "Parsers, live", "duration": "soon", "basefm_wallet": "0x12345",
              "slides": "/nonexistent/playlist.json"}  # fmt: skip


def composer(
    slides: list[dict[str, Any]], edit: Callable[[dict[str, Any]], None] | None = None
) -> Setup:
    async def run(app: ConsoleApp, pilot: Pilot[None]) -> None:
        await _attached(app, pilot)
        await app.open_tab("composer").wait()
        pane = app.query_one(ComposerPane)
        pane.playlist.slides = [dict(s) for s in slides]
        pane.selected = len(slides) - 1
        pane._relist()
        pane.select(pane.selected)
        if edit is not None:
            import json

            slide = json.loads(json.dumps(slides[-1]))
            edit(slide)
            app.query_one("#slide-json", TextArea).text = json.dumps(slide, indent=2)
        await settle(pilot, lambda: pane.query_one("#preview").children or edit is not None)
        app.query_one("#slide-json", TextArea).focus()
        await pilot.pause()
        await pilot.pause()

    return run


POLL = {"type": "poll", "content": {"question": "What should I build next?",
                                    "options": ["Web scraper", "Chess engine", "Weather bot"]}}  # fmt: skip
TEXT = {"type": "text", "content": {"headline": "Hello ClawCast!", "body": "First time on air"}}


def _no_options(slide: dict[str, Any]) -> None:
    slide["content"]["options"] = ["only one"]
    slide["duration_seconds"] = 400


async def chat_paused(app: ConsoleApp, pilot: Pilot[None]) -> None:
    await _attached(app, pilot)
    app.action_show_chat()
    log = app.query_one(ChatLog)
    await settle(pilot, lambda: log.max_scroll_y > 0)
    log.focus()
    await pilot.press("pageup")
    await settle(pilot, lambda: log.paused)
    for i in range(4):
        app.model.apply(chat(T0 + 300 + i, "zed", id=f"q{i}", text="anyone?"))
    app.update_panes({"chat"})
    await settle(pilot, lambda: log.unseen == 4)


async def confirm_stop(app: ConsoleApp, pilot: Pilot[None]) -> None:
    await _attached(app, pilot)
    await pilot.press("f10")
    await pilot.pause()


async def help_screen(app: ConsoleApp, pilot: Pilot[None]) -> None:
    await tab("composer")(app, pilot)
    await pilot.press("f1")
    await pilot.pause()


async def light_viewer(app: ConsoleApp, pilot: Pilot[None]) -> None:
    app.theme = "light"
    await tab("viewer")(app, pilot)


def chatty() -> list[Any]:
    return live_session() + [
        chat(T0 + 100 + i, f"viewer{i % 9}", id=f"n{i}", first_time=i < 9,
             text=["gm", "what stack is this?", "ship it!", "lol the test failed", "LFG"][i % 5])
        for i in range(40)
    ]  # fmt: skip


def poll_on_air() -> list[Any]:
    return live_session() + [
        SlidesOnAir(at=T0 + 40, platform="clawcast", slides=[TEXT, POLL]),
        PollResultsChanged(at=T0 + 58, platform="clawcast", results=[12, 30, 4]),
    ]


async def preview_on_small(app: ConsoleApp, pilot: Pilot[None]) -> None:
    await composer([TEXT, POLL])(app, pilot)
    await pilot.press("f7")
    await pilot.pause()


SCENES: dict[str, tuple[Callable[[], list[Any]], Setup]] = {
    "operator_live": (live_session, tab("operator")),
    "operator_offair": (lambda: [], tab("operator")),
    "operator_tweet": (lambda: live_session() + [tweet_step()], tab("operator")),
    "operator_payment": (lambda: live_session() + [payment_step()], payment_typed_wrong),
    "operator_cooldown": (lambda: live_session() + [cooldown_step()], tab("operator")),
    "operator_wallet": (lambda: live_session() + [wallet_step()], tab("operator")),
    "operator_registration": (lambda: [registration_step()], registration),
    "golive_form_empty": (lambda: [], golive_form()),
    "golive_form_errors": (lambda: [], golive_form(WRONG_FORM)),
    "viewer_live": (live_session, tab("viewer")),
    "viewer_offair": (lambda: [], tab("viewer")),
    "viewer_light_theme": (live_session, light_viewer),
    "queue": (live_session, tab("queue")),
    "composer_empty": (live_session, tab("composer")),
    "composer_poll": (live_session, composer([TEXT, POLL])),
    "composer_invalid": (live_session, composer([TEXT, POLL], _no_options)),
    "composer_poll_live": (poll_on_air, composer([TEXT, POLL])),
    "composer_preview_small": (poll_on_air, preview_on_small),
    "chat_paused": (chatty, chat_paused),
    "confirm_stop": (live_session, confirm_stop),
    "help": (live_session, help_screen),
}


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "200x50"])
@pytest.mark.parametrize("scene", list(SCENES))
def test_console_picture(snap_compare: Any, scene: str, size: tuple[int, int]) -> None:
    history, setup = SCENES[scene]
    service = Service(history())
    directories(service)
    app = console(service)
    assert snap_compare(app, terminal_size=size, run_before=lambda pilot: setup(app, pilot))
