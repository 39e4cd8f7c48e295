"""Xvfb on a free display number, and the on-air xterm filling 1280x720 exactly."""

from __future__ import annotations

import asyncio
import os
import re
import sys
from pathlib import Path

import pytest

from studio.broadcast.display import VirtualDisplay
from studio.broadcast.processes import run_capture
from studio.broadcast.terminal import (
    BACKGROUND,
    ON_AIR_GRID,
    ON_AIR_GRIDS,
    Terminal,
    measured_grid,
)
from studio.broadcast.thumbnails import capture, is_blank
from tests.broadcast.broadcast_helpers import KIOSK, need, wait_until

pytestmark = pytest.mark.processes

# A truecolor pattern: cell (col, row) of the first 10 rows gets RGB (col, 10*row, 200).
PATTERN = (
    "import sys, time\n"
    "out = ['\\x1b[2J\\x1b[H']\n"
    "for row in range(10):\n"
    "    out.append(''.join(f'\\x1b[48;2;{col};{10*row};200m ' for col in range(int(sys.argv[1]) if len(sys.argv) > 1 else 160)) + '\\x1b[0m\\r\\n')\n"
    "out.append('\\x1b[38;2;255;255;255mbottom row: jpqy_|')\n"
    "sys.stdout.write(''.join(out)); sys.stdout.flush(); time.sleep(600)\n"
)


async def test_two_displays_get_different_numbers() -> None:
    need("Xvfb")
    first, second = VirtualDisplay(), VirtualDisplay()
    try:
        names = await asyncio.gather(first.start(), second.start())
        assert names[0] != names[1]
        assert all(name.startswith(":") and name[1:].isdigit() for name in names)
    finally:
        await first.stop()
        await second.stop()
    assert not first.running and not second.running


async def test_a_client_without_the_cookie_is_refused(
    display: VirtualDisplay, tmp_path: Path
) -> None:
    """Any local user may find the display's socket; only the studio's clients get in."""
    need("xdpyinfo")
    assert display.name
    ours = await run_capture(["xdpyinfo", "-display", display.name], limit=10)
    assert ours[0] == 0 and f"name of display:    {display.name}" in ours[1]
    stranger = {k: v for k, v in os.environ.items() if k != "XAUTHORITY"} | {"HOME": str(tmp_path)}
    code, _, err = await run_capture(
        [
            "env",
            "-i",
            *[f"{k}={v}" for k, v in stranger.items()],
            "xdpyinfo",
            "-display",
            display.name,
        ],
        limit=10,
    )
    assert code != 0 and "unable to open display" in err
    shot = await asyncio.to_thread(capture, display.name)  # mss, in this process
    assert shot.size == (1280, 720)
    cookie_file = os.environ["XAUTHORITY"]
    assert os.stat(cookie_file).st_mode & 0o777 == 0o600
    assert os.stat(os.path.dirname(cookie_file)).st_mode & 0o777 == 0o700


async def test_screenshot_is_the_frame_and_blank_until_the_terminal_draws(
    display: VirtualDisplay,
) -> None:
    need("xterm", "xwininfo")
    assert display.name
    empty = await asyncio.to_thread(capture, display.name)
    assert empty.size == (1280, 720)
    assert is_blank(empty)
    terminal = Terminal(display.name, KIOSK)
    try:
        await terminal.start()
        await asyncio.sleep(0.5)  # let the kiosk print its line
        shot = await asyncio.to_thread(capture, display.name)
    finally:
        await terminal.stop()
    assert shot.size == (1280, 720)
    assert not is_blank(shot)


async def test_terminal_fills_the_frame_exactly_with_true_colour(display: VirtualDisplay) -> None:
    need("xterm", "xwininfo")
    assert display.name
    terminal = Terminal(display.name, [sys.executable, "-c", PATTERN])
    try:
        geometry = await terminal.start()
        assert (geometry.width, geometry.height, geometry.x, geometry.y) == (1280, 720, 0, 0)
        assert terminal.fills_frame
        assert terminal.grid == ON_AIR_GRID == (160, 45)
        assert await measured_grid(display.name) == (160, 45)
        assert geometry.cell == (8.0, 16.0)
        await asyncio.sleep(0.5)
        shot = await asyncio.to_thread(capture, display.name)
    finally:
        await terminal.stop()
    # the centre pixel of cell (col, row) has exactly the 24-bit colour written there
    for col, row in ((0, 0), (37, 3), (159, 9)):
        assert shot.getpixel((col * 8 + 4, row * 16 + 8)) == (col, 10 * row, 200)
    # no border: the very first and last pixel columns belong to the cells
    assert shot.getpixel((0, 0)) == (0, 0, 200)
    assert shot.getpixel((1279, 0)) == (159, 0, 200)


