"""The console's picture of the broadcast, folded from the core's typed events.

No Textual here: the console panes read it, and the CLI or a test can use it alone.
``ConsoleModel.apply`` takes one event and returns the topics it changed (``chat``,
``encoder``, ``destinations``, ``viewers``, ``legs``, ``operator``, ``notices``,
``pipeline``, ``queue``, ``slides``, ``audio``) so a pane redraws only when its topic
moved.

Clocks are injected (``now``) so countdowns are testable and snapshots are frozen.
"""

from __future__ import annotations

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
    DestinationStateChanged,
    EncoderStats,
    PipelineRecovered,
    PipelineStateChanged,
    ProcessExited,
    RecoveryScheduled,
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
    PlatformStopped,
    PollResultsChanged,
    SessionEnded,
    SessionStarted,
    SlidesOnAir,
    StepChanged,
    StreamHealth,
    Viewers,
)
from studio.platforms.retake_events import RetakeFeedState

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
class Leg:
    platform: str
    step: str = ""
    step_state: str = ""
    live: bool = False
    url: str | None = None
    viewers: int | None = None
    stopped: bool = False
    error: str | None = None
    health: str | None = None


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


@dataclass
class ConsoleModel:
    now: Callable[[], float] = time.time
    scrollback: int = CHAT_SCROLLBACK
    me: str | None = None
    """The streamer's own name on every platform: its lines are marked as the studio's own."""
    names: dict[str, str] = field(default_factory=dict)
    """The studio's own name on each platform (the service's ``golive.live`` and its
    snapshot's legs say it): that author's lines are the studio's own."""

    chat: deque[TimelineEntry] = field(init=False)
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
    xauthority: str | None = None
    """The X authority file holding the display's cookie (the service names it)."""
    grid: tuple[int, int] | None = None
    pipeline_state: str = "idle"
    session_id: int | None = None
    ended: SessionEnded | None = None
    feed_state: str | None = None
    queue: dict[str, Any] = field(default_factory=dict)
    poll_results: tuple[int, ...] = ()
    slides_on_air: list[dict[str, Any]] = field(default_factory=list)
    clawcast_slot: ClawcastSlotHeld | None = None
    """The ClawCast slot this studio holds: its name in the queue and when it plays."""
    audio: AudioState = field(default_factory=AudioState)
    _unechoed: deque[tuple[str, str, float]] = field(
        default_factory=lambda: deque(maxlen=ECHOES_KEPT), init=False, repr=False
    )
    """Own lines sent (platform, text, at) whose echo through the chat feed is still due."""
    _echoed: deque[tuple[str, str, float]] = field(
        default_factory=lambda: deque(maxlen=ECHOES_KEPT), init=False, repr=False
    )
    """The studio's lines that came through the chat feed before the service said it sent them."""

    def __post_init__(self) -> None:
        self.chat = deque(maxlen=self.scrollback)

    def reset(self) -> None:
        """Forget everything the service told us, before a fresh snapshot (reattach)."""
        fresh = ConsoleModel(now=self.now, scrollback=self.scrollback, me=self.me)
        self.__dict__.update(fresh.__dict__)

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
            case ChatLine():
                own = event.author == self._own_name(event.platform)
                if own and self._seen_once(self._unechoed, self._echoed, event):
                    return set()  # the echo of a line the timeline already shows
                kind: LineKind = "sent" if own else "chat"
                self._add(TimelineEntry(event.at, event.platform, kind, event.author, event.text,
                                    first_time=event.first_time))  # fmt: skip
                return {"chat"}
            case AudienceAlert():
                self._add(TimelineEntry(event.at, event.platform, event.alert, event.who,
                                    event.detail or event.text or "", amount=event.amount))  # fmt: skip
                return {"chat"}
            case RetakeFeedState():
                self.feed_state = event.state
                return {"legs"}
            case PollResultsChanged():
                results = tuple(event.results)
                if results == self.poll_results:
                    return set()
                self.poll_results = results
                self._add(self._poll_line(event.at, event.platform, results))
                return {"slides", "chat"}
            case SlidesOnAir():
                self.slides_on_air = list(event.slides)
                if event.platform != "clawcast":
                    return {"slides"}
                kinds = ", ".join(str(s.get("type")) for s in event.slides)
                self._add(TimelineEntry(event.at, event.platform, "activity", "slides",
                                        f"{len(event.slides)} on air ({kinds})"))  # fmt: skip
                return {"slides", "chat"}
            case ClawcastSlotHeld():
                self.clawcast_slot = event
                where = ("live now" if event.position_in_queue == 0
                         else f"position {event.position_in_queue} in the queue")  # fmt: skip
                self._add(TimelineEntry(event.at, event.platform, "activity",
                                        event.streamer_name, f"holds a slot: {where}"))  # fmt: skip
                return {"queue", "chat"}
            case DuetTurn():
                self._add(TimelineEntry(event.at, event.platform, "activity", event.name,
                                        f"duet {event.role}: {event.text}"))  # fmt: skip
                return {"chat"}
            case StreamHealth():
                self._leg(event.platform).health = event.health
                return {"legs"}
            case ChatSent():
                echoes = event.to is None and self._own_name(event.platform) is not None
                if echoes and self._seen_once(self._echoed, self._unechoed, event):
                    return set()  # its echo came first and is on the timeline
                where = f" → {event.to}" if event.to else ""
                self._add(
                    TimelineEntry(
                        event.at, event.platform, "sent", (self.me or "you") + where, event.text
                    )
                )
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
                if event.name:
                    self.names[event.platform] = event.name
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
            case BuilderNotification():
                self._builder(event)
                return {"notices"}
            case SpeechQueued() | SpeechStarted() | SpeechFinished() | TrackStarted():
                return self._audio(event)
            case MusicStopped() | MixerChanged() | SoundPlayed():
                return self._audio(event)
            case OperatorNeeded():
                step = PendingStep(
                    event.platform, event.need, event.prompt, dict(event.data), event.at,
                    getattr(event, "id", None),
                )  # fmt: skip
                self.pending[step.key] = step
                return {"operator"}
            case OperatorAnswered() | OperatorWithdrawn():
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
        """The whole state a service hands over on attach (``studio.control.state``'s
        snapshot: legs, destinations, encoder, viewers, chat, pending steps, notices…);
        an in-process service may hand over its ``events`` to replay instead."""
        from studio.control.client import parse_event

        def replay(raws: Any) -> set[Topic]:
            events = (raw if isinstance(raw, Event) else parse_event(raw) for raw in (raws or ()))
            return self.apply_all(e for e in events if e is not None)

        topics = replay(snapshot.get("events"))
        if snapshot.get("session_id") is not None:
            self.session_id = int(snapshot["session_id"])
        if snapshot.get("display"):
            self.display = str(snapshot["display"])
            topics.add("pipeline")
        service = snapshot.get("service")
        if isinstance(service, Mapping) and service.get("xauthority"):
            self.xauthority = str(service["xauthority"])
        if snapshot.get("pipeline"):
            self.pipeline_state = str(snapshot["pipeline"])
        for name, raw in (snapshot.get("legs") or {}).items():
            leg = self._leg(name)
            leg.live, leg.url = bool(raw.get("live")), raw.get("url")
            leg.viewers, leg.health = raw.get("viewers"), raw.get("health")
            leg.stopped = raw.get("stopped") is not None
            if raw.get("name"):
                self.names[name] = str(raw["name"])
            leg.error = (raw.get("failed") or {}).get("error")
            steps = raw.get("steps") or []
            if steps:
                leg.step, leg.step_state = steps[-1].get("step", ""), steps[-1].get("state", "")
            topics.add("legs")
        for name, raw in (snapshot.get("destinations") or {}).items():
            self.destinations[name] = DestinationHealth(
                name, str(raw.get("state", "connecting")), str(raw.get("reason") or ""),
                int(raw.get("attempt") or 0), raw.get("retry_at"),
            )  # fmt: skip
            topics.add("destinations")
        topics |= replay((snapshot.get("encoder") or {}).values())
        samples = sorted(
            (float(at), platform, int(n))
            for platform, raw in (snapshot.get("viewers") or {}).items()
            for at, n in raw.get("history") or ()
        )
        latest: dict[str, int] = {}
        for at, platform, n in samples:
            latest[platform] = n
            self.viewer_history.append((at, sum(latest.values())))
        if samples:
            topics.add("viewers")
        for key in ("chat", "pending", "notices"):
            topics |= replay(snapshot.get(key))
        topics |= replay(
            snapshot.get(k)
            for k in ("slides", "poll_results", "clawcast_slot", "ended")
            if snapshot.get(k)
        )
        if isinstance(snapshot.get("queue"), Mapping):
            self.queue = dict(snapshot["queue"])
            topics.add("queue")
        return topics

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

    # -- helpers -----------------------------------------------------------------------

    def _leg(self, platform: str) -> Leg:
        return self.legs.setdefault(platform, Leg(platform))

    def _own_name(self, platform: str) -> str | None:
        return self.names.get(platform) or self.me

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
        poll = next((s for s in self.slides_on_air if s.get("type") == "poll"), None)
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


def _step_key(event: OperatorAnswered | OperatorWithdrawn) -> str:
    step_id = getattr(event, "id", None)
    return step_id or f"{event.platform}-{event.need}"
