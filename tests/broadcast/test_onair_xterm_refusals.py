"""The on-air xterm refuses font, title, window and clipboard operations, proven on a
real Xvfb: escapes written straight to its pty (as if something slipped past the
studio's cleaner, ``studio.inert_text``) leave its font (the cell grid measured in a
screenshot), size, position, title and the clipboard as they were. The same escapes
sent to an xterm started without the refusals (``REFUSALS``) change every one of them,
so the test can fail.

The escapes: OSC 50 (set the font), OSC 2 and OSC 0 (the title), CSI 8;rows;cols t
(resize), CSI 3;x;y t (move) and OSC 52 (write the clipboard)."""

from __future__ import annotations

import asyncio
import base64
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from studio.broadcast import terminal as terminal_module
from studio.broadcast.display import VirtualDisplay
from studio.broadcast.processes import run_capture
from studio.broadcast.terminal import LAYOUT, Terminal, parse_xwininfo
from studio.broadcast.thumbnails import capture
from tests.broadcast.broadcast_helpers import need, wait_until

pytestmark = pytest.mark.processes

BLOCK = (10, 4)  # columns and rows of a block of magenta cells, measured on screen
MAGENTA = (255, 0, 255)
CLIPBOARD = "pay 5 USDC to 0xviewer"
HOSTILE = (
    "\x1b]50;xft:DejaVu Sans Mono:pixelsize=30\x07"  # OSC 50: a font twice as large
    "\x1b]2;viewer-title\x07"  # OSC 2: the window title
    "\x1b]0;viewer-icon-and-title\x07"  # OSC 0: icon name and title
    "\x1b[8;10;40t"  # resize to 10 rows of 40 columns
    "\x1b[3;200;150t"  # move to x=200, y=150
    f"\x1b]52;c;{base64.b64encode(CLIPBOARD.encode()).decode()}\x07"  # OSC 52: clipboard
)

# In the xterm: draw the block, ask for the cursor position (xterm answers only after
# drawing what came before) and say so in a file; on the go-ahead, write the hostile
# escapes, draw the block again, and say so again.
VICTIM = (
    "import os, sys, tty, time, pathlib\n"
    "tty.setraw(0)\n"
    "folder = pathlib.Path(sys.argv[1])\n"
    "hostile = sys.argv[2]\n"
    "cols, rows = int(sys.argv[3]), int(sys.argv[4])\n"
    "def draw_and_sync(name):\n"
    "    block = ''.join(f'\\x1b[{r + 2};3H\\x1b[48;2;255;0;255m' + ' ' * cols + '\\x1b[0m'\n"
    "                    for r in range(rows))\n"
    "    sys.stdout.write('\\x1b[2J' + block + '\\x1b[6n')\n"
    "    sys.stdout.flush()\n"
    "    answer = b''\n"
    "    while not answer.endswith(b'R'):\n"
    "        answer += os.read(0, 1)\n"
    "    (folder / name).write_bytes(answer)\n"
    "draw_and_sync('before')\n"
    "while not (folder / 'go').exists():\n"
    "    time.sleep(0.05)\n"
    "sys.stdout.write(hostile)\n"
    "sys.stdout.flush()\n"
    "draw_and_sync('after')\n"
    "time.sleep(600)\n"
)

# An xterm without the refusals. xterm's own defaults already refuse window
# operations and the clipboard (allowWindowOps is false unless set), so the control
# turns them on, as a user's ~/.Xresources could.
PERMISSIVE = (
    *LAYOUT,
    "*allowWindowOps: true",
    "*allowFontOps: true",
    "*allowTitleOps: true",
    "*disallowedWindowOps: ",
    "*selectToClipboard: true",
)


@dataclass(frozen=True)
class Seen:
    """What the display shows of the xterm window."""

    title: str
    width: int
    height: int
    x: int
    y: int
    cell: tuple[float, float]
    clipboard: str


