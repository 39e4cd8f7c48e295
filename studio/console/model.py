"""The console's picture of the broadcast, folded from the core's typed events.

No Textual here: the console panes read it, and the CLI or a test can use it alone.
``ConsoleModel.apply`` takes one event and returns the topics it changed (``chat``,
``encoder``, ``destinations``, ``viewers``, ``legs``, ``operator``, ``notices``,
``pipeline``, ``queue``) so a pane redraws only when its topic moved.

Clocks are injected (``now``) so countdowns are testable and snapshots are frozen.
"""

from __future__ import annotations

import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from studio.broadcast.events import (
    DestinationStateChanged,
    EncoderStats,
    PipelineRecovered,
    PipelineStateChanged,
    ProcessExited,
    RecoveryScheduled,
)
from studio.events import Event
from studio.golive.events import (
    ChatSent,
    Failed,
    Notice,
    OperatorAnswered,
    OperatorNeeded,
    PlatformLive,
    PlatformStopped,
    SessionEnded,
    SessionStarted,
    StepChanged,
    Viewers,
)
from studio.platforms.retake_live import (
    RetakeChat,
    RetakeFeedState,
    RetakeFollow,
    RetakePinned,
    RetakeTip,
    RetakeTrade,
)

Topic = Literal[
    "chat", "encoder", "destinations", "viewers", "legs", "operator", "notices", "pipeline",
    "queue",
]  # fmt: skip
LineKind = Literal["chat", "tip", "trade", "follow", "pin", "activity", "sent"]

CHAT_SCROLLBACK = 2000
"""Lines kept in memory; the journal keeps the whole transcript."""
VIEWER_SAMPLES = 720
NOTICES_KEPT = 200
DROP_WARN, DROP_BAD = 1.0, 5.0
"""Dropped-frame percentages at which the figure turns yellow, then red (OBS's stats)."""
SAME_MONEY_WINDOW = 30.0
STALE_STATS_SECONDS = 5.0
"""A destination whose encoder has sent nothing for this long is not shown as Live."""


@dataclass(frozen=True)
class ChatLine:
    at: float
    platform: str
    kind: LineKind
    author: str
    text: str = ""
    first_time: bool = False
    amount: str | None = None


@dataclass
class EncoderHealth:
    fps: float = 0.0
    speed: float | None = None
    bitrate_kbps: float | None = None
    frames: int = 0
    dropped: int = 0
    updated_at: float | None = None
    ended: bool = False

    @property
    def dropped_percent(self) -> float:
        return 100.0 * self.dropped / self.frames if self.frames else 0.0

    @property
    def dropped_level(self) -> Literal["ok", "warning", "error"]:
        pct = self.dropped_percent
        return "error" if pct > DROP_BAD else "warning" if pct > DROP_WARN else "ok"

    def dropped_text(self) -> str:
        """OBS's form: ``n / total (x%)``."""
        return f"{self.dropped:,} / {self.frames:,} ({self.dropped_percent:.1f}%)"


@dataclass
class DestinationHealth:
    name: str
    state: str = "connecting"
    reason: str = ""
    attempt: int = 0
    retry_at: float | None = None
    bitrate_kbps: float | None = None

    def shown(self, now: float, encoder: EncoderHealth) -> tuple[str, str]:
        """What the operator sees: (label, level). Live only while bits flow."""
        if self.state == "live":
            rate = self.bitrate_kbps if self.bitrate_kbps is not None else encoder.bitrate_kbps
            fresh = (
                encoder.updated_at is not None and now - encoder.updated_at < STALE_STATS_SECONDS
            )
            if rate and rate > 0 and fresh and not encoder.ended:
                return f"Live {rate:,.0f} kb/s", "success"
            return "Stalled 0 kb/s", "warning"
        if self.state in ("retrying", "failed") and self.retry_at is not None:
            left = max(0, round(self.retry_at - now))
            return f"Reconnecting in {left} s (attempt {self.attempt})", "warning"
        if self.state == "retrying":
            return f"Reconnecting (attempt {self.attempt})", "warning"
        if self.state == "connecting":
            return "Connecting", "warning"
        if self.state == "failed":
            return "Failed", "error"
        return "Inactive", "muted"


@dataclass
class Leg:
    platform: str
    step: str = ""
    step_state: str = ""
    live: bool = False
    url: str | None = None
    viewers: int | None = None
    stopped: bool = False
    error: str | None = None


@dataclass
class PendingStep:
    platform: str
    need: str
    prompt: str
    data: dict[str, Any]
    asked_at: float
    id: str | None = None
    """The service's id of the step, which the ``answer`` command names."""

    @property
    def key(self) -> str:
        return self.id or f"{self.platform}-{self.need}"


