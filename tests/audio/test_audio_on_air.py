"""Sound through the real pipeline: Xvfb, xterm, the studio's PulseAudio, one FFmpeg
encode to nginx-rtmp, and the recording measured with FFmpeg's astats per window."""

from __future__ import annotations

import shutil
import signal
from pathlib import Path

import pytest

from studio.audio.desk import AudioDesk
from studio.backoff import Backoff
from studio.broadcast.destinations import Destination
from studio.broadcast.pipeline import BroadcastPipeline
from studio.errors import StudioError
from studio.events import EventBus
from studio.sandbox.rtmp_receiver import RtmpReceiver
from tests.audio.audio_helpers import (
    LOUD_DB,
    SILENT_DB,
    audio_packet_times,
    levels,
    loudest,
    median_db,
    spans,
    tone,
)
from tests.broadcast.broadcast_helpers import KIOSK, Recorder, ffprobe, need, wait_until

pytestmark = pytest.mark.processes

FAST = Backoff(first=0.5, factor=1.5, cap=2.0, jitter=0.1, attempts=None)


@pytest.fixture(autouse=True)
def _binaries() -> None:
    need("Xvfb", "xterm", "xwininfo", "ffmpeg", "ffprobe", "pulseaudio", "paplay", "espeak-ng")


def pipeline(receiver: RtmpReceiver, bus: EventBus, app: str = "retake") -> BroadcastPipeline:
    destination = Destination.from_parts(app, receiver.url(app), f"{app}key0001")
    return BroadcastPipeline([destination], KIOSK, bus=bus, backoff=FAST, relay_backoff=FAST)


def out_time(live: BroadcastPipeline) -> float:
    return live.stats.out_time if live.stats else 0.0


async def encode_until(live: BroadcastPipeline, seconds: float) -> None:
    await wait_until(lambda: out_time(live) >= seconds, seconds + 20, f"{seconds:.1f} s encoded")


async def test_say_is_heard_after_it_and_silence_elsewhere_with_one_ffmpeg(
    receiver: RtmpReceiver, bus: EventBus, recorder: Recorder
) -> None:
    async with pipeline(receiver, bus) as live:
        desk = AudioDesk(live.sound, bus)  # type: ignore[arg-type]
        try:
            assert await live.wait_live(limit=15)
            assert live.encoder is not None
            pid = live.encoder.process.pid
            await encode_until(live, 4)
            first_said = out_time(live)
            desk.say("Hello viewers. This is the studio, speaking live.")
            await desk.voice.wait_idle(30)
            await encode_until(live, out_time(live) + 3)
            # two lines at once: queued, one after the other
            second_said = out_time(live)
            desk.say("First line.")
            desk.say("Second line, after the first.")
            await desk.voice.wait_idle(30)
            await encode_until(live, out_time(live) + 3)
            ended = out_time(live)
            assert live.encoder.process.pid == pid and live.encoder.running
        finally:
            await desk.close()
    started = [e.process for e in recorder.of("process.started")]
    assert started == ["pulseaudio", "Xvfb", "xterm", "ffmpeg"]  # one FFmpeg throughout
    assert [e.state for e in recorder.of("audio.state")] == ["on"]
    said = recorder.of("audio.speech_started")
    finished = recorder.of("audio.speech_finished")
    assert [e.utterance for e in said] == [1, 2, 3] and all(not e.error for e in finished)
    assert said[2].at >= finished[1].at  # never overlapping

    (recording,) = receiver.recordings("retake")
    audio = next(s for s in ffprobe(recording) if s["codec_type"] == "audio")
    assert (audio["codec_name"], audio["channels"], audio["sample_rate"]) == ("aac", 2, "44100")
    # the track never disappears: packets all the way, no hole longer than a few frames
    times = audio_packet_times(recording)
    assert times[-1] >= ended - 1.5
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) < 0.1

    measured = levels(recording)
    loud = spans(measured)
    print("loud spans (s):", loud, "said at", first_said, second_said, "ended", ended)
    print("speech peaks (dB):", [round(loudest(measured, a, b), 1) for a, b in loud])
    assert len(loud) == 3, loud
    (a1, b1), (a2, b2), (a3, b3) = loud
    # The encoder's reported out_time and the recording's own timestamps are two clocks
    # (the receiver's file starts at the first packet it got): up to about a second apart.
    early = 1.5
    assert first_said - early <= a1 <= first_said + 3 and 1.0 <= b1 - a1 <= 6
    assert second_said - early <= a2 <= second_said + 3 and b2 < a3  # two separate spans
    for a, b in loud:
        assert loudest(measured, a, b) > -30
    # silence elsewhere: before, between and after the speech
    quiet = [(0.5, a1 - 0.3), (b1 + 0.3, a2 - 0.3), (b3 + 0.3, ended - 1.0)]
    print(
        "ffmpeg pid",
        pid,
        "quiet windows at most (dB):",
        [loudest(measured, a, b) for a, b in quiet],
    )
    for a, b in quiet:
        assert loudest(measured, a, b) < SILENT_DB, (a, b, measured)


