"""Redraw only what changed, no faster than the capture rate; GIFs move on their own."""

from __future__ import annotations

from pathlib import Path

from studio.kiosk.scenes.slides.picture import PictureSlide
from studio.onair import decode
from studio.sandbox.clock import FakeClock
from tests.kiosk.kiosk_helpers import GIF_URL, ON_AIR, make_app, settle


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
