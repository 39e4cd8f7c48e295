"""Redraw only what changed, no faster than the capture rate; GIFs move on their own."""

from __future__ import annotations

from pathlib import Path

from studio.kiosk.scenes.slides.picture import PictureSlide
from studio.onair import ChatMessage, SwitchScene, decode, fingerprints_of
from studio.redaction import MASK
from studio.sandbox.clock import FakeClock
from tests.kiosk.kiosk_helpers import GIF_URL, ON_AIR, make_app, screen_text, settle


async def test_a_burst_of_appends_is_one_redraw(tmp_path: Path, clock: FakeClock) -> None:
    app = make_app(tmp_path, clock, frozen=False)
    async with app.run_test(size=ON_AIR) as pilot:
        terminal = app.terminal
        for i in range(500):
            terminal.append([f"line {i}"])
        assert terminal.flushes == 0  # nothing drawn until the next refresh slot
        await settle(pilot, lambda: terminal.flushes > 0)
        assert terminal.flushes == 1
        assert terminal.lines[-1].plain == "line 499"


async def test_gif_frames_advance_when_not_frozen(tmp_path: Path, clock: FakeClock) -> None:
    app = make_app(tmp_path, clock, frozen=False)
    slide = f'{{"cmd":"slides","slides":[{{"type":"text","content":{{"headline":"Wow","gif_url":"{GIF_URL}"}}}}]}}'
    async with app.run_test(size=ON_AIR) as pilot:
        await app.apply(decode(slide))
        view = app.deck.view
        assert isinstance(view, PictureSlide)
        await settle(pilot, lambda: len(view.frames) == 2)
        await settle(pilot, lambda: view.frame_index == 1)
        await settle(pilot, lambda: view.frame_index == 0)


async def test_a_burst_of_chat_is_one_redraw_and_each_entry_is_drawn_once(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(tmp_path, clock, frozen=False, log_lines=["agent says hi"])
    async with app.run_test(size=ON_AIR) as pilot:
        await settle(pilot, lambda: app.terminal_shown)
        await app.apply(SwitchScene(scene="chat"))
        chat = app.chat
        await app.apply(ChatMessage(author="first", text="opens the slot"))
        await settle(pilot, lambda: "opens the slot" in screen_text(app))
        drawn = chat.refreshes
        for i in range(200):
            await app.apply(ChatMessage(author=f"viewer{i % 7}", text=f"message {i:03d}"))
        # the first is drawn at once if the slot is open, the rest join that draw
        assert chat.refreshes <= drawn + 1
        await settle(pilot, lambda: "message 199" in screen_text(app))
        assert chat.refreshes == drawn + 1  # 200 messages, one refresh
        rows = chat._drawn[chat.entries[-1]]  # noqa: SLF001 - the entry's cached rows
        await app.apply(ChatMessage(author="last", text="one more"))
        await settle(pilot, lambda: "one more" in screen_text(app))
        assert chat._drawn[chat.entries[-2]] is rows  # noqa: SLF001 - drawn once, reused


async def test_chat_on_air_before_a_secret_was_learnt_is_masked_after(
    tmp_path: Path, clock: FakeClock
) -> None:
    secret = "correct-horse-battery-staple-42"  # no shape the kiosk could recognise
    app = make_app(tmp_path, clock, log_lines=["agent says hi"])
    async with app.run_test(size=ON_AIR) as pilot:
        await settle(pilot, lambda: app.terminal_shown)
        await app.apply(SwitchScene(scene="chat"))
        await app.apply(ChatMessage(author="leaky", text=f"key {secret} oops"))
        await settle(pilot, lambda: "oops" in screen_text(app))
        assert secret in screen_text(app)  # not known yet: drawn as it came
        await app.apply(fingerprints_of([secret]))
        await settle(pilot, lambda: secret not in screen_text(app))
        text = screen_text(app)
        assert "oops" in text and MASK in text and secret[:10] not in text
