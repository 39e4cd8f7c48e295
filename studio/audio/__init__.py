"""The stream's sound: a private sound server, speech, music, alert sounds and the mixer.

No UI here; the broadcast pipeline runs the server, the desk is what commands call."""

from studio.audio.desk import AudioDesk
from studio.audio.events import (
    MixerChanged,
    MusicStopped,
    SoundPlayed,
    SpeechFinished,
    SpeechQueued,
    SpeechStarted,
    TrackStarted,
)
from studio.audio.music import Music, playlist
from studio.audio.playback import Mixer, Playback
from studio.audio.speech import EspeakEngine, PiperEngine, SpeechEngine, Voice

__all__ = [
    "AudioDesk",
    "EspeakEngine",
    "Mixer",
    "MixerChanged",
    "Music",
    "MusicStopped",
    "PiperEngine",
    "Playback",
    "SoundPlayed",
    "SpeechEngine",
    "SpeechFinished",
    "SpeechQueued",
    "SpeechStarted",
    "TrackStarted",
    "Voice",
    "playlist",
]
