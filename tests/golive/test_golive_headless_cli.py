"""``studio golive --headless`` as scripts and agents use it: a real process, one JSON
event per line, a human step answered on standard input, SIGINT for a clean end."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from studio.sandbox.rehearsal import rehearsal_world
from tests.broadcast.broadcast_helpers import need, need_rtmp

WALLET = "0x" + "ef" * 20
GOOD_TX = "0x" + "12" * 32


def studio(args: list[str], env: dict[str, str], **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "studio", *args],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,
    )


def read_until(proc: subprocess.Popen, predicate, limit: float = 60.0) -> list[dict]:
    """Read JSON lines until ``predicate(event)``; every line must be JSON."""
    seen = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        event = json.loads(line)
        seen.append(event)
        if predicate(event):
            return seen
    raise AssertionError(
        f"not seen in {limit} s; last events: {seen[-8:]}; stderr: {proc.stderr.read()[-2000:] if proc.poll() is not None else ''}"
    )


@pytest.mark.processes
def test_headless_basefm_payment_on_stdin_then_sigint_ends_cleanly(tmp_path: Path):
    need("Xvfb", "xterm", "ffmpeg")
    need_rtmp()
    with rehearsal_world(tmp_path / "rec") as world:
        env = {**os.environ, **world.env(), "STUDIO_STATE_DIR": str(tmp_path / "state")}
        proc = studio(
            [
                "golive",
                "--headless",
                "--basefm",
                "--basefm-wallet",
                WALLET,
                "--no-kiosk",
                "--log",
                str(tmp_path / "s.log"),
            ],
            env,
        )
        try:
            asked = read_until(proc, lambda e: e["event"] == "operator.needed")[-1]
            assert asked["need"] == "tx_hash" and asked["data"]["fee"] == 5
            proc.stdin.write(json.dumps({"need": "tx_hash", "value": "0x1234"}) + "\n")
            proc.stdin.flush()
            events = read_until(proc, lambda e: e["event"] == "operator.needed")
            assert any(e["event"] == "golive.notice" and "txHash" in e["text"] for e in events)
            proc.stdin.write(GOOD_TX + "\n")
            proc.stdin.flush()
            read_until(proc, lambda e: e["event"] == "golive.live" and e["platform"] == "basefm")
            proc.send_signal(signal.SIGINT)
            rest = read_until(proc, lambda e: e["event"] == "golive.ended")
            assert proc.wait(30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        ended = rest[-1]
        assert ended["ok"] is True and "SIGINT" in ended["reason"]
        assert any(
            e["event"] == "golive.step" and e["step"] == "end_session" and e["state"] == "done"
            for e in rest
        )
        state = httpx.get(f"{world.origin}/_sandbox/basefm/state").json()
        (session,) = state["sessions"]
        assert session["status"] == "ended" and session["access"] == "paid"
        assert state["usedTxHashes"] == [GOOD_TX]
        everything = "\n".join(json.dumps(e) for e in rest)
        assert "sk-" not in everything and "eyJ" not in everything


def test_headless_bad_input_is_refused_before_anything_is_sent(tmp_path: Path):
    env = {
        **os.environ,
        "STUDIO_STATE_DIR": str(tmp_path / "state"),
        "STUDIO_RETAKE_URL": "http://127.0.0.1:9",
        "STUDIO_BASEFM_URL": "http://127.0.0.1:9",
    }
    proc = studio(
        ["golive", "--headless", "--basefm", "--basefm-wallet", "0xnothex", "--rtmp", "http://x/y"],
        env,
    )
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1
    assert "--basefm-wallet" in err and "--rtmp[0]" in err and "nothing was sent" in err
    assert out == ""


def test_a_bad_title_or_grid_is_refused_naming_the_option(tmp_path: Path):
    env = {**os.environ, "STUDIO_STATE_DIR": str(tmp_path / "state")}
    proc = studio(["golive", "--headless", "--grid", "100x30", "--title", "x" * 101], env)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and out == ""
    assert "--grid" in err and "160x45, 128x36, 90x25" in err
    assert "--title" in err and "100 characters" in err
    proc = studio(["golive", "--headless", "--title", "line\x07bell"], env)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 1 and "--title" in err and "control characters" in err


def test_headless_without_credentials_registers_from_stdin_then_asks_for_the_tweet(
    tmp_path: Path,
):
    """No credentials: registration is an operator step. A wrong answer is refused
    naming the field (nothing sent); the right one registers with the sandbox, saves
    the credentials 0600, and the sequence goes on to the verification tweet."""
    from studio.sandbox.app import Sandbox, SandboxConfig
    from studio.sandbox.server import serve_in_thread

    sandbox = Sandbox(SandboxConfig())
    creds = tmp_path / "retake" / "credentials.json"
    with serve_in_thread(sandbox) as origin:
        env = {
            **os.environ,
            "STUDIO_STATE_DIR": str(tmp_path / "state"),
            "STUDIO_RETAKE_CREDENTIALS": str(creds),
            "STUDIO_RETAKE_URL": origin,
        }
        env.pop("RETAKE_ACCESS_TOKEN", None)
        proc = studio(["golive", "--headless", "--retake", "--no-kiosk"], env)
        try:
            seen = read_until(proc, lambda e: e["event"] == "operator.needed")
            asked = seen[-1]
            assert asked["need"] == "registration" and asked["platform"] == "retake"
            assert asked["data"]["fields"] == [
                "agent_name", "agent_description", "image_url", "wallet_address", "ticker"
            ]  # fmt: skip
            body = {
                "agent_name": "stdin_bot",
                "agent_description": "Registered on standard input",
                "image_url": "https://example.com/avatar.png",
                "wallet_address": "not-a-wallet",
                "ticker": "STDN",
            }
            proc.stdin.write(json.dumps(body) + "\n")
            proc.stdin.flush()
            seen = read_until(proc, lambda e: e["event"] == "golive.notice")
            assert "wallet_address" in seen[-1]["text"] and not sandbox.retake.world.agents
            body["wallet_address"] = "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV"
            proc.stdin.write(json.dumps(body) + "\n")
            proc.stdin.flush()
            seen = read_until(
                proc, lambda e: e["event"] == "operator.needed" and e["need"] == "tweet_url"
            )
            (agent,) = sandbox.retake.world.agents.values()
            assert agent.name == "stdin_bot" and not agent.verified
            assert seen[-1]["data"]["verification_message"]
            saved = json.loads(creds.read_text())
            assert saved["access_token"] == agent.access_token and saved["origin"] == origin
            assert creds.stat().st_mode & 0o777 == 0o600
        finally:
            proc.send_signal(signal.SIGINT)
            proc.communicate(timeout=30)
    assert proc.returncode in (0, 1)


@pytest.mark.processes
def test_headless_a_platform_that_fails_alone_is_reported_and_exits_3(tmp_path: Path):
    """ClawCast cannot book (503): it is dropped and said so; baseFM stays on air to the
    planned end; the exit code says that not everything went as planned."""
    need("Xvfb", "xterm", "ffmpeg")
    need_rtmp()
    with rehearsal_world(tmp_path / "rec") as world:
        fault = {"burst": {"path_prefix": "/api/bookSlot", "status": 503, "count": 5}}
        assert httpx.post(f"{world.origin}/_sandbox/faults", json=fault).status_code == 200
        env = {**os.environ, **world.env(), "STUDIO_STATE_DIR": str(tmp_path / "state")}
        proc = studio(
            [
                "golive",
                "--headless",
                "--basefm",
                "--basefm-wallet",
                WALLET,
                "--tx-hash",
                GOOD_TX,
                "--clawcast",
                "--clawcast-name",
                "alone_bot",
                "--clawcast-url",
                "https://github.com/me/alone",
                "--no-kiosk",
                "--duration",
                "6",
                "--log",
                str(tmp_path / "s.log"),
            ],
            env,
        )
        try:
            events = read_until(proc, lambda e: e["event"] == "golive.ended", limit=90)
            assert proc.wait(30) == 3
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        (dropped,) = [e for e in events if e["event"] == "golive.leg_dropped"]
        assert dropped["platform"] == "clawcast" and dropped["stage"] == "prepare"
        assert dropped["remaining"] == ["basefm"]
        assert any(e["event"] == "golive.live" and e["platform"] == "basefm" for e in events)
        ended = events[-1]
        assert ended["ok"] is False and "the planned duration" in ended["reason"]
        assert list(ended["failed"]) == ["clawcast"]
        state = httpx.get(f"{world.origin}/_sandbox/basefm/state").json()
        assert [s["status"] for s in state["sessions"]] == ["ended"]  # the planned end


@pytest.mark.processes
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_headless_a_signal_during_the_paid_create_keeps_the_session(tmp_path: Path, sig):
    """The signal lands while baseFM is still answering the paid create: the studio waits
    for the answer, keeps the token and leaves the session armed, and the next go-live
    recovers it without a second payment."""
    need("Xvfb", "xterm", "ffmpeg")
    need_rtmp()
    with rehearsal_world(tmp_path / "rec") as world:
        slow = {"latency": 1.5, "latency_prefix": "/api/basefm/streams"}
        assert httpx.post(f"{world.origin}/_sandbox/faults", json=slow).status_code == 200
        env = {**os.environ, **world.env(), "STUDIO_STATE_DIR": str(tmp_path / "state")}
        args = ["golive", "--headless", "--basefm", "--basefm-wallet", WALLET, "--no-kiosk"]
        args += ["--log", str(tmp_path / "s.log")]
        proc = studio([*args, "--tx-hash", GOOD_TX], env)
        try:
            read_until(proc, lambda e: e["event"] == "golive.step" and e["step"] == "stream")
            time.sleep(0.3)  # the create is on its way; its answer is 1.2 s out
            proc.send_signal(sig)
            rest = read_until(proc, lambda e: e["event"] == "golive.ended")
            assert proc.wait(30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        ended = rest[-1]
        assert sig.name in ended["reason"] and ended["summary"]["basefm"]["ended"] == "left armed"
        state = httpx.get(f"{world.origin}/_sandbox/basefm/state").json()
        (session,) = state["sessions"]
        assert session["status"] != "ended" and state["usedTxHashes"] == [GOOD_TX]
        httpx.delete(f"{world.origin}/_sandbox/faults")
        again = studio([*args, "--duration", "3"], env)  # no --tx-hash: nothing to pay
        try:
            events = read_until(again, lambda e: e["event"] == "golive.ended", limit=90)
            assert again.wait(30) == 0
        finally:
            if again.poll() is None:
                again.kill()
                again.wait()
        assert any("recovered the session" in e.get("text", "") for e in events)
        assert not any(e["event"] == "operator.needed" for e in events)
        state = httpx.get(f"{world.origin}/_sandbox/basefm/state").json()
        assert [s["status"] for s in state["sessions"]] == ["ended"]
        assert state["usedTxHashes"] == [GOOD_TX]


def test_headless_playbook_options_are_checked_before_anything_is_sent(tmp_path: Path):
    lines = tmp_path / "lines.txt"
    lines.write_text("a fine line\n" + "y" * 600 + "\n")
    env = {
        **os.environ,
        "STUDIO_STATE_DIR": str(tmp_path / "state"),
        "STUDIO_RETAKE_URL": "http://127.0.0.1:9",
    }

    def refused(*args: str) -> str:
        proc = studio(["golive", "--headless", *args], env)
        out, err = proc.communicate(timeout=30)
        assert proc.returncode == 1 and out == ""
        return err

    err = refused("--heartbeat-hours", "1")
    assert "--heartbeat-hours: Input should be greater than or equal to 4" in err
    err = refused(
        "--notify-command",
        "no-such-notifier --to me",
        "--dead-air-lines",
        str(lines),
        "--quiet-after",
        "400",
    )
    assert "--notify-command: 'no-such-notifier' is not an executable program" in err
    assert "--dead-air-lines: lines.txt:2: must be at most 500 characters" in err
    assert "--dead-air-every: must be at least quiet_after" in err


@pytest.mark.processes
def test_headless_builder_notification_reaches_the_notify_command(tmp_path: Path):
    need("Xvfb", "xterm", "ffmpeg")
    need_rtmp()
    got = tmp_path / "notified.txt"
    script = tmp_path / "notify.py"
    script.write_text(
        "import os, sys\n"
        f"open({str(got)!r}, 'a').write(os.environ['STUDIO_NOTIFY_REASON'] + '|' + sys.stdin.read())\n"
    )
    with rehearsal_world(tmp_path / "rec") as world:
        env = {
            **os.environ,
            **world.env(),
            "STUDIO_STATE_DIR": str(tmp_path / "state"),
            "STUDIO_NOTIFY_COMMAND": f"{sys.executable} {script}",
        }
        proc = studio(
            [
                "golive",
                "--headless",
                "--basefm",
                "--basefm-wallet",
                WALLET,
                "--tx-hash",
                GOOD_TX,
                "--no-kiosk",
                "--log",
                str(tmp_path / "s.log"),
            ],
            env,
        )
        try:
            events = read_until(proc, lambda e: e["event"] == "builder.notify")
            proc.send_signal(signal.SIGINT)
            read_until(proc, lambda e: e["event"] == "golive.ended")
            assert proc.wait(30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    note = events[-1]
    assert note["reason"] == "live" and note["links"] == ["https://basefm.space"]
    assert got.read_text().startswith("live|I'm live at https://basefm.space\n")
