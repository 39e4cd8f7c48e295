"""F1: the keys of the pane you are in, then the console's own."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from studio.console.colours import palette


def _rows(bindings: list[BindingType]) -> list[Binding]:
    return [b for b in bindings if isinstance(b, Binding)]


def bindings_table(title: str, bindings: list[Binding], key_style: str) -> Table:
    table = Table(title=title, title_justify="left", title_style="bold", box=None, padding=(0, 2),
                  show_header=False, expand=True)  # fmt: skip
    table.add_column(no_wrap=True, style=key_style)
    table.add_column(no_wrap=True)
    table.add_column()
    for b in bindings:
        table.add_row(b.key_display or b.key, b.description, Text(b.tooltip or "", style="dim"))
    return table


class HelpScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,f1,q", "dismiss", "Close", id="help.close", tooltip="Close the help."),
    ]

    def __init__(
        self, pane_title: str, pane_bindings: list[BindingType], app_bindings: list[BindingType]
    ) -> None:
        super().__init__()
        self.pane_title, self.pane_bindings, self.app_bindings = (
            pane_title,
            pane_bindings,
            app_bindings,
        )

    def compose(self) -> ComposeResult:
        key_style = f"bold {palette(self.app).get('accent', '')}"
        with VerticalScroll(id="help"):
            yield Label("Keys  (Esc closes; Ctrl+P finds any action by name)", id="help-title")
            if self.pane_bindings:
                yield Static(bindings_table(self.pane_title, _rows(self.pane_bindings), key_style))
            yield Static(bindings_table("Everywhere", _rows(self.app_bindings), key_style))
