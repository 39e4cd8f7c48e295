"""The broadcast's current state, folded from the bus: the one fold of the typed events.

The service keeps one ``BroadcastState`` and hands its ``snapshot()`` to every client that
attaches (with the sequence number of the last event it includes), then every event after
it. The console keeps one too, rebuilt from that snapshot (``from_snapshot``) and then fed
the same events, so a console attached from the start and one attached mid-broadcast fold
to the same state. ``apply`` says which parts an event changed (``Part``), so a client
redraws only what moved.

The snapshot, the wire format other clients read (``studio status``, the agent's CLI):

``state``         the sequence's state (idle, preparing, broadcasting, confirming,
                  live, stopping, ended)
``session_id``    the journal's session; ``platforms`` the plan's platforms
``display``       the virtual display (``:99``) the console grabs the on-air frame from;
                  ``grid`` its terminal's columns and rows; ``pipeline`` its state
``legs``          per platform: live, url, viewers, its steps (the last state of each),
                  its failure and its final stats (``stopped``); ``name``, the studio's
                  own name there (its lines in the chat are the studio's, echoed by the
                  platform); ``health`` the platform's word on the stream
``destinations``  per RTMP destination: state, reason, attempt, ``retry_at`` (epoch s)
``encoder``       the newest ``encoder.stats`` per source (the encoder, each relay)
``viewers``       per platform: the newest count and a bounded history ``[at, n]``
``chat``          the newest chat lines and alerts (``chat.line``, ``chat.alert``), the
                  studio's own lines and duet turns (``golive.chat_sent``, ``clawcast.duet_turn``)
``activity``      the newest activity in order: the ClawCast slot held, slides on air,
                  changed vote counts (``clawcast.slot``, ``slides.on_air``, ``poll.results``)
``pending``       operator steps waiting for an answer, with their ids
``notices``       the newest notices, failures, the playbook's builder notifications and
                  the pipeline's recoveries and exits
``slides``        the playlist on air; ``poll_results`` the newest vote counts
``clawcast_slot`` the ClawCast slot this studio holds: ``streamer_name`` (the agent's
                  own name in ClawCast's queue), ``position_in_queue``, ``starts_at``,
                  ``ends_at``
``ended``         the ``golive.ended`` event once the broadcast is over
``service``       pid, socket, log file and start time of the service; the plan's
                  platforms, duration, whether a kiosk is on air and the agent's log

``grid``, ``activity`` and the pipeline's notices came later: older
clients ignore them. Every list of events holds each as its JSON (``Event.to_dict``).
"""

from __future__ import annotations

import copy
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar, get_args

from studio.broadcast.events import (
    DestinationStateChanged,
    EncoderStats,
    PipelineRecovered,
    PipelineStateChanged,
    ProcessExited,
    RecoveryScheduled,
)
from studio.control.client import parse_event
from studio.events import Event
from studio.golive.events import (
    AudienceAlert,
    BuilderNotification,
    ChatLine,
    ChatSent,
    ClawcastSlotHeld,
    DuetTurn,
    Failed,
    Notice,
    OperatorAnswered,
    OperatorNeeded,
    OperatorWithdrawn,
    PlatformLive,
    PlatformOffAir,
    PlatformStopped,
    PollResultsChanged,
    SessionEnded,
    SessionStarted,
    SlidesOnAir,
    StateChanged,
    StepChanged,
    StreamHealth,
    Viewers,
)

CHAT_LINES = 200
ACTIVITY = 50
NOTICES = 30
VIEWER_HISTORY = 720

Part = Literal[
    "state", "session", "legs", "viewers", "destinations", "encoder", "pipeline", "chat",
    "activity", "pending", "notices", "slides", "poll_results", "clawcast_slot", "ended",
]  # fmt: skip
"""What an event changed (``BroadcastState.apply``'s answer)."""

ChatEvent = ChatLine | AudienceAlert | ChatSent | DuetTurn
ActivityEvent = ClawcastSlotHeld | SlidesOnAir | PollResultsChanged
NoticeEvent = (
    Failed | Notice | BuilderNotification | RecoveryScheduled | PipelineRecovered | ProcessExited
)
E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class Step:
    """The last state a leg's step reached."""

    state: str
    detail: str | None = None
    at: float = 0.0


