"""Plays a ClawCast playlist: each slide for its ``seconds``, then the next.

One timer at a time, and only while slides are on air; frozen kiosks (tests) advance
with ``next_slide`` instead.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.containers import Container
from textual.message import Message
from textual.timer import Timer
from textual.widget import Widget

from studio.kiosk.air import AirFilter
from studio.kiosk.config import Clock
from studio.kiosk.images.fetcher import ImageFetcher
from studio.kiosk.scenes.slides.slide_cards import (
    BuildSlideView,
    DataSlideView,
    PollSlideView,
    TerminalSlideView,
)
from studio.kiosk.scenes.slides.slide_image import ImageSlideView
from studio.kiosk.scenes.slides.slide_text import TextSlideView
from studio.validation.clawcast import (
    BuildSlide,
    DataSlide,
    ImageSlide,
    PollSlide,
    TerminalSlide,
    TextSlide,
)


class SlideDeck(Container):
    @dataclass
    class SlideShown(Message):
        index: int
        kind: str

    def __init__(
        self,
        *,
        air: AirFilter,
        clock: Clock,
        fetcher: ImageFetcher,
        frozen: bool,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.air, self.clock, self.fetcher, self.frozen = air, clock, fetcher, frozen
        self.playlist: list[Any] = []
        self.loop = False
        self.index = 0
        self.on_air = False
        self.poll_counts: dict[str, tuple[int, ...]] = {}
        self._timer: Timer | None = None

    @property
    def current(self) -> Any | None:
        return self.playlist[self.index] if self.playlist else None

    @property
    def view(self) -> Widget | None:
        return self.children[0] if self.children else None

    async def play(self, slides: list[Any], *, loop: bool = False) -> None:
        self.playlist, self.loop, self.index = list(slides), loop, 0
        await self._show()

    async def next_slide(self) -> None:
        if not self.playlist:
            return
        if self.index + 1 < len(self.playlist):
            self.index += 1
        elif self.loop:
            self.index = 0
        else:
            return
        await self._show()

    def set_on_air(self, on_air: bool) -> None:
        """Timers run only while the deck is visible."""
        self.on_air = on_air
        if not on_air and self._timer is not None:
            self._timer.stop()
            self._timer = None
        elif on_air and self._timer is None:
            self._arm()

    def set_poll_results(self, results: tuple[int, ...]) -> None:
        slide = self.current
        if isinstance(slide, PollSlide):
            self.poll_counts[slide.content.question] = results
        view = self.view
        if isinstance(view, PollSlideView):
            view.results = results

    def _arm(self) -> None:
        slide = self.current
        if self.frozen or slide is None or not self.on_air:
            return
        if len(self.playlist) > 1 and (self.loop or self.index + 1 < len(self.playlist)):
            self._timer = self.set_timer(slide.seconds, self._advance)

    async def _advance(self) -> None:
        self._timer = None
        await self.next_slide()

    async def _show(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        slide = self.current
        await self.remove_children()
        if slide is None:
            return
        await self.mount(self.make_view(slide))
        self.post_message(self.SlideShown(self.index, slide.type))
        self._arm()

    def make_view(self, slide: Any) -> Widget:
        air = self.air
        picture = {"fetcher": self.fetcher, "air": air, "frozen": self.frozen}
        if isinstance(slide, TextSlide):
            return TextSlideView(slide.content, **picture)
        if isinstance(slide, ImageSlide):
            return ImageSlideView(slide.content, **picture)
        if isinstance(slide, DataSlide):
            return DataSlideView(slide.content, air)
        if isinstance(slide, PollSlide):
            return PollSlideView(
                slide.content, air, self.poll_counts.get(slide.content.question, ())
            )
        if isinstance(slide, BuildSlide):
            return BuildSlideView(
                slide.content,
                air,
                seconds=slide.seconds,
                started_at=self.clock.now(),
                clock=self.clock,
                frozen=self.frozen,
                fetcher=self.fetcher,
            )
        if isinstance(slide, TerminalSlide):
            return TerminalSlideView(slide.content, air)
        raise TypeError(f"unknown slide {slide!r}")
