"""The encoder and destination figures as text, OBS-stats style."""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table
from rich.text import Text

from studio.console.model import ConsoleModel

TARGET_FPS = 30.0
"""The broadcast's frame rate (studio.broadcast.ffmpeg_command); FPS turns yellow below 95%."""


def encoder_table(
    model: ConsoleModel, colours: Mapping[str, str], target_fps: float = TARGET_FPS
) -> Table:
    enc = model.encoder
    table = Table.grid(padding=(0, 1))
    table.add_column(style=colours.get("text-muted", ""), no_wrap=True)
    table.add_column(no_wrap=True)
    level_colour = {"ok": colours.get("success", ""), "warning": colours.get("warning", ""),
                    "error": colours.get("error", "")}  # fmt: skip
    if enc.updated_at is None:
        table.add_row("encoder", Text("not started", style=colours.get("text-muted", "")))
        return table
    fps_style = level_colour["warning"] if enc.fps < 0.95 * target_fps else ""
    table.add_row("fps", Text(f"{enc.fps:.1f} / {target_fps:.0f}", style=fps_style))
    speed = enc.speed
    table.add_row("speed", Text("—" if speed is None else f"{speed:.2f}x",
                                style=level_colour["warning"] if speed is not None and speed < 0.95 else ""))  # fmt: skip
    rate = enc.bitrate_kbps
    table.add_row("bitrate", "—" if rate is None else f"{rate:,.0f} kb/s")
    table.add_row("dropped", Text(enc.dropped_text(), style=level_colour[enc.dropped_level]))
    if enc.ended:
        table.add_row("", Text("encoder stopped", style=level_colour["error"]))
    return table


def destinations_table(model: ConsoleModel, colours: Mapping[str, str], now: float) -> Table:
    table = Table.grid(padding=(0, 1))
    table.add_column(no_wrap=True, style="bold")
    table.add_column(no_wrap=False)
    if not model.destinations:
        table.add_row(Text("no destinations yet", style=colours.get("text-muted", "")))
    for name, dest in sorted(model.destinations.items()):
        label, level = dest.shown(now, model.encoder)
        colour = colours.get("text-muted" if level == "muted" else level, "")
        table.add_row(name, Text(label, style=colour))
        if dest.reason and dest.state != "live":
            table.add_row("", Text(dest.reason, style=colours.get("text-muted", "")))
    return table
