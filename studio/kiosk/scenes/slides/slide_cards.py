"""Slides drawn as text: data rows, polls with live bars, builds revealed step by step,
and terminal screens."""

from __future__ import annotations

import asyncio
import math
import re

from PIL import Image
from rich.align import Align
from rich.box import Box
from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual import work
from textual.color import Color
from textual.reactive import reactive
from textual.widget import Widget

from studio.kiosk.air import AirFilter
from studio.kiosk.config import Clock
from studio.kiosk.images.big_text import big_text_cells, largest_fitting
from studio.kiosk.images.fetcher import ImageFetcher
from studio.kiosk.images.halfblock import Canvas, decode, fit
from studio.validation.clawcast import (
    IMAGE_DOMAINS,
    BuildContent,
    DataContent,
    PollContent,
    TerminalContent,
)
from studio.validation.common import https_url_on

BAR_WIDTH = 70
BIG_VALUE_ROWS = 4
BIG_VALUE_COLS = 64
ROOMY_COLS = 140
"""From this width (the 160x45 grid) cards keep their wide columns and margins."""
CARD_BOX = Box("    \n    \n    \n    \n    \n    \n    \n    \n")
_NUMBER = re.compile(r"[-+−]?\s*\d+(?:[.,]\d+)?")


class CardSlide(Widget, can_focus=False):
    DEFAULT_CSS = "CardSlide { width: 1fr; height: 1fr; }"

    def __init__(self, air: AirFilter) -> None:
        super().__init__()
        self.air = air

    def colour(self, name: str) -> str:
        return str(getattr(self.app.current_theme, name, None) or "white")

    def card(
        self,
        body: RenderableType,
        *,
        title: str | None = None,
        subtitle: Text | None = None,
        accent: str = "primary",
        level: str = "surface",
        padding: tuple[int, int] = (1, 3),
        width: int | None = None,
        expand: bool = True,
    ) -> Panel:
        """A filled card with a title tab. Line-drawing borders show gaps between rows in
        the on-air xterm's font, so cards are drawn with colour instead."""
        fill = self.colour(level)
        return Panel(
            body,
            box=CARD_BOX,
            title=Text(f" {title} ", style=f"bold black on {self.colour(accent)}")
            if title
            else None,
            subtitle=subtitle,
            style=f"on {fill}",
            border_style=f"on {fill}",
            padding=padding,
            width=width,
            expand=expand,
        )

    def centred(self, body: RenderableType) -> RenderableType:
        return Align.center(body, vertical="middle")


def trend(change: str | None) -> str:
    """``up``, ``down`` or ``flat`` for a change such as ``+12%``, ``-3``, ``0`` or ``n/a``."""
    if not change or not change.strip():
        return "flat"
    value = change.strip()
    if value[0] in "+▲↑":
        return "up"
    if value[0] in "-−▼↓":
        return "down"
    match = _NUMBER.search(value)
    if match:
        number = float(match.group().replace(",", ".").replace("−", "-").replace(" ", ""))
        return "up" if number > 0 else "down" if number < 0 else "flat"
    return "flat"