@dataclass(frozen=True)
class Failure:
    error: str
    fix: str | None = None


@dataclass
class Leg:
    """One platform's part of the broadcast."""

    platform: str
    live: bool = False
    url: str | None = None
    viewers: int | None = None
    steps: dict[str, Step] = field(default_factory=dict)
    """Each step's last state, the newest step last."""
    failed: Failure | None = None
    stopped: bool = False
    stats: dict[str, Any] | None = None
    """The platform's final figures (``golive.stopped``)."""
    name: str | None = None
    """The studio's own name there: that author's lines in the chat are the studio's."""
    health: str | None = None

    @property
    def step(self) -> str:
        return next(reversed(self.steps), "")

    @property
    def step_state(self) -> str:
        return self.steps[self.step].state if self.steps else ""

    @property
    def error(self) -> str | None:
        return self.failed.error if self.failed else None

    def to_wire(self) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "live": self.live,
            "url": self.url,
            "viewers": self.viewers,
            "steps": [
                {"step": name, "state": s.state, "detail": s.detail, "at": s.at}
                for name, s in self.steps.items()
            ],
            "failed": None if self.failed is None else vars(self.failed).copy(),
            "stopped": copy.deepcopy(self.stats or {}) if self.stopped else None,
        }
        for key in ("name", "health"):
            if getattr(self, key) is not None:
                wire[key] = getattr(self, key)
        return wire

    @classmethod
    def from_wire(cls, platform: str, raw: Mapping[str, Any]) -> Leg:
        failed = raw.get("failed") or None
        stopped = raw.get("stopped")
        return cls(
            platform,
            live=bool(raw.get("live")),
            url=raw.get("url"),
            viewers=raw.get("viewers"),
            steps={
                str(s.get("step", "")): Step(
                    str(s.get("state", "")), s.get("detail"), float(s.get("at") or 0.0)
                )
                for s in raw.get("steps") or ()
            },
            failed=None if failed is None else Failure(str(failed.get("error")), failed.get("fix")),
            stopped=stopped is not None,
            stats=None if stopped is None else dict(stopped),
            name=raw.get("name"),
            health=raw.get("health"),
        )


@dataclass
class Destination:
    """One RTMP destination as the pipeline tells it."""

    state: str = "connecting"
    reason: str = ""
    attempt: int = 0
    retry_at: float | None = None
    """When the next attempt starts (epoch seconds)."""
    at: float = 0.0


def _dumps(events: Iterable[Event]) -> list[dict[str, Any]]:
    return [event.to_dict() for event in events]


def _parsed(raws: Any, *types: type[E]) -> list[E]:
    """The typed events among ``raws`` (event JSON), those of ``types`` only."""
    events = (parse_event(dict(raw)) for raw in raws or () if isinstance(raw, Mapping))
    return [e for e in events if isinstance(e, types)]


