"""The current theme's colours as plain hex, for Rich text drawn by the panes.

Textual's theme variables include values like ``auto 60%`` that only its own CSS
understands; Rich needs real colours.
"""

from __future__ import annotations

from textual.app import App
from textual.color import Color, ColorParseError

NAMES = ("primary", "secondary", "accent", "foreground", "background", "surface", "panel",
         "success", "warning", "error")  # fmt: skip


def palette(app: App[object]) -> dict[str, str]:
    variables = app.theme_variables
    out: dict[str, str] = {}
    for name in NAMES:
        try:
            out[name] = Color.parse(variables[name]).hex
        except (KeyError, ColorParseError):
            continue
    foreground = Color.parse(out.get("foreground", "#e0e0e0"))
    background = Color.parse(out.get("background", "#000000"))
    out["text-muted"] = background.blend(foreground, 0.6).hex
    return out
