"""The virtual display's picture, read where Xvfb draws it.

Started with ``-fbdir DIR``, Xvfb keeps its screen in the file ``DIR/Xvfb_screen0``,
mapped into its memory: an XWD image (a big-endian header, a colour map, then the
pixel rows). The studio puts DIR on tmpfs, private (0700) like the X cookie, maps the
file read-only as soon as Xvfb accepts clients, then deletes the file and DIR: the
pages live on while Xvfb and the studio map them, no other local user could ever open
them, and nothing is left behind if either dies. (Xvfb says ``unlink ... failed`` on
its way out; that is this.)

A capture is then one pass over memory that is already there: no X request, no copy
into a reply or a shared segment, and no wait for Xvfb to be scheduled, which is what
a grab cost under load (issue 9, row 11; docs/bench/profiles/row11-thumbnail-after.txt).
It is the same picture the X server gives its clients, pixel for pixel
(tests/broadcast/test_broadcast_framebuffer.py).
"""

from __future__ import annotations

import mmap
import os
import shutil
import struct
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, cast

from studio.errors import StudioError

if TYPE_CHECKING:
    from PIL import Image

FILE_NAME = "Xvfb_screen0"
"""What Xvfb calls screen 0's file in its ``-fbdir``."""
HEADER = struct.Struct(">25I")
"""XWDFileHeader: 25 big-endian CARD32s (X11/XWDFile.h)."""
COLOUR_ENTRY = 12
"""sizeof(XWDColor): the colour map that sits between the header and the pixels."""
FIELDS = (
    "header_size file_version pixmap_format pixmap_depth pixmap_width pixmap_height xoffset "
    "byte_order bitmap_unit bitmap_bit_order bitmap_pad bits_per_pixel bytes_per_line "
    "visual_class red_mask green_mask blue_mask bits_per_rgb colormap_entries ncolors "
    "window_width window_height window_x window_y window_bdrwidth"
).split()
WANTED: dict[str, object] = {
    "file_version": 7,
    "pixmap_format": 2,  # ZPixmap
    "pixmap_depth": 24,
    "byte_order": 0,  # LSBFirst: a pixel 0x00RRGGBB is the bytes B, G, R, X
    "bits_per_pixel": 32,
    "visual_class": 4,  # TrueColor
    "masks": (0xFF0000, 0x00FF00, 0x0000FF),
}


class FramebufferUnreadable(StudioError):
    """Xvfb's screen file is missing or not the 24-bit TrueColor picture the studio draws."""


def folder() -> Path:
    """A new private folder for Xvfb's screen file: on tmpfs (``/dev/shm``) where there is
    one, so the screen never reaches a disk."""
    shm = Path("/dev/shm")
    parent = shm if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None
    return Path(tempfile.mkdtemp(prefix="studio-fb-", dir=parent))


@dataclass(frozen=True)
class Layout:
    """Where the pixels are in the file, from its XWD header."""

    width: int
    height: int
    stride: int
    offset: int

    @classmethod
    def parse(cls, header: bytes, size: int) -> Layout:
        values = dict(zip(FIELDS, HEADER.unpack_from(header), strict=True))
        masks = (values["red_mask"], values["green_mask"], values["blue_mask"])
        found: dict[str, object] = {**values, "masks": masks}
        for field, value in WANTED.items():
            if found[field] != value:
                raise FramebufferUnreadable(
                    f"Xvfb's screen file has {field} {found[field]!r}, not {value!r}: "
                    "the studio reads only 24-bit TrueColor screens in 32-bit pixels.",
                    fix="Start the display with the studio (depth 24).",
                )
        width, height = values["pixmap_width"], values["pixmap_height"]
        stride = values["bytes_per_line"]
        offset = values["header_size"] + values["ncolors"] * COLOUR_ENTRY
        layout = cls(width, height, stride, offset)
        if stride < width * 4 or layout.offset + stride * height > size:
            raise FramebufferUnreadable(
                f"Xvfb's screen file is {size} bytes, too short for {width}x{height} "
                f"pixels of {stride} bytes a row after a {layout.offset}-byte header.",
                fix="Restart the display.",
            )
        return layout


class Framebuffer:
    """Xvfb's screen, mapped read-only; ``alive`` says whether Xvfb still draws it."""

    def __init__(self, path: Path, alive: Callable[[], bool]) -> None:
        try:
            with path.open("rb") as file:
                self._map = mmap.mmap(file.fileno(), 0, prot=mmap.PROT_READ)
        except (OSError, ValueError) as exc:
            raise FramebufferUnreadable(
                f"Could not map Xvfb's screen file {path}: {exc}",
                fix="Check that Xvfb accepts -fbdir (`Xvfb -help`) and that /dev/shm is writable.",
            ) from None
        try:
            self.layout = Layout.parse(self._map[: HEADER.size], len(self._map))
        except FramebufferUnreadable:
            self._map.close()
            raise
        self._alive = alive
        self._lock = threading.Lock()  # image() may run in several worker threads

    @property
    def size(self) -> tuple[int, int]:
        return self.layout.width, self.layout.height

    def image(self) -> Image.Image | None:
        """What the display shows now, as a new RGB image; None once Xvfb has stopped
        (its last picture is still in the pages, and is not what is on air)."""
        from PIL import Image  # Pillow loads on use

        with self._lock:
            if self._map.closed or not self._alive():
                return None
            layout = self.layout
            end = layout.offset + layout.stride * layout.height
            with memoryview(self._map)[layout.offset : end] as pixels:
                # BGRX rows (LSB-first 0x00RRGGBB), decoded into a new image by Pillow in C;
                # it reads any buffer, though its stubs name only bytes
                return Image.frombytes(
                    "RGB", self.size, cast(bytes, pixels), "raw", "BGRX", layout.stride, 1
                )

    def close(self) -> None:
        with self._lock:
            self._map.close()


_mapped: dict[str, Framebuffer] = {}
_mapped_lock = threading.Lock()


def attach(display: str, fbdir: Path, alive: Callable[[], bool]) -> Framebuffer:
    """Map ``display``'s screen from Xvfb's ``fbdir`` (then delete the folder)."""
    try:
        framebuffer = Framebuffer(fbdir / FILE_NAME, alive)
    finally:
        shutil.rmtree(fbdir, ignore_errors=True)
    with _mapped_lock:
        old = _mapped.pop(display, None)
        _mapped[display] = framebuffer
    if old is not None:
        old.close()
    return framebuffer


def detach(display: str) -> None:
    """Unmap ``display``'s screen (the display is stopping)."""
    with _mapped_lock:
        framebuffer = _mapped.pop(display, None)
    if framebuffer is not None:
        framebuffer.close()


def mapped(display: str) -> Framebuffer | None:
    """The screen of ``display`` if this process started it."""
    with _mapped_lock:
        return _mapped.get(display)
