"""Fills dead air: a 'be right back' card, the channel's stats, and the last slides, in turn.

The two cards carry the stream's QR code when there is a link and room for it.

The rotation timer runs only while the filler is on air (never when frozen).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from textual.containers import Container
from textual.timer import Timer
from textual.widget import Widget

from studio.kiosk.air import AirFilter
from studio.kiosk.config import Clock
from studio.kiosk.on_air_state import TickerState, format_count, format_money, format_uptime
from studio.kiosk.scenes.card_canvas import CardCanvas


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
        link: str | None = None,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.link = link
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
                link=self.link,
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
                (s.name or "ON AIR").upper(),
                lines,
                air=self.air,
                fetcher=self.fetcher,
                link=self.link,
            )
        return self.slide_view(self.slides[int(card.split(":")[1])])
