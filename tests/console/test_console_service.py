"""The console against the real control API: a ControlServer on a real Unix socket.

Events published on the service's bus reach the console; the console's answers and
commands reach the service's operator and runtime; closing the console costs the
broadcast nothing and attaching again draws the same state.
"""

from __future__ import annotations

import asyncio
import io
import json

from rich.console import Console as RichConsole
from textual.widgets import Button, Input, Select, Static, TextArea

from studio.config import Paths
from studio.console.app import ConsoleApp
from studio.console.panes.composer.composer_pane import ComposerPane
from studio.console.service_client import ServiceClient
from studio.errors import Problem, ValidationFailed
from studio.golive.basefm_leg import BasefmLeg
from studio.golive.clawcast_leg import ClawcastLeg
from studio.golive.operator import Need
from studio.golive.sequence import GoLive
from studio.platforms.basefm import BasefmClient
from studio.platforms.clawcast import ClawcastClient
from studio.session_store import SessionStore
from studio.validation.basefm import transaction_hash
from tests.console.console_helpers import (
    LARGE,
    SMALL,
    T0,
    chat,
    frozen_config,
    live_session,
    settle,
)
from tests.control.control_helpers import SANDBOX, served
from tests.golive.golive_helpers import fake_context

TX = "0x" + "2e" * 32


def _tx(value: str) -> str:
    try:
        return transaction_hash(value)
    except ValueError as exc:
        raise ValidationFailed([Problem("txHash", str(exc))], what="txHash") from None


async def test_the_console_attaches_to_a_running_service_and_comes_back_to_it() -> None:
    async with served() as service:
        for event in live_session():
            service.bus.publish(event)
        first = ConsoleApp(ServiceClient(service.socket_path), frozen_config())
        async with first.run_test(size=SMALL) as pilot:
            await settle(pilot, first.attached.is_set)
            await settle(pilot, lambda: first.model.viewers_total == 19)
            assert first.model.display == ":99" and first.model.live
            service.bus.publish(chat(T0 + 90, "hank", "anyone home?", first_time=True, id="h1"))
            await settle(pilot, lambda: first.model.chat[-1].author == "hank")
        # the console is gone; the broadcast is not
        service.bus.publish(chat(T0 + 95, "ivy", "brb", id="i1"))
        again = ConsoleApp(ServiceClient(service.socket_path), frozen_config())
        async with again.run_test(size=LARGE) as pilot:
            await settle(pilot, again.attached.is_set)
            await settle(pilot, lambda: again.model.chat and again.model.chat[-1].author == "ivy")
            assert [e.author for e in again.model.chat][-2:] == ["hank", "ivy"]
            assert again.model.legs["retake"].live and again.model.viewers_total == 19
            assert [d for d in again.model.destinations] == ["retake", "clawcast", "basefm"]


async def test_the_basefm_payment_is_answered_from_the_console() -> None:
    async with served() as service:
        need = Need(platform="basefm", need="tx_hash", prompt="Pay the fee, then give the txHash.",
                    validate=_tx, data={"fee": 5, "wallet": "0x" + "ab" * 20})  # fmt: skip
        waiting = asyncio.create_task(service.runtime.operator.answer(need))
        app = ConsoleApp(ServiceClient(service.socket_path), frozen_config())
        async with app.run_test(size=SMALL) as pilot:
            await settle(pilot, lambda: app.query(".answer"))
            step = next(iter(app.model.pending.values()))
            assert step.id and step.id.startswith("tx_hash-")
            app.query_one(".answer", Input).value = TX
            await settle(pilot, lambda: not app.query_one("#send", Button).disabled)
            await pilot.click("#send")
            assert await asyncio.wait_for(waiting, 10) == TX
            await settle(pilot, lambda: not app.query(".answer"))


async def test_a_command_the_service_refuses_is_shown_with_its_reason() -> None:
    async with served() as service:
        app = ConsoleApp(ServiceClient(service.socket_path), frozen_config())
        async with app.run_test(size=SMALL, notifications=True) as pilot:
            await settle(pilot, app.attached.is_set)
            await pilot.press("ctrl+r")  # nothing to reconnect: no encoder yet
            await settle(pilot, lambda: app.responses)
            command, response = app.responses[0]
            assert command.verb == "reconnect" and not response.ok and response.code == 409
            await settle(
                pilot, lambda: any("nothing to reconnect" in n.message for n in app._notifications)
            )


async def test_no_broadcast_is_reported_and_retried_not_fatal(tmp_path) -> None:  # noqa: ANN001
    app = ConsoleApp(ServiceClient(tmp_path / "none.sock"), frozen_config())
    async with app.run_test(size=SMALL, notifications=True) as pilot:
        await settle(pilot, lambda: "not attached" in app.sub_title)
        assert any("no broadcast is running" in n.message for n in app._notifications)
        assert not app.attached.is_set()


