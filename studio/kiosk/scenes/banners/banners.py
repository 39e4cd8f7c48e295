"""Banners over every scene: the operator's message and the latest alert."""

from __future__ import annotations

from rich.text import Text
from textual.timer import Timer
from textual.widgets import Static

from studio.kiosk.air import AirFilter


class TimedBanner(Static, can_focus=False):
    """Shows a text, optionally for a while; an empty text hides it."""

    def __init__(self, *, air: AirFilter, frozen: bool, id: str | None = None) -> None:
        super().__init__("", id=id, classes="hidden")
        self.air, self.frozen = air, frozen
        self.text = ""
        self._raw = ""
        self._label = ""
        self._timer: Timer | None = None

    def show(self, text: str, seconds: float | None = None, *, label: str = "") -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        self._raw, self._label = text, label
        self.remask()
        self.set_class(not self.text.strip(), "hidden")
        if seconds and not self.frozen and self.text:
            self._timer = self.set_timer(seconds, self.clear)

    def remask(self) -> None:
        self.text = self.air.text(self._raw)
        self.update(Text.assemble((self._label, "bold"), self.text) if self._label else self.text)

    def clear(self) -> None:
        self._timer = None
        self._raw = ""
        self.text = ""
        self.update("")
        self.add_class("hidden")