@pytest.mark.parametrize("name", ["128x36", "90x25"])
async def test_every_on_air_grid_fills_the_frame_exactly(
    name: str, display: VirtualDisplay
) -> None:
    """Measured with xwininfo and checked on a screenshot: every cell where the grid
    says, and for 90x25 the 10-pixel internal border in the on-air background."""
    need("xterm", "xwininfo")
    assert display.name
    grid = ON_AIR_GRIDS[name]
    assert grid.frame == (1280, 720)
    terminal = Terminal(display.name, [sys.executable, "-c", PATTERN, str(grid.cols)], on_air=grid)
    try:
        geometry = await terminal.start()
        assert (geometry.width, geometry.height, geometry.x, geometry.y) == (1280, 720, 0, 0)
        assert terminal.fills_frame and terminal.grid == grid.size
        assert await measured_grid(display.name) == grid.size
        await asyncio.sleep(0.5)
        shot = await asyncio.to_thread(capture, display.name)
    finally:
        await terminal.stop()
    (cw, ch), b = grid.cell, grid.border
    for col, row in ((0, 0), (37, 3), (grid.cols - 1, 9)):
        assert shot.getpixel((b + col * cw + cw // 2, b + row * ch + ch // 2)) == (
            col,
            10 * row,
            200,
        )
    # the first and last cell of a row end exactly at the border (or the frame's edge)
    assert shot.getpixel((b, b)) == (0, 0, 200)
    assert shot.getpixel((1279 - b, b)) == (grid.cols - 1, 0, 200)
    if b:
        border = tuple(int(BACKGROUND[i : i + 2], 16) for i in (1, 3, 5))
        for xy in ((0, 0), (b - 1, 360), (1279, 719), (640, 719)):
            assert shot.getpixel(xy) == border


# Font, colour, title, size and clipboard queries and changes, then a cursor-position
# request: xterm answers it only after acting on everything before it, so the answer
# (written to a file) says the hostile sequences have been handled.
HOSTILE_ESCAPES = (
    "import os, sys, termios, tty, pathlib, time\n"
    "tty.setraw(0)\n"
    "sys.stdout.write('\\x1b]50;?\\x07\\x1b]11;?\\x07\\x1b[21t\\x1b[18t\\x1b]52;c;?\\x07'\n"
    "    '\\x1b]50;xft:DejaVu Sans Mono:pixelsize=30\\x07'\n"
    "    '\\x1b]2;viewer-title\\x07\\x1b[8;10;40t\\x1b[3;200;200t'\n"
    "    '\\x1b]52;c;cGF5IG1l\\x07\\x1b]11;#ff0000\\x07\\x1b[6n')\n"
    "sys.stdout.flush()\n"
    "answer = b''\n"
    "while not answer.endswith(b'R'):\n"
    "    answer += os.read(0, 1)\n"
    "pathlib.Path(sys.argv[1]).write_bytes(answer)\n"
    "time.sleep(600)\n"
)


async def test_the_on_air_xterm_refuses_font_title_and_window_operations(
    display: VirtualDisplay, tmp_path: Path
) -> None:
    need("xterm", "xwininfo")
    answered = tmp_path / "answered"
    terminal = Terminal(display.name, [sys.executable, "-c", HOSTILE_ESCAPES, str(answered)])
    try:
        before = await terminal.start()
        assert (before.width, before.height) == (1280, 720)
        await wait_until(answered.exists, 10, "xterm's answer to the cursor request")
        # Only the cursor position: no font, colour, title, size or clipboard report.
        assert re.fullmatch(rb"\x1b\[\d+;\d+R", answered.read_bytes())
        after = await terminal.measure()  # found by its own title: the title did not change
        assert after is not None
        assert (after.width, after.height, after.x, after.y) == (1280, 720, 0, 0)
        assert (after.cols, after.rows) == (before.cols, before.rows)
        shot = await asyncio.to_thread(capture, display.name)
        background = tuple(int(BACKGROUND[i : i + 2], 16) for i in (1, 3, 5))
        assert shot.getpixel((640, 700))[:3] == background  # not turned red
    finally:
        await terminal.stop()


async def test_a_real_kiosk_process_answers_with_its_picture_and_waits_for_fingerprints(
    display: VirtualDisplay, tmp_path: Path
) -> None:
    """`studio kiosk run --await-secrets` in the on-air xterm, as golive starts it."""
    from studio.golive.assemble import kiosk_command
    from studio.onair.client import KioskLink

    need("xterm", "xwininfo")
    key = "NoShapeRtmpKey0042"
    log = tmp_path / "stream.log"
    log.write_text(f"pushing to rtmp://ingest.example/live/{key}\nbuilding the tool\n")
    sock = tmp_path / "k.sock"
    terminal = Terminal(display.name, kiosk_command(sock, log))
    link = KioskLink(sock, retry_seconds=0.1)
    try:
        await terminal.start()
        await wait_until(sock.exists, 30, "the kiosk's control socket")
        before = await link.picture(within=5)
        assert before is not None and "OFF AIR" in before  # the ticker is drawn ...
        assert "building the tool" not in before  # ... but no log before the fingerprints
        link.protect([key])
        assert await link.flush(within=10)
        pictures: list[str] = []

        async def shows_the_log() -> bool:
            pictures.append(await link.picture(within=5) or "")
            return "building the tool" in pictures[-1]

        for _ in range(100):
            if await shows_the_log():
                break
            await asyncio.sleep(0.1)
        assert "pushing to rtmp://ingest.example/live/[REDACTED]" in pictures[-1]
        assert key not in "".join(pictures)
    finally:
        await link.close()
        await terminal.stop()
