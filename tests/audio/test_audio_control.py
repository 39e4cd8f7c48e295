"""say, music, volume and mute as control API commands: over the real Unix socket to a
real audio desk on the studio's own sound server."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from studio.audio.desk import AudioDesk
from studio.broadcast.sound_server import SoundServer
from studio.control.client import CommandFailed, ControlClient
from tests.audio.audio_helpers import tone
from tests.broadcast.broadcast_helpers import Recorder, need, wait_until
from tests.control.control_helpers import served

pytestmark = pytest.mark.processes


async def test_sound_commands_reach_the_desk_and_name_broken_rules(
    sound: SoundServer, tmp_path: Path
) -> None:
    need("espeak-ng")
    async with served() as s:
        client = await ControlClient.connect(s.socket_path, events=[])
        try:
            with pytest.raises(CommandFailed) as no_sound:
                await client.call("say", text="too early")
            assert no_sound.value.response.code == 409
            recorder = Recorder(s.bus)
            desk = AudioDesk(sound, s.bus)
            s.runtime.golive = SimpleNamespace(audio=desk)  # type: ignore[assignment]
            assert await client.call("say", text="Hello from the control API.") == {"utterance": 1}
            await desk.voice.wait_idle(30)
            assert [e.text for e in recorder.of("audio.speech_started")] == [
                "Hello from the control API."
            ]
            with pytest.raises(CommandFailed) as too_long:
                await client.call("say", text="a" * 301)
            assert too_long.value.response.code == 400
            assert too_long.value.response.problems[0]["field"] == "text"
            track = tone(tmp_path / "t.wav", 440, 5)
            assert await client.call("music", path=str(track), loop=True) == {"tracks": 1}
            await wait_until(lambda: recorder.of("audio.track_started"), 5, "music")
            with pytest.raises(CommandFailed) as missing:
                await client.call("music", path=str(tmp_path / "nope.mp3"))
            assert missing.value.response.problems == [
                {"field": "path", "rule": f"{tmp_path / 'nope.mp3'} does not exist"}
            ]
            with pytest.raises(CommandFailed) as loud:
                await client.call("volume", target="music", percent=200)
            assert loud.value.response.problems[0]["field"] == "percent"
            await client.call("volume", target="music", percent=40)
            await client.call("mute", muted=True)
            mixer = recorder.of("audio.mixer")[-1]
            assert mixer.volumes["music"] == 40 and mixer.muted is True
            code, out, _ = await sound.pactl("get-sink-mute", "studio")
            assert code == 0 and "yes" in out
            await client.call("music", action="stop")
            await desk.close()
        finally:
            await client.close()
