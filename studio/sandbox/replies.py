"""What the three platform sandboxes share when they answer: refusals, JSON bodies
and timestamps as the platforms write them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request


class Refused(Exception):
    """An error reply: its status and its message, or a whole JSON body."""

    def __init__(self, status: int, message: str | dict[str, Any]) -> None:
        self.status = status
        self.body: dict[str, Any] = message if isinstance(message, dict) else {"error": message}
        self.message = str(self.body.get("error", ""))
        super().__init__(self.message)


async def json_body(request: Request, invalid: str | dict[str, Any]) -> Any:
    """The request's JSON body (``{}`` when empty); ``Refused(400, invalid)`` when not JSON."""
    raw = await request.body()
    if not raw:
        return {}
    try:
        return json.loads(raw)
    except ValueError:
        raise Refused(400, invalid) from None


def iso(t: float) -> str:
    """Epoch seconds as JavaScript's ``toISOString`` writes them."""
    text = datetime.fromtimestamp(t, tz=UTC).isoformat(timespec="milliseconds")
    return text.replace("+00:00", "Z")
