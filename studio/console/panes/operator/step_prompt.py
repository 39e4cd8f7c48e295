"""One step that waits for a human, with what it needs checked as it is typed."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Label, Static

from studio.console.client import Command
from studio.console.messages import SendCommand
from studio.console.panes.queue.queue_text import clock
from studio.golive.events import OperatorNeeded

if TYPE_CHECKING:
    from studio.console.app import ConsoleApp

TITLES = {
    "tweet_url": "retake.tv verification: tweet this, then paste the tweet's link",
    "tx_hash": "baseFM payment (402): pay the fee, then paste the txHash",
    "wallet": "baseFM refused this wallet (403)",
    "cooldown": "baseFM cooldown (429)",
    "open_session": "A session was left open",
    "clawcast_rebook": "ClawCast refused the slot's token",
    "registration": "retake.tv registration: this studio has no agent yet",
}
PLACEHOLDERS = {
    "tweet_url": "https://x.com/<user>/status/<digits>",
    "tx_hash": "0x + 64 hex digits",
    "wallet": "0x + 40 hex digits",
    "open_session": "resume or stop",
    "clawcast_rebook": "yes (book again) or no",
}


def dom_id(key: str) -> str:
    """A step's key as a widget id (letters, digits, ``_`` and ``-`` only)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", key)


class StepPrompt(Vertical):
    BINDINGS = [
        Binding("ctrl+y", "copy", "Copy text", id="operator.copy",
                tooltip="Copy the text to post (also through the terminal's clipboard)."),
        Binding("ctrl+g", "retry", "Retry now", id="operator.retry",
                tooltip="baseFM's cooldown: try to start the baseFM session now."),
    ]  # fmt: skip

    def __init__(self, step: OperatorNeeded) -> None:
        super().__init__(classes="step", id=f"step-{dom_id(step.key)}")
        self.step = step

    @property
    def console(self) -> ConsoleApp:
        return self.app  # type: ignore[return-value]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Retry now only for baseFM's cooldown (the Footer shows it only there)."""
        if action == "retry":
            return self.step.need == "cooldown"  # False: not in the Footer at all
        return True

    @property
    def copy_text(self) -> str | None:
        message = self.step.data.get("verification_message")
        return str(message) if message else None

    def compose(self) -> ComposeResult:
        step = self.step
        yield Label(TITLES.get(step.need, f"{step.platform}: {step.need}"), classes="step-title")
        yield Static(self._details(), classes="step-details")
        if self.copy_text:
            yield Static(Text(self.copy_text, style="bold"), classes="copy-text", id="copy-text")
        if step.need == "registration":
            from studio.console.panes.operator.registration_form import RegistrationForm

            yield RegistrationForm(step.id or step.need)
        elif step.need == "cooldown":
            with Horizontal(classes="step-answer"):
                # focused like an answer box, so Ctrl+G and Enter work at once
                yield Button("Retry now", id="retry", variant="primary", classes="answer")
                yield Button("Give up baseFM", id="give-up", variant="error")
        else:
            with Horizontal(classes="step-answer"):
                yield Input(placeholder=PLACEHOLDERS.get(step.need, "answer"), classes="answer")
                if self.copy_text:
                    yield Button("Copy", id="copy", variant="default")
                yield Button("Send", id="send", variant="primary", disabled=True)
            yield Label("", classes="answer-problem hidden")

    def on_mount(self) -> None:
        self.console.unblink(self)

    def _details(self) -> Text:
        step, data = self.step, self.step.data
        if step.need == "tx_hash":
            fee = data.get("fee")
            return Text.assemble(
                ("Fee: ", "bold"), f"${fee:g} USDC on Base" if isinstance(fee, int | float) else "the session fee",
                ("\nFrom wallet: ", "bold"), str(data.get("wallet") or "—"),
            )  # fmt: skip
        if step.need == "wallet":
            return Text.assemble(("Expected wallet: ", "bold"), str(data.get("expected") or "—"),
                                 "\n", step.prompt)  # fmt: skip
        if step.need == "cooldown":
            return Text.assemble(("Retried by itself in ", "bold"),
                                 (clock(self.cooldown_left()), "bold"),
                                 " · the other platforms stay live\n", step.prompt)  # fmt: skip
        if step.need == "tweet_url":
            return Text("Post this exact message in a tweet from your human's account:")
        if step.need == "registration":
            return Text("Register the agent once; its credentials are saved (0600) and the "
                        "next step is the verification tweet.")  # fmt: skip
        return Text(step.prompt)

    def cooldown_left(self) -> float | None:
        data = self.step.data
        if data.get("until") is not None:
            return float(data["until"]) - self.console.config.now()
        if data.get("retry_after") is not None:
            return self.step.at + float(data["retry_after"]) - self.console.config.now()
        return None

    def tick(self) -> None:
        if self.step.need == "cooldown":
            self.query_one(".step-details", Static).update(self._details())

    @on(Input.Changed, ".answer")
    def _check(self, event: Input.Changed) -> None:
        problem = _problem(self.step.need, event.value) if event.value else None
        label = self.query_one(".answer-problem", Label)
        label.update(problem or "")
        label.set_class(not problem, "hidden")
        event.input.set_class(problem is not None, "-invalid")
        self.query_one("#send", Button).disabled = problem is not None or not event.value.strip()

    @on(Input.Submitted, ".answer")
    @on(Button.Pressed, "#send")
    def _send(self) -> None:
        value = self.query_one(".answer", Input).value
        problem = _problem(self.step.need, value)
        if problem:
            self.notify(problem, title="Not sent", severity="warning")
            return
        # the service knows the step by its id, or (older services) by its need
        need = self.step.id or self.step.need
        self.post_message(SendCommand(Command("answer", {"need": need, "value": value.strip()})))

    @on(Button.Pressed, "#retry")
    def action_retry(self) -> None:
        if self.step.need == "cooldown":
            self._choose("retry")

    @on(Button.Pressed, "#give-up")
    def action_give_up(self) -> None:
        if self.step.need == "cooldown":
            self._choose("give up")

    def _choose(self, choice: str) -> None:
        need = self.step.id or self.step.need
        self.post_message(SendCommand(Command("answer", {"need": need, "value": choice})))

    @on(Button.Pressed, "#copy")
    def action_copy(self) -> None:
        if self.copy_text:
            self.app.copy_to_clipboard(self.copy_text)
            self.notify("Copied. Post it as a tweet, then paste the tweet's link here.")


def _problem(need: str, value: str) -> str | None:
    """What is wrong with ``value`` as the answer to ``need`` (the rules, with their
    validation models, are loaded when a step is first answered, not at the console's
    start: benchmark row 9)."""
    from studio.console.field_check import check_answer

    return check_answer(need, value)
