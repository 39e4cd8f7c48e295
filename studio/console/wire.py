"""Core events to and from their JSON form (``{"event": kind, ...}``), as the control
API and ``studio golive --headless`` carry them."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

import studio.broadcast.events
import studio.golive.events
import studio.golive.sequence
import studio.platforms.retake_live  # noqa: F401  (registers their event classes)
from studio.events import Event


def _all_kinds() -> dict[str, type[Event]]:
    kinds: dict[str, type[Event]] = {}
    stack: list[type[Event]] = [Event]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls is not Event:
            kinds.setdefault(cls.kind, cls)
    return kinds


def decode_event(raw: Any) -> Event | None:
    """The typed event for one JSON object, or None for a kind this build does not know
    (a newer service) or a body that does not fit it."""
    if isinstance(raw, Event):
        return raw
    if not isinstance(raw, dict) or not isinstance(raw.get("event"), str):
        return None
    cls = _all_kinds().get(raw["event"])
    if cls is None:
        return None
    body = {k: v for k, v in raw.items() if k != "event"}
    try:
        return cls.model_validate(body)
    except ValidationError:
        return None
