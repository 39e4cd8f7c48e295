"""Chat: one timeline of every platform's chat and activity, and a box to send."""

from __future__ import annotations

from itertools import islice
from typing import ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Input, Label, Select

from studio.console.client import Command
from studio.console.messages import SendCommand
from studio.console.model import ConsoleModel, Topic
from studio.console.panes.chat.chat_log import ChatLog
from studio.console.panes.pane import Pane

TARGETS = [
    ("my retake chat", "retake"),
    ("ClawCast chat", "clawcast"),
    ("another agent's room", "room"),
]


class ChatPane(Pane):
    topics: ClassVar[frozenset[Topic]] = frozenset({"chat"})
    BINDINGS = [
        Binding("ctrl+t", "next_target", "Send to", id="chat.target",
                tooltip="Cycle where the message goes: your retake chat, another room, ClawCast."),
        Binding("slash", "compose", "Write", id="chat.write",
                tooltip="Focus the message box."),
    ]  # fmt: skip

    def __init__(self, model: ConsoleModel, *, id: str | None = None) -> None:
        super().__init__(model, id=id)
        self._taken = 0
        """How many of the model's lines (``chat_total``) the log has been given."""

    def compose(self) -> ComposeResult:
        yield Label("", id="chat-status")
        yield ChatLog(max_lines=self.model.scrollback, id="chat-log")
        with Horizontal(id="chat-send"):
            yield Select(TARGETS, value="retake", allow_blank=False, id="chat-target")
            yield Input(placeholder="the agent's userDbId", id="chat-room", classes="hidden")
            yield Input(placeholder="message (Enter sends)", id="chat-text", max_length=500)

    @property
    def chat_log(self) -> ChatLog:
        return self.query_one(ChatLog)

    @property
    def _drawn(self) -> int:
        """How many of the model's lines the log has (it takes each line given at once,
        and draws the ones on screen at the next refresh)."""
        return self._taken

    def update_from_model(self, topics: set[Topic]) -> None:
        new = min(self.model.chat_total - self._taken, len(self.model.chat))
        if new > 0:
            self.chat_log.add(reversed(list(islice(reversed(self.model.chat), new))))
        self._taken = self.model.chat_total
        self._status()

    def reset(self) -> None:
        log = self.chat_log
        log.clear()
        log.add(self.model.chat)
        self._taken = self.model.chat_total

    def redraw_all(self) -> None:
        """After a theme change: the lines are drawn again in the new colours."""
        self.chat_log.restyle()

    def _status(self) -> None:
        log = self.chat_log
        label = self.query_one("#chat-status", Label)
        if log.paused:
            text = f"Paused · {log.unseen} new · End resumes"
        else:
            text = f"Chat · {len(self.model.chat)} kept of {self.model.chat_total}"
        # a new count in the same one row: a repaint, not a layout of the whole screen
        label.update(text, layout=len(text) >= label.content_size.width)
        label.set_class(log.paused, "-paused")

    def on_mount(self) -> None:
        super().on_mount()
        self.watch(self.chat_log, "paused", lambda _: self._status(), init=False)
        self.watch(self.chat_log, "unseen", lambda _: self._status(), init=False)

    @on(Select.Changed, "#chat-target")
    def _target(self, event: Select.Changed) -> None:
        self.query_one("#chat-room").set_class(event.value != "room", "hidden")

    def action_next_target(self) -> None:
        select = self.query_one("#chat-target", Select)
        values = [v for _, v in TARGETS]
        select.value = values[(values.index(str(select.value)) + 1) % len(values)]

    def action_compose(self) -> None:
        self.query_one("#chat-text", Input).focus()

    @on(Input.Submitted, "#chat-text")
    def _send(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            return
        to = str(self.query_one("#chat-target", Select).value)
        args: dict[str, object] = {"text": text}
        if to == "clawcast":
            args["clawcast"] = True
        elif to == "room":
            room = self.query_one("#chat-room", Input).value.strip()
            if not room:
                self.notify("Name the agent whose room gets the message.", severity="warning")
                self.query_one("#chat-room", Input).focus()
                return
            args["to"] = room
        event.input.value = ""
        self.post_message(SendCommand(Command("chat.send", args)))
