"""End to end: a real detached broadcast service (``studio golive --detach`` with the
audio bus), the console attached to it over the control socket, a line typed in the
voice pane's say box; the recording at the RTMP receiver carries that speech after it,
silence before it, and one FFmpeg process runs throughout."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from pathlib import Path

import pytest
from textual.widgets import Input

from studio.console.app import ConsoleApp
from studio.console.service_client import ServiceClient
from tests.audio.audio_helpers import SILENT_DB, levels, loudest, spans
from tests.broadcast.broadcast_helpers import descendants, need
from tests.console.console_helpers import LARGE, frozen_config, until
from tests.control.test_control_service import (  # noqa: F401 - world is a fixture
    register,
    running,
    service_env,
    start,
    status,
    studio,
    wait_gone,
    world,
)

pytestmark = pytest.mark.processes


def ffmpeg_under(pid: int) -> list[int]:
    """The FFmpeg processes among ``pid``'s descendants."""
    return sorted(
        child
        for child, command in descendants(pid).items()
        if Path(command.split(" ", 1)[0]).name == "ffmpeg"
    )


def encoded(env: dict[str, str]) -> float:
    """The encoder's out_time (its stats' source is the process, not a relay)."""
    sources = status(env).get("encoder") or {}
    return max(
        (float(s.get("out_time") or 0.0) for k, s in sources.items() if not k.startswith("relay:")),
        default=0.0,
    )


def wait_encoded(env: dict[str, str], seconds: float, limit: float = 120.0) -> float:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if (now := encoded(env)) >= seconds:
            return now
        time.sleep(0.3)
    last = status(env)
    raise AssertionError(
        f"{seconds:.1f} s never encoded: state {last.get('state')}, pipeline "
        f"{last.get('pipeline')}, encoder {last.get('encoder')}, notices {last.get('notices')}"
    )


async def test_the_console_say_box_is_heard_on_air_with_one_ffmpeg(world, tmp_path: Path):  # noqa: ANN001, F811
    need("pulseaudio", "paplay", "espeak-ng")
    await register(world.origin, verified=True)
    env = service_env(world, tmp_path)
    pid = await asyncio.to_thread(start, env, "--retake")
    line = "Hello viewers, the console speaks on air."
    try:
        await asyncio.to_thread(wait_encoded, env, 0.1)  # the encoder runs
        (ffmpeg,) = ffmpeg_under(pid)
        app = ConsoleApp(ServiceClient(tmp_path / "state" / "control.sock"), frozen_config())
        async with app.run_test(size=LARGE, notifications=True) as pilot:
            await until(pilot, app.attached.is_set, 30)
            await until(pilot, lambda: app.model.live, 60)
            await pilot.press("f11")
            await until(pilot, lambda: app.model.audio.available, 30)
            said = await asyncio.to_thread(wait_encoded, env, 5.0)  # 5 s of silence first
            app.query_one("#say", Input).value = line
            await pilot.press("enter")
            await until(pilot, lambda: app.model.audio.speaking is not None, 30)
            assert app.model.audio.speaking[1] == line
            await until(pilot, lambda: app.model.audio.speaking is None, 60)
            ok = [r for c, r in app.responses if c.verb == "say"]
            assert len(ok) == 1 and ok[0].ok and ok[0].data == {"utterance": 1}
        ended = await asyncio.to_thread(wait_encoded, env, encoded(env) + 3)
        assert ffmpeg_under(pid) == [ffmpeg]  # the same FFmpeg before and after
        stopped = await asyncio.to_thread(studio, ["stop"], env, 90)
        assert stopped.returncode == 0, stopped.stderr
        await asyncio.to_thread(wait_gone, pid)
    finally:
        if running(pid):
            os.kill(pid, signal.SIGKILL)
    (recording,) = world.receiver.recordings("retake")
    measured = levels(recording)
    loud = spans(measured)
    print("loud spans (s):", loud, "said at", said, "ended", ended, "ffmpeg", ffmpeg)
    assert len(loud) == 1, loud
    ((a, b),) = loud
    # the encoder's out_time and the recording's timestamps are two clocks (up to ~1.5 s)
    assert said - 1.5 <= a <= said + 4 and 1.0 <= b - a <= 8
    assert loudest(measured, a, b) > -30
    assert loudest(measured, 0.5, a - 0.3) < SILENT_DB  # silence before the line
