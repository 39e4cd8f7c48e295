"""The console's view of the broadcast, built on the core's one fold of the typed events.

``studio.control.state.BroadcastState`` folds the events (legs, destinations, encoder
stats, viewers, pending steps, notices, chat, slides, votes, the ClawCast slot); the
service hands its snapshot to a console that attaches and the console rebuilds the same
state from it (``apply_snapshot``). What is the console's own is here: the chat timeline
(with the studio's own lines and their echoes folded into one), the notice lines, the
health texts and levels, the stream's sound as ``audio.*`` and ``audio.status`` tell it,
and the queues it fetches on request.

No Textual here: the console panes read it, and the CLI or a test can use it alone.
``ConsoleModel.apply`` takes one event and returns the topics it changed (``chat``,
``encoder``, ``destinations``, ``viewers``, ``legs``, ``operator``, ``notices``,
``pipeline``, ``queue``, ``slides``, ``audio``) so a pane redraws only when its topic
moved.

Clocks are injected (``now``) so countdowns are testable and snapshots are frozen.
"""

from __future__ import annotations

import heapq
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, get_args

from studio.audio.events import (
    MixerChanged,
    MusicStopped,
    SoundPlayed,
    SpeechFinished,
    SpeechQueued,
    SpeechStarted,
    TrackStarted,
)
from studio.broadcast.events import (
    EncoderStats,
    PipelineRecovered,
    ProcessExited,
    RecoveryScheduled,
)
from studio.control.state import BroadcastState, Leg, Part
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
    OperatorNeeded,
    PollResultsChanged,
    SessionEnded,
    SlidesOnAir,
)

Topic = Literal[
    "chat", "encoder", "destinations", "viewers", "legs", "operator", "notices", "pipeline",
    "queue", "slides", "audio",
]  # fmt: skip
ALL_TOPICS: frozenset[Topic] = frozenset(get_args(Topic))
LineKind = Literal["chat", "tip", "trade", "follow", "pin", "activity", "sent"]

CHAT_SCROLLBACK = 2000
"""Lines kept in memory; the journal keeps the whole transcript."""
VIEWER_SAMPLES = 720
NOTICES_KEPT = 200
DROP_WARN, DROP_BAD = 1.0, 5.0
"""Dropped-frame percentages at which the figure turns yellow, then red (OBS's stats)."""
SOUNDS_KEPT = 5
"""Alert sounds remembered for the voice pane (the newest last)."""
STALE_STATS_SECONDS = 5.0
"""A destination whose encoder has sent nothing for this long is not shown as Live."""
ECHO_SECONDS = 120.0
"""How far apart the studio's own line (``golive.chat_sent``) and the platform's echo of
it through the chat feed (a ``chat.line`` under the studio's name) are still one line."""
ECHOES_KEPT = 50


@dataclass(frozen=True)
class TimelineEntry:
    """One line of the chat timeline: a message, an alert, or what the studio sent."""

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

    @classmethod
    def of(cls, stats: EncoderStats | None) -> EncoderHealth:
        if stats is None:
            return cls()
        return cls(stats.fps, stats.speed, stats.bitrate_kbps, stats.frame, stats.drop_frames,
                   stats.at, stats.ended)  # fmt: skip


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
            if rate is None and fresh and encoder.fps > 0 and not encoder.ended:
                # FFmpeg says bitrate=N/A with several outputs: frames still flow
                return "Live", "success"
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
class AudioState:
    """The stream's sound as the ``audio.*`` events (and ``audio.status``) tell it."""

    speaking: tuple[int, str] | None = None
    waiting: dict[int, str] = field(default_factory=dict)
    """Lines queued and not yet spoken, by utterance number."""
    track: TrackStarted | None = None
    volumes: dict[str, int] = field(default_factory=dict)
    muted: bool | None = None
    sounds: deque[SoundPlayed] = field(default_factory=lambda: deque(maxlen=SOUNDS_KEPT))
    alert_sounds: dict[str, str] = field(default_factory=dict)
    """Alert → sound file in use (from ``audio.status``)."""
    music: dict[str, Any] | None = None
    """The playlist playing (tracks, loop), from ``audio.status``."""
    available: bool | None = None
    """Whether the broadcast has sound (None until ``audio.status`` answered)."""
    refusal: str = ""
    """Why there is no sound, in the service's words."""


