"""The encoder's x264 settings: tuned for terminal content by default, the seed's one
flag away (``studio golive --x264 seed``), carried from the flag to FFmpeg's argv."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest
from click.testing import CliRunner

from studio.broadcast.destinations import Destination
from studio.broadcast.encoder import Encoder
from studio.broadcast.ffmpeg_command import DEFAULT_X264, X264, encoder_argv, video_options
from studio.cli.golive_cmd import golive
from studio.config import Paths, PlatformUrls
from studio.events import EventBus
from studio.golive.assemble import build
from studio.golive.operator import GivenAnswers
from studio.golive.plan import Plan

DEST = Destination.from_parts("retake", "rtmp://127.0.0.1:1935/retake", "keyalpha0001")
TERMINAL = "-preset ultrafast -tune zerolatency -x264-params aq-mode=0 -threads 1"
SEED = "-preset veryfast -tune zerolatency"


def x264_part(argv: list[str]) -> str:
    """The argv from ``-c:v`` up to the output format, as one string."""
    return " ".join(argv[argv.index("-c:v") : argv.index("-flags")])


def test_the_default_is_tuned_for_terminals_and_the_seed_is_one_name_away() -> None:
    assert DEFAULT_X264 == "terminal"
    assert TERMINAL in x264_part(encoder_argv(":7", [DEST]))
    assert "veryfast" not in encoder_argv(":7", [DEST])
    seed = x264_part(encoder_argv(":7", [DEST], x264="seed"))
    assert SEED in seed and "ultrafast" not in seed and "sws_flags" not in seed
    for argv in (encoder_argv(":7", [DEST]), encoder_argv(":7", [DEST], x264="seed")):
        joined = " ".join(argv)
        # the seed's rate control and pixel format hold for both
        assert "-b:v 1500k -maxrate 1500k -bufsize 3000k -pix_fmt yuv420p -g 60" in joined
        assert argv.count("-preset") == 1 and argv.count("-c:v") == 1


def test_unknown_settings_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown x264 settings 'fast'.*terminal, seed"):
        video_options("fast")


def test_the_encoder_carries_its_settings() -> None:
    assert SEED in Encoder(":7", [DEST], EventBus(), x264="seed").process.command_line
    assert TERMINAL in Encoder(":7", [DEST], EventBus()).process.command_line


def test_the_plan_and_the_flag_know_exactly_the_settings_that_exist() -> None:
    assert set(get_args(Plan.model_fields["x264"].annotation)) == set(X264)
    assert Plan().x264 == "terminal"
    refused = CliRunner().invoke(golive, ["--headless", "--x264", "fast"])
    assert refused.exit_code == 2
    assert (
        "--x264" in refused.output and "'fast' is not one of 'terminal', 'seed'" in refused.output
    )


@pytest.mark.parametrize("name", ["seed", "terminal"])
def test_go_live_builds_its_pipeline_with_the_chosen_settings(tmp_path: Path, name: str) -> None:
    plan = Plan(
        rtmp=["rtmp://127.0.0.1:1935/extra/k1"], x264=name, log=tmp_path / "s.log", kiosk=False
    )
    paths = Paths(tmp_path / "creds.json", tmp_path / "state", tmp_path / "config")
    sequence = build(
        plan,
        bus=EventBus(),
        operator=GivenAnswers({}),
        urls=PlatformUrls("http://127.0.0.1:9", "http://127.0.0.1:9", "http://127.0.0.1:9"),
        paths=paths,
    )
    assert sequence.pipeline_factory is not None
    pipeline = sequence.pipeline_factory([DEST], None, None)
    assert pipeline.x264 == name
