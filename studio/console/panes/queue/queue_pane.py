"""Queue: ClawCast's now-playing and queue, baseFM's DJs and relays, retake's directory."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Static

from studio.console.client import Command
from studio.console.colours import palette
from studio.console.model import Topic
from studio.console.panes.pane import Pane
from studio.console.panes.queue import queue_text

if TYPE_CHECKING:
    from studio.console.app import ConsoleApp


QUEUE_COMMANDS = ("clawcast.queue", "basefm.live", "retake.live", "retake.tokens.top",
                  "retake.tokens.trending")  # fmt: skip


class QueuePane(Pane):
    topics: ClassVar[frozenset[Topic]] = frozenset({"queue"})
    ticks: ClassVar[bool] = True
    BINDINGS = [
        Binding("ctrl+u", "refresh_queue", "Refresh", id="queue.refresh",
                tooltip="Ask the service for the queues and directories now."),
    ]  # fmt: skip

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="queue-columns"):
            for name, title in (
                ("clawcast", "ClawCast"),
                ("basefm", "baseFM"),
                ("retake", "retake.tv"),
            ):
                with Vertical(classes="queue-section"):
                    yield Static(title, classes="title")
                    yield Static(id=f"queue-{name}")

    @property
    def console(self) -> ConsoleApp:
        return self.app  # type: ignore[return-value]

    def update_from_model(self, topics: set[Topic]) -> None:
        colours = palette(self.app)
        q = self.model.queue
        now = self.console.config.now()
        held = self.model.clawcast_slot
        self.query_one("#queue-clawcast", Static).update(
            queue_text.clawcast(
                q.get("clawcast"), now, colours, held.model_dump() if held else None
            )
        )
        self.query_one("#queue-basefm", Static).update(queue_text.basefm(q.get("basefm"), colours))
        self.query_one("#queue-retake", Static).update(queue_text.retake(q.get("retake"), colours))

    def tick(self) -> None:
        self.update_from_model({"queue"})

    def action_refresh_queue(self) -> None:
        self.fetch()

    @work(exclusive=True, group="queue")
    async def fetch(self) -> None:
        """Each directory from its own command; one that fails keeps its last answer."""
        now = self.console.config.now()
        failed: list[str] = []
        found: dict[str, Any] = {}
        for verb in QUEUE_COMMANDS:
            try:
                response = await self.console.client.send(Command(verb))
            except (OSError, ConnectionError) as exc:  # no broadcast (yet), or it went
                failed.append(f"not read: {exc}")
                break
            if response.ok:
                found[verb] = response.data
            else:
                failed.append(f"{verb}: {response.comment}")
        if "clawcast.queue" in found:
            self.model.set_queue("clawcast", {**(found["clawcast.queue"] or {}), "fetched_at": now})
        if "basefm.live" in found:
            self.model.set_queue("basefm", found["basefm.live"])
        retake = {key: found.get(f"retake.{key}".replace("top", "tokens.top").replace("trending", "tokens.trending"))
                  for key in ("live", "top", "trending")}  # fmt: skip
        if any(v is not None for v in retake.values()):
            self.model.set_queue("retake", retake)
        self.update_from_model({"queue"})
        if failed:
            self.notify("\n".join(failed), title="Some directories could not be read",
                        severity="warning", timeout=6)  # fmt: skip