BUILDER_TITLES = {
    "live": "Builder: you are live",
    "heartbeat": "Heartbeat",
    "low_viewers": "Low viewers",
    "shutdown_warning": "Shutdown warning (crisis)",
}


@dataclass(frozen=True)
class NoticeLine:
    at: float
    platform: str
    level: str
    text: str


TOPICS: dict[Part, frozenset[Topic]] = {
    "state": frozenset(),
    "session": frozenset({"legs"}),
    "legs": frozenset({"legs"}),
    "viewers": frozenset({"viewers"}),
    "destinations": frozenset({"destinations"}),
    "encoder": frozenset({"encoder", "destinations"}),
    "pipeline": frozenset({"pipeline"}),
    "chat": frozenset({"chat"}),
    "activity": frozenset({"chat"}),
    "pending": frozenset({"operator"}),
    "notices": frozenset({"notices"}),
    "slides": frozenset({"slides"}),
    "poll_results": frozenset({"slides"}),
    "clawcast_slot": frozenset({"queue"}),
    "ended": frozenset({"legs", "operator"}),
}
"""The panes' topics each part of the core's state moves."""
AUDIO_EVENTS = (SpeechQueued, SpeechStarted, SpeechFinished, TrackStarted, MusicStopped,
                MixerChanged, SoundPlayed)  # fmt: skip


