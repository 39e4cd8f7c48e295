"""No dead air: quiet terminal and chat bring on the filler; new activity ends it."""

from __future__ import annotations

from pathlib import Path

from studio.kiosk.scenes.card_canvas import CardCanvas
from studio.onair import ChatMessage, SwitchScene, TickerUpdate, decode
from studio.sandbox.clock import FakeClock
from tests.kiosk.kiosk_helpers import ON_AIR, STOREFRONT, make_app, screen_text, settle, shows


async def test_filler_after_the_idle_time_and_back_on_chat(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(tmp_path, clock, idle_seconds=30, log_lines=["$ agent ready"])
    async with app.run_test(size=ON_AIR) as pilot:
        await settle(pilot, lambda: app.scene == "terminal")
        await app.apply(TickerUpdate(live=True, name="agent_x", viewers=7))
        clock.advance(29)
        await app.check_air()
        assert app.scene == "terminal"
        clock.advance(1)
        await app.check_air()
        await settle(pilot, lambda: app.scene == "filler" and shows(app, "agent_x is thinking"))

        await app.apply(ChatMessage(author="viewer", text="still there?"))
        await settle(pilot, lambda: app.scene == "terminal")
        clock.advance(20)
        await app.check_air()
        assert app.scene == "terminal"


async def test_filler_returns_to_the_chosen_scene_and_rotates_slides(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(tmp_path, clock, idle_seconds=10)
    log = tmp_path / "stream.log"
    log.write_text("")
    app.config.log_path = log
    async with app.run_test(size=ON_AIR) as pilot:
        await app.apply(
            decode(
                '{"cmd":"slides","slides":[{"type":"text","content":{"headline":"Filler slide","body":"kept for later"}}]}'
            )
        )
        clock.advance(11)
        await app.check_air()
        await settle(pilot, lambda: app.scene == "filler")
        cards = app.filler.cards
        assert cards == ["brb", "stats", "slide:0"]
        await app.filler.rotate()
        await app.filler.rotate()
        await settle(pilot, lambda: "kept for later" in screen_text(app))
        with log.open("a") as handle:
            handle.write("agent is back\n")
        await settle(pilot, lambda: app.scene == "slides")


async def test_filler_chosen_by_the_operator_stays(tmp_path: Path, clock: FakeClock) -> None:
    app = make_app(tmp_path, clock, idle_seconds=10)
    async with app.run_test(size=ON_AIR) as pilot:
        await app.apply(SwitchScene(scene="filler"))
        await app.apply(ChatMessage(author="viewer", text="hi"))
        await pilot.pause()
        assert app.scene == "filler"


async def test_a_moving_playlist_is_not_dead_air(tmp_path: Path, clock: FakeClock) -> None:
    app = make_app(tmp_path, clock, idle_seconds=10)
    two = '{"cmd":"slides","slides":[{"type":"text","content":{"headline":"One"}},{"type":"text","content":{"headline":"Two"}}]}'
    async with app.run_test(size=ON_AIR) as pilot:
        await app.apply(decode(two))
        await settle(pilot, lambda: app.scene == "slides")
        clock.advance(8)
        await app.deck.next_slide()
        await settle(pilot, lambda: app.deck.index == 1)
        clock.advance(8)
        await app.check_air()
        assert app.scene == "slides"
        clock.advance(2)
        await app.check_air()
        await settle(pilot, lambda: app.scene == "filler")


async def test_the_opening_card_holds_the_air_until_the_agent_writes(
    tmp_path: Path, clock: FakeClock
) -> None:
    """An empty terminal is never on air: not at the start, not when the studio picks
    the chat scene, not after a quiet spell. The agent's first line hands over."""
    log = tmp_path / "stream.log"
    log.write_text("\n   \n")  # blank lines are nothing worth showing
    app = make_app(tmp_path, clock, idle_seconds=10, log_path=log, storefront=STOREFRONT)
    async with app.run_test(size=ON_AIR) as pilot:
        await settle(pilot, lambda: len(app.terminal.lines) == 2 and shows(app, "scan to watch"))
        assert app.scene == "opening"
        text = screen_text(app)
        assert "Fixing the parser live" in text and "retake.tv  ·  ClawCast" in text
        assert "https://retake.tv/agent_smith" in text and "scan to watch" in text
        await app.apply(SwitchScene(scene="chat"))
        await app.apply(ChatMessage(author="viewer", text="anyone here?"))
        clock.advance(60)
        await app.check_air()
        await settle(pilot)
        assert app.scene == "opening" and app.chosen_scene == "chat"

        with log.open("a") as out:
            out.write("\x1b[32m$ agent\x1b[0m starting on the parser\n")
        await settle(pilot, lambda: app.scene == "chat" and shows(app, "starting on the parser"))
        # later quiet spells bring the filler, as before, and the QR code with it
        clock.advance(10)
        await app.check_air()
        await settle(pilot, lambda: app.scene == "filler")
        assert app.filler.query_one(CardCanvas).qr_at is not None
