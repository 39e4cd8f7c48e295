"""Nothing outlives the studio: a process that owns the pipeline and the RTMP receiver
is killed with SIGKILL, and every process it started (Xvfb, xterm and the kiosk in it,
the FFmpeg encode, a relay, nginx and its workers) goes with it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studio.children import end_leftover, identify
from tests.broadcast.broadcast_helpers import alive, descendants, need, need_rtmp

pytestmark = pytest.mark.processes

OWNER = """
import asyncio, json, socket, sys
from studio.backoff import Backoff
from studio.broadcast.pipeline import BroadcastPipeline
from studio.broadcast.destinations import Destination
from studio.sandbox.rtmp_receiver import RtmpReceiver
from tests.broadcast.broadcast_helpers import KIOSK

async def main():
    # a destination that accepts TCP and never answers: the tee drops it after its
    # timeout and a relay keeps retrying it, so a relay is among the children
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    port = silent.getsockname()[1]
    fast = Backoff(first=0.2, factor=1.0, cap=0.2, jitter=0.0, attempts=None)
    async with RtmpReceiver(record_dir=sys.argv[1]) as receiver:
        destinations = [
            Destination.from_parts("good", receiver.url("retake"), "goodkey0001"),
            Destination.from_parts("silent", f"rtmp://127.0.0.1:{port}/live", "silentkey0001"),
        ]
        pipeline = BroadcastPipeline(destinations, KIOSK, backoff=fast, relay_backoff=fast)
        await pipeline.start()
        while "silent" not in pipeline.relays or pipeline.relays["silent"].process is None:
            await asyncio.sleep(0.1)
        print(json.dumps({"receiver": receiver.pid}), flush=True)
        await asyncio.sleep(600)

asyncio.run(main())
"""


def test_a_killed_owner_takes_every_child_with_it(tmp_path: Path) -> None:
    need("Xvfb", "xterm", "xwininfo", "ffmpeg")
    need_rtmp()
    root = Path(__file__).resolve().parents[2]
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(tmp_path / "rec")],
        stdout=subprocess.PIPE,
        text=True,
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
    )
    tree: dict[int, str] = {}
    try:
        ready = owner.stdout.readline() if owner.stdout else ""
        assert ready, "the owner did not start its pipeline"
        nginx = json.loads(ready)["receiver"]
        tree = descendants(owner.pid)
        names = " | ".join(tree.values())
        assert nginx in tree
        for program in ("Xvfb", "xterm", "ON AIR", "nginx: worker process", "-f tee"):
            assert program in names, f"{program} missing among the children: {names}"
        relays = [cmd for cmd in tree.values() if "-c copy" in cmd]
        assert relays, f"no relay among the children: {names}"

        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        deadline = time.monotonic() + 15
        while (left := {p: c for p, c in tree.items() if alive(p)}) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert left == {}, f"outlived their owner: {left}"
    finally:
        if owner.poll() is None:
            owner.kill()
            owner.wait(10)
        for pid in tree:  # never leave anything behind, even when the test fails
            if (identity := identify(pid)) is not None:
                end_leftover(identity, grace=1.0)
