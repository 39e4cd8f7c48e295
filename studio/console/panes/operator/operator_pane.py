"""Operator: every step that needs a human, the legs' state, and go live / stop."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Label, Log, Static

from studio.console.colours import palette
from studio.console.model import Topic
from studio.console.panes.operator.step_prompt import StepPrompt, dom_id
from studio.console.panes.pane import Pane

if TYPE_CHECKING:
    from studio.console.app import ConsoleApp

LEVEL_MARKS = {"info": "·", "warning": "!", "error": "✗", "operator": "★"}


class OperatorPane(Pane):
    topics: ClassVar[frozenset[Topic]] = frozenset({"operator", "legs", "notices"})
    ticks: ClassVar[bool] = True

    def __init__(self, model, *, id: str | None = None) -> None:  # noqa: ANN001
        super().__init__(model, id=id)
        self._notices_drawn = 0

    @property
    def console(self) -> ConsoleApp:
        return self.app  # type: ignore[return-value]

    def compose(self) -> ComposeResult:
        with Horizontal(id="operator-actions"):
            yield Button("Go live F9", id="golive", variant="success", compact=True)
            yield Button("Stop F10", id="stop", variant="error", compact=True)
            yield Button("Reconnect now ^R", id="reconnect", variant="warning", compact=True)
        with VerticalScroll(id="operator-body"):
            yield Label("Nothing waits for you.", id="no-steps")
            yield Vertical(id="steps")
            yield Static(id="legs")
        yield Log(id="notices", max_lines=200)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        actions = {"golive": self.console.action_golive, "stop": self.console.action_stop,
                   "reconnect": self.console.action_reconnect}  # fmt: skip
        if event.button.id in actions:
            event.stop()
            actions[event.button.id]()

    def update_from_model(self, topics: set[Topic]) -> None:
        if "legs" in topics:
            self.query_one("#legs", Static).update(self._legs())
        if "operator" in topics:
            self._steps()
        if "notices" in topics:
            self._notices()

    def reset(self) -> None:
        self.query_one("#notices", Log).clear()
        self._notices_drawn = 0

    def tick(self) -> None:
        for prompt in self.query(StepPrompt):
            prompt.tick()

    def _legs(self) -> Table | Text:
        v = palette(self.app)
        if not self.model.legs:
            return Text("Off air. F9 goes live.", style=v.get("text-muted", ""))
        table = Table(box=None, padding=(0, 1), header_style="bold", expand=True)
        for column in ("platform", "step", "state", "viewers"):
            table.add_column(column, no_wrap=True)
        for name, leg in sorted(self.model.legs.items()):
            if leg.error:
                state = Text("failed", style=v.get("error", ""))
            elif leg.live and not leg.stopped:
                state = Text("LIVE", style=f"bold {v.get('success', '')}")
            elif leg.stopped:
                state = Text("stopped", style=v.get("text-muted", ""))
            else:
                state = Text(leg.step_state or "starting", style=v.get("warning", ""))
            table.add_row(name, leg.step, state, "—" if leg.viewers is None else str(leg.viewers))
        if self.model.ended is not None:
            table.caption = f"Session ended: {self.model.ended.reason}"
        return table

    def _steps(self) -> None:
        steps = self.query_one("#steps", Vertical)
        wanted = {f"step-{dom_id(p.key)}": p for p in self.model.pending.values()}
        for prompt in list(steps.query(StepPrompt)):
            if prompt.id not in wanted:
                prompt.remove()
        shown = {prompt.id for prompt in steps.query(StepPrompt)}
        for key, step in sorted(wanted.items(), key=lambda kv: kv[1].at):
            if key not in shown:
                steps.mount(StepPrompt(step))
        self.query_one("#no-steps").set_class(bool(wanted), "hidden")
        if wanted and not shown:
            self.call_after_refresh(self._focus_first_answer)

    def _focus_first_answer(self) -> None:
        for prompt in self.query(StepPrompt):
            for answer in prompt.query(".answer, .reg-field"):
                focused = self.screen.focused
                answering = focused is not None and (
                    focused.has_class("answer") or focused.has_class("reg-field")
                )
                if not answering:
                    answer.focus()
                return

    def _notices(self) -> None:
        log = self.query_one("#notices", Log)
        new = min(self.model.notices_total - self._notices_drawn, len(self.model.notices))
        for notice in list(self.model.notices)[len(self.model.notices) - new :]:
            mark = LEVEL_MARKS.get(notice.level, "·")
            for i, line in enumerate(notice.text.splitlines() or [""]):
                log.write_line(f"{mark} {notice.platform}: {line}" if i == 0 else f"    {line}")
        self._notices_drawn = self.model.notices_total