async def test_music_loops_on_air_and_ducks_under_speech(
    receiver: RtmpReceiver, bus: EventBus, recorder: Recorder, tmp_path: Path
) -> None:
    (tmp_path / "set").mkdir()
    tone(tmp_path / "set" / "tone.wav", 12000, 4)
    async with pipeline(receiver, bus, "basefm") as live:
        desk = AudioDesk(live.sound, bus)  # type: ignore[arg-type]
        try:
            assert await live.wait_live(limit=15)
            assert await desk.play_music(tmp_path / "set", loop=True) == 1
            await encode_until(live, out_time(live) + 6)
            said = out_time(live)
            desk.say("The music goes down while I speak.")
            await desk.voice.wait_idle(30)
            await encode_until(live, out_time(live) + 6)
            ended = out_time(live)
        finally:
            await desk.close()
    assert len(recorder.of("audio.track_started")) >= 3  # a 4 s track looped

    (recording,) = receiver.recordings("basefm")
    music = levels(recording, pre=",".join(["highpass=f=11000"] * 3))
    speech = levels(recording, pre=",".join(["lowpass=f=3000"] * 4))
    (spoken,) = spans(speech, LOUD_DB)
    playing = [t for t, level in music if level > LOUD_DB]
    start = playing[0]
    assert start < said
    before = median_db(music, start + 0.5, spoken[0] - 0.3)
    during = median_db(music, spoken[0] + 0.5, spoken[1] - 0.3)
    after = median_db(music, spoken[1] + 1.0, ended - 1.0)
    print(f"on air: music {before:.1f} dB, {during:.1f} dB under speech, {after:.1f} dB after")
    assert during < before - 12 and abs(after - before) < 3
    # the loop goes on: music (ducked or not) from its start to the end, the only holes
    # the few milliseconds between one paplay and the next (one window at most)
    holes = [t for t, level in music if start + 0.2 < t < ended - 1.0 and level < SILENT_DB]
    assert all(b - a > 0.15 for a, b in zip(holes, holes[1:], strict=False)), holes
    assert len(holes) <= len(recorder.of("audio.track_started")), holes


async def test_a_dead_sound_server_comes_back_and_the_voice_with_it(
    receiver: RtmpReceiver, bus: EventBus, recorder: Recorder
) -> None:
    async with pipeline(receiver, bus) as live:
        desk = AudioDesk(live.sound, bus)  # type: ignore[arg-type]
        try:
            assert await live.wait_live(limit=15)
            assert live.sound is not None and live.sound.process is not None
            live.sound.process.signal(signal.SIGKILL)
            await wait_until(lambda: recorder.of("pipeline.recovered"), 20, "recovery")
            assert recorder.of("pipeline.recovered")[0].restarted == ["pulseaudio", "ffmpeg"]
            assert live.sound.running and live.encoder is not None and live.encoder.running
            assert live.encoder.audio[-1] == "studio.monitor"
            assert live.sound.server in live.encoder.audio
            await encode_until(live, out_time(live) + 1)
            desk.say("Back on air.")
            await desk.voice.wait_idle(30)
            await encode_until(live, out_time(live) + 1)
        finally:
            await desk.close()
    (finished,) = recorder.of("audio.speech_finished")
    assert finished.error == ""
    # the encoder's new recording (after the restart) carries the voice
    newest = receiver.recordings("retake")[-1]
    assert len(receiver.recordings("retake")) == 2
    assert len(spans(levels(newest))) == 1


async def test_without_a_sound_server_the_stream_carries_silence_and_says_why(
    receiver: RtmpReceiver,
    bus: EventBus,
    recorder: Recorder,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for program in ("Xvfb", "xterm", "xwininfo", "xauth", "ffmpeg", "xdotool", "sh"):
        if found := shutil.which(program):
            (bin_dir / program).symlink_to(found)
    monkeypatch.setenv("PATH", str(bin_dir))
    async with pipeline(receiver, bus) as live:
        assert await live.wait_live(limit=15)
        assert live.sound is not None
        desk = AudioDesk(live.sound, bus)
        with pytest.raises(StudioError) as unheard:
            desk.say("Can anyone hear me?")
        assert "no sound server" in str(unheard.value) and "studio doctor" in str(unheard.value)
        await desk.close()
        await encode_until(live, 3)
    (state,) = recorder.of("audio.state")
    assert state.state == "silent"
    assert "pulseaudio (pulseaudio)" in state.reason and "scripts/install" in state.reason
    assert live.silent_because == state.reason
    monkeypatch.undo()
    (recording,) = receiver.recordings("retake")
    assert {s["codec_type"] for s in ffprobe(recording)} == {"video", "audio"}
    assert all(level < SILENT_DB for _, level in levels(recording))
