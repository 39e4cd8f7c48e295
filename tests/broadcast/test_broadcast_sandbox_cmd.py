"""``studio sandbox`` starts the RTMP receiver with the APIs and stops it on Ctrl-C."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studio.sandbox.rtmp_receiver import free_port, port_open
from tests.broadcast.broadcast_helpers import need_rtmp

pytestmark = pytest.mark.processes


def test_sandbox_command_serves_apis_and_rtmp_and_stops_both_on_ctrl_c(tmp_path: Path) -> None:
    need_rtmp()
    http_port, rtmp_port = free_port(), free_port()
    record = tmp_path / "rec"
    command = [sys.executable, "-m", "studio", "sandbox", "--port", str(http_port)]
    command += ["--rtmp-port", str(rtmp_port), "--record-dir", str(record)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not (port_open("127.0.0.1", http_port) and port_open("127.0.0.1", rtmp_port)):
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.monotonic() < deadline, "the sandbox did not open both ports"
            time.sleep(0.1)
        assert all((record / app).is_dir() for app in ("retake", "basefm", "extra"))
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0
    assert f"rtmp://127.0.0.1:{rtmp_port}" in out and "receiver stopped" in out
    assert not port_open("127.0.0.1", rtmp_port) and not port_open("127.0.0.1", http_port)


def test_no_rtmp_serves_only_the_apis() -> None:
    http_port, rtmp_port = free_port(), free_port()
    command = [sys.executable, "-m", "studio", "sandbox", "--port", str(http_port)]
    command += ["--rtmp-port", str(rtmp_port), "--no-rtmp"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 20
        while not port_open("127.0.0.1", http_port):
            assert proc.poll() is None and time.monotonic() < deadline
            time.sleep(0.1)
        assert not port_open("127.0.0.1", rtmp_port)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
    assert proc.returncode == 0 and "rtmp:" not in out
