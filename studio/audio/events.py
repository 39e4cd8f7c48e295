"""Events of the audio bus, published on a ``studio.events.EventBus``."""

from __future__ import annotations

from studio.events import Event


class SpeechQueued(Event):
    """A line was accepted and waits its turn (``SpeechStarted`` follows when it plays)."""

    kind = "audio.speech_queued"
    utterance: int
    text: str


class SpeechStarted(Event):
    """An utterance began playing into the stream (what a caption shows)."""

    kind = "audio.speech_started"
    utterance: int
    text: str
    engine: str


class SpeechFinished(Event):
    kind = "audio.speech_finished"
    utterance: int
    error: str = ""


class TrackStarted(Event):
    """A music file began playing (``position`` counts from 1 in the playlist)."""

    kind = "audio.track_started"
    title: str
    position: int
    tracks: int


class MusicStopped(Event):
    """The music ended: stopped by a command, or a playlist played once to its end."""

    kind = "audio.music_stopped"


class SoundPlayed(Event):
    """A short sound tied to an alert (a tip, a follow) was played."""

    kind = "audio.sound"
    alert: str
    title: str


class MixerChanged(Event):
    """Volumes in percent (100 = as recorded) and whether the whole stream is muted."""

    kind = "audio.mixer"
    volumes: dict[str, int]
    muted: bool
