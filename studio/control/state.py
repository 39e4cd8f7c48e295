"""The broadcast's current state, kept from the bus, for clients that attach.

A client that attaches mid-broadcast first gets this whole picture (with the sequence
number of the last event it includes), then every event after it. It holds what the
console draws at once and the CLI's ``studio status`` prints:

``state``         the sequence's state (idle, preparing, broadcasting, confirming,
                  live, stopping, ended)
``session_id``    the journal's session; ``platforms`` the plan's platforms
``display``       the virtual display (``:99``) the console grabs the on-air frame from
``legs``          per platform: live, url, viewers, its steps (the last state of each),
                  its failure and its final stats; ``name``, the studio's own name there
                  (its lines in the chat are the studio's, echoed by the platform)
``destinations``  per RTMP destination: state, reason, attempt, ``retry_at`` (epoch s)
``encoder``       the newest ``encoder.stats`` per source (the encoder, each relay)
``viewers``       per platform: the newest count and a bounded history ``[at, n]``
``chat``          the newest chat lines and alerts (``chat.line``, ``chat.alert``), the
                  studio's own lines and duet turns (``golive.chat_sent``, ``clawcast.duet_turn``)
``pending``       operator steps waiting for an answer, with their ids
``notices``       the newest notices, failures and the playbook's builder notifications
``slides``        the playlist on air; ``poll_results`` the newest vote counts
``clawcast_slot`` the ClawCast slot this studio holds: ``streamer_name`` (the agent's
                  own name in ClawCast's queue), ``position_in_queue``, ``starts_at``,
                  ``ends_at``
``ended``         the ``golive.ended`` event once the broadcast is over
``service``       pid, socket, log file and start time of the service; the plan's
                  platforms, duration, whether a kiosk is on air and the agent's log
"""

from __future__ import annotations

import copy
from collections import deque
from typing import Any

from studio.broadcast.events import (
    DestinationStateChanged,
    EncoderStats,
    PipelineStateChanged,
)
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
NOTICES = 30
VIEWER_HISTORY = 720


def _dump(event: Event) -> dict[str, Any]:
    return event.to_dict()


class BroadcastState:
    def __init__(self, *, service: dict[str, Any] | None = None, chat_lines: int = CHAT_LINES):
        self.service = dict(service or {})
        self.state = "idle"
        self.session_id: int | None = None
        self.platforms: list[str] = []
        self.display: str | None = None
        self.pipeline: str | None = None
        self.legs: dict[str, dict[str, Any]] = {}
        self.destinations: dict[str, dict[str, Any]] = {}
        self.encoder: dict[str, dict[str, Any]] = {}
        self.viewers: dict[str, dict[str, Any]] = {}
        self._history: dict[str, deque[list[float]]] = {}
        self.chat: deque[dict[str, Any]] = deque(maxlen=chat_lines)
        self.pending: dict[str, dict[str, Any]] = {}
        self.notices: deque[dict[str, Any]] = deque(maxlen=NOTICES)
        self.slides: dict[str, Any] | None = None
        self.poll_results: dict[str, Any] | None = None
        self.clawcast_slot: dict[str, Any] | None = None
        self.ended: dict[str, Any] | None = None

    def _leg(self, platform: str) -> dict[str, Any]:
        return self.legs.setdefault(
            platform,
            {
                "live": False,
                "url": None,
                "viewers": None,
                "steps": {},
                "failed": None,
                "stopped": None,
            },
        )

    def apply(self, event: Event) -> None:  # noqa: C901 - one branch per event type
        if isinstance(event, StateChanged):
            self.state = event.state
        elif isinstance(event, SessionStarted):
            self.session_id, self.platforms = event.session_id, list(event.platforms)
        elif isinstance(event, StepChanged):
            steps = self._leg(event.platform)["steps"]
            steps.pop(event.step, None)  # re-insert: the newest step comes last
            steps[event.step] = {"state": event.state, "detail": event.detail, "at": event.at}
        elif isinstance(event, PlatformLive):
            leg = self._leg(event.platform)
            leg.update(live=True, url=event.url)
            if event.name:  # who the studio is there: its own lines in the chat are known
                leg["name"] = event.name
            if event.viewers is not None:
                leg["viewers"] = event.viewers
        elif isinstance(event, PlatformOffAir):
            self._leg(event.platform)["live"] = False
        elif isinstance(event, PlatformStopped):
            self._leg(event.platform).update(live=False, stopped=event.stats)
        elif isinstance(event, Failed):
            if event.platform != "studio":
                self._leg(event.platform)["failed"] = {"error": event.error, "fix": event.fix}
            self.notices.append(_dump(event))
        elif isinstance(event, Notice | BuilderNotification):
            self.notices.append(_dump(event))
        elif isinstance(event, Viewers):
            self._leg(event.platform)["viewers"] = event.viewers
            history = self._history.setdefault(event.platform, deque(maxlen=VIEWER_HISTORY))
            history.append([event.at, event.viewers])
            self.viewers[event.platform] = {
                "viewers": event.viewers,
                "at": event.at,
                "uptime_seconds": event.uptime_seconds,
                "market_cap": event.market_cap,
            }
        elif isinstance(event, StreamHealth):
            self._leg(event.platform)["health"] = event.health
        elif isinstance(event, DestinationStateChanged):
            self.destinations[event.destination] = {
                "state": event.state,
                "reason": event.reason,
                "attempt": event.attempt,
                "retry_at": None if event.retry_in is None else event.at + event.retry_in,
                "at": event.at,
            }
        elif isinstance(event, EncoderStats):
            self.encoder[event.source] = _dump(event)
        elif isinstance(event, PipelineStateChanged):
            self.pipeline = event.state
            if event.display:
                self.display = event.display
        elif isinstance(event, ChatLine | AudienceAlert | ChatSent | DuetTurn):
            self.chat.append(_dump(event))
        elif isinstance(event, OperatorNeeded) and event.id:
            self.pending[event.id] = _dump(event)
        elif isinstance(event, OperatorAnswered | OperatorWithdrawn) and event.id:
            self.pending.pop(event.id, None)
        elif isinstance(event, SlidesOnAir):
            self.slides = _dump(event)
        elif isinstance(event, PollResultsChanged):
            self.poll_results = _dump(event)
        elif isinstance(event, ClawcastSlotHeld):
            self.clawcast_slot = _dump(event)
        elif isinstance(event, SessionEnded):
            self.ended = _dump(event)

    def snapshot(self) -> dict[str, Any]:
        """A deep copy, safe to encode later while events keep arriving."""
        legs = {
            name: {**leg, "steps": [{"step": s, **v} for s, v in leg["steps"].items()]}
            for name, leg in self.legs.items()
        }
        viewers = {
            name: {**now, "history": list(self._history.get(name, ()))}
            for name, now in self.viewers.items()
        }
        return copy.deepcopy(
            {
                "state": self.state,
                "session_id": self.session_id,
                "platforms": self.platforms,
                "display": self.display,
                "pipeline": self.pipeline,
                "legs": legs,
                "destinations": self.destinations,
                "encoder": self.encoder,
                "viewers": viewers,
                "chat": list(self.chat),
                "pending": list(self.pending.values()),
                "notices": list(self.notices),
                "slides": self.slides,
                "poll_results": self.poll_results,
                "clawcast_slot": self.clawcast_slot,
                "ended": self.ended,
                "service": self.service,
            }
        )
