"""The studio itself killed with ``kill -9`` mid-broadcast: nothing it started
outlives it, and the next studio resumes the paid baseFM session without paying again
and is back on air."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import httpx
import pytest

from tests.broadcast.broadcast_helpers import alive, descendants
from tests.golive.test_golive_headless_cli import read_until, studio

pytestmark = pytest.mark.processes

WALLET = "0x" + "ef" * 20
TX_HASH = "0x" + "34" * 32


def test_kill_9_leaves_nothing_and_the_next_studio_resumes(world, tmp_path: Path, figures) -> None:
    env = {**os.environ, **world.env(), "STUDIO_STATE_DIR": str(tmp_path / "state")}
    args = ["golive", "--headless", "--basefm", "--basefm-wallet", WALLET]
    args += ["--log", str(tmp_path / "stream.log")]
    first = studio([*args, "--tx-hash", TX_HASH], env)
    second = None
    try:
        read_until(first, lambda e: e["event"] == "golive.live" and e["platform"] == "basefm")
        tree = descendants(first.pid)
        names = " | ".join(tree.values())
        for program in ("Xvfb", "xterm", "kiosk run", "ffmpeg"):
            assert program in names, f"{program} missing among the studio's children: {names}"

        first.send_signal(signal.SIGKILL)
        killed = time.monotonic()
        first.wait(10)
        while (
            left := {p: c for p, c in tree.items() if alive(p)}
        ) and time.monotonic() < killed + 15:
            time.sleep(0.05)
        assert left == {}, f"outlived the studio: {left}"
        figures.record(children=len(tree), children_gone_s=round(time.monotonic() - killed, 2))

        started = time.monotonic()
        second = studio([*args, "--resume"], env)
        events = read_until(
            second, lambda e: e["event"] == "golive.live" and e["platform"] == "basefm"
        )
        figures.record(resumed_live_s=round(time.monotonic() - started, 2))
        assert not [e for e in events if e["event"] == "operator.needed"], "asked to pay again"
        state = httpx.get(f"{world.origin}/_sandbox/basefm/state").json()
        assert state["usedTxHashes"] == [TX_HASH]
        assert [s["status"] for s in state["sessions"]] == ["live"]

        second.send_signal(signal.SIGINT)
        rest = read_until(second, lambda e: e["event"] == "golive.ended")
        assert rest[-1]["ok"] is True and second.wait(30) == 0
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.kill()
                proc.wait()