@dataclass
class ConsoleModel:
    now: Callable[[], float] = time.time
    scrollback: int = CHAT_SCROLLBACK
    me: str | None = None
    """The streamer's own name on every platform: its lines are marked as the studio's own."""

    state: BroadcastState = field(default_factory=BroadcastState)
    """The core's fold of the events: what the service's snapshot carries."""
    chat: deque[TimelineEntry] = field(init=False)
    chat_total: int = 0
    notices: deque[NoticeLine] = field(default_factory=lambda: deque(maxlen=NOTICES_KEPT))
    notices_total: int = 0
    queue: dict[str, Any] = field(default_factory=dict)
    audio: AudioState = field(default_factory=AudioState)
    _unechoed: deque[tuple[str, str, float]] = field(
        default_factory=lambda: deque(maxlen=ECHOES_KEPT), init=False, repr=False
    )
    """Own lines sent (platform, text, at) whose echo through the chat feed is still due."""
    _echoed: deque[tuple[str, str, float]] = field(
        default_factory=lambda: deque(maxlen=ECHOES_KEPT), init=False, repr=False
    )
    """The studio's lines that came through the chat feed before the service said it sent them."""
    _slides: list[dict[str, Any]] = field(default_factory=list, init=False, repr=False)
    """The slides on air as the timeline last saw them (a poll's line names its options)."""

    def __post_init__(self) -> None:
        self.chat = deque(maxlen=self.scrollback)

    def reset(self) -> None:
        """Forget everything the service told us, before a fresh snapshot (reattach)."""
        fresh = ConsoleModel(now=self.now, scrollback=self.scrollback, me=self.me)
        self.__dict__.update(fresh.__dict__)

    # -- reading -----------------------------------------------------------------------

    @property
    def legs(self) -> dict[str, Leg]:
        return self.state.legs

    @property
    def pending(self) -> dict[str, OperatorNeeded]:
        """Steps waiting for the operator, by their key."""
        return self.state.pending

    @property
    def ended(self) -> SessionEnded | None:
        return self.state.ended

    @property
    def session_id(self) -> int | None:
        return self.state.session_id

    @property
    def display(self) -> str | None:
        return self.state.display

    @property
    def xauthority(self) -> str | None:
        """The X authority file holding the display's cookie (the service names it)."""
        return self.state.service.get("xauthority") or None

    @property
    def clawcast_slot(self) -> ClawcastSlotHeld | None:
        """The ClawCast slot this studio holds: its name in the queue and when it plays."""
        return self.state.clawcast_slot

    @property
    def poll_results(self) -> tuple[int, ...]:
        results = self.state.poll_results
        return () if results is None else tuple(results.results)

    @property
    def slides_on_air(self) -> list[dict[str, Any]]:
        slides = self.state.slides
        return [] if slides is None else slides.slides

    @property
    def names(self) -> dict[str, str]:
        """The studio's own name on each platform (``golive.live`` says it): that author's
        lines are the studio's own."""
        return {platform: leg.name for platform, leg in self.legs.items() if leg.name}

    @property
    def encoder(self) -> EncoderHealth:
        """The encoder's newest figures (not a relay's)."""
        stats = (s for source, s in self.state.encoder.items() if not source.startswith("relay:"))
        return EncoderHealth.of(max(stats, key=lambda s: s.at, default=None))

    @property
    def destinations(self) -> dict[str, DestinationHealth]:
        """Each destination's state, with its relay's rate where it has one."""
        shown = {
            name: DestinationHealth(name, d.state, d.reason, d.attempt, d.retry_at)
            for name, d in self.state.destinations.items()
        }
        for source, stats in self.state.encoder.items():
            if source.startswith("relay:"):
                name = source.removeprefix("relay:")
                shown.setdefault(name, DestinationHealth(name)).bitrate_kbps = stats.bitrate_kbps
        return shown

    @property
    def viewer_history(self) -> list[tuple[float, int]]:
        """The viewers on all platforms together, at each count a platform sent."""
        samples = sorted(
            (at, platform, n)
            for platform, history in self.state.viewer_history.items()
            for at, n in history
        )
        latest: dict[str, int] = {}
        totals: deque[tuple[float, int]] = deque(maxlen=VIEWER_SAMPLES)
        for at, platform, n in samples:
            latest[platform] = n
            totals.append((at, sum(latest.values())))
        return list(totals)

    @property
    def viewers_total(self) -> int:
        return sum(leg.viewers or 0 for leg in self.legs.values())

    @property
    def live(self) -> bool:
        return any(leg.live and not leg.stopped for leg in self.legs.values())

    # -- folding -----------------------------------------------------------------------

    def apply_all(self, events: Iterable[Event]) -> set[Topic]:
        topics: set[Topic] = set()
        for event in events:
            topics |= self.apply(event)
        return topics

    def apply(self, event: Event) -> set[Topic]:
        parts = self.state.apply(event)
        if not parts:
            return self._audio(event) if isinstance(event, AUDIO_EVENTS) else set()
        topics: set[Topic] = set()
        for part in parts:
            topics |= TOPICS[part]
        if ("chat" in parts or "activity" in parts) and not self._timeline(event):
            topics.discard("chat")
        if "notices" in parts:
            self._notice_of(event)
        return topics

    def apply_snapshot(self, snapshot: Mapping[str, Any]) -> set[Topic]:
        """Start again from the whole state a service hands over on attach or resync
        (``BroadcastState.snapshot``); an in-process service may hand over its ``events``
        to replay instead. The timeline and notices are drawn from it as if the console
        had seen every event it holds."""
        from studio.control.client import parse_event

        self.reset()
        self.state = BroadcastState.from_snapshot(snapshot)
        for event in heapq.merge(self.state.chat, self.state.activity, key=lambda e: e.at):
            self._timeline(event)
        for notice in self.state.notices:
            self._notice_of(notice)
        if isinstance(snapshot.get("queue"), Mapping):
            self.queue = dict(snapshot["queue"])
        events = (raw if isinstance(raw, Event) else parse_event(raw)
                  for raw in snapshot.get("events") or ())  # fmt: skip
        self.apply_all(e for e in events if e is not None)
        return set(ALL_TOPICS)

    def set_audio_status(self, data: Mapping[str, Any] | None, refusal: str = "") -> set[Topic]:
        """What ``audio.status`` answered (None: refused, ``refusal`` says why)."""
        audio = self.audio
        if data is None:
            audio.available, audio.refusal = False, refusal
            return {"audio"}
        audio.available, audio.refusal = bool(data.get("sound", True)), ""
        audio.volumes = {str(k): int(v) for k, v in (data.get("volumes") or {}).items()}
        audio.muted = bool(data.get("muted"))
        speaking = data.get("speaking")
        audio.speaking = (int(speaking[0]), str(speaking[1])) if speaking else None
        audio.waiting = {int(n): str(text) for n, text in data.get("waiting") or ()}
        audio.music = dict(data["music"]) if data.get("music") else None
        if audio.music is None:
            audio.track = None
        elif audio.music.get("title"):
            audio.track = TrackStarted(
                title=str(audio.music["title"]),
                position=int(audio.music.get("position") or 1),
                tracks=int(audio.music.get("tracks") or 1),
            )
        audio.alert_sounds = {str(k): str(v) for k, v in (data.get("alert_sounds") or {}).items()}
        return {"audio"}

    def set_queue(self, platform: str, data: Any) -> set[Topic]:
        self.queue[platform] = data
        return {"queue"}

    # -- the timeline and the notices ---------------------------------------------------

    def _timeline(self, event: Event) -> bool:  # noqa: C901 (one line per event type)
        """The timeline's line for a chat or activity event; False when it adds none."""
        match event:
            case ChatLine():
                own = event.author == self._own_name(event.platform)
                if own and self._seen_once(self._unechoed, self._echoed, event):
                    return False  # the echo of a line the timeline already shows
                kind: LineKind = "sent" if own else "chat"
                self._add(TimelineEntry(event.at, event.platform, kind, event.author, event.text,
                                        first_time=event.first_time))  # fmt: skip
            case AudienceAlert():
                self._add(TimelineEntry(event.at, event.platform, event.alert, event.who,
                                        event.detail or event.text or "", amount=event.amount))  # fmt: skip
            case ChatSent():
                echoes = event.to is None and self._own_name(event.platform) is not None
                if echoes and self._seen_once(self._echoed, self._unechoed, event):
                    return False  # its echo came first and is on the timeline
                where = f" → {event.to}" if event.to else ""
                self._add(TimelineEntry(event.at, event.platform, "sent",
                                        (self.me or "you") + where, event.text))  # fmt: skip
            case DuetTurn():
                self._add(TimelineEntry(event.at, event.platform, "activity", event.name,
                                        f"duet {event.role}: {event.text}"))  # fmt: skip
            case SlidesOnAir():
                self._slides = list(event.slides)
                if event.platform != "clawcast":
                    return False  # the kiosk's own slides
                kinds = ", ".join(str(s.get("type")) for s in event.slides)
                self._add(TimelineEntry(event.at, event.platform, "activity", "slides",
                                        f"{len(event.slides)} on air ({kinds})"))  # fmt: skip
            case PollResultsChanged():
                self._add(self._poll_line(event.at, event.platform, tuple(event.results)))
            case ClawcastSlotHeld():
                where = ("live now" if event.position_in_queue == 0
                         else f"position {event.position_in_queue} in the queue")  # fmt: skip
                self._add(TimelineEntry(event.at, event.platform, "activity",
                                        event.streamer_name, f"holds a slot: {where}"))  # fmt: skip
            case _:
                return False
        return True

    def _notice_of(self, event: Event) -> None:
        match event:
            case Failed():
                text = f"{event.error} {event.fix}" if event.fix else event.error
                self._notice(event.at, event.platform, "error", text)
            case Notice():
                self._notice(event.at, event.platform, event.level, event.text)
            case BuilderNotification():
                self._builder(event)
            case RecoveryScheduled():
                self._notice(event.at, "broadcast", "warning", f"Recovering from {event.reason}: "
                             f"attempt {event.attempt} in {event.delay:.0f} s")  # fmt: skip
            case PipelineRecovered():
                self._notice(event.at, "broadcast", "info", f"Recovered from {event.reason}")
            case ProcessExited():
                self._notice(event.at, "broadcast", "error",
                             f"{event.process} exited (code {event.returncode})")  # fmt: skip

    # -- helpers -----------------------------------------------------------------------

    def _own_name(self, platform: str) -> str | None:
        leg = self.legs.get(platform)
        return (leg.name if leg else None) or self.me

    def _seen_once(
        self,
        pending: deque[tuple[str, str, float]],
        waiting: deque[tuple[str, str, float]],
        event: ChatLine | ChatSent,
    ) -> bool:
        """One of the studio's own lines seen the second time (its send, then its echo,
        or the other way round): True when ``pending`` held the first sighting (now
        matched); otherwise it is remembered in ``waiting`` for the other half."""
        key = (event.platform, event.text)
        for entry in list(pending):
            if event.at - entry[2] > ECHO_SECONDS:
                pending.remove(entry)  # its other half never came
            elif entry[:2] == key:
                pending.remove(entry)
                return True
        waiting.append((*key, event.at))
        return False

    def _add(self, line: TimelineEntry) -> None:
        self.chat.append(line)
        self.chat_total += 1

    def _poll_line(self, at: float, platform: str, results: tuple[int, ...]) -> TimelineEntry:
        """The votes as an activity line, each option by its name when the poll is known."""
        poll = next((s for s in self._slides if s.get("type") == "poll"), None)
        options = list((poll or {}).get("content", {}).get("options") or [])
        names = [str(o) for o in options] + [
            f"option {i + 1}" for i in range(len(options), len(results))
        ]
        counts = " · ".join(f"{name} {n}" for name, n in zip(names, results, strict=False))
        total = sum(results)
        return TimelineEntry(at, platform, "activity", "poll",
                             f"{total} vote{'s' if total != 1 else ''}: {counts}")  # fmt: skip

    def _notice(self, at: float, platform: str, level: str, text: str) -> None:
        self.notices.append(NoticeLine(at, platform, level, text))
        self.notices_total += 1

    def _builder(self, event: BuilderNotification) -> None:
        """A playbook notification for the human: its title, its text and any link the
        text does not already carry; a shutdown warning is a crisis (level error)."""
        title = BUILDER_TITLES.get(event.reason, event.reason)
        links = [url for url in event.links if url not in event.text]
        head = "" if event.text.lower().startswith(title.lower()) else f"{title}: "
        text = head + event.text + "".join(f"\n{url}" for url in links)
        self._notice(event.at, "playbook", "error" if event.urgent else "operator", text)

    def _audio(self, event: Event) -> set[Topic]:  # noqa: C901 (one branch per audio event)
        audio = self.audio
        match event:
            case SpeechQueued():
                audio.waiting[event.utterance] = event.text
            case SpeechStarted():
                audio.waiting.pop(event.utterance, None)
                audio.speaking = (event.utterance, event.text)
            case SpeechFinished():
                audio.waiting.pop(event.utterance, None)
                if audio.speaking is not None and audio.speaking[0] == event.utterance:
                    audio.speaking = None
            case TrackStarted():
                audio.track = event
                audio.music = {**(audio.music or {}), "tracks": event.tracks}
            case MusicStopped():
                audio.track, audio.music = None, None
            case MixerChanged():
                audio.volumes, audio.muted = dict(event.volumes), event.muted
            case SoundPlayed():
                audio.sounds.append(event)
        return {"audio"}
