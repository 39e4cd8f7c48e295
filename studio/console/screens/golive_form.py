"""Go live from the console: what ``studio golive`` takes that an operator needs,
each field checked as it is typed by the same rules (``Plan``), then the broadcast
starts as the same detached service ``studio golive --detach`` starts."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Label

from studio.console.field_check import GOLIVE_TEXT_FIELDS, PLATFORMS, golive_plan
from studio.golive.plan import Plan

PLATFORM_LABELS = {"retake": "retake.tv", "clawcast": "ClawCast", "basefm": "baseFM"}
FIELD_LABELS = {
    "title": ("Title", "The stream's title or hook (100 characters at most)"),
    "duration": ("Duration", "Seconds on air, then a clean stop (empty: until you stop)"),
    "log": ("Agent log", "The file the agent writes, shown on air"),
    "basefm_wallet": ("baseFM wallet", "The DJ's wallet on Base: 0x + 40 hex digits"),
    "clawcast_name": ("ClawCast name", "Streamer name (empty: the retake.tv agent's)"),
    "clawcast_url": ("ClawCast link", "Link shown on ClawCast (empty: the retake.tv stream)"),
    "slides": ("Slides file", "A ClawCast playlist (JSON) to book instead of the terminal"),
}
DEFAULTS = {"log": "/tmp/stream.log"}


class GoLiveForm(ModalScreen[Plan | None]):
    BINDINGS = [
        Binding("escape", "dismiss(None)", "Cancel", id="golive.cancel",
                tooltip="Close the form; nothing starts."),
        Binding("ctrl+g", "go", "Go live", id="golive.go",
                tooltip="Start the broadcast with these settings."),
    ]  # fmt: skip

    def __init__(self, values: dict[str, Any] | None = None) -> None:
        super().__init__()
        self.initial = {**DEFAULTS, **(values or {})}
        self.plan: Plan | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="golive-form"):
            yield Label("Go live", id="golive-title")
            with VerticalScroll(id="golive-fields"):
                with Horizontal(id="golive-platforms"):
                    for name in PLATFORMS:
                        yield Checkbox(PLATFORM_LABELS[name], bool(self.initial.get(name)),
                                       id=f"gl-{name}", compact=True)  # fmt: skip
                    yield Checkbox("Kiosk", bool(self.initial.get("kiosk", True)),
                                   id="gl-kiosk", compact=True)  # fmt: skip
                yield Label("", id="gl-platforms-problem", classes="answer-problem hidden")
                for name in GOLIVE_TEXT_FIELDS:
                    label, hint = FIELD_LABELS[name]
                    with Horizontal(classes="form-row"):
                        yield Label(label, classes="form-label")
                        yield Input(str(self.initial.get(name) or ""), placeholder=hint,
                                    id=f"gl-{name}", classes="golive-input", compact=True)  # fmt: skip
                    yield Label("", id=f"gl-{name}-problem", classes="answer-problem hidden")
            with Horizontal(id="golive-buttons"):
                yield Button("Go live  ^G", id="go", variant="success", compact=True)
                yield Button("Cancel  Esc", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.app.unblink(self)  # type: ignore[attr-defined]
        self.query_one("#gl-retake", Checkbox).focus()
        self._check()

    def values(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            name: self.query_one(f"#gl-{name}", Checkbox).value for name in (*PLATFORMS, "kiosk")
        }
        for name in GOLIVE_TEXT_FIELDS:
            values[name] = self.query_one(f"#gl-{name}", Input).value
        return values

    @on(Input.Changed, ".golive-input")
    @on(Checkbox.Changed)
    def _check(self) -> None:
        values = self.values()
        self.plan, problems = golive_plan(values)
        for name in ("platforms", *GOLIVE_TEXT_FIELDS):
            # a text field is judged once typed in; what the platforms require, at once
            shown = problems.get(name)
            if name in GOLIVE_TEXT_FIELDS and not str(values[name]).strip():
                shown = shown if "required" in (shown or "") else None
            label = self.query_one(f"#gl-{name}-problem", Label)
            label.update(f"{name}: {shown}" if shown else "")
            label.set_class(not shown, "hidden")
            if name in GOLIVE_TEXT_FIELDS:
                self.query_one(f"#gl-{name}", Input).set_class(shown is not None, "-invalid")
        self.query_one("#go", Button).disabled = self.plan is None

    @on(Button.Pressed, "#go")
    @on(Input.Submitted, ".golive-input")
    def action_go(self) -> None:
        self._check()
        if self.plan is None:
            self.notify("Correct the fields marked in red first.", title="Not started",
                        severity="warning")  # fmt: skip
            return
        self.dismiss(self.plan)

    @on(Button.Pressed, "#cancel")
    def _cancel(self) -> None:
        self.dismiss(None)