class DataSlideView(CardSlide):
    def __init__(self, content: DataContent, air: AirFilter) -> None:
        super().__init__(air)
        self.content = content

    def render(self) -> RenderableType:
        arrows = {
            "up": ("▲", self.colour("success")),
            "down": ("▼", self.colour("error")),
            "flat": ("▶", self.colour("secondary")),
        }
        width, height = self.size
        roomy = width >= ROOMY_COLS
        labels = [self.air.text(row.label) for row in self.content.rows]
        changes = [self.air.text(row.change) for row in self.content.rows]
        values = [self.air.text(row.value) for row in self.content.rows]
        label_cols = 36 if roomy else max((len(label) for label in labels), default=8)
        change_cols = 18 if roomy else max((len(c) + 2 for c in changes), default=0)
        gap, pad = (6, 6) if roomy else (3, 2)
        value_cols = min(BIG_VALUE_COLS, width - label_cols - change_cols - 2 * gap - 2 * pad - 4)
        big = None
        if len(values) <= BIG_VALUE_ROWS:
            big = self._big_values(values, value_cols, height - 6)
        table = Table(
            show_header=False, box=None, padding=(1 if big is None else 0, gap), expand=False
        )
        table.add_column(justify="left", min_width=label_cols, vertical="middle")
        table.add_column(justify="right", min_width=min(24, value_cols), vertical="middle")
        table.add_column(justify="left", min_width=change_cols, vertical="middle")
        for index, row in enumerate(self.content.rows):
            arrow, colour = arrows[trend(row.change)]
            value = Text(values[index], style=f"bold {self.colour('accent')}")
            table.add_row(
                Text(labels[index], style=f"bold {self.colour('foreground')}"),
                big[index] if big is not None else value,
                Text(f"{arrow} {changes[index]}" if changes[index] else "", style=f"bold {colour}"),
            )
        return self.centred(self.card(table, padding=(2 if roomy else 1, pad)))

    def _big_values(self, values: list[str], max_cols: int, max_rows: int) -> list[Text] | None:
        """Short values in big letters, all or none (a mix would look broken), at the
        largest size at which every one fits ``max_cols`` and all fit ``max_rows``."""
        theme = self.app.current_theme
        colour = Color.parse(theme.accent or "yellow").rgb
        background = Color.parse(theme.surface or "black").rgb
        sizes = (16, 14, 12, 10) if len(values) <= 3 else (12, 10)
        if not values or not all(v.strip() for v in values):
            return None
        for size in sizes:
            if all(largest_fitting(v, max_cols - 2, (size,)) for v in values):
                cells = [
                    big_text_cells(
                        v, colour=colour, background=background, max_cols=max_cols, sizes=(size,)
                    )
                    for v in values
                ]
                if all(cells) and sum(len(c or []) for c in cells) <= max_rows:
                    return [self._cells_text(c) for c in cells if c]
        return None

    @staticmethod
    def _cells_text(
        cells: list[list[tuple[str, tuple[int, int, int], tuple[int, int, int]]]],
    ) -> Text:
        return Text("\n").join(
            Text.assemble(
                *((char, Style(color=f"rgb{fg}", bgcolor=f"rgb{bg}")) for char, fg, bg in row)
            )
            for row in cells
        )


class PollSlideView(CardSlide):
    results: reactive[tuple[int, ...]] = reactive(tuple)

    def __init__(self, content: PollContent, air: AirFilter, results: tuple[int, ...] = ()) -> None:
        super().__init__(air)
        self.content = content
        self.set_reactive(PollSlideView.results, results)

    def render(self) -> RenderableType:
        options = self.content.options
        counts = list(self.results[: len(options)]) + [0] * max(0, len(options) - len(self.results))
        total = sum(counts)
        leader = max(counts) if total else -1
        lines: list[RenderableType] = [
            Text(
                self.air.text(self.content.question),
                style=f"bold {self.colour('foreground')}",
                justify="center",
            ),
            Text(""),
        ]
        grid = Table(show_header=False, box=None, padding=(0, 2), expand=False)
        grid.add_column(justify="right", min_width=3)
        grid.add_column(justify="left", min_width=30, max_width=40)
        grid.add_column(justify="left", width=BAR_WIDTH)
        grid.add_column(justify="right", min_width=12)
        for index, (option, count) in enumerate(zip(options, counts, strict=True)):
            share = count / total if total else 0.0
            filled = round(share * BAR_WIDTH)
            colour = self.colour("accent") if count == leader else self.colour("primary")
            bar = Text("█" * filled, style=colour) + Text(
                "░" * (BAR_WIDTH - filled), style=self.colour("panel")
            )
            grid.add_row(
                Text(f"{chr(65 + index)}", style=f"bold {colour}"),
                Text(self.air.text(option), style=self.colour("foreground")),
                bar,
                Text(f"{math.floor(share * 100 + 0.5)}%  {count}", style=f"bold {colour}"),
            )
            grid.add_row("", "", "", "")
        lines.append(grid)
        footer = (
            f"{total} vote{'s' if total != 1 else ''}"
            if self.results
            else "Vote now · results appear live"
        )
        lines.append(Text(footer, style=self.colour("secondary"), justify="center"))
        return self.centred(self.card(Group(*lines), title="POLL", accent="accent", padding=(1, 4)))


PREVIEW_CELLS = (48, 12)


def preview_url(value: str) -> bool:
    """A build ``preview`` step whose content is an image URL renders as the image."""
    try:
        https_url_on(value, IMAGE_DOMAINS, "previews")
    except ValueError:
        return False
    return True


