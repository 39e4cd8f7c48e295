"""Events of the go-live sequence, one JSON line each in ``studio golive --headless``.

Legs and feeds publish these and nothing else: the kiosk (``kiosk_feed``), the
journal (``journal_feed``), the control API and the console are listeners on the bus.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from studio.events import Event


class StepChanged(Event):
    """A leg entered a step of its state machine (``state`` is ``started``, ``done`` or ``failed``)."""

    kind: ClassVar[str] = "golive.step"
    platform: str
    step: str
    state: str = "started"
    detail: str | None = None


class _Step:
    """What the three operator events share: ``key`` names the step, by its id, or by
    its platform and need for a step without one."""

    platform: str
    need: str
    id: str | None

    @property
    def key(self) -> str:
        return self.id or f"{self.platform}-{self.need}"


class OperatorNeeded(_Step, Event):
    """The sequence waits for a human: ``need`` names what (``tweet_url``, ``tx_hash``).

    ``id`` names this step in the control API's ``answer`` command; a step asked again
    after a wrong answer keeps its id."""

    kind: ClassVar[str] = "operator.needed"
    platform: str
    need: str
    prompt: str
    data: dict[str, Any] = {}
    id: str | None = None


class OperatorAnswered(_Step, Event):
    kind: ClassVar[str] = "operator.answered"
    platform: str
    need: str
    id: str | None = None


class OperatorWithdrawn(_Step, Event):
    """A step nobody needs to answer any more (the broadcast stopped meanwhile)."""

    kind: ClassVar[str] = "operator.withdrawn"
    platform: str
    need: str
    id: str
    reason: str = ""


class Notice(Event):
    """Something the operator should read: the builder notification, a warning, a tip."""

    kind: ClassVar[str] = "golive.notice"
    platform: str
    level: str = "info"
    text: str


class PlatformLive(Event):
    """A platform sees the stream live. ``chat`` says its chat feed runs (viewers'
    chat goes on air beside the terminal); ``name`` and ``token_ticker`` feed the ticker."""

    kind: ClassVar[str] = "golive.live"
    platform: str
    url: str | None = None
    viewers: int | None = None
    name: str | None = None
    uptime_seconds: float | None = None
    token_ticker: str | None = None
    chat: bool = False


class Viewers(Event):
    """A platform's audience now; ``market_cap`` is the agent's token's, where it has one."""

    kind: ClassVar[str] = "golive.viewers"
    platform: str
    viewers: int
    uptime_seconds: int | None = None
    live: bool | None = None
    market_cap: float | None = None


class StreamHealth(Event):
    """A platform's own word on the stream's health (baseFM's ``streamHealth``)."""

    kind: ClassVar[str] = "golive.health"
    platform: str
    health: str | None = None


class ChatLine(Event):
    """One viewer's (or the streamer's own) chat line, cleaned, once however it arrived.

    ``first_time`` marks a viewer's first line of the session; ``id`` is the
    platform's id of the line when it has one."""

    kind: ClassVar[str] = "chat.line"
    platform: str
    author: str
    text: str
    first_time: bool = False
    id: str | None = None


class AudienceAlert(Event):
    """A tip, a trade of the agent's token or a new follower, once however it arrived.

    ``amount`` is already formatted for people (``5.00``, ``$25.00``); ``data`` is
    what the platform sent, for the transcript."""

    kind: ClassVar[str] = "chat.alert"
    platform: str
    alert: Literal["tip", "trade", "follow"]
    who: str
    amount: str | None = None
    detail: str | None = None
    text: str | None = None
    id: str | None = None
    data: dict[str, Any] = {}


class SlidesOnAir(Event):
    """A ClawCast playlist goes on air (the booked slides, or slides the operator pushed)."""

    kind: ClassVar[str] = "slides.on_air"
    platform: str
    slides: list[dict[str, Any]]
    loop: bool = False


class ClawcastSlotHeld(Event):
    """This studio holds a ClawCast slot: the name it plays under and when (epoch
    seconds), so the queue can mark it and count down to it."""

    kind: ClassVar[str] = "clawcast.slot"
    platform: str = "clawcast"
    streamer_name: str
    position_in_queue: int = 0
    starts_at: float | None = None
    ends_at: float | None = None


