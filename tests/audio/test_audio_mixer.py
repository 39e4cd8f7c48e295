"""The sound server, the mixer and the voice on their own: real PulseAudio, paplay,
espeak-ng, levels measured on what the sink's monitor carries."""

from __future__ import annotations

import asyncio
import os
import stat
from pathlib import Path

import pytest

from studio.audio.desk import AudioDesk
from studio.audio.music import playlist
from studio.audio.speech import MAX_CHARS, speakable
from studio.broadcast.processes import run_capture
from studio.broadcast.sound_server import SINK, SoundServer
from studio.errors import ValidationFailed
from studio.events import EventBus
from tests.audio.audio_helpers import SILENT_DB, levels, mean_db, tone
from tests.broadcast.broadcast_helpers import Recorder, need, wait_until

pytestmark = pytest.mark.processes


async def record_monitor(
    server: SoundServer, path: Path, seconds: float
) -> list[tuple[float, float]]:
    code, _, err = await run_capture(
        [
            "ffmpeg", "-v", "error", "-f", "pulse", "-server", server.server,
            "-i", server.monitor, "-t", str(seconds), "-y", str(path),
        ],
        limit=seconds + 10,
    )  # fmt: skip
    assert code == 0, err
    return levels(path)


async def test_the_sound_server_is_private_and_gone_after_stop(sound: SoundServer) -> None:
    assert sound.folder is not None and sound.socket is not None
    assert stat.S_IMODE(sound.folder.stat().st_mode) == 0o700
    assert sound.socket.is_socket()
    code, out, _ = await sound.pactl("info")
    assert code == 0 and f"Default Sink: {SINK}" in out
    pid = sound.process.pid if sound.process else None
    assert pid is not None and os.getpgid(pid) == pid  # its own process group, our child
    folder = sound.folder
    await sound.stop()
    assert not sound.running and not folder.exists()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


async def test_volume_and_mute_change_what_the_sink_carries(
    sound: SoundServer, tmp_path: Path
) -> None:
    bus = EventBus()
    recorder = Recorder(bus)
    desk = AudioDesk(sound, bus)
    try:
        assert await desk.play_music(tone(tmp_path / "tone.wav", 440, 30), loop=True) == 1
        await wait_until(lambda: bool(recorder.of("audio.track_started")), 5, "the track starts")
        await wait_until_streams(desk, "music")
        full = mean_db(await record_monitor(sound, tmp_path / "full.wav", 1.5), 0.3, 1.5)
        await desk.set_volume("music", 50)
        half = mean_db(await record_monitor(sound, tmp_path / "half.wav", 1.5), 0.3, 1.5)
        await desk.set_muted(True)
        muted = await record_monitor(sound, tmp_path / "muted.wav", 1.5)
        await desk.set_muted(False)
        await desk.set_volume("master", 25)
        quarter = mean_db(await record_monitor(sound, tmp_path / "q.wav", 1.5), 0.3, 1.5)
    finally:
        await desk.close()
    print(f"levels: full {full:.1f} dB, music 50% {half:.1f} dB, master 25% {quarter:.1f} dB")
    assert -24 < full < -18  # the sine's -21 dBFS
    # PulseAudio's volume curve is cubic: 50 % is -18 dB
    assert full - 22 < half < full - 14
    assert all(level < SILENT_DB for _, level in muted)
    assert half - 40 < quarter < half - 32  # 25 % is -36 dB
    mixer = recorder.of("audio.mixer")[-1]
    assert mixer.volumes == {"master": 25, "speech": 100, "music": 50, "sound": 100}
    assert mixer.muted is False


