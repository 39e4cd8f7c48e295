"""Thumbnails read Xvfb's screen where Xvfb draws it: the same picture the X server
gives its clients, nothing left on disk, and never a dead display's last frame."""

from __future__ import annotations

import asyncio
import io
import signal
import struct
import sys
from pathlib import Path

import mss
import pytest
from PIL import Image, ImageChops

from studio.broadcast import framebuffer
from studio.broadcast.display import VirtualDisplay
from studio.broadcast.terminal import Terminal
from studio.broadcast.thumbnails import CaptureFailed, capture, thumbnail_jpeg
from tests.broadcast.broadcast_helpers import need, wait_until
from tests.broadcast.test_broadcast_display import PATTERN

# What Xvfb wrote for a 1280x720x24 screen (its window name makes the header 160 bytes)
XVFB_HEADER = (160, 7, 2, 24, 1280, 720, 0, 0, 32, 0, 32, 32, 5120, 4)
XVFB_HEADER += (0xFF0000, 0xFF00, 0xFF, 8, 256, 256, 1280, 720, 0, 0, 0)
XVFB_SIZE = 160 + 256 * 12 + 5120 * 720


def x_server_picture(display: str) -> Image.Image:
    """The screen as the X server answers a client's GetImage request."""
    with mss.MSS(display=display, backend="xgetimage") as screen:
        shot = screen.grab(screen.monitors[0])
    return Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX")


@pytest.mark.processes
async def test_capture_is_the_picture_the_x_server_shows(display: VirtualDisplay) -> None:
    need("xterm", "xwininfo")
    assert display.name
    terminal = Terminal(display.name, [sys.executable, "-c", PATTERN])
    try:
        await terminal.start()
        drawn = (37 * 8 + 4, 3 * 16 + 8)  # cell (37, 3) is RGB (37, 30, 200)
        await wait_until(
            lambda: capture(display.name).getpixel(drawn) == (37, 30, 200), 10, "pattern"
        )
        ours = await asyncio.to_thread(capture, display.name)
        theirs = await asyncio.to_thread(x_server_picture, display.name)
        thumbnail = Image.open(io.BytesIO(await asyncio.to_thread(thumbnail_jpeg, display.name)))
    finally:
        await terminal.stop()
    assert ours.mode == "RGB" and ours.size == (1280, 720)
    assert ImageChops.difference(ours, theirs).getbbox() is None  # every pixel the same
    for col, row in ((0, 0), (37, 3), (159, 9)):
        assert ours.getpixel((col * 8 + 4, row * 16 + 8)) == (col, 10 * row, 200)
    # the JPEG is that picture: 1280x720, colours within JPEG's error at quality 90
    assert thumbnail.format == "JPEG" and thumbnail.size == (1280, 720)
    assert thumbnail.getpixel((37 * 8 + 4, 3 * 16 + 8)) == pytest.approx((37, 30, 200), abs=4)


def screen_file(pid: int, *, mapped: bool = True) -> tuple[Path, str, bool]:
    """Xvfb's ``-fbdir``, the screen file it maps, and whether that folder still exists."""
    argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    fbdir = Path(argv[argv.index("-fbdir") + 1])
    if not mapped:
        return fbdir, "", fbdir.exists()
    maps = Path(f"/proc/{pid}/maps").read_text().splitlines()
    (line,) = [m for m in maps if framebuffer.FILE_NAME in m]
    return fbdir, line.split(maxsplit=5)[5], fbdir.exists()


@pytest.mark.processes
async def test_the_screen_file_is_gone_once_mapped_and_a_stopped_display_is_no_picture() -> None:
    need("Xvfb")
    display = VirtualDisplay()
    name = await display.start()
    try:
        assert display.process is not None and display.process.pid is not None
        fbdir, mapped, exists = await asyncio.to_thread(screen_file, display.process.pid)
        assert fbdir.parent == Path("/dev/shm")  # tmpfs: the screen never reaches a disk
        assert mapped == f"{fbdir / framebuffer.FILE_NAME} (deleted)"
        assert not exists  # Xvfb still draws there; no one else can open it
        assert (await asyncio.to_thread(capture, name)).size == (1280, 720)
        display.process.signal(signal.SIGKILL)
        await wait_until(lambda: not display.running, 10, "Xvfb gone")
        with pytest.raises(CaptureFailed, match="it is not running"):
            capture(name)  # its last frame is still mapped: never sold as on air
    finally:
        await display.stop()
    assert framebuffer.mapped(name) is None
    with pytest.raises(CaptureFailed, match="the studio did not start it"):
        capture(name)


@pytest.mark.processes
async def test_a_display_start_cancelled_before_xvfb_is_ready_leaves_no_folder() -> None:
    need("Xvfb")
    display = VirtualDisplay()
    starting = asyncio.create_task(display.start())
    try:
        for _ in range(2000):  # Xvfb spawned, not yet accepting clients (that takes ~0.1 s)
            if display.process is not None and display.process.pid is not None:
                break
            await asyncio.sleep(0.001)
        assert display.process is not None and display.process.pid is not None
        fbdir, _, _ = await asyncio.to_thread(screen_file, display.process.pid, mapped=False)
        starting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await starting
        assert not await asyncio.to_thread(fbdir.exists)
    finally:
        await display.stop()


def test_the_screen_folder_is_private_and_on_tmpfs() -> None:
    made = framebuffer.folder()
    try:
        assert made.parent == Path("/dev/shm")
        assert made.stat().st_mode & 0o777 == 0o700  # no other local user reads the screen
    finally:
        made.rmdir()


def xwd(*fields: int, size: int = XVFB_SIZE) -> bytes:
    return struct.pack(">25I", *fields).ljust(size, b"\0")


def test_xvfb_header_gives_where_the_pixels_are() -> None:
    layout = framebuffer.Layout.parse(xwd(*XVFB_HEADER), XVFB_SIZE)
    assert layout == framebuffer.Layout(1280, 720, 5120, 160 + 256 * 12)


@pytest.mark.parametrize(
    ("index", "value", "field"),
    [
        (3, 16, "pixmap_depth"),
        (7, 1, "byte_order"),
        (11, 24, "bits_per_pixel"),
        (14, 0xFF, "masks"),
    ],
)
def test_a_screen_the_studio_cannot_read_is_refused_by_name(
    index: int, value: int, field: str
) -> None:
    fields = list(XVFB_HEADER)
    fields[index] = value
    with pytest.raises(framebuffer.FramebufferUnreadable, match=field):
        framebuffer.Layout.parse(xwd(*fields), XVFB_SIZE)


def test_a_short_screen_file_is_refused() -> None:
    with pytest.raises(framebuffer.FramebufferUnreadable, match="too short for 1280x720"):
        framebuffer.Layout.parse(xwd(*XVFB_HEADER), XVFB_SIZE - 1)
