"""App-wide messages of the kiosk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class KioskCommands(Message):
    """Validated commands from the control channel (``studio.onair.protocol``): what
    arrived together, in the order it was sent."""

    commands: list[Any]


@dataclass
class SceneChanged(Message):
    scene: str
    automatic: bool
