"""App-wide messages of the console."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from studio.console.client import Command, Response


@dataclass
class SendCommand(Message):
    """A pane asks the app to send a command to the service."""

    command: Command
    success: str = ""
    """What to notify when it worked (the service's comment when empty)."""


@dataclass
class CommandAnswered(Message):
    command: Command
    response: Response
