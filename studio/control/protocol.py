"""The control API's wire format: JSON lines over a Unix socket.

A running broadcast (``studio golive``) listens on ``control.sock`` (0600) in the
studio's state folder. The console, ``studio golive`` in the foreground, ``--headless``
and every CLI verb are clients. Modelled on obs-websocket (identify, then requests
with ids answered by responses with a status code and a comment) and on Kubernetes
list-then-watch (the whole state with a sequence number, then every event after it,
so nothing falls in the gap).

Client to server, one JSON object a line::

    {"op": "hello", "protocol": 1, "client": "console", "events": ["chat.*", "golive.*"]}
    {"op": "request", "id": "7", "command": "chat.send", "args": {"text": "hi"}}
    {"op": "resync"}

``events`` are the event kinds wanted: exact kinds (``golive.live``), prefixes
(``chat.*``) or ``*`` for all (the default); ``[]`` for none (a CLI verb that only
sends requests). Requests are refused until the hello.

Server to client::

    {"op": "welcome", "protocol": 1, "seq": 41, "snapshot": {...}, "commands": [...]}
    {"op": "event", "seq": 42, "event": {"event": "chat.line", "platform": "retake", ...}}
    {"op": "response", "id": "7", "ok": true, "code": 200, "comment": "sent", "data": {...}}
    {"op": "resync", "dropped": 120, "seq": 300, "snapshot": {...}}
    {"op": "bye", "reason": "the broadcast ended: ..."}

* ``welcome`` carries the whole state (see ``studio.control.state``) as of event
  ``seq``; every event after it follows, numbered, in order.
* ``event.event`` is exactly what ``studio golive --headless`` prints for that event.
* A client that falls ``max_queue`` events behind (it stopped reading) loses those
  events; when it reads again it gets ``resync``: how many it missed and a fresh
  snapshot as of ``seq``, then the events after it. The broadcast never waits for it.
  A client that reads but cannot keep up with its own consumer (a blocked terminal)
  sends ``resync`` itself: the server forgets what it queued for it and answers with
  a ``resync``, so a client holds a bounded backlog too.
* ``response.code``: 200 done, 202 accepted (it happens in the background: stop),
  400 bad request (``problems`` names each field and the rule broken; nothing was
  sent), 404 unknown command or operator step, 409 not possible now (the platform is
  not part of this broadcast, or not live), 502 the platform refused (``comment`` says
  why and what to do), 500 the studio failed.
* Every line passes the redaction layer before it leaves: no secret is ever sent.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from studio.errors import Problem, ValidationFailed
from studio.redaction import redact
from studio.validation import problems_from

PROTOCOL_VERSION = 1
MAX_LINE_BYTES = 1024 * 1024
"""The longest line either side accepts (a playlist of ten slides fits easily)."""

_PATTERN = re.compile(r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$")


def _pattern(value: str) -> str:
    if not _PATTERN.match(value):
        raise ValueError("must be an event kind (golive.live), a prefix ending in .* (chat.*) or *")
    return value


EventPattern = Annotated[str, Field(max_length=80), AfterValidator(_pattern)]


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Hello(_Message):
    op: Literal["hello"]
    protocol: Annotated[int, Field(ge=1)]
    client: Annotated[str, Field(max_length=80)] = "client"
    events: list[EventPattern] = Field(default_factory=lambda: ["*"], max_length=64)

    def wants(self, kind: str) -> bool:
        return any(_matches(p, kind) for p in self.events)


def _matches(pattern: str, kind: str) -> bool:
    if pattern == "*":
        return True
    if pattern.endswith(".*"):
        return kind.startswith(pattern[:-1])
    return kind == pattern


RequestId = Annotated[str, Field(min_length=1, max_length=64)] | int


class Request(_Message):
    op: Literal["request"]
    id: RequestId
    command: Annotated[str, Field(min_length=1, max_length=64)]
    args: dict[str, Any] = Field(default_factory=dict)


class Resync(_Message):
    """The client dropped its backlog: send a fresh snapshot, then the events after it."""

    op: Literal["resync"]


ClientMessage = Annotated[Hello | Request | Resync, Field(discriminator="op")]
_CLIENT: TypeAdapter[Hello | Request | Resync] = TypeAdapter(ClientMessage)


class Response(_Message):
    op: Literal["response"] = "response"
    id: RequestId | None
    ok: bool
    code: int
    comment: str = ""
    data: Any = None
    problems: list[dict[str, str]] = []


def decode_client(line: bytes | str) -> Hello | Request | Resync:
    """One client message; raises ``ValidationFailed`` naming the field and the rule."""
    try:
        data = json.loads(line)
    except (ValueError, UnicodeDecodeError) as exc:
        problem = Problem("(line)", f"is not JSON ({exc})")
        raise ValidationFailed([problem], what="message") from None
    if isinstance(data, dict) and data.get("op") not in ("hello", "request", "resync"):
        raise ValidationFailed([Problem("op", "must be hello, request or resync")], what="message")
    try:
        return _CLIENT.validate_python(data)
    except ValidationError as exc:
        problems = [_untagged(p) for p in problems_from(exc)]
        raise ValidationFailed(problems, what="message") from None


def _untagged(problem: Problem) -> Problem:
    tag, _, rest = problem.field.partition(".")
    return (
        Problem(rest, problem.rule) if tag in ("hello", "request", "resync") and rest else problem
    )


def encode(message: dict[str, Any]) -> bytes:
    """One line, redacted: nothing secret ever leaves the studio."""
    text = json.dumps(message, separators=(",", ":"), ensure_ascii=False, default=str)
    return redact(text).encode() + b"\n"


def problems_payload(problems: list[Problem]) -> list[dict[str, str]]:
    return [{"field": p.field, "rule": p.rule} for p in problems]
