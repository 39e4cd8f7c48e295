"""What the kiosk and the operator console share: themes from files and error reporting."""

from __future__ import annotations

from pathlib import Path

from textual.app import App

from studio.ui.themes import BUILTIN_THEMES, DEFAULT_THEME, ThemeProblem, load_themes, user_themes


class AppBase(App[None]):
    """Registers the studio's themes before the first frame and reports bad theme files."""

    def __init__(
        self,
        *,
        theme_name: str = DEFAULT_THEME,
        theme_folders: tuple[Path, ...] | None = None,
    ) -> None:
        super().__init__()
        folders = theme_folders if theme_folders is not None else (BUILTIN_THEMES, user_themes())
        themes, self.theme_problems = load_themes(*folders)
        for theme in themes:
            self.register_theme(theme)
        self._wanted_theme = theme_name
        if theme_name in self.available_themes:
            self.theme = theme_name
        else:
            self.theme_problems.append(
                ThemeProblem(Path(theme_name), f"no theme called {theme_name!r} was found")
            )
            if DEFAULT_THEME in self.available_themes:
                self.theme = DEFAULT_THEME

    def on_mount(self) -> None:
        for problem in self.theme_problems:
            self.notify(str(problem), title="Theme", severity="warning", timeout=8)
