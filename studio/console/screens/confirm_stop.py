"""Stopping ends every leg; the operator confirms it first."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Label


class ConfirmStop(ModalScreen[bool]):
    BINDINGS = [
        Binding("escape", "dismiss(False)", "Keep going", id="confirm.cancel",
                tooltip="Stay on air."),
        Binding("y", "dismiss(True)", "Stop", id="confirm.stop",
                tooltip="End every leg: stream/stop, DELETE, endSlot."),
    ]  # fmt: skip

    def __init__(self, live: list[str]) -> None:
        super().__init__()
        self.live = live

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Label("Stop the broadcast?", id="confirm-title")
            on_air = ", ".join(self.live) if self.live else "no platform is live"
            yield Label(f"On air: {on_air}. Every leg ends cleanly (stream/stop, DELETE, endSlot); "
                        "this cannot be undone.", id="confirm-body")  # fmt: skip
            with Horizontal(id="confirm-buttons"):
                yield Button("Keep going  Esc", id="keep", variant="primary")
                yield Button("Stop  Y", id="stop", variant="error")

    def on_mount(self) -> None:
        self.query_one("#keep", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "stop")