class PollResultsChanged(Event):
    """The live vote counts of the poll on air, one per option."""

    kind: ClassVar[str] = "poll.results"
    platform: str
    results: list[int]


class DuetTurn(Event):
    """One turn of a ClawCast duet this studio took part in: the host's question, the
    guest's answer, the host's reply (as sent through the API; ClawCast shows them on air
    when the duet's slot plays)."""

    kind: ClassVar[str] = "clawcast.duet_turn"
    platform: str = "clawcast"
    role: Literal["host", "guest"]
    name: str
    text: str
    request_id: str | None = None


class KioskScene(Event):
    """The operator switched what viewers see (``terminal``, ``slides``, ``chat``, ``filler``)."""

    kind: ClassVar[str] = "kiosk.scene"
    scene: Literal["terminal", "slides", "chat", "filler"]


class KioskBanner(Event):
    """A message across the bottom of the picture; an empty text takes it down."""

    kind: ClassVar[str] = "kiosk.banner"
    text: str
    seconds: float | None = None


class ThumbnailUploaded(Event):
    kind: ClassVar[str] = "golive.thumbnail"
    platform: str
    bytes: int
    url: str | None = None
    kept: str | None = None
    """Where the studio kept the uploaded picture (the session's thumbnails folder)."""


class ChatSent(Event):
    """The studio sent a chat message; ``to`` is another agent's room (None: our own)."""

    kind: ClassVar[str] = "golive.chat_sent"
    platform: str
    text: str
    to: str | None = None


class PlatformStopped(Event):
    kind: ClassVar[str] = "golive.stopped"
    platform: str
    stats: dict[str, Any] = {}


class PlatformOffAir(Event):
    """A leg went off air on the platform's own word (a ClawCast slot is over) while
    the broadcast goes on; ``golive.live`` follows if it comes back (another slot)."""

    kind: ClassVar[str] = "golive.off_air"
    platform: str
    reason: str


class SessionStarted(Event):
    kind: ClassVar[str] = "golive.session"
    session_id: int
    platforms: list[str]


class SessionEnded(Event):
    kind: ClassVar[str] = "golive.ended"
    session_id: int | None
    ok: bool
    reason: str
    summary: dict[str, Any] = {}
    failed: dict[str, str] = {}
    """The legs that failed and were dropped while the others went on: platform → why."""


class LegDropped(Event):
    """One leg could not go on and ended alone; the others stay on air.

    ``stage`` is where it failed (``prepare``, ``confirm_live``, ``on_air``)."""

    kind: ClassVar[str] = "golive.leg_dropped"
    platform: str
    stage: str
    error: str
    fix: str | None = None
    remaining: list[str] = []


class Failed(Event):
    kind: ClassVar[str] = "golive.failed"
    platform: str
    error: str
    fix: str | None = None


class BuilderNotification(Event):
    """A message for the human builder (the streamer playbook): the console shows it and
    the operator's notify command receives ``text`` on its standard input.

    ``reason`` says why: ``live`` (every platform's link, stream ideas, a share prompt),
    ``heartbeat`` (every 4 hours or more: technical issues, large tips, unusual
    activity, milestones), ``low_viewers`` (a reminder with the link) or
    ``shutdown_warning`` (a crisis: ``urgent``)."""

    kind: ClassVar[str] = "builder.notify"
    reason: Literal["live", "heartbeat", "low_viewers", "shutdown_warning"]
    text: str
    urgent: bool = False
    links: list[str] = []


class ChatQuiet(Event):
    """Chat has been quiet for ``quiet_seconds``: the agent should talk (no dead air).

    ``line`` is the operator's rotation line the studio sent to chat, if it sent one."""

    kind: ClassVar[str] = "chat.quiet"
    platform: str
    quiet_seconds: float
    prompt: str
    line: str | None = None


class StateChanged(Event):
    """The go-live sequence moved to ``state`` (preparing, broadcasting, confirming,
    live, stopping, ended)."""

    kind: ClassVar[str] = "golive.state"
    state: str
