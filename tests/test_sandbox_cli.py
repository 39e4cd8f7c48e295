"""``studio sandbox`` as an operator runs it: serves, and leaves nothing behind."""

import signal
import subprocess
import sys
import time

import httpx
import pytest

from studio.sandbox.rtmp_receiver import free_port, port_open
from tests.broadcast.broadcast_helpers import need_rtmp


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_sandbox_serves_and_stops_its_receiver_on_a_signal(sig):
    need_rtmp()
    port, rtmp_port = free_port(), free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "studio",
            "sandbox",
            "--port",
            str(port),
            "--rtmp-port",
            str(rtmp_port),
            "--auto-tweets",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while not (port_open("127.0.0.1", port) and port_open("127.0.0.1", rtmp_port)):
            assert proc.poll() is None and time.monotonic() < deadline, proc.stdout.read()
            time.sleep(0.1)
        state = httpx.get(f"http://127.0.0.1:{port}/_sandbox/retake/state").json()
        assert state["auto_tweets"] is True
        proc.send_signal(sig)
        proc.wait(20)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "receiver stopped" in proc.stdout.read()
    time.sleep(0.3)
    assert not port_open("127.0.0.1", rtmp_port)
