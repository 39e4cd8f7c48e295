"""The nginx-rtmp receiver: its own config, recordings, and the sandbox deciding
which keys may publish."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

from studio.broadcast.destinations import Destination
from studio.broadcast.ffmpeg_command import tee_quote, tee_slaves
from studio.sandbox.app import Sandbox, SandboxConfig
from studio.sandbox.rtmp_receiver import RtmpReceiver, free_port, port_open, render_config
from studio.sandbox.server import serve_in_thread
from tests.broadcast.broadcast_helpers import need, need_rtmp


def test_config_is_loopback_only_with_three_recording_apps(tmp_path: Path) -> None:
    text = render_config(
        port=4242,
        record_dir=tmp_path,
        state_dir=tmp_path / "s",
        callback_origin="http://127.0.0.1:8700",
    )
    assert "listen 127.0.0.1:4242;" in text and "daemon off;" in text
    for app in ("retake", "basefm", "extra"):
        assert f"application {app} {{" in text
        assert f"record_path {tmp_path / app};" in text
    assert text.count("record_unique on;") == 3
    # the sandbox decides for retake and basefm; extra accepts any key
    assert text.count("on_publish http://127.0.0.1:8700/_sandbox/rtmp/on_publish;") == 2
    assert "/etc/nginx" not in text


def publish(url: str, seconds: float = 1.5) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "ffmpeg", "-hide_banner", "-loglevel", "error", "-re",
            "-f", "lavfi", "-i", f"testsrc=size=320x180:rate=30:duration={seconds}",
            "-f", "lavfi", "-i", f"anullsrc=channel_layout=stereo:sample_rate=44100:duration={seconds}",
            "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", "-c:a", "aac",
            "-shortest", "-f", "flv", url,
        ],
        capture_output=True, text=True, timeout=30,
    )  # fmt: skip


@pytest.mark.processes
def test_sandbox_refuses_unknown_keys_and_extra_records_anything(tmp_path: Path) -> None:
    need_rtmp()
    need("ffmpeg")
    port = free_port()
    sandbox = Sandbox(SandboxConfig(rtmp_base=f"rtmp://127.0.0.1:{port}"))
    with (
        serve_in_thread(sandbox) as origin,
        RtmpReceiver(port, tmp_path / "rec", origin) as receiver,
    ):
        refused = publish(f"{receiver.url('retake')}/sk_neverhandedout1")
        accepted = publish(f"{receiver.url('extra')}/anykey123")
        assert refused.returncode != 0
        assert accepted.returncode == 0, accepted.stderr
        assert receiver.recordings("retake") == []
        (recording,) = receiver.recordings("extra")
        assert recording.name.startswith("anykey123-") and recording.stat().st_size > 1000
    assert not port_open("127.0.0.1", port)
    assert receiver.state_dir is None and not receiver.running


@pytest.mark.processes
async def test_async_with_starts_and_stops_without_blocking_the_loop(tmp_path: Path) -> None:
    need_rtmp()
    async with RtmpReceiver(record_dir=tmp_path / "rec") as receiver:
        assert receiver.running and port_open("127.0.0.1", receiver.port)
        port = receiver.port
    assert not receiver.running and not port_open("127.0.0.1", port)


TEE_INPUT = [
    "ffmpeg", "-hide_banner", "-loglevel", "error",
    "-f", "lavfi", "-i", "testsrc=size=320x180:rate=30:duration=1",
    "-f", "lavfi", "-i", "anullsrc=channel_layout=stereo:sample_rate=44100:duration=1",
    "-map", "0:v", "-map", "1:a", "-c:v", "libx264", "-preset", "ultrafast",
    "-pix_fmt", "yuv420p", "-c:a", "aac", "-shortest", "-flags", "+global_header",
]  # fmt: skip
ODD_KEYS = ["it's", "pi|pe", "br[ack]et", "co:lon", "back\\slash", "all'|[]:\\'x"]


@pytest.mark.processes
def test_every_destination_is_reached_whatever_its_key_holds(tmp_path: Path) -> None:
    """One unbalanced quote used to take every destination of the tee down."""
    need_rtmp()
    need("ffmpeg")
    with RtmpReceiver(record_dir=tmp_path / "rec") as receiver:
        destinations = [
            Destination(name=f"extra-{i}", url=f"{receiver.url('extra')}/{key}")
            for i, key in enumerate(ODD_KEYS)
        ]
        done = subprocess.run(
            [*TEE_INPUT, "-f", "tee", tee_slaves(destinations, [])],
            capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        # nginx names a recording <key>-<time>.flv, the key percent-encoded
        recorded = {unquote(p.name.rsplit("-", 1)[0]) for p in receiver.recordings("extra")}
    assert recorded == set(ODD_KEYS)


def test_tee_names_with_any_character_reach_their_files(tmp_path: Path) -> None:
    """The same quoting against local files, for what RTMP URLs cannot carry (blanks)."""
    need("ffmpeg")
    names = [" lead", "trail ", "it's", "a|b", "[x]", "c:d", "e\\f", "''", "g'|'h"]
    out = tmp_path / "out"
    out.mkdir()
    targets = [out / f"{name}.flv" for name in names]
    spec = "|".join(f"[f=flv:onfail=ignore]{tee_quote(str(t))}" for t in targets)
    done = subprocess.run(
        [*TEE_INPUT, "-f", "tee", spec], capture_output=True, text=True, timeout=60, cwd=out
    )
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == sorted(t.name for t in targets)
    assert all(t.stat().st_size > 1000 for t in targets)
