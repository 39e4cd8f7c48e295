"""The bottom strip: LIVE badge, name, viewers, uptime, token ticker and market cap.

Uptime is the only thing that changes by itself: a 1 s timer runs only while live
with a known start, and never in a frozen kiosk.
"""

from __future__ import annotations

from rich.text import Text
from textual.timer import Timer
from textual.widget import Widget

from studio.kiosk.air import AirFilter
from studio.kiosk.config import Clock
from studio.kiosk.on_air_state import TickerState, format_count, format_money, format_uptime


class TickerBar(Widget, can_focus=False):
    def __init__(
        self,
        state: TickerState,
        *,
        air: AirFilter,
        clock: Clock,
        frozen: bool,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.state, self.air, self.clock, self.frozen = state, air, clock, frozen
        self._timer: Timer | None = None

    def changed(self) -> None:
        running = self.state.live and self.state.started_at is not None and not self.frozen
        if running and self._timer is None:
            self._timer = self.set_interval(1.0, self.refresh)
        elif not running and self._timer is not None:
            self._timer.stop()
            self._timer = None
        self.refresh()

    def render(self) -> Text:
        theme = self.app.current_theme
        s = self.state
        badge = (
            (" ● LIVE ", f"bold white on {theme.error}")
            if s.live
            else (" ○ OFF AIR ", f"bold {theme.foreground} on {theme.panel}")
        )
        sep = ("   │   ", str(theme.panel))
        parts: list[tuple[str, str] | str] = [badge]
        if s.name:
            parts += ["  ", (self.air.text(s.name), f"bold {theme.foreground}")]
        parts += [
            sep,
            ("viewers ", str(theme.secondary)),
            (format_count(s.viewers), f"bold {theme.foreground}"),
        ]
        parts += [
            sep,
            ("uptime ", str(theme.secondary)),
            (format_uptime(s.uptime(self.clock.now())), f"bold {theme.foreground}"),
        ]
        if s.token_ticker:
            parts += [sep, (f"${self.air.text(s.token_ticker)}", f"bold {theme.accent}")]
            parts += [
                "  ",
                ("mcap ", str(theme.secondary)),
                (format_money(s.market_cap), f"bold {theme.foreground}"),
            ]
        return Text.assemble(*parts, no_wrap=True, overflow="ellipsis")
