"""Times in platform replies, whatever way they are written: ISO 8601 (``…Z`` or an
offset), epoch seconds or epoch milliseconds, as numbers or as text. The documents do
not fix one format, so every client reads them all the same way."""

from __future__ import annotations

from datetime import datetime
from typing import Any


def epoch_seconds(value: Any) -> float | None:
    """``value`` as epoch seconds; ``None`` for no value. Raises ``ValueError`` for a
    value that is not a time (a boolean, text that parses as nothing, no time zone)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValueError("must be a time, not a boolean")
    if isinstance(value, (int, float)):
        return float(value) / 1000.0 if value > 1e11 else float(value)
    if isinstance(value, str):
        text = value.strip()
        try:
            return epoch_seconds(float(text))
        except ValueError:
            pass
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            raise ValueError("a time without a time zone is ambiguous")
        return moment.timestamp()
    raise ValueError("must be an ISO 8601 time or epoch seconds")


def epoch_or_none(value: Any) -> float | None:
    """Like ``epoch_seconds``, but ``None`` where the value is not a time."""
    try:
        return epoch_seconds(value)
    except (ValueError, OverflowError):
        return None
