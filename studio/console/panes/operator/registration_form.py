"""retake.tv registration: every field checked as it is typed, sent by the service."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import Button, Input, Label

from studio.console.client import Command
from studio.console.field_check import REGISTER_FIELDS, registration_problems
from studio.console.messages import SendCommand

LABELS = {
    "agent_name": "Agent name",
    "agent_description": "Description",
    "image_url": "Avatar image URL (square)",
    "wallet_address": "Solana wallet",
    "ticker": "Token ticker",
}


class RegistrationForm(Vertical):
    def compose(self) -> ComposeResult:
        yield Label("Register on retake.tv", classes="step-title")
        for name in REGISTER_FIELDS:
            yield Input(placeholder=LABELS[name], id=f"reg-{name}", classes="reg-field")
            yield Label("", id=f"reg-{name}-problem", classes="answer-problem hidden")
        yield Button("Register", id="register", variant="primary", disabled=True)

    def values(self) -> dict[str, str]:
        return {n: self.query_one(f"#reg-{n}", Input).value.strip() for n in REGISTER_FIELDS}

    @on(Input.Changed, ".reg-field")
    def _check(self, event: Input.Changed) -> None:
        values = self.values()
        problems = registration_problems(values)
        for name in REGISTER_FIELDS:
            typed = bool(values[name])
            problem = problems.get(name) if typed else None
            label = self.query_one(f"#reg-{name}-problem", Label)
            label.update(problem or "")
            label.set_class(not problem, "hidden")
            self.query_one(f"#reg-{name}", Input).set_class(problem is not None, "-invalid")
        self.query_one("#register", Button).disabled = bool(problems)

    @on(Button.Pressed, "#register")
    def _register(self) -> None:
        values = self.values()
        if registration_problems(values):
            return
        self.post_message(
            SendCommand(Command("retake.register", values), success="Registered on retake.tv")
        )