@dataclass(frozen=True)
class NoticeLine:
    at: float
    platform: str
    level: str
    text: str


@dataclass
class ConsoleModel:
    now: Callable[[], float] = time.time
    scrollback: int = CHAT_SCROLLBACK
    me: str | None = None
    """The streamer's own name: its lines are never marked as a first-time viewer's."""

    chat: deque[ChatLine] = field(init=False)
    chat_total: int = 0
    encoder: EncoderHealth = field(default_factory=EncoderHealth)
    destinations: dict[str, DestinationHealth] = field(default_factory=dict)
    legs: dict[str, Leg] = field(default_factory=dict)
    viewer_history: deque[tuple[float, int]] = field(
        default_factory=lambda: deque(maxlen=VIEWER_SAMPLES)
    )
    pending: dict[str, PendingStep] = field(default_factory=dict)
    notices: deque[NoticeLine] = field(default_factory=lambda: deque(maxlen=NOTICES_KEPT))
    notices_total: int = 0
    display: str | None = None
    grid: tuple[int, int] | None = None
    pipeline_state: str = "idle"
    session_id: int | None = None
    ended: SessionEnded | None = None
    feed_state: str | None = None
    queue: dict[str, Any] = field(default_factory=dict)
    poll_results: tuple[int, ...] = ()
    _seen_authors: set[str] = field(default_factory=set)
    _money: OrderedDict[tuple[str, ...], float] = field(default_factory=OrderedDict)

    def __post_init__(self) -> None:
        self.chat = deque(maxlen=self.scrollback)
        if self.me:
            self._seen_authors.add(self.me)

    # -- reading -----------------------------------------------------------------------

    @property
    def viewers_total(self) -> int:
        return sum(leg.viewers or 0 for leg in self.legs.values())

    @property
    def live(self) -> bool:
        return any(leg.live and not leg.stopped for leg in self.legs.values())

    def oldest_pending(self) -> PendingStep | None:
        return min(self.pending.values(), key=lambda p: p.asked_at, default=None)

    # -- folding -----------------------------------------------------------------------

    def apply_all(self, events: Iterable[Event]) -> set[Topic]:
        topics: set[Topic] = set()
        for event in events:
            topics |= self.apply(event)
        return topics

    def apply(self, event: Event) -> set[Topic]:  # noqa: C901 (one dispatch table)
        match event:
            case RetakeChat():
                return self._retake_chat(event)
            case RetakeTip():
                amount = _amount(event.amount)
                who = event.sender_username or "someone"
                return self._money_line("tip", who, amount, event.at, "")
            case RetakeTrade():
                who = str(event.data.get("username") or event.token_ticker or "a trader")
                return self._money_line(
                    "trade", who, _amount(event.usd_amount, "$"), event.at, event.action or ""
                )
            case RetakeFollow():
                self._add(ChatLine(event.at, "retake", "follow", event.username or "someone"))
                return {"chat"}
            case RetakePinned():
                text = str(event.data.get("text") or event.data.get("message") or "")
                who = str(event.data.get("sender_username") or event.data.get("username") or "")
                self._add(ChatLine(event.at, "retake", "pin", who or "pinned", text))
                return {"chat"}
            case RetakeFeedState():
                self.feed_state = event.state
                return {"legs"}
            case ChatSent():
                self._add(ChatLine(event.at, event.platform, "sent", self.me or "you", event.text))
                return {"chat"}
            case EncoderStats():
                return self._stats(event)
            case DestinationStateChanged():
                dest = self.destinations.setdefault(
                    event.destination, DestinationHealth(event.destination)
                )
                dest.state, dest.reason, dest.attempt = event.state, event.reason, event.attempt
                dest.retry_at = event.at + event.retry_in if event.retry_in is not None else None
                return {"destinations"}
            case PipelineStateChanged():
                self.pipeline_state = event.state
                self.display = event.display or self.display
                self.grid = event.grid or self.grid
                return {"pipeline"}
            case RecoveryScheduled():
                self._notice(event.at, "broadcast", "warning", f"Recovering from {event.reason}: "
                             f"attempt {event.attempt} in {event.delay:.0f} s")  # fmt: skip
                return {"notices", "pipeline"}
            case PipelineRecovered():
                self._notice(event.at, "broadcast", "info", f"Recovered from {event.reason}")
                return {"notices", "pipeline"}
            case ProcessExited():
                self._notice(event.at, "broadcast", "error",
                             f"{event.process} exited (code {event.returncode})")  # fmt: skip
                return {"notices"}
            case StepChanged():
                leg = self._leg(event.platform)
                leg.step, leg.step_state = event.step, event.state
                return {"legs"}
            case PlatformLive():
                leg = self._leg(event.platform)
                leg.live, leg.url, leg.stopped = True, event.url, False
                if event.viewers is not None:
                    leg.viewers = event.viewers
                return {"legs", "viewers"}
            case Viewers():
                self._leg(event.platform).viewers = event.viewers
                self.viewer_history.append((event.at, self.viewers_total))
                return {"viewers"}
            case PlatformStopped():
                leg = self._leg(event.platform)
                leg.live, leg.stopped = False, True
                return {"legs"}
            case Failed():
                leg = self._leg(event.platform)
                leg.error = event.error
                text = f"{event.error} {event.fix}" if event.fix else event.error
                self._notice(event.at, event.platform, "error", text)
                return {"legs", "notices"}
            case Notice():
                self._notice(event.at, event.platform, event.level, event.text)
                return {"notices"}
            case OperatorNeeded():
                step = PendingStep(
                    event.platform, event.need, event.prompt, dict(event.data), event.at,
                    getattr(event, "id", None),
                )  # fmt: skip
                self.pending[step.key] = step
                return {"operator"}
            case OperatorAnswered():
                self.pending.pop(_step_key(event), None)
                return {"operator"}
            case SessionStarted():
                self.session_id, self.ended = event.session_id, None
                for platform in event.platforms:
                    self._leg(platform)
                return {"legs"}
            case SessionEnded():
                self.ended = event
                self.pending.clear()
                for leg in self.legs.values():
                    leg.live = False
                return {"legs", "operator"}
        return set()

    def apply_snapshot(self, snapshot: Mapping[str, Any]) -> set[Topic]:
        """The state a service hands over on attach: replayed events plus queue data."""
        from studio.console.wire import decode_event

        topics = self.apply_all(
            e for e in (decode_event(raw) for raw in snapshot.get("events", ())) if e is not None
        )
        if isinstance(snapshot.get("queue"), Mapping):
            self.queue = dict(snapshot["queue"])
            topics.add("queue")
        return topics

    def set_queue(self, platform: str, data: Any) -> set[Topic]:
        self.queue[platform] = data
        return {"queue"}

    # -- helpers -----------------------------------------------------------------------

    def _leg(self, platform: str) -> Leg:
        return self.legs.setdefault(platform, Leg(platform))

    def _add(self, line: ChatLine) -> None:
        self.chat.append(line)
        self.chat_total += 1

    def _notice(self, at: float, platform: str, level: str, text: str) -> None:
        self.notices.append(NoticeLine(at, platform, level, text))
        self.notices_total += 1

    def _stats(self, event: EncoderStats) -> set[Topic]:
        if event.source.startswith("relay:"):
            dest = self.destinations.setdefault(
                event.source.removeprefix("relay:"),
                DestinationHealth(event.source.removeprefix("relay:")),
            )
            dest.bitrate_kbps = event.bitrate_kbps
            return {"destinations"}
        enc = self.encoder
        enc.fps, enc.speed, enc.bitrate_kbps = event.fps, event.speed, event.bitrate_kbps
        enc.frames, enc.dropped = event.frame, event.drop_frames
        enc.updated_at, enc.ended = event.at, event.ended
        return {"encoder", "destinations"}

    def _retake_chat(self, event: RetakeChat) -> set[Topic]:
        author = event.author or "anon"
        if event.type == "tip" and event.tip_data:
            amount = _amount(event.tip_data.get("amount"))
            return self._money_line("tip", author, amount, event.at, event.text or "")
        if event.type == "trade" and event.trade_data:
            amount = _amount(event.trade_data.get("usd_amount"), "$")
            return self._money_line("trade", author, amount, event.at, event.text or "")
        first = author not in self._seen_authors
        self._seen_authors.add(author)
        self._add(ChatLine(event.at, "retake", "chat", author, event.text or "", first_time=first))
        return {"chat"}

    def _money_line(
        self, kind: LineKind, who: str, amount: str | None, at: float, text: str
    ) -> set[Topic]:
        """A tip or trade arrives both as a chat line and as its own event: shown once."""
        key = (kind, who, amount or "")
        seen = self._money.get(key)
        self._money[key] = at
        if seen is not None and abs(at - seen) < SAME_MONEY_WINDOW:
            return set()
        while len(self._money) > 500:
            self._money.popitem(last=False)
        self._add(ChatLine(at, "retake", kind, who, text, amount=amount))
        return {"chat"}


def _step_key(event: OperatorAnswered) -> str:
    step_id = getattr(event, "id", None)
    return step_id or f"{event.platform}-{event.need}"


def _amount(value: Any, prefix: str = "") -> str | None:
    if value is None:
        return None
    try:
        return f"{prefix}{float(value):,.2f}"
    except (TypeError, ValueError):
        return str(value)[:40]
