"""The on-air terminal: xterm, full-frame on the virtual display, 24-bit colour.

The on-air grid is a setting (``ON_AIR_GRIDS``), each exactly 1280x720 in DejaVu Sans
Mono at a measured pixel size, with no window border and no scrollbar:

=========  ==========  ==========  ===============  ===================================
grid       cell (px)   pixel size  internal border  for
=========  ==========  ==========  ===============  ===================================
160x45     8x16        12.85       0                desktops (the default)
128x36     10x20       16.8        0                larger text (near 120x34)
90x25      14x28       23.5        10               phones (near 96x27)
=========  ==========  ==========  ===============  ===================================

A cell size with a fractional width (1280/96, 1280/120) cannot exist, so each grid is
the nearest one whose cells tile the frame; 90x25 fills 1260x700 with cells and the
remaining 10 pixels on every side are xterm's internal border, drawn in the on-air
background colour. The seed's ``-fa Monospace -fs 12 -geometry 160x45`` overflows
1280x720. If a host's fonts give another cell size, the grid is recomputed from the
measured cell so the terminal still fits the frame (``Terminal.grid`` is the truth).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from studio.broadcast.display import FRAME
from studio.broadcast.processes import LineHandler, ManagedProcess, ProcessFailed, run_capture


@dataclass(frozen=True)
class OnAirGrid:
    """One on-air grid: cells of ``cell`` pixels at ``pixel_size``, framed by ``border``."""

    cols: int
    rows: int
    cell: tuple[int, int]
    pixel_size: float
    border: int = 0

    @property
    def name(self) -> str:
        return f"{self.cols}x{self.rows}"

    @property
    def size(self) -> tuple[int, int]:
        return self.cols, self.rows

    @property
    def frame(self) -> tuple[int, int]:
        """The window in pixels: every cell plus the internal border on each side."""
        return (
            self.cols * self.cell[0] + 2 * self.border,
            self.rows * self.cell[1] + 2 * self.border,
        )


ON_AIR_GRIDS: dict[str, OnAirGrid] = {
    g.name: g
    for g in (
        OnAirGrid(160, 45, (8, 16), 12.85),
        OnAirGrid(128, 36, (10, 20), 16.8),
        OnAirGrid(90, 25, (14, 28), 23.5, border=10),
    )
}
DEFAULT_GRID = "160x45"
ON_AIR_GRID: tuple[int, int] = ON_AIR_GRIDS[DEFAULT_GRID].size
"""Columns and rows of the default on-air terminal on a host with the expected fonts."""
CELL: tuple[int, int] = ON_AIR_GRIDS[DEFAULT_GRID].cell
FONT = "DejaVu Sans Mono"
PIXEL_SIZE = ON_AIR_GRIDS[DEFAULT_GRID].pixel_size
BACKGROUND = "#0b1020"
"""The on-air theme's background: the colour of any internal border around the cells."""
WINDOW_TITLE = "studio-on-air"


def on_air_grid(name: str) -> OnAirGrid:
    """The grid called ``name`` (``"128x36"``); a clear error for any other."""
    try:
        return ON_AIR_GRIDS[name]
    except KeyError:
        raise ValueError(f"must be one of {', '.join(ON_AIR_GRIDS)} (got {name!r})") from None


# Resources that make the window exactly cols*cell wide and rows*cell high.
LAYOUT = (
    "*directColor: true",
    "*termName: xterm-256color",
    "*borderWidth: 0",
    "*scrollBar: false",
    "*saveLines: 0",
    "*cursorBlink: false",
    "*bellIsUrgent: false",
    "*visualBell: false",
)
# What reaches the on-air terminal must not change it: no font, window, title,
# colour-palette, termcap or clipboard operations, whatever an escape asks for
# (tests/broadcast/test_onair_xterm_refusals.py shows each one refused, and the same
# escapes changing an xterm started without these).
REFUSALS = (
    "*allowFontOps: false",
    "*allowTitleOps: false",
    "*allowWindowOps: false",
    "*allowColorOps: false",
    "*allowTcapOps: false",
    "*allowPasteControls: false",
    "*allowSendEvents: false",
    "*disallowedWindowOps: 1,2,3,4,5,6,7,8,9,11,13,14,18,19,20,21,"
    "GetSelection,SetSelection,SetWinLines,SetXprop",
    "*disallowedFontOps: SetFont,GetFont",
    "*disallowedTcapOps: SetTcap,GetTcap",
    "*disallowedColorOps: SetColor,GetColor,GetAnsiColor",
)
RESOURCES = LAYOUT + REFUSALS


@dataclass(frozen=True)
class WindowGeometry:
    """A window as xwininfo sees it: pixels, and cells from xterm's size hints."""

    width: int
    height: int
    x: int
    y: int
    cols: int | None
    rows: int | None

    @property
    def cell(self) -> tuple[float, float] | None:
        if not self.cols or not self.rows:
            return None
        return self.width / self.cols, self.height / self.rows


