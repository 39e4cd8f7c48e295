"""App-wide messages of the kiosk."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from textual.message import Message


@dataclass
class KioskCommand(Message):
    """A validated command from the control channel (``studio.onair.protocol``)."""

    command: Any


@dataclass
class SceneChanged(Message):
    scene: str
    automatic: bool