def picture_text(image: Image.Image, cells: tuple[int, int]) -> Text:
    """A picture as half-block rich text, for slides drawn as text."""
    fitted = fit(image, *cells)
    canvas = Canvas(fitted.width, (fitted.height + 1) // 2, (0, 0, 0))
    canvas.paste(fitted, 0, 0)
    lines = [
        Text.assemble(*((seg.text, seg.style or "") for seg in strip)) for strip in canvas.strips()
    ]
    return Text("\n").join(lines)


class BuildSlideView(CardSlide):
    """Steps appear at an even pace across the slide's duration, by the kiosk's clock."""

    def __init__(
        self,
        content: BuildContent,
        air: AirFilter,
        *,
        seconds: float,
        started_at: float,
        clock: Clock,
        frozen: bool,
        fetcher: ImageFetcher | None = None,
    ) -> None:
        super().__init__(air)
        self.content = content
        self.seconds = seconds
        self.started_at = started_at
        self.clock = clock
        self.frozen = frozen
        self.fetcher = fetcher
        self.previews: dict[str, Text | None] = {}
        """Preview pictures by URL: half-block text once fetched, None if it failed."""

    @property
    def pace(self) -> float:
        return self.seconds / len(self.content.steps)

    @property
    def revealed(self) -> int:
        elapsed = max(0.0, self.clock.now() - self.started_at)
        return min(len(self.content.steps), int(elapsed // self.pace) + 1)

    def on_mount(self) -> None:
        if not self.frozen and self.revealed < len(self.content.steps):
            self._timer = self.set_interval(self.pace, self._tick)
        urls = [s.content.strip() for s in self.content.steps if s.type == "preview"]
        urls = [u for u in urls if preview_url(u)]
        if urls and self.fetcher is not None:
            self.fetch_previews(urls)

    @work(exclusive=True, group="slide-picture")
    async def fetch_previews(self, urls: list[str]) -> None:
        assert self.fetcher is not None
        for url in urls:
            data = await self.fetcher.fetch(url)
            frames = await asyncio.to_thread(decode, data) if data else []
            self.previews[url] = picture_text(frames[0].image, PREVIEW_CELLS) if frames else None
            self.refresh()

    def _preview(self, body: str) -> RenderableType:
        url = body.strip()
        if preview_url(url) and url in self.previews:
            picture = self.previews[url]
            if picture is not None:
                return self.card(
                    picture, title="preview", accent="secondary", level="panel", expand=False
                )
            body = f"preview unavailable: {url}"
        return self.card(
            Text(body), title="preview", accent="secondary", level="panel", expand=False
        )

    def _tick(self) -> None:
        self.refresh()
        if self.revealed >= len(self.content.steps):
            self._timer.stop()

    def render(self) -> RenderableType:
        shown = self.content.steps[: self.revealed]
        lines: list[RenderableType] = []
        for step in shown:
            body = self.air.text(step.content)
            if step.type == "milestone":
                lines.append(
                    Text.assemble(
                        ("● ", f"bold {self.colour('success')}"),
                        (body, f"bold {self.colour('foreground')}"),
                    )
                )
            elif step.type == "preview":
                lines.append(self._preview(body))
            else:
                for line in (step.content or "").splitlines():
                    text = self.air.terminal_line(line)
                    text.style, text.end = self.colour("secondary"), "\n"
                    lines.append(text)
            lines.append(Text(""))
        total = len(self.content.steps)
        done = round(40 * len(shown) / total)
        progress = Text.assemble(
            ("█" * done, self.colour("success")),
            ("░" * (40 - done), self.colour("panel")),
            (f"  step {len(shown)}/{total}", self.colour("foreground")),
        )
        card = self.card(Group(*lines), title="BUILD", subtitle=progress, padding=(1, 4), width=110)
        return self.centred(card)


class TerminalSlideView(CardSlide):
    def __init__(self, content: TerminalContent, air: AirFilter) -> None:
        super().__init__(air)
        self.content = content

    def render(self) -> RenderableType:
        screen = Text("\n").join(
            self.air.terminal_line(line) for line in self.content.screen.splitlines()[-36:]
        )
        return self.centred(self.card(screen, title="TERMINAL", padding=(1, 3), width=120))
