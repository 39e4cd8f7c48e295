"""Fills dead air: a 'be right back' card, the channel's stats, and the last slides, in turn.

The rotation timer runs only while the filler is on air (never when frozen).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PIL import Image
from textual.containers import Container
from textual.timer import Timer
from textual.widget import Widget

from studio.kiosk.air import AirFilter
from studio.kiosk.config import Clock
from studio.kiosk.images.big_text import draw_centred, largest_fitting
from studio.kiosk.images.halfblock import Canvas
from studio.kiosk.on_air_state import TickerState, format_count, format_money, format_uptime
from studio.kiosk.scenes.slides.picture import PictureSlide, rgb


class CardCanvas(PictureSlide):
    """A full-frame card: a big title and a few centred lines."""

    def __init__(self, title: str, lines: list[str], *, air: AirFilter, fetcher: Any) -> None:
        super().__init__(None, fetcher=fetcher, air=air, frozen=True)
        self.title, self.lines = title, lines

    def paint(self, canvas: Canvas) -> None:
        accent = self.theme_rgb("accent", (255, 200, 0))
        fg = self.theme_rgb("foreground", (255, 255, 255))
        pixels = Image.new("RGB", (canvas.cols, canvas.rows * 2), self.background())
        size = largest_fitting(self.title, canvas.cols - 8) or 14
        title_rows = size // 2 + 2
        top = max(0, (canvas.rows - title_rows - 3 - len(self.lines)) // 2)
        draw_centred(pixels, self.title, centre_y=top * 2 + title_rows, size=size, colour=accent)
        canvas.paste(pixels, 0, 0)
        canvas.write(
            top + title_rows + 1, "━" * 24, rgb(None, self.theme_rgb("primary")), bold=True
        )
        for i, line in enumerate(self.lines):
            canvas.write(top + title_rows + 3 + i, self.air.text(line), fg, bold=i == 0)


class FillerView(Container):
    def __init__(
        self,
        *,
        state: TickerState,
        air: AirFilter,
        clock: Clock,
        fetcher: Any,
        frozen: bool,
        rotate_seconds: float,
        slide_view: Callable[[Any], Widget],
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.state, self.air, self.clock, self.fetcher = state, air, clock, fetcher
        self.frozen, self.rotate_seconds, self.slide_view = frozen, rotate_seconds, slide_view
        self.slides: list[Any] = []
        self.card = 0
        self._timer: Timer | None = None

    @property
    def cards(self) -> list[str]:
        return ["brb", "stats"] + [f"slide:{i}" for i in range(len(self.slides))]

    async def start(self, *, card: int = 0) -> None:
        self.card = card % len(self.cards)
        await self._show()
        if not self.frozen and self._timer is None:
            self._timer = self.set_interval(self.rotate_seconds, self.rotate)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    async def rotate(self) -> None:
        self.card = (self.card + 1) % len(self.cards)
        await self._show()

    async def _show(self) -> None:
        await self.remove_children()
        await self.mount(self._card_widget(self.cards[self.card]))

    def _card_widget(self, card: str) -> Widget:
        if card == "brb":
            name = self.state.name or "the agent"
            return CardCanvas(
                "BE RIGHT BACK",
                [f"{name} is thinking — stay tuned", "", "the stream continues in a moment"],
                air=self.air,
                fetcher=self.fetcher,
            )
        if card == "stats":
            s = self.state
            lines = [
                f"{'LIVE' if s.live else 'OFF AIR'}   ·   {format_count(s.viewers)} watching   ·   up {format_uptime(s.uptime(self.clock.now()))}",
                "",
                f"{s.chat_messages} chat messages this stream",
            ]
            if s.token_ticker:
                lines.append(f"${s.token_ticker}  ·  market cap {format_money(s.market_cap)}")
            return CardCanvas(
                (s.name or "ON AIR").upper(), lines, air=self.air, fetcher=self.fetcher
            )
        return self.slide_view(self.slides[int(card.split(":")[1])])