async def window_id(display: str, title: str) -> str:
    code, out, _ = await run_capture(["xwininfo", "-display", display, "-name", title], limit=5)
    assert code == 0, out
    found = re.search(r"Window id: (0x[0-9a-f]+)", out)
    assert found, out
    return found.group(1)


def cell_of(shot: Image.Image) -> tuple[float, float]:
    """The cell size: the magenta block's bounding box divided by its columns and rows."""
    solid = Image.new("RGB", shot.size, MAGENTA)
    exact = ImageChops.difference(shot.convert("RGB"), solid).convert("L")
    box = exact.point(lambda v: 255 if v < 8 else 0).getbbox()
    assert box is not None, "no magenta block on screen"
    return (box[2] - box[0]) / BLOCK[0], (box[3] - box[1]) / BLOCK[1]


async def seen(display: str, wid: str) -> Seen:
    code, info, _ = await run_capture(["xwininfo", "-display", display, "-id", wid], limit=5)
    assert code == 0, info
    geometry = parse_xwininfo(info)
    code, prop, _ = await run_capture(
        ["xprop", "-display", display, "-id", wid, "WM_NAME"], limit=5
    )
    assert code == 0, prop
    title = prop.split("=", 1)[1].strip().strip('"')
    code, clip, _ = await run_capture(
        ["xclip", "-display", display, "-o", "-selection", "clipboard"], limit=5
    )
    shot = await asyncio.to_thread(capture, display)
    return Seen(
        title=title,
        width=geometry.width,
        height=geometry.height,
        x=geometry.x,
        y=geometry.y,
        cell=cell_of(shot),
        clipboard=clip if code == 0 else "",
    )


async def before_and_after(display: VirtualDisplay, folder: Path) -> tuple[Seen, Seen]:
    """Start the xterm as the studio does (``Terminal``), measure it, send the hostile
    escapes through its pty, measure again."""
    terminal = Terminal(
        display.name, [sys.executable, "-c", VICTIM, str(folder), HOSTILE, *map(str, BLOCK)]
    )
    try:
        await terminal.start()
        wid = await window_id(display.name, terminal.title)
        await wait_until((folder / "before").exists, 15, "the block drawn")
        before = await seen(display.name, wid)
        (folder / "go").touch()
        await wait_until((folder / "after").exists, 15, "the escapes handled, the block drawn")
        await asyncio.sleep(0.3)  # a resize or font change is drawn after the answer
        return before, await seen(display.name, wid)
    finally:
        await terminal.stop()


async def test_the_on_air_xterm_changes_nothing_for_hostile_escapes(
    display: VirtualDisplay, tmp_path: Path
) -> None:
    need("xterm", "xwininfo", "xprop", "xclip")
    before, after = await before_and_after(display, tmp_path)
    assert (before.width, before.height, before.x, before.y) == (1280, 720, 0, 0)
    assert before.title == "studio-on-air" and before.cell == (8.0, 16.0)
    assert after == before  # font (cell), size, position, title and clipboard unchanged
    assert CLIPBOARD not in after.clipboard


async def test_the_same_escapes_change_an_xterm_without_the_refusals(
    display: VirtualDisplay, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the test above would see each change if the refusals were gone."""
    need("xterm", "xwininfo", "xprop", "xclip")
    monkeypatch.setattr(terminal_module, "RESOURCES", PERMISSIVE)
    before, after = await before_and_after(display, tmp_path)
    assert before.cell == (8.0, 16.0) and before.title == "studio-on-air"
    assert after.title == "viewer-icon-and-title"  # OSC 2, then OSC 0
    assert after.cell[0] > before.cell[0] and after.cell[1] > before.cell[1]  # OSC 50
    assert (after.x, after.y) == (200, 150)  # CSI 3;x;y t
    # CSI 8;10;40 t: 40x10 cells of the font in use
    assert (after.width, after.height) == (round(40 * after.cell[0]), round(10 * after.cell[1]))
    assert after.clipboard == CLIPBOARD  # OSC 52
