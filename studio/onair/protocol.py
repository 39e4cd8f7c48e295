"""The on-air control channel: what the studio may tell the kiosk.

Commands travel as JSON lines over a Unix socket; the kiosk answers each line with
one ``Reply`` line, in order. A sender may write many lines before it reads the replies
(``KioskLink`` writes what it has queued at once); the kiosk reads what has arrived as
one batch, applies it in order and answers every line of it. No command carries a
credential: secrets the kiosk must mask are sent only as salted fingerprints (see
``studio.onair.fingerprints``).
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Annotated, Any, Literal

import platformdirs
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from studio.errors import Problem, ValidationFailed
from studio.validation import problems_from
from studio.validation.clawcast import Slides

SCENES = ("terminal", "slides", "chat", "filler")
Scene = Literal["terminal", "slides", "chat", "filler"]
MAX_LINE_BYTES = 256 * 1024
"""The longest command line, without its newline."""


class _Command(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SwitchScene(_Command):
    cmd: Literal["scene"] = "scene"
    scene: Scene


class PushSlides(_Command):
    """A ClawCast playlist (one slide is a playlist of one), validated like a booking."""

    cmd: Literal["slides"] = "slides"
    slides: Slides
    loop: bool = False
    show: bool = True


class PollResults(_Command):
    """Vote counts matching the options of the poll on air (``GET /api/pollResults``)."""

    cmd: Literal["poll_results"] = "poll_results"
    results: list[Annotated[int, Field(ge=0)]] = Field(max_length=6)


class ShowMessage(_Command):
    """A banner across the bottom of the picture; an empty text takes it down."""

    cmd: Literal["message"] = "message"
    text: str = Field(max_length=500)
    seconds: Annotated[float, Field(gt=0, le=3600)] | None = None


class Caption(_Command):
    """What the studio's voice is saying now; an empty text takes the caption down."""

    cmd: Literal["caption"] = "caption"
    text: str = Field(max_length=500)


class ChatMessage(_Command):
    cmd: Literal["chat"] = "chat"
    author: str = Field(min_length=1, max_length=80)
    text: str = Field(max_length=2000)
    first_time: bool = False


class Alert(_Command):
    """A tip, a trade of the agent's token, or a new follower."""

    cmd: Literal["alert"] = "alert"
    kind: Literal["tip", "trade", "follow"]
    who: str = Field(min_length=1, max_length=80)
    amount: str | None = Field(default=None, max_length=40)
    detail: str | None = Field(default=None, max_length=200)


class TickerUpdate(_Command):
    """Fields left out keep their last value."""

    cmd: Literal["ticker"] = "ticker"
    live: bool | None = None
    name: str | None = Field(default=None, max_length=60)
    viewers: Annotated[int, Field(ge=0)] | None = None
    uptime_started_at: float | None = None
    uptime_seconds: Annotated[float, Field(ge=0)] | None = None
    token_ticker: str | None = Field(default=None, max_length=20)
    market_cap: Annotated[float, Field(ge=0)] | None = None


class Fingerprint(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    length: Annotated[int, Field(ge=6, le=4096)]
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class SecretFingerprints(_Command):
    """Salted hashes of secrets to mask on air; the secrets themselves never travel."""

    cmd: Literal["fingerprints"] = "fingerprints"
    salt: Annotated[str, Field(pattern=r"^[0-9a-f]{16,128}$")]
    items: list[Fingerprint] = Field(max_length=256)


class Quit(_Command):
    cmd: Literal["quit"] = "quit"


class ScreenRequest(_Command):
    """Asks for the picture on air as plain text (cleaned, secrets masked); the reply
    carries it in ``screen``. ClawCast's terminal frames mirror it."""

    cmd: Literal["screen"] = "screen"


Command = Annotated[
    SwitchScene
    | PushSlides
    | PollResults
    | ShowMessage
    | Caption
    | ChatMessage
    | Alert
    | TickerUpdate
    | SecretFingerprints
    | Quit
    | ScreenRequest,
    Field(discriminator="cmd"),
]


class Reply(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    ok: bool
    error: str | None = None
    screen: str | None = None


_COMMAND: TypeAdapter[Any] = TypeAdapter(Command)
_TAGS = {
    "scene",
    "slides",
    "poll_results",
    "message",
    "caption",
    "chat",
    "alert",
    "ticker",
    "fingerprints",
    "quit",
    "screen",
}


def encode(command: BaseModel) -> bytes:
    return command.model_dump_json(exclude_none=True).encode() + b"\n"


OK = encode(Reply(ok=True))
"""The reply to a command that was taken, as it travels."""


def decode(line: bytes | str) -> Any:
    """One command from one JSON line; raises ``ValidationFailed`` naming the rule broken.

    Parsed and validated in one step by pydantic-core (about twice as fast as
    ``json.loads`` and then validating; the kiosk decodes every chat line)."""
    try:
        return _COMMAND.validate_json(line)
    except ValidationError as exc:
        first = exc.errors()[0]
        if first["type"] == "json_invalid":
            raise ValueError(f"not a JSON line: {first['ctx']['error']}") from None
        problems = [_untagged(p) for p in problems_from(exc)]
        raise ValidationFailed(problems, what="kiosk command") from None


def _untagged(problem: Problem) -> Problem:
    """Drop the ``cmd`` tag pydantic puts first in the error path (``scene.scene``)."""
    tag, _, rest = problem.field.partition(".")
    if tag in _TAGS and rest:
        return Problem(rest, problem.rule)
    if problem.field in _TAGS or problem.field == "(body)":
        return Problem("cmd" if "tag" in problem.rule else problem.field, problem.rule)
    return problem


class CommandLines:
    """Complete lines from the bytes of a stream as they arrive; a partial line waits
    for its end. Once a line (or an unfinished one) is longer than ``limit``,
    ``too_long`` is set and only the lines before it are returned: the stream has broken
    the protocol and nothing after that point can be read as a line."""

    def __init__(self, limit: int = MAX_LINE_BYTES) -> None:
        self.limit = limit
        self.too_long = False
        self._partial = b""

    def feed(self, chunk: bytes) -> list[bytes]:
        """The lines that ``chunk`` completes, each without its newline."""
        if self.too_long:
            return []
        *lines, self._partial = (self._partial + chunk).split(b"\n")
        for n, line in enumerate(lines):
            if len(line) > self.limit:
                self.too_long = True
                return lines[:n]
        self.too_long = len(self._partial) > self.limit
        return lines

    def rest(self) -> list[bytes]:
        """At the end of the stream: a last line that never got its newline."""
        partial, self._partial = self._partial, b""
        return [partial] if partial and not self.too_long else []


def default_socket_path(env: dict[str, str] | None = None) -> Path:
    """``$STUDIO_KIOSK_SOCKET``, or ``kiosk.sock`` in the user's runtime directory."""
    env = dict(os.environ) if env is None else env
    if env.get("STUDIO_KIOSK_SOCKET"):
        return Path(env["STUDIO_KIOSK_SOCKET"])
    with warnings.catch_warnings():
        # Without XDG_RUNTIME_DIR platformdirs falls back to /tmp/runtime-<uid> and says so.
        warnings.simplefilter("ignore")
        runtime = platformdirs.user_runtime_dir("studio", appauthor=False)
    return Path(runtime) / "kiosk.sock"
