"""The viewer's frame comes from a real X display (Xvfb), grabbed with mss."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import AsyncIterator

import pytest

from studio.broadcast.display import VirtualDisplay
from studio.console.panes.viewer.frame_grab import FrameGrabber, grab
from studio.console.panes.viewer.frame_view import FrameView
from tests.console.console_helpers import LARGE, Service, console, live_session, settle

pytestmark = pytest.mark.processes
RED = (0xC0, 0x10, 0x10)


@pytest.fixture
async def red_display() -> AsyncIterator[str]:
    if not (shutil.which("Xvfb") and shutil.which("xterm")):
        pytest.skip("Xvfb and xterm are installed by scripts/install")
    display = VirtualDisplay()
    name = await display.start()
    xterm = await asyncio.create_subprocess_exec(
        "xterm", "-display", name, "-bg", "#c01010", "-geometry", "400x100+0+0", "-e", "sleep 60",
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        yield name
    finally:
        xterm.terminate()
        await asyncio.wait_for(xterm.wait(), 5)
        await display.stop()


def _reddish(pixel: tuple[int, int, int]) -> bool:
    return pixel[0] > 150 and pixel[1] < 60 and pixel[2] < 60


async def test_a_frame_is_the_displays_real_picture(red_display: str) -> None:
    grabber = FrameGrabber(red_display)
    try:
        for _ in range(100):
            image = await asyncio.to_thread(grabber.grab)
            assert image is not None and image.size == (1280, 720)
            if _reddish(image.getpixel((640, 360))):
                break
            await asyncio.sleep(0.1)
        else:
            raise AssertionError("the xterm never showed on the display")
    finally:
        grabber.close()
    assert grab(":4242") is None  # a display that is not there is no picture, not a crash


async def test_the_viewer_shows_the_display_the_service_names(red_display: str) -> None:
    events = [e for e in live_session()]
    events = [e.model_copy(update={"display": red_display}) if getattr(e, "display", None) else e
              for e in events]  # fmt: skip
    app = console(Service(events), frozen=False, grab=grab, frame_interval=0.2)
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app.attached.is_set)
        await pilot.press("f3")
        frame = app.query_one(FrameView)

        def red_on_screen() -> bool:
            image = frame.image
            return image is not None and _reddish(
                image.getpixel((image.width // 2, image.height // 2))
            )

        await settle(pilot, red_on_screen, tries=600)
        drawn = frame.frames_drawn
        await pilot.pause(1.2)
        assert frame.frames_drawn >= drawn + 2  # at least twice a second while shown
