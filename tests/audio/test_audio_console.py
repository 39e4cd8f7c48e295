"""The console's voice pane against the real control API and a real audio desk on the
studio's own sound server: what is typed is spoken, music plays and stops, volumes and
mute reach the sink; nothing in the console touches the sound server itself."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from textual.widgets import Checkbox, Input, Label

from studio.audio.desk import AudioDesk
from studio.broadcast.sound_server import SoundServer
from studio.console.app import ConsoleApp
from studio.console.panes.voice.voice_pane import VoicePane
from studio.console.service_client import ServiceClient
from tests.audio.audio_helpers import tone
from tests.broadcast.broadcast_helpers import Recorder, need
from tests.console.console_helpers import LARGE, click, frozen_config, until
from tests.control.control_helpers import served

pytestmark = pytest.mark.processes


async def test_the_voice_pane_speaks_plays_and_mixes_through_the_service(
    sound: SoundServer, tmp_path: Path
) -> None:
    need("espeak-ng")
    bell = tone(tmp_path / "bell.wav", 880, 1)
    track = tone(tmp_path / "set.wav", 440, 8)
    async with served() as s:
        recorder = Recorder(s.bus)
        desk = AudioDesk(sound, s.bus, alert_sounds={"tip": bell})
        s.runtime.golive = SimpleNamespace(audio=desk)  # type: ignore[assignment]
        app = ConsoleApp(ServiceClient(s.socket_path), frozen_config())
        try:
            async with app.run_test(size=LARGE, notifications=True) as pilot:
                await until(pilot, app.attached.is_set)
                await pilot.press("f11")
                pane = app.query_one(VoicePane)
                await until(pilot, lambda: app.model.audio.available)
                assert app.model.audio.alert_sounds == {"tip": "bell.wav"}
                assert app.model.audio.volumes == {
                    "master": 100, "speech": 100, "music": 100, "sound": 100,
                }  # fmt: skip
                say = app.query_one("#say", Input)
                assert app.focused is say
                # the core's length rule, as typed: nothing is sent
                say.value = "a" * 301
                problem = app.query_one("#say-problem", Label)
                await until(pilot, lambda: not problem.has_class("hidden"))
                assert "text: must be at most 300 characters (got 301)" in str(problem.content)
                await pilot.press("enter")
                await pilot.pause(0.2)
                assert [c.verb for c, _ in app.responses if c.verb == "say"] == []
                # Enter speaks it: the desk says the very text typed
                line = "Hello from the console's say box."
                say.value = line
                await until(pilot, lambda: problem.has_class("hidden"))
                await pilot.press("enter")
                await until(pilot, lambda: recorder.of("audio.speech_started"))
                assert [e.text for e in recorder.of("audio.speech_started")] == [line]
                await until(pilot, lambda: app.model.audio.speaking == (1, line)
                            or recorder.of("audio.speech_finished"))  # fmt: skip
                await until(pilot, lambda: recorder.of("audio.speech_finished"))
                await until(pilot, lambda: app.model.audio.speaking is None)
                assert say.value == "" and app.model.audio.waiting == {}
                assert recorder.of("audio.speech_finished")[0].error == ""
                # music: a file, looped; the pane shows what plays; then stop
                app.query_one("#music-path", Input).value = str(track)
                app.query_one("#music-loop", Checkbox).value = True
                await click(pilot, "#music-play")
                await until(pilot, lambda: app.model.audio.track is not None)
                assert app.model.audio.track.title == "set"
                assert desk.music is not None and desk.music.loop
                # volumes: one step down for the music, on the desk and the pane
                await click(pilot, "#down-music")
                await until(pilot, lambda: app.model.audio.volumes.get("music") == 90)
                assert desk.mixer.volumes["music"] == 90
                assert str(app.query_one("#volume-music", Label).content) == "90 %"
                # mute from the keyboard: the sink itself is muted
                await pilot.press("ctrl+x")
                await until(pilot, lambda: app.model.audio.muted)
                code, out, _ = await sound.pactl("get-sink-mute", "studio")
                assert code == 0 and "yes" in out
                await pilot.press("ctrl+x")
                await until(pilot, lambda: app.model.audio.muted is False)
                await pilot.press("ctrl+e")
                await until(pilot, lambda: app.model.audio.track is None)
                assert desk.music is None
                assert pane.query_one("#now-playing").render() is not None
        finally:
            await desk.close()


async def test_without_sound_the_pane_says_why(tmp_path: Path) -> None:
    async with served() as s:
        app = ConsoleApp(ServiceClient(s.socket_path), frozen_config())
        async with app.run_test(size=LARGE, notifications=True) as pilot:
            await until(pilot, app.attached.is_set)
            await pilot.press("f11")
            await until(pilot, lambda: app.model.audio.available is False)
            assert "there is no sound yet" in app.model.audio.refusal
            app.query_one("#say", Input).value = "Anyone there?"
            await pilot.press("enter")
            await until(pilot, lambda: app.responses and app.responses[-1][0].verb == "say")
            command, response = app.responses[-1]
            assert not response.ok and response.code == 409
            await until(pilot, lambda: any("no sound yet" in n.message for n in app._notifications))
