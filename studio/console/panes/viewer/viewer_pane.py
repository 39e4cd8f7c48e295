"""Viewer: the real on-air frame, and beside it the encoder, destinations and viewers."""

from __future__ import annotations

import os
import threading
from typing import TYPE_CHECKING, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import Sparkline, Static
from textual.worker import get_current_worker

from studio.console.colours import palette
from studio.console.model import Topic
from studio.console.panes.pane import Pane
from studio.console.panes.viewer.frame_view import FrameView
from studio.console.panes.viewer.health_text import destinations_table, encoder_table

if TYPE_CHECKING:
    from studio.console.app import ConsoleApp


class ViewerPane(Pane):
    topics: ClassVar[frozenset[Topic]] = frozenset(
        {"encoder", "destinations", "viewers", "pipeline", "legs"}
    )
    ticks: ClassVar[bool] = True
    BINDINGS = [
        Binding("ctrl+r", "reconnect", "Reconnect now", id="viewer.reconnect",
                tooltip="Skip the wait: every failed destination reconnects now."),
    ]  # fmt: skip

    _grabbing: str | None = None
    _stop_grab: threading.Event | None = None

    def compose(self) -> ComposeResult:
        yield FrameView(id="frame")
        with Vertical(id="health"):
            yield Static("Encoder", classes="title")
            yield Static(id="encoder")
            yield Static("Destinations", classes="title")
            yield Static(id="destinations")
            yield Static("Viewers", classes="title", id="viewers-title")
            yield Sparkline([], id="viewers")

    @property
    def console(self) -> ConsoleApp:
        return self.app  # type: ignore[return-value]

    def update_from_model(self, topics: set[Topic]) -> None:
        colours = palette(self.app)
        now = self.console.config.now()
        if topics & {"encoder", "destinations"}:
            self.query_one("#encoder", Static).update(encoder_table(self.model, colours))
            self.query_one("#destinations", Static).update(
                destinations_table(self.model, colours, now)
            )
        if "viewers" in topics or "legs" in topics:
            history = [float(v) for _, v in self.model.viewer_history]
            self.query_one("#viewers", Sparkline).data = history
            peak = max(history, default=0)
            self.query_one("#viewers-title", Static).update(
                f"Viewers {self.model.viewers_total} · peak {peak:.0f}"
            )
        if topics & {"pipeline", "legs"}:
            self.follow_display()

    def tick(self) -> None:
        self.update_from_model({"destinations"})

    # -- the on-air frame ----------------------------------------------------------------

    def follow_display(self) -> None:
        """Grab from the display the service names, only while this pane is shown."""
        display = self.model.display
        frame = self.query_one(FrameView)
        if display is None:
            frame.show(None, "No broadcast display yet")
            return
        if display == self._grabbing:
            return
        self.stop_frames()
        self._grabbing = display
        if self.model.xauthority:  # the broadcast's display lets in only its cookie's holders
            os.environ["XAUTHORITY"] = self.model.xauthority
        if self.console.config.frozen:
            frame.show(self.console.config.grab(display), f"Cannot reach display {display}")
        else:
            self._stop_grab = threading.Event()
            self.grab_frames(display, self._stop_grab)

    def stop_frames(self) -> None:
        if self._stop_grab is not None:
            self._stop_grab.set()
        self._grabbing, self._stop_grab = None, None

    @work(thread=True, exclusive=True, group="frames")
    def grab_frames(self, display: str, stop: threading.Event) -> None:
        source, interval = self.console.config.grab, self.console.config.frame_interval
        frame = self.query_one(FrameView)
        worker = get_current_worker()
        while not stop.is_set() and not worker.is_cancelled:
            shown = self.app.is_running and self.app.call_from_thread(lambda: frame.is_on_screen)
            if shown:
                image = source(display)
                self.app.call_from_thread(frame.show, image, f"Cannot reach display {display}")
            stop.wait(interval)

    def on_unmount(self) -> None:
        self.stop_frames()

    def action_reconnect(self) -> None:
        self.console.action_reconnect()