async def test_a_clawcast_slot_is_booked_from_the_composer(transport, control, clock, tmp_path):  # noqa: ANN001
    ctx, _ = fake_context(clock)
    clawcast = ClawcastClient(
        SANDBOX,
        transport=transport,
        store=SessionStore(Paths.from_env().sessions_file),
        clock=clock.now,
    )
    leg = ClawcastLeg(ctx, clawcast, streamer_name="console_bot", streamer_url="https://x.example")
    async with served(bus=ctx.bus, transport=transport) as service:
        service.runtime.golive = golive = GoLive(ctx, [leg], pipeline_factory=None)
        golive._enter("live")  # the other legs are on air; ClawCast holds no slot now
        app = ConsoleApp(ServiceClient(service.socket_path), frozen_config(playlist_dir=tmp_path))
        async with app.run_test(size=LARGE, notifications=True) as pilot:
            await settle(pilot, app.attached.is_set)
            await pilot.press("f5")
            composer = app.query_one(ComposerPane)
            app.query_one("#slide-type", Select).value = "text"
            await pilot.press("ctrl+n")
            await settle(pilot, lambda: len(composer.playlist.slides) == 1)
            editor = app.query_one("#slide-json", TextArea)
            slide = json.loads(editor.text)
            slide["content"]["headline"] = "Booked from the console"
            editor.text = json.dumps(slide)
            await settle(pilot, lambda: composer.playlist.slides[0] == slide)
            app.query_one("#slot-minutes", Select).value = 2
            await pilot.press("ctrl+b")
            await settle(pilot, lambda: app.responses)
            command, response = app.responses[0]
            assert command.verb == "clawcast.book" and response.ok, response
            assert response.data["streamer_name"] == "console_bot"
            await settle(pilot, lambda: any("slot booked" in n.message for n in app._notifications))
            state = (await control.get("/_sandbox/clawcast/state")).json()
            (booked,) = state["slots"]
            assert booked["streamer_name"] == "console_bot" and booked["duration_minutes"] == 2
            assert booked["batch"]["slides"][0]["content"]["headline"] == "Booked from the console"
            await settle(
                pilot,
                lambda: (
                    [s["content"].get("headline") for s in app.model.slides_on_air]
                    == ["Booked from the console"]
                ),
            )
    await leg.stop()
    await clawcast.aclose()


def _text(renderable: object) -> str:
    out = RichConsole(width=120, record=True, file=io.StringIO())
    out.print(renderable)
    return out.export_text()


async def test_the_queue_marks_your_clawcast_slot_and_counts_down_to_it(
    transport,  # noqa: ANN001
    control,  # noqa: ANN001
    clock,  # noqa: ANN001
) -> None:
    ctx, _ = fake_context(clock)
    first = ClawcastClient(SANDBOX, transport=transport, persist=False, clock=clock.now)
    await first.book_slot(
        {"streamer_name": "first_bot", "streamer_url": "https://a.example", "duration_minutes": 2}
    )  # on air: this studio queues behind it
    clawcast = ClawcastClient(
        SANDBOX,
        transport=transport,
        store=SessionStore(Paths.from_env().sessions_file),
        clock=clock.now,
    )
    leg = ClawcastLeg(ctx, clawcast, streamer_name="queue_bot", streamer_url="https://q.example")
    async with served(bus=ctx.bus, transport=transport) as service:
        service.runtime.golive = GoLive(ctx, [leg], pipeline_factory=None)
        await leg.prepare()
        snapshot = service.runtime.state.snapshot()["clawcast_slot"]
        assert snapshot["streamer_name"] == "queue_bot" and snapshot["position_in_queue"] == 1
        app = ConsoleApp(ServiceClient(service.socket_path), frozen_config(now=clock.now))
        async with app.run_test(size=LARGE) as pilot:
            await settle(pilot, app.attached.is_set)
            held = app.model.clawcast_slot
            assert held is not None and held.streamer_name == "queue_bot"
            await pilot.press("f4")
            box = app.query_one("#queue-clawcast", Static)
            await settle(pilot, lambda: "first_bot" in _text(box.content))
            shown = _text(box.content)
            assert "▶ Now playing first_bot  2:00 left" in shown
            assert "You (queue_bot): position 1, on in 2:00" in shown
            clock.advance(125)  # first_bot's slot is over: ours is on air
            await pilot.press("ctrl+u")
            await settle(pilot, lambda: "You (queue_bot): on air now" in _text(box.content))
    await first.aclose()
    await clawcast.aclose()


async def test_basefm_wrong_wallet_is_answered_from_the_console(transport, control, clock):  # noqa: ANN001
    claimed, wrong = "0x" + "c1" * 20, "0x" + "77" * 20
    await control.post("/_sandbox/basefm/users", json={"user": "u1", "communityWallet": claimed})
    ctx, recorder = fake_context(clock)
    client = BasefmClient(
        SANDBOX, transport=transport, user_session="u1", persist=False, clock=clock.now
    )
    async with served(bus=ctx.bus, transport=transport) as service:
        ctx.operator = service.runtime.operator
        leg = BasefmLeg(ctx, client, wallet=wrong, name="Pass DJ")
        preparing = asyncio.create_task(leg.prepare())
        app = ConsoleApp(ServiceClient(service.socket_path), frozen_config())
        async with app.run_test(size=LARGE) as pilot:
            await settle(pilot, lambda: app.query(".answer"))
            step = next(iter(app.model.pending.values()))
            assert step.need == "wallet" and step.data["expected"] == claimed
            details = app.query_one(".step-details", Static)
            assert f"Expected wallet: {claimed}" in _text(details.content)
            app.query_one(".answer", Input).value = "0x123"  # checked as typed: not sent
            await settle(pilot, lambda: app.query_one("#send", Button).disabled)
            app.query_one(".answer", Input).value = claimed
            await settle(pilot, lambda: not app.query_one("#send", Button).disabled)
            await pilot.click("#send")
            await asyncio.wait_for(preparing, 10)
            await settle(pilot, lambda: not app.query(".answer"))
    assert leg.wallet == claimed
    session = await client.session()
    assert session.stream is not None and session.stream.accessGrantedBy == "community-pass"
    assert any("stream armed" in n.text for n in recorder.of("golive.notice"))
    await leg.stop()
    await client.aclose()
