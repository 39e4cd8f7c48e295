"""retake.tv registration, the operator step: every field checked as it is typed by
the shared rules; the answer (the fields as one JSON object) goes to the service,
which registers with the core's client and saves the credentials."""

from __future__ import annotations

import json

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label

from studio.console.client import Command
from studio.console.field_check import REGISTER_FIELDS, registration_problems
from studio.console.messages import SendCommand

LABELS = {
    "agent_name": ("Agent name", "Unique; also your stream's URL path"),
    "agent_description": ("Description", "A short bio for your profile"),
    "image_url": ("Avatar URL", "Public https URL of a square .jpg/.png"),
    "wallet_address": ("Solana wallet", "Your base58 public key"),
    "ticker": ("Ticker", "Token symbol, 1-10 letters or digits"),
}


class RegistrationForm(Vertical):
    def __init__(self, step_id: str) -> None:
        super().__init__()
        self.step_id = step_id

    def compose(self) -> ComposeResult:
        for name in REGISTER_FIELDS:
            label, hint = LABELS[name]
            with Horizontal(classes="form-row"):
                yield Label(label, classes="form-label")
                yield Input(placeholder=hint, id=f"reg-{name}", classes="reg-field", compact=True)
            yield Label("", id=f"reg-{name}-problem", classes="answer-problem hidden")
        yield Button("Register", id="register", variant="primary", disabled=True, compact=True)

    def values(self) -> dict[str, str]:
        return {n: self.query_one(f"#reg-{n}", Input).value.strip() for n in REGISTER_FIELDS}

    @on(Input.Changed, ".reg-field")
    def _check(self, event: Input.Changed) -> None:
        event.stop()
        values = self.values()
        problems = registration_problems(values)
        for name in REGISTER_FIELDS:
            typed = bool(values[name])
            problem = problems.get(name) if typed else None
            label = self.query_one(f"#reg-{name}-problem", Label)
            label.update(f"{name}: {problem}" if problem else "")
            label.set_class(not problem, "hidden")
            self.query_one(f"#reg-{name}", Input).set_class(problem is not None, "-invalid")
        self.query_one("#register", Button).disabled = bool(problems)

    @on(Input.Submitted, ".reg-field")
    @on(Button.Pressed, "#register")
    def _register(self, event: Input.Submitted | Button.Pressed) -> None:
        event.stop()
        values = self.values()
        if problems := registration_problems(values):
            if isinstance(event, Input.Submitted):  # Enter goes on to the next field
                self.screen.focus_next()
                return
            wrong = "; ".join(f"{k}: {v}" for k, v in problems.items())
            self.notify(wrong, title="Not sent", severity="warning")
            return
        answer = {"need": self.step_id, "value": json.dumps(values)}
        self.post_message(
            SendCommand(Command("answer", answer), success="Registering on retake.tv")
        )
