"""The on-air picture, grabbed from the broadcast's X display with mss."""

from __future__ import annotations

import logging
import threading

import mss
import mss.exception
from PIL import Image

log = logging.getLogger(__name__)
_open = getattr(mss, "MSS", None) or mss.mss
"""mss 10.2 names the class ``MSS`` and deprecates the ``mss()`` factory."""


class FrameGrabber:
    """One X connection, reused for every grab; use it from one thread only."""

    def __init__(self, display: str) -> None:
        self.display = display
        self._mss: mss.base.MSSBase | None = None

    def grab(self) -> Image.Image | None:
        try:
            if self._mss is None:
                self._mss = _open(display=self.display)
            shot = self._mss.grab(self._mss.monitors[0])
        except (mss.exception.ScreenShotError, OSError, IndexError) as exc:
            log.debug("cannot grab %s: %s", self.display, exc)
            self.close()
            return None
        return Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX")

    def close(self) -> None:
        if self._mss is not None:
            self._mss.close()
            self._mss = None


_local = threading.local()


def grab(display: str) -> Image.Image | None:
    """One frame of ``display``, or None when it cannot be reached; each thread keeps
    its own connection to each display."""
    grabbers: dict[str, FrameGrabber] = _local.__dict__.setdefault("grabbers", {})
    grabber = grabbers.get(display)
    if grabber is None:
        grabber = grabbers[display] = FrameGrabber(display)
    return grabber.grab()
