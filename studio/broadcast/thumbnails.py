"""Pictures of the virtual display, taken with mss and encoded with Pillow.

retake.tv wants a thumbnail right after the stream is live and then every few
minutes. ``capture`` blocks (it talks to the X server), so the loop runs it in a
worker thread.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from typing import cast

import mss
from PIL import Image

from studio.errors import StudioError

log = logging.getLogger(__name__)

MIN_INTERVAL = 120.0
MAX_INTERVAL = 300.0


class CaptureFailed(StudioError):
    """The virtual display could not be captured."""


def capture(display: str) -> Image.Image:
    """The whole screen of ``display`` (e.g. ``":3"``) as an RGB image."""
    try:
        with mss.MSS(display=display) as screen:
            shot = screen.grab(screen.monitors[0])
    except Exception as exc:  # mss raises ScreenShotError and X errors
        raise CaptureFailed(
            f"Could not capture the display {display}: {exc}",
            fix="Check that the virtual display is running (`studio doctor`).",
        ) from None
    return Image.frombytes("RGB", shot.size, shot.rgb)


def _scaled(image: Image.Image, max_width: int) -> Image.Image:
    if image.width <= max_width:
        return image
    height = round(image.height * max_width / image.width)
    return image.resize((max_width, height), Image.Resampling.LANCZOS)


def encode_png(image: Image.Image, max_width: int = 1280) -> bytes:
    buffer = io.BytesIO()
    _scaled(image, max_width).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def encode_jpeg(image: Image.Image, max_width: int = 1280, quality: int = 85) -> bytes:
    buffer = io.BytesIO()
    _scaled(image, max_width).convert("RGB").save(buffer, format="JPEG", quality=quality)
    return buffer.getvalue()


def thumbnail_png(display: str, max_width: int = 1280) -> bytes:
    return encode_png(capture(display), max_width)


def thumbnail_jpeg(display: str, max_width: int = 1280, quality: int = 85) -> bytes:
    return encode_jpeg(capture(display), max_width, quality)


def is_blank(image: Image.Image, tolerance: int = 0) -> bool:
    """True if every pixel is the same colour (within ``tolerance`` per channel)."""
    extrema = cast(tuple[tuple[int, int], ...], image.convert("RGB").getextrema())
    return all(high - low <= tolerance for low, high in extrema)


Upload = Callable[[bytes], Awaitable[object]]


class ThumbnailLoop:
    """Uploads a PNG of ``display`` now and then every ``interval`` seconds (2-5 min).

    A failed capture or upload is logged and retried at the next tick; the loop
    never ends the broadcast. ``display`` may be a callable, for a display that
    is restarted on another number.
    """

    def __init__(
        self,
        display: str | Callable[[], str | None],
        upload: Upload,
        interval: float = 180.0,
        *,
        max_width: int = 1280,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
            raise StudioError(
                f"A thumbnail interval of {interval:g} s is outside 2-5 minutes.",
                fix="Choose an interval between 120 and 300 seconds.",
            )
        self._display = display
        self.upload = upload
        self.interval = interval
        self.max_width = max_width
        self._sleep = sleep
        self.uploaded = 0
        self._task: asyncio.Task[None] | None = None

    def _display_name(self) -> str | None:
        return self._display() if callable(self._display) else self._display

    async def once(self) -> bool:
        display = self._display_name()
        if not display:
            return False
        try:
            data = await asyncio.to_thread(thumbnail_png, display, self.max_width)
            await self.upload(data)
        except Exception as exc:
            log.warning("thumbnail not uploaded: %s", exc)
            return False
        self.uploaded += 1
        return True

    async def run(self, ticks: int | None = None) -> None:
        """Upload now, then every ``interval``; ``ticks`` bounds the uploads (tests)."""
        done = 0
        while ticks is None or done < ticks:
            await self.once()
            done += 1
            if ticks is not None and done >= ticks:
                return
            await self._sleep(self.interval)

    def start(self) -> asyncio.Task[None]:
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self.run(), name="thumbnails")
        return self._task

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
