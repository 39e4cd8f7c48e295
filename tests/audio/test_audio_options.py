"""The go-live sound options are validated before anything is sent, naming the flag."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from studio.audio.speech import PiperEngine
from studio.cli.golive_cmd import golive
from studio.errors import StudioError
from studio.golive.plan import Plan
from tests.audio.audio_helpers import tone


def test_sound_options_name_each_broken_rule(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("not audio")
    plan = Plan(retake=True, loop=True, tip_sound=notes, voice_model=tmp_path / "v.onnx")
    assert [str(p) for p in plan.problems()] == [
        "loop: needs music to loop (a file or a folder)",
        "tip_sound: notes.txt must be one of .wav, .flac, .ogg, .oga, .opus, .mp3, .aiff, .aif, .au",
        f"voice_model: {tmp_path / 'v.onnx'} is not a file",
    ]
    track = tone(tmp_path / "set.wav", 440, 0.5)
    assert Plan(retake=True, music=track, loop=True, follow_sound=track).problems() == []


def test_golive_refuses_missing_music_before_sending_anything(tmp_path: Path) -> None:
    missing = tmp_path / "nope"
    result = CliRunner().invoke(golive, ["--retake", "--music", str(missing), "--loop"])
    assert result.exit_code != 0
    assert f"--music: {missing} does not exist" in str(result.exception)


async def test_a_missing_neural_voice_says_what_to_do(tmp_path: Path) -> None:
    engine = PiperEngine(tmp_path / "voice.onnx", binary="piper-not-installed")
    with pytest.raises(StudioError) as missing:
        await engine.synthesize("hello", tmp_path / "out.wav")
    assert "voice.onnx" in str(missing.value) and "--voice-model" in str(missing.value)


def test_a_headless_stdin_line_can_be_a_command() -> None:
    from studio.cli.attach import command_of

    assert command_of('{"command": "say", "args": {"text": "hi there"}}') == (
        "say",
        {"text": "hi there"},
    )
    assert command_of('{"command": "mute"}') == ("mute", {})
    assert command_of('{"need": "tx_hash", "value": "0xab"}') is None  # an answer
    assert command_of("0xabc") is None
    assert command_of('{"command": "say", "args": "hi"}') is None
