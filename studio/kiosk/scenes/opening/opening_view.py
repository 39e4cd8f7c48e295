"""The opening card: on air from the first frame until the agent's terminal has
something to show. The agent's name in big letters, the stream's title, where it can
be watched, the QR code of its link, and one line of motion so the stream visibly
lives: the card itself is drawn once; only the one-row pulse redraws, once a second.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.strip import Strip
from textual.timer import Timer
from textual.visual import Visual
from textual.widget import Widget

from studio.kiosk.air import AirFilter
from studio.kiosk.on_air_state import Storefront
from studio.kiosk.scenes.card_canvas import CardCanvas

PULSE_SECONDS = 1.0
PULSE_WIDTH = 24


class Pulse(Widget, can_focus=False):
    """``● STARTING`` with a light sweeping along a bar: the picture is never still."""

    DEFAULT_CSS = "Pulse { height: 1; width: 1fr; content-align: center middle; }"

    def __init__(self, *, frozen: bool) -> None:
        super().__init__()
        self.frozen = frozen
        self.phase = 0
        self._timer: Timer | None = None
        self._frames: dict[tuple[Any, ...], list[Strip]] = {}
        """Each phase's drawn line, kept: the bar cycles through ``PULSE_WIDTH`` of them,
        and drawing one anew was most of what an idle kiosk spent (issue 9, row 3)."""

    def start(self) -> None:
        if not self.frozen and self._timer is None:
            self._timer = self.set_interval(PULSE_SECONDS, self.tick)

    def stop(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def tick(self) -> None:
        self.phase = (self.phase + 1) % PULSE_WIDTH
        self.refresh()

    def render_line(self, y: int) -> Strip:
        """The phase's line, drawn once per phase, size and theme, then reused."""
        key = (self.phase, self.size, self.app.theme)
        strips = self._frames.get(key)
        if strips is None:
            if len(self._frames) >= 4 * PULSE_WIDTH:  # a resize or a new theme
                self._frames.clear()
            width, height = self.size
            strips = Visual.to_strips(self, self._render(), width, height, self.visual_style)
            self._frames[key] = strips
        self._dirty_regions.clear()
        if 0 <= y < len(strips):
            return strips[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)

    def render(self) -> Text:
        theme = self.app.current_theme
        dot = ("●", f"bold {theme.error}") if self.phase % 2 == 0 else ("○", str(theme.error))
        bar = Text()
        for i in range(PULSE_WIDTH):
            distance = min((i - self.phase) % PULSE_WIDTH, (self.phase - i) % PULSE_WIDTH)
            style = (
                f"bold {theme.accent}"
                if distance == 0
                else (str(theme.primary) if distance <= 2 else str(theme.panel))
            )
            bar.append("━", style)
        return Text.assemble(
            dot, (" STARTING   ", f"bold {theme.foreground}"), bar, justify="center"
        )


class OpeningView(Vertical):
    DEFAULT_CSS = "OpeningView CardCanvas { height: 1fr; }"

    def __init__(
        self, storefront: Storefront, *, air: AirFilter, fetcher: Any, frozen: bool, id: str
    ) -> None:
        super().__init__(id=id)
        self.storefront, self.air, self.fetcher, self.frozen = storefront, air, fetcher, frozen

    def compose(self) -> ComposeResult:
        s = self.storefront
        yield CardCanvas(
            s.name or "ON AIR", s.lines(), air=self.air, fetcher=self.fetcher, link=s.link or None
        )
        yield Pulse(frozen=self.frozen)

    @property
    def card(self) -> CardCanvas:
        return self.query_one(CardCanvas)

    def start(self) -> None:
        self.query_one(Pulse).start()

    def stop(self) -> None:
        self.query_one(Pulse).stop()