async def wait_until_streams(desk: AudioDesk, role: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    while not await desk.mixer.streams(role):
        assert loop.time() < deadline, f"no {role} stream appeared"
        await asyncio.sleep(0.1)


async def test_music_ducks_under_speech_and_comes_back(sound: SoundServer, tmp_path: Path) -> None:
    need("espeak-ng")
    desk = AudioDesk(sound, EventBus())
    path = tmp_path / "ducking.wav"
    try:
        await desk.play_music(tone(tmp_path / "tone.wav", 12000, 30), loop=True)
        await wait_until_streams(desk, "music")
        recording = asyncio.create_task(
            run_capture(
                [
                    "ffmpeg",
                    "-v",
                    "error",
                    "-f",
                    "pulse",
                    "-server",
                    sound.server,
                    "-i",
                    sound.monitor,
                    "-t",
                    "9",
                    "-y",
                    str(path),
                ],
                limit=20,
            )  # fmt: skip
        )
        # 1.5 s of music recorded first (48 kHz stereo s16: 192 kB a second)
        await wait_until(
            lambda: path.exists() and path.stat().st_size > 290_000, 10, "1.5 s recorded"
        )
        desk.say("The music goes down while I speak, and comes back after.")
        await desk.voice.wait_idle(30)
        code, _, err = await recording
        assert code == 0, err
    finally:
        await desk.close()
    music = levels(path, pre="highpass=f=11000,highpass=f=11000,highpass=f=11000")
    speech = levels(path, pre=",".join(["lowpass=f=3000"] * 4))
    spoken = [t for t, level in speech if level > -45]
    assert spoken, "no speech was heard"
    start, end = spoken[0], spoken[-1]
    before = mean_db(music, 0.3, start - 0.3)
    during = mean_db(music, start + 0.5, end - 0.3)
    after = mean_db(music, end + 1.0, 9)
    print(f"music: {before:.1f} dB before speech, {during:.1f} dB under it, {after:.1f} dB after")
    assert during < before - 12
    assert abs(after - before) < 3


def test_speech_is_bounded_and_names_the_rule() -> None:
    assert speakable("  hello\x1b[31m\n world ") == "hello [31m world"
    with pytest.raises(ValidationFailed) as too_long:
        speakable("a" * (MAX_CHARS + 1))
    assert str(too_long.value.problems[0]) == (
        f"text: must be at most {MAX_CHARS} characters (got {MAX_CHARS + 1})"
    )
    with pytest.raises(ValidationFailed) as empty:
        speakable(" \n\t ")
    assert str(empty.value.problems[0]) == "text: must not be empty"


async def test_a_full_queue_refuses_more(sound: SoundServer) -> None:
    desk = AudioDesk(sound, EventBus())
    try:
        for i in range(5):
            desk.say(f"line {i}")
        with pytest.raises(ValidationFailed) as full:
            desk.say("one too many")
        assert "at most 5 utterances may wait" in str(full.value)
    finally:
        await desk.close()


def test_a_playlist_names_what_is_wrong(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "notes.txt").write_text("no music here")
    assert [str(p) for p in playlist(empty)[1]] == [
        f"music: {empty} holds no audio file (.wav, .flac, .ogg, .oga, .opus, .mp3, .aiff, .aif, .au)"
    ]
    assert [str(p) for p in playlist(tmp_path / "nope.mp3")[1]] == [
        f"music: {tmp_path / 'nope.mp3'} does not exist"
    ]
    folder = tmp_path / "set"
    folder.mkdir()
    tone(folder / "b.wav", 440, 0.5)
    tone(folder / "a.flac", 440, 0.5)
    assert playlist(folder) == ([folder / "a.flac", folder / "b.wav"], [])


async def test_a_tip_plays_its_sound_and_a_burst_is_one_sound(
    sound: SoundServer, tmp_path: Path
) -> None:
    from studio.golive.events import AudienceAlert

    bus = EventBus()
    recorder = Recorder(bus)
    chime = tone(tmp_path / "chime.wav", 880, 1.5)
    desk = AudioDesk(sound, bus, alert_sounds={"tip": chime})
    path = tmp_path / "alerts.wav"
    try:
        recording = asyncio.create_task(
            run_capture(
                [
                    "ffmpeg",
                    "-v",
                    "error",
                    "-f",
                    "pulse",
                    "-server",
                    sound.server,
                    "-i",
                    sound.monitor,
                    "-t",
                    "4",
                    "-y",
                    str(path),
                ],
                limit=15,
            )  # fmt: skip
        )
        await wait_until(lambda: path.exists() and path.stat().st_size > 100_000, 10, "recording")
        tip = AudienceAlert(platform="retake", alert="tip", who="alice", amount="5.00")
        bus.publish(tip)
        bus.publish(tip.model_copy(update={"who": "carol"}))  # while the chime still plays
        bus.publish(AudienceAlert(platform="retake", alert="follow", who="bob"))  # no sound set
        code, _, err = await recording
        assert code == 0, err
    finally:
        await desk.close()
    assert [(e.alert, e.title) for e in recorder.of("audio.sound")] == [("tip", "chime")]
    measured = levels(path)
    loud = [t for t, level in measured if level > -30]
    assert loud and 1.2 <= loud[-1] - loud[0] + 0.1 <= 1.8  # one chime of 1.5 s, not two
