"""Themes from files: each ``*.toml`` in a themes folder becomes a ``textual.theme.Theme``.

A file is validated first; a broken one is reported (the caller shows it with
``notify``) and skipped, never a crash.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from pydantic import BaseModel, ConfigDict, ValidationError
from textual.theme import Theme

from studio.validation import problems_from
from studio.validation.common import hex_colour

BUILTIN_THEMES = Path(__file__).resolve().parents[1] / "themes"
"""Shipped inside the package (``studio/themes``), so an installed build keeps them."""
DEFAULT_THEME = "onair"


def user_themes() -> Path:
    return Path(platformdirs.user_config_dir("studio", appauthor=False)) / "themes"


class ThemeFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    dark: bool = True
    primary: str
    secondary: str | None = None
    accent: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    success: str | None = None
    warning: str | None = None
    error: str | None = None
    variables: dict[str, str] = {}

    def colours(self) -> dict[str, str]:
        fields = (
            "primary", "secondary", "accent", "foreground", "background",
            "surface", "panel", "success", "warning", "error",
        )  # fmt: skip
        return {f: getattr(self, f) for f in fields if getattr(self, f) is not None}

    def to_theme(self) -> Theme:
        for field, value in self.colours().items():
            try:
                hex_colour(value)
            except ValueError as exc:
                raise ValueError(f"{field}: {exc}") from None
        return Theme(name=self.name, dark=self.dark, variables=self.variables, **self.colours())  # type: ignore[arg-type]


@dataclass(frozen=True)
class ThemeProblem:
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"Theme file {self.path.name} was skipped: {self.reason}"


def load_themes(*folders: Path) -> tuple[list[Theme], list[ThemeProblem]]:
    """Every valid theme in ``folders`` (later folders override earlier names)."""
    themes: dict[str, Theme] = {}
    problems: list[ThemeProblem] = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob("*.toml")):
            try:
                data = tomllib.loads(path.read_text(encoding="utf-8"))
                theme = ThemeFile.model_validate(data).to_theme()
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
                problems.append(ThemeProblem(path, f"cannot be read ({exc})"))
                continue
            except ValidationError as exc:
                reasons = "; ".join(str(p) for p in problems_from(exc))
                problems.append(ThemeProblem(path, reasons))
                continue
            except ValueError as exc:
                problems.append(ThemeProblem(path, str(exc)))
                continue
            themes[theme.name] = theme
    return list(themes.values()), problems