def grid_for(cell: tuple[float, float], frame: tuple[int, int] = FRAME) -> tuple[int, int]:
    """The largest grid of ``cell``-sized cells that fits in ``frame``."""
    return max(1, int(frame[0] // cell[0])), max(1, int(frame[1] // cell[1]))


def xterm_argv(
    display: str,
    command: Sequence[str],
    *,
    grid: tuple[int, int] = ON_AIR_GRID,
    font: str = FONT,
    pixel_size: float = PIXEL_SIZE,
    title: str = WINDOW_TITLE,
    offset: tuple[int, int] = (0, 0),
    border: int = 0,
    background: str = "black",
) -> list[str]:
    argv = [
        "xterm",
        "-display",
        display,
        "-fa",
        f"{font}:pixelsize={pixel_size:g}",
        "-b",
        str(border),
        "-bw",
        "0",
        "+sb",
        "-u8",
        "-bg",
        background,
        "-fg",
        "white",
        "-title",
        title,
        "-geometry",
        f"{grid[0]}x{grid[1]}+{offset[0]}+{offset[1]}",
    ]
    for resource in RESOURCES:
        argv += ["-xrm", resource]
    return [*argv, "-e", *command]


_SIZE = re.compile(
    r"^\s*(Width|Height|Absolute upper-left X|Absolute upper-left Y):\s*(-?\d+)", re.M
)
_GEOMETRY = re.compile(r"-geometry\s+(\d+)x(\d+)")


def parse_xwininfo(text: str) -> WindowGeometry:
    values = {key: int(value) for key, value in _SIZE.findall(text)}
    cells = _GEOMETRY.search(text)
    return WindowGeometry(
        width=values["Width"],
        height=values["Height"],
        x=values.get("Absolute upper-left X", 0),
        y=values.get("Absolute upper-left Y", 0),
        cols=int(cells.group(1)) if cells else None,
        rows=int(cells.group(2)) if cells else None,
    )


async def measure_window(display: str, title: str = WINDOW_TITLE) -> WindowGeometry | None:
    """The window titled ``title`` on ``display``, or None if it is not shown yet."""
    code, out, _ = await run_capture(["xwininfo", "-display", display, "-name", title], limit=5)
    if code != 0 or "Width:" not in out or "IsViewable" not in out:
        return None  # not there yet, or created but not yet mapped at its final size
    return parse_xwininfo(out)


class Terminal:
    """xterm running ``command`` (the kiosk) full-frame on ``display``."""

    def __init__(
        self,
        display: str,
        command: Sequence[str],
        *,
        frame: tuple[int, int] = FRAME,
        on_air: OnAirGrid = ON_AIR_GRIDS[DEFAULT_GRID],
        font: str = FONT,
        background: str = BACKGROUND,
        title: str = WINDOW_TITLE,
        env: Mapping[str, str] | None = None,
        on_stderr: LineHandler | None = None,
    ) -> None:
        self.display = display
        self.command = list(command)
        self.frame = frame
        self.on_air = on_air
        self.font = font
        self.background = background
        self.title = title
        self.env = dict(env or {})
        self.grid: tuple[int, int] = on_air.size
        self.geometry: WindowGeometry | None = None
        self._on_stderr = on_stderr
        self.process: ManagedProcess | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    @property
    def fills_frame(self) -> bool:
        g = self.geometry
        return g is not None and (g.width, g.height, g.x, g.y) == (*self.frame, 0, 0)

    def _process(
        self, grid: tuple[int, int], offset: tuple[int, int], border: int
    ) -> ManagedProcess:
        env = {
            "DISPLAY": self.display,
            "COLORTERM": "truecolor",
            "STUDIO_ON_AIR_GRID": f"{grid[0]}x{grid[1]}",
            **self.env,
        }
        argv = xterm_argv(
            self.display,
            self.command,
            grid=grid,
            font=self.font,
            pixel_size=self.on_air.pixel_size,
            title=self.title,
            offset=offset,
            border=border,
            background=self.background,
        )
        return ManagedProcess(
            "xterm", argv, env=env, on_stderr=self._on_stderr or (lambda _l: None)
        )

    async def start(self, limit: float = 10.0) -> WindowGeometry:
        """Start xterm, wait for its window, and make it fit the frame.

        If the window is not exactly the frame (other fonts on this host), restart it
        with the grid computed from the measured cell size, centred."""
        border = self.on_air.border
        self.geometry = await self._launch(self.on_air.size, (0, 0), border, limit)
        self.grid = self.on_air.size
        g = self.geometry
        if not self.fills_frame and g.cols and g.rows:
            cell = ((g.width - 2 * border) / g.cols, (g.height - 2 * border) / g.rows)
            grid = grid_for(cell, self.frame)
            used = (round(grid[0] * cell[0]), round(grid[1] * cell[1]))
            offset = ((self.frame[0] - used[0]) // 2, (self.frame[1] - used[1]) // 2)
            await self.stop()
            self.geometry = await self._launch(grid, offset, 0, limit)
            self.grid = grid
        return self.geometry

    async def _launch(
        self, grid: tuple[int, int], offset: tuple[int, int], border: int, limit: float
    ) -> WindowGeometry:
        self.process = self._process(grid, offset, border)
        await self.process.start()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while loop.time() < deadline:
            if not self.process.running:
                break
            geometry = await measure_window(self.display, self.title)
            if geometry is not None:
                return geometry
            await asyncio.sleep(0.05)
        tail = " / ".join(self.process.stderr_tail[-3:])
        await self.process.stop()
        raise ProcessFailed(
            f"The on-air terminal (xterm) did not open its window on {self.display}. {tail}".strip(),
            fix="Run `studio doctor` to check xterm and the fonts (scripts/install).",
        )

    async def measure(self) -> WindowGeometry | None:
        """Measure the running window again (xwininfo)."""
        self.geometry = await measure_window(self.display, self.title)
        return self.geometry

    async def wait(self) -> int:
        if self.process is None:
            raise RuntimeError("the terminal was never started")
        return await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None:
            await self.process.stop()


async def measured_grid(display: str, title: str = WINDOW_TITLE) -> tuple[int, int] | None:
    """The real grid of the on-air terminal on ``display`` (from xterm's size hints)."""
    geometry = await measure_window(display, title)
    if geometry is None or geometry.cols is None or geometry.rows is None:
        return None
    return geometry.cols, geometry.rows
