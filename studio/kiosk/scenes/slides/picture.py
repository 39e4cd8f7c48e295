"""A slide drawn on a half-block canvas: an optional (animated) picture with text over it.

The picture is fetched in a worker; until it arrives, or if it never does, the slide
is drawn without it. GIF frames advance at their own durations, one timer at a time,
only while the slide is on air and the kiosk is not frozen.
"""

from __future__ import annotations

import asyncio

from textual import work
from textual.color import Color
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget

from studio.kiosk.air import AirFilter
from studio.kiosk.images.fetcher import ImageFetcher
from studio.kiosk.images.halfblock import RGB, Canvas, Frame, decode


def rgb(colour: str | None, fallback: RGB = (0, 0, 0)) -> RGB:
    if not colour:
        return fallback
    try:
        return Color.parse(colour).rgb
    except Exception:  # noqa: BLE001 - a bad colour must never take the picture down
        return fallback


class PictureSlide(Widget, can_focus=False):
    DEFAULT_CSS = "PictureSlide { width: 1fr; height: 1fr; }"

    def __init__(
        self,
        url: str | None,
        *,
        fetcher: ImageFetcher,
        air: AirFilter,
        frozen: bool,
    ) -> None:
        super().__init__()
        self.url = url
        self.fetcher = fetcher
        self.air = air
        self.frozen = frozen
        self.frames: list[Frame] = []
        self.frame_index = 0
        self.fetched = url is None
        self.failed = False
        self._drawn: dict[int, list[Strip]] = {}
        """Each frame drawn once at the current size, so looping a GIF costs no drawing."""
        self._drawn_size: tuple[int, int] = (0, 0)
        self._frame_timer: Timer | None = None
        self.alt_text: dict[int, str] = {}
        """Words drawn as pixels, by the row they are centred on: the picture as text
        (``KioskApp.picture_text``) shows them where the pixels are."""

    def on_mount(self) -> None:
        if self.url:
            self.load()

    @work(exclusive=True, group="slide-picture")
    async def load(self) -> None:
        assert self.url is not None
        data = await self.fetcher.fetch(self.url)
        frames = await asyncio.to_thread(decode, data) if data else []
        self.frames = frames
        self.failed = not frames
        self.fetched = True
        self.invalidate()
        if len(frames) > 1 and not self.frozen:
            self._schedule_frame()

    def _schedule_frame(self) -> None:
        delay = self.frames[self.frame_index].duration_ms / 1000
        self._frame_timer = self.set_timer(delay, self._next_frame)

    def _next_frame(self) -> None:
        self.frame_index = (self.frame_index + 1) % len(self.frames)
        self.refresh()
        self._schedule_frame()

    def invalidate(self) -> None:
        self._drawn.clear()
        self.refresh()

    def on_resize(self) -> None:
        self.invalidate()

    @property
    def picture(self) -> Frame | None:
        return self.frames[self.frame_index] if self.frames else None

    def theme_rgb(self, name: str, fallback: RGB = (0, 0, 0)) -> RGB:
        return rgb(getattr(self.app.current_theme, name, None), fallback)

    def paint(self, canvas: Canvas) -> None:
        raise NotImplementedError

    def background(self) -> RGB:
        return self.theme_rgb("background")

    def render_line(self, y: int) -> Strip:
        width, height = self.size
        if self._drawn_size != (width, height):
            self._drawn.clear()
            self._drawn_size = (width, height)
        strips = self._drawn.get(self.frame_index)
        if strips is None:
            canvas = Canvas(width, height, self.background())
            self.paint(canvas)
            strips = self._drawn[self.frame_index] = canvas.strips()
        return strips[y] if 0 <= y < len(strips) else Strip.blank(width)
