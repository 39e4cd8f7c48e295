"""What every pane has: the model topics it draws, and how it redraws."""

from __future__ import annotations

from typing import ClassVar

from textual.containers import Container

from studio.console.model import ConsoleModel, Topic


class Pane(Container):
    topics: ClassVar[frozenset[Topic]] = frozenset()
    ticks: ClassVar[bool] = False
    """Redrawn once a second (countdowns) while visible."""
    ready: bool = False
    """Mounted with its children: until then there is nothing to redraw (its mount draws
    every topic)."""

    def __init__(self, model: ConsoleModel, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.model = model

    def on_mount(self) -> None:
        self.update_from_model(set(self.topics))
        self.ready = True

    def update_from_model(self, topics: set[Topic]) -> None:
        """Redraw what ``topics`` changed. Subclasses override."""

    def focus_first(self) -> None:
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return

    def fetch(self) -> object:
        """Ask the service for what events do not bring (its tab was shown). Panes that
        read state with commands override (a worker)."""
        return None

    def tick(self) -> None:
        """Once a second while visible, for panes with countdowns."""

    def reset(self) -> None:
        """The model was emptied for a fresh snapshot; forget what was drawn from it."""