class BroadcastState:
    def __init__(
        self,
        *,
        service: dict[str, Any] | None = None,
        chat_lines: int = CHAT_LINES,
        notices: int = NOTICES,
    ) -> None:
        self.service = dict(service or {})
        self.state = "idle"
        self.session_id: int | None = None
        self.platforms: list[str] = []
        self.display: str | None = None
        self.grid: tuple[int, int] | None = None
        self.pipeline: str | None = None
        self.legs: dict[str, Leg] = {}
        self.destinations: dict[str, Destination] = {}
        self.encoder: dict[str, EncoderStats] = {}
        self.viewers: dict[str, Viewers] = {}
        self.viewer_history: dict[str, deque[tuple[float, int]]] = {}
        """Per platform: ``(at, viewers)``, oldest first."""
        self.chat: deque[ChatEvent] = deque(maxlen=chat_lines)
        self.activity: deque[ActivityEvent] = deque(maxlen=ACTIVITY)
        self.pending: dict[str, OperatorNeeded] = {}
        """By the step's key (its id, or platform and need for a step without one),
        the newest asked last."""
        self.notices: deque[NoticeEvent] = deque(maxlen=notices)
        self.slides: SlidesOnAir | None = None
        self.poll_results: PollResultsChanged | None = None
        self.clawcast_slot: ClawcastSlotHeld | None = None
        self.ended: SessionEnded | None = None

    def leg(self, platform: str) -> Leg:
        return self.legs.setdefault(platform, Leg(platform))

    # -- folding -----------------------------------------------------------------------

    def apply(self, event: Event) -> set[Part]:  # noqa: C901 - one branch per event type
        """Fold one event; the parts it changed (empty: nothing here)."""
        match event:
            case ChatLine() | AudienceAlert() | ChatSent() | DuetTurn():
                self.chat.append(event)
                return {"chat"}
            case EncoderStats():
                self.encoder[event.source] = event
                return {"encoder"}
            case Viewers():
                self.leg(event.platform).viewers = event.viewers
                self.viewers[event.platform] = event
                history = self.viewer_history.setdefault(
                    event.platform, deque(maxlen=VIEWER_HISTORY)
                )
                history.append((event.at, event.viewers))
                return {"viewers", "legs"}
            case StateChanged():
                self.state = event.state
                return {"state"}
            case SessionStarted():
                self.session_id, self.platforms = event.session_id, list(event.platforms)
                self.ended = None
                for platform in event.platforms:
                    self.leg(platform)
                return {"session", "legs"}
            case StepChanged():
                steps = self.leg(event.platform).steps
                steps.pop(event.step, None)  # re-insert: the newest step comes last
                steps[event.step] = Step(event.state, event.detail, event.at)
                return {"legs"}
            case PlatformLive():
                leg = self.leg(event.platform)
                leg.live, leg.url, leg.stopped, leg.stats = True, event.url, False, None
                if event.name:  # who the studio is there: its own lines in the chat are known
                    leg.name = event.name
                if event.viewers is not None:
                    leg.viewers = event.viewers
                return {"legs", "viewers"}
            case PlatformOffAir():
                self.leg(event.platform).live = False
                return {"legs"}
            case PlatformStopped():
                leg = self.leg(event.platform)
                leg.live, leg.stopped, leg.stats = False, True, dict(event.stats)
                return {"legs"}
            case StreamHealth():
                self.leg(event.platform).health = event.health
                return {"legs"}
            case Failed():
                self.notices.append(event)
                if event.platform == "studio":  # the whole studio, not a leg
                    return {"notices"}
                self.leg(event.platform).failed = Failure(event.error, event.fix)
                return {"legs", "notices"}
            case Notice() | BuilderNotification() | ProcessExited():
                self.notices.append(event)
                return {"notices"}
            case RecoveryScheduled() | PipelineRecovered():
                self.notices.append(event)
                return {"notices", "pipeline"}
            case DestinationStateChanged():
                retry_at = None if event.retry_in is None else event.at + event.retry_in
                self.destinations[event.destination] = Destination(
                    event.state, event.reason, event.attempt, retry_at, event.at
                )
                return {"destinations"}
            case PipelineStateChanged():
                self.pipeline = event.state
                self.display = event.display or self.display
                self.grid = event.grid or self.grid
                return {"pipeline"}
            case OperatorNeeded():
                self.pending.pop(event.key, None)  # asked again: the newest comes last
                self.pending[event.key] = event
                return {"pending"}
            case OperatorAnswered() | OperatorWithdrawn():
                return {"pending"} if self.pending.pop(event.key, None) else set()
            case SlidesOnAir():
                self.slides = event
                self.activity.append(event)
                return {"slides", "activity"}
            case PollResultsChanged():
                if self.poll_results is not None and self.poll_results.results == event.results:
                    return set()  # the same counts, polled again
                self.poll_results = event
                self.activity.append(event)
                return {"poll_results", "activity"}
            case ClawcastSlotHeld():
                self.clawcast_slot = event
                self.activity.append(event)
                return {"clawcast_slot", "activity"}
            case SessionEnded():
                self.ended = event
                self.pending.clear()
                for leg in self.legs.values():
                    leg.live = False
                return {"ended", "legs", "pending"}
        return set()

    # -- the wire ----------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The whole state as JSON-ready values, all fresh: safe to encode later while
        events keep arriving."""

        def dump(event: Event | None) -> dict[str, Any] | None:
            return None if event is None else event.to_dict()

        viewers = {
            name: {
                "viewers": now.viewers,
                "at": now.at,
                "uptime_seconds": now.uptime_seconds,
                "market_cap": now.market_cap,
                "history": [list(sample) for sample in self.viewer_history.get(name, ())],
            }
            for name, now in self.viewers.items()
        }
        return {
            "state": self.state,
            "session_id": self.session_id,
            "platforms": list(self.platforms),
            "display": self.display,
            "grid": None if self.grid is None else list(self.grid),
            "pipeline": self.pipeline,
            "legs": {name: leg.to_wire() for name, leg in self.legs.items()},
            "destinations": {name: vars(d).copy() for name, d in self.destinations.items()},
            "encoder": {source: stats.to_dict() for source, stats in self.encoder.items()},
            "viewers": viewers,
            "chat": _dumps(self.chat),
            "activity": _dumps(self.activity),
            "pending": _dumps(self.pending.values()),
            "notices": _dumps(self.notices),
            "slides": dump(self.slides),
            "poll_results": dump(self.poll_results),
            "clawcast_slot": dump(self.clawcast_slot),
            "ended": dump(self.ended),
            "service": copy.deepcopy(self.service),
        }

    @classmethod
    def from_snapshot(cls, snapshot: Mapping[str, Any], **bounds: int) -> BroadcastState:
        """The state a ``snapshot()`` was taken of (a client reattaching mid-broadcast);
        whatever the snapshot lacks stays empty, and an event it cannot read is left out."""
        state = cls(service=dict(snapshot.get("service") or {}), **bounds)
        state.state = str(snapshot.get("state") or "idle")
        if snapshot.get("session_id") is not None:
            state.session_id = int(snapshot["session_id"])
        state.platforms = [str(p) for p in snapshot.get("platforms") or ()]
        state.display = snapshot.get("display") or None
        grid = snapshot.get("grid")
        state.grid = (int(grid[0]), int(grid[1])) if grid else None
        state.pipeline = snapshot.get("pipeline") or None
        for name, raw in (snapshot.get("legs") or {}).items():
            state.legs[name] = Leg.from_wire(name, raw)
        for name, raw in (snapshot.get("destinations") or {}).items():
            state.destinations[name] = Destination(
                str(raw.get("state") or "connecting"), str(raw.get("reason") or ""),
                int(raw.get("attempt") or 0), raw.get("retry_at"), float(raw.get("at") or 0.0),
            )  # fmt: skip
        for stats in _parsed((snapshot.get("encoder") or {}).values(), EncoderStats):
            state.encoder[stats.source] = stats
        for name, raw in (snapshot.get("viewers") or {}).items():
            state.viewers[name] = Viewers(
                at=float(raw.get("at") or 0.0), platform=name, viewers=int(raw.get("viewers") or 0),
                uptime_seconds=raw.get("uptime_seconds"), market_cap=raw.get("market_cap"),
            )  # fmt: skip
            history: deque[tuple[float, int]] = deque(maxlen=VIEWER_HISTORY)
            history.extend((float(at), int(n)) for at, n in raw.get("history") or ())
            state.viewer_history[name] = history
        state.chat.extend(_parsed(snapshot.get("chat"), *get_args(ChatEvent)))
        state.activity.extend(_parsed(snapshot.get("activity"), *get_args(ActivityEvent)))
        state.notices.extend(_parsed(snapshot.get("notices"), *get_args(NoticeEvent)))
        for step in _parsed(snapshot.get("pending"), OperatorNeeded):
            state.pending[step.key] = step
        state.slides = next(iter(_parsed([snapshot.get("slides")], SlidesOnAir)), None)
        state.poll_results = next(
            iter(_parsed([snapshot.get("poll_results")], PollResultsChanged)), None
        )
        state.clawcast_slot = next(
            iter(_parsed([snapshot.get("clawcast_slot")], ClawcastSlotHeld)), None
        )
        state.ended = next(iter(_parsed([snapshot.get("ended")], SessionEnded)), None)
        return state
