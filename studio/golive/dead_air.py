"""No dead air in chat: when chat has been quiet for ``quiet_after`` seconds, the agent
is told with a ``ChatQuiet`` event (it does the talking; in ``--headless`` mode the
event is one of its JSON lines), and, if the operator gave a rotation of lines, the
next one is sent to chat, at most one every ``min_gap`` seconds.

Chat counts as active on any chat line (a viewer's or the agent's own) and on anything
the studio sends (``golive.chat_sent``). Rotation lines are validated with the chat
rules when they are loaded, so a bad file is refused before going live.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.errors import Problem, StudioError, ValidationFailed
from studio.events import Event
from studio.golive.events import ChatLine, ChatQuiet, ChatSent, Notice, StateChanged
from studio.golive.leg import LegContext
from studio.golive.tick_loop import TickLoop
from studio.validation import check
from studio.validation.retake import ChatSendRequest

log = logging.getLogger(__name__)

MIN_QUIET = 10.0
MIN_GAP = 60.0
MAX_LINES = 1000
PROMPT = (
    "Chat has been quiet for {seconds:.0f} s. Never let dead air linger: talk to the "
    "stream, narrate what you are doing, ask chat a direct question, or start something."
)

SendChat = Callable[[str], Awaitable[Any]]


@dataclass(frozen=True)
class DeadAirSettings:
    quiet_after: float = 120.0
    lines: tuple[str, ...] = ()
    min_gap: float = 300.0
    """Bounded rate: at most one rotation line this often (never less than a minute)."""
    tick: float = 5.0

    def __post_init__(self) -> None:
        if self.quiet_after < MIN_QUIET:
            raise ValueError(f"quiet_after must be at least {MIN_QUIET:g} seconds")
        if self.min_gap < max(MIN_GAP, self.quiet_after):
            raise ValueError(
                f"min_gap must be at least {MIN_GAP:g} seconds and at least quiet_after"
            )


def load_rotation(path: Path) -> tuple[str, ...]:
    """The operator's lines: one per line, blank lines and ``#`` comments skipped, each
    checked with the chat rules; every bad line is named by its number."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise StudioError(
            f"the dead-air lines file {path} cannot be read ({type(exc).__name__})",
            fix="Give a UTF-8 text file with one chat line per line.",
        ) from None
    lines: list[str] = []
    problems: list[Problem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        try:
            check(ChatSendRequest, {"message": line, "destination_user_id": "x"})
        except ValidationFailed as exc:
            problems += [Problem(f"{path.name}:{number}", p.rule) for p in exc.problems]
            continue
        lines.append(line)
    if len(lines) > MAX_LINES:
        problems.append(Problem(path.name, f"must hold at most {MAX_LINES} lines"))
    if not lines and not problems:
        problems.append(Problem(path.name, "holds no line to send"))
    if problems:
        raise ValidationFailed(problems, what="dead-air lines")
    return tuple(lines)


class DeadAirWatch:
    """A bus listener with its own clock loop, started when the broadcast goes live."""

    def __init__(
        self,
        ctx: LegContext,
        settings: DeadAirSettings | None = None,
        *,
        send: SendChat | None = None,
        platform: str = "retake",
    ) -> None:
        self.ctx = ctx
        self.settings = settings or DeadAirSettings()
        self.send = send
        self.platform = platform
        self.last_activity: float | None = None
        self.last_told: float | None = None
        self.last_line: float | None = None
        self.next_line = 0
        self.lines_sent = 0
        self._loop = TickLoop("dead-air", self.tick, self.settings.tick, ctx.sleep)

    def __call__(self, event: Event) -> None:
        if isinstance(event, StateChanged):
            if event.state == "live":
                self.last_activity = self.ctx.clock()
                self.start()
            elif event.state in ("stopping", "ended"):
                self.stop()
        elif isinstance(event, (ChatLine, ChatSent)):
            self.last_activity = self.ctx.clock()

    async def tick(self) -> ChatQuiet | None:
        """Tell the agent (and send a rotation line) if chat is quiet now."""
        if self.last_activity is None:
            return None
        now, s = self.ctx.clock(), self.settings
        quiet_since = max(self.last_activity, self.last_told or self.last_activity)
        if now - quiet_since < s.quiet_after:
            return None
        quiet = now - self.last_activity
        self.last_told = now
        line = await self._rotation_line(now)
        event = ChatQuiet(
            platform=self.platform,
            quiet_seconds=round(quiet, 1),
            prompt=PROMPT.format(seconds=quiet),
            line=line,
        )
        self.ctx.publish(event)
        return event

    async def _rotation_line(self, now: float) -> str | None:
        s = self.settings
        if not s.lines or self.send is None:
            return None
        if self.last_line is not None and now - self.last_line < s.min_gap:
            return None
        line = s.lines[self.next_line % len(s.lines)]
        self.last_line = now
        try:
            await self.send(line)
        except StudioError as exc:
            self.ctx.publish(
                Notice(
                    platform=self.platform,
                    level="warning",
                    text=f"the dead-air line was not sent: {exc.message}",
                )
            )
            return None
        self.next_line += 1
        self.lines_sent += 1
        self.ctx.publish(ChatSent(platform=self.platform, text=line))
        return line

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop()

    async def aclose(self) -> None:
        await self._loop.aclose()
