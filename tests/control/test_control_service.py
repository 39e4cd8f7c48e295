"""The broadcast as a real background service, driven only by the CLI verbs: it
outlives its clients and SIGHUP, takes chat and operator answers, and stops cleanly.

Real processes throughout: the sandbox and nginx-rtmp on loopback, ``studio golive
--detach`` with Xvfb and FFmpeg, and each verb as its own ``studio`` process."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from studio.config import Paths
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_credentials import credentials_from_registration, save_credentials
from studio.sandbox.rehearsal import rehearsal_world
from tests.broadcast.broadcast_helpers import need, need_rtmp

pytestmark = pytest.mark.processes

WALLET = "0x" + "ab" * 20
TX_HASH = "0x" + "cd" * 32


def studio(
    args: list[str], env: dict[str, str], timeout: float = 60
) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "studio", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def follower(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "studio", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def read_until(proc: subprocess.Popen, predicate, limit: float = 60.0) -> list[dict]:
    seen = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen.append(json.loads(line))
        if predicate(seen[-1]):
            return seen
    raise AssertionError(f"not seen in {limit} s; last: {seen[-5:]}")


def retake_is_live(event: dict) -> bool:
    if event["event"] == "snapshot":
        return bool(event["legs"].get("retake", {}).get("live"))
    return event["event"] == "golive.live" and event["platform"] == "retake"


def status(env: dict[str, str]) -> dict:
    done = studio(["status", "--json"], env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def wait_status(env: dict[str, str], predicate, limit: float = 60.0) -> dict:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        snapshot = status(env)
        if predicate(snapshot):
            return snapshot
        time.sleep(0.3)
    raise AssertionError(f"the state never matched; last: {json.dumps(snapshot)[:2000]}")


def running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_gone(pid: int, limit: float = 60.0) -> None:
    deadline = time.monotonic() + limit
    while running(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not running(pid), f"the service {pid} is still running"


async def register(origin: str, *, verified: bool) -> str:
    async with RetakeClient(origin) as client:
        reply = await client.register(
            {
                "agent_name": "service_bot",
                "agent_description": "An agent whose broadcast is a service",
                "image_url": "https://example.com/avatar.png",
                "wallet_address": "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV",
                "ticker": "SRV",
            }
        )
    save_credentials(
        Paths.from_env(),
        credentials_from_registration(reply, agent_name="service_bot", ticker="SRV", origin=origin),
    )
    if verified:
        async with httpx.AsyncClient(base_url=origin) as control:
            await control.post("/_sandbox/retake/verified", json={"agent": "service_bot"})
    return reply.user_db_id


@pytest.fixture
def world(tmp_path: Path):
    need("Xvfb", "ffmpeg")
    need_rtmp()
    with rehearsal_world(tmp_path / "rec") as w:
        yield w


def service_env(world, tmp_path: Path) -> dict[str, str]:
    return {**os.environ, **world.env(), "STUDIO_STATE_DIR": str(tmp_path / "state")}


def start(env: dict[str, str], *args: str) -> int:
    done = studio(["golive", "--detach", "--no-kiosk", *args], env, timeout=90)
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split("pid ", 1)[1].split()[0])


def test_no_broadcast_says_how_to_start_one(tmp_path: Path):
    env = {**os.environ, "STUDIO_STATE_DIR": str(tmp_path / "state")}
    done = studio(["status"], env)
    assert done.returncode == 1
    assert "no broadcast is running" in done.stderr and "studio golive --detach" in done.stderr


def test_a_detached_broadcast_outlives_its_clients_and_sighup(world, tmp_path: Path):
    user_db_id = asyncio.run(register(world.origin, verified=True))
    env = service_env(world, tmp_path)
    log = tmp_path / "agent.log"
    pid = start(
        env,
        "--retake",
        "--basefm",
        "--basefm-wallet",
        WALLET,
        "--tx-hash",
        TX_HASH,
        "--log",
        str(log),
    )
    state = tmp_path / "state"
    try:
        assert stat.S_IMODE(state.stat().st_mode) == 0o700
        assert stat.S_IMODE((state / "control.sock").stat().st_mode) == 0o600
        assert stat.S_IMODE((state / "golive.log").stat().st_mode) == 0o600
        # an attached client follows it live, then is killed mid-broadcast
        watcher = follower(["events"], env)
        seen = read_until(watcher, retake_is_live)  # already in the snapshot, or an event
        assert seen[0]["event"] == "snapshot" and "legs" in seen[0]
        watcher.kill()
        watcher.wait()
        os.kill(pid, signal.SIGHUP)  # the terminal that started it went away
        live = wait_status(
            env,
            lambda s: s["state"] == "live" and s["legs"].get("basefm", {}).get("live"),
        )
        assert running(pid) and live["service"]["pid"] == pid
        assert live["service"]["kiosk"] is False and live["service"]["agent_log"] == str(log)
        human = studio(["status"], env)
        assert "retake: ● live" in human.stdout and "basefm: ● live" in human.stdout
        assert live["legs"]["retake"]["live"] is True
        agents = httpx.get(f"{world.origin}/_sandbox/retake/state").json()["agents"]
        assert [a["live"] for a in agents] == [True]
        # a verb reaches the platform through the service
        sent = studio(["chat", "send", "hello from the command line"], env)
        assert sent.returncode == 0, sent.stderr
        comments = world.sandbox.retake.world.comments[user_db_id]
        assert "hello from the command line" in [c["text"] for c in comments]
        refused = studio(["chat", "send", ""], env)
        assert refused.returncode == 1 and "text" in refused.stderr
        no_kiosk = studio(["scene", "chat"], env)
        assert no_kiosk.returncode == 1 and "--no-kiosk" in no_kiosk.stderr
        # reattach: the same session, still live, with what happened meanwhile
        again = follower(["events", "--kinds", "golive.*"], env)
        snapshot = read_until(again, lambda e: e["event"] == "snapshot")[0]
        again.kill()
        again.wait()
        assert snapshot["session_id"] == live["session_id"]
        assert snapshot["legs"]["retake"]["live"] and snapshot["legs"]["basefm"]["live"]
        steps = [s["step"] for s in snapshot["legs"]["retake"]["steps"]]
        assert "stream_start" in steps and "confirm_live" in steps
        # stop: every platform session ends cleanly and the service goes away
        stopped = studio(["stop"], env, timeout=90)
        assert stopped.returncode == 0, stopped.stderr
        assert "the broadcast ended" in stopped.stdout
        wait_gone(pid)
    finally:
        if running(pid):
            os.kill(pid, signal.SIGKILL)
    agents = httpx.get(f"{world.origin}/_sandbox/retake/state").json()["agents"]
    assert [a["live"] for a in agents] == [False]
    basefm = httpx.get(f"{world.origin}/_sandbox/basefm/state").json()
    assert [s["status"] for s in basefm["sessions"]] == ["ended"]
    assert not (state / "control.json").exists() and not (state / "control.sock").exists()
    after = studio(["status"], env)
    assert after.returncode == 1 and "no broadcast is running" in after.stderr


def test_operator_steps_are_answered_with_the_answer_verb(world, tmp_path: Path):
    asyncio.run(register(world.origin, verified=False))
    env = service_env(world, tmp_path)
    pid = start(
        env, "--retake", "--basefm", "--basefm-wallet", WALLET, "--log", str(tmp_path / "a.log")
    )
    try:
        asked = wait_status(env, lambda s: any(p["need"] == "tweet_url" for p in s["pending"]))
        step = asked["pending"][0]
        assert "verification_message" in step["data"]
        tweet = studio(["answer", step["id"], "https://x.com/human/status/1234567"], env)
        assert tweet.returncode == 0, tweet.stderr
        wait_status(env, lambda s: any(p["need"] == "tx_hash" for p in s["pending"]))
        wrong = studio(["answer", "tx_hash", "0x1234"], env)
        assert wrong.returncode == 1 and "txHash" in wrong.stderr
        still = status(env)["pending"]
        assert [p["need"] for p in still] == ["tx_hash"]
        paid = studio(["answer", "tx_hash", TX_HASH], env)
        assert paid.returncode == 0, paid.stderr
        wait_status(env, lambda s: s["legs"].get("basefm", {}).get("live"))
        assert studio(["stop"], env, timeout=90).returncode == 0
        wait_gone(pid)
    finally:
        if running(pid):
            os.kill(pid, signal.SIGKILL)
    basefm = httpx.get(f"{world.origin}/_sandbox/basefm/state").json()
    assert basefm["usedTxHashes"] == [TX_HASH]
    assert [s["status"] for s in basefm["sessions"]] == ["ended"]


def test_studio_golive_in_a_terminal_outlives_the_terminal(world, tmp_path: Path):
    """`studio golive` in the foreground: SIGHUP and a closed output end the printing,
    never the broadcast; it is still live for the verbs, and `studio stop` ends it."""
    env = service_env(world, tmp_path)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "studio",
            "golive",
            "--headless",
            "--basefm",
            "--basefm-wallet",
            WALLET,
            "--tx-hash",
            TX_HASH,
            "--no-kiosk",
            "--log",
            str(tmp_path / "a.log"),
        ],
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        read_until(proc, lambda e: e["event"] == "golive.live" and e["platform"] == "basefm")
        proc.send_signal(signal.SIGHUP)
        proc.stdout.close()  # the terminal is gone: every write now fails
        proc.stdin.close()
        time.sleep(1.0)
        assert proc.poll() is None
        live = wait_status(env, lambda s: s["legs"].get("basefm", {}).get("live"))
        assert live["service"]["pid"] == proc.pid
        assert studio(["stop"], env, timeout=90).returncode == 0
        assert proc.wait(60) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    basefm = httpx.get(f"{world.origin}/_sandbox/basefm/state").json()
    assert [s["status"] for s in basefm["sessions"]] == ["ended"]


def test_a_detached_broadcast_that_cannot_start_says_why(tmp_path: Path):
    """ClawCast alone needs a name and a link: refused before any service starts."""
    env = {**os.environ, "STUDIO_STATE_DIR": str(tmp_path / "state")}
    done = studio(["golive", "--detach", "--clawcast", "--no-kiosk"], env)
    assert done.returncode == 1
    assert "--clawcast-name" in done.stderr and "--clawcast-url" in done.stderr
    assert not (tmp_path / "state" / "control.json").exists()


def test_a_detached_broadcast_without_credentials_waits_for_registration(tmp_path: Path):
    from studio.sandbox.app import Sandbox, SandboxConfig
    from studio.sandbox.server import serve_in_thread

    with serve_in_thread(Sandbox(SandboxConfig())) as origin:
        env = {
            **os.environ,
            "STUDIO_STATE_DIR": str(tmp_path / "state"),
            "STUDIO_RETAKE_CREDENTIALS": str(tmp_path / "creds.json"),
            "STUDIO_RETAKE_URL": origin,
        }
        env.pop("RETAKE_ACCESS_TOKEN", None)
        pid = start(env, "--retake")
        try:
            snapshot = wait_status(env, lambda s: s.get("pending"))
            assert [p["need"] for p in snapshot["pending"]] == ["registration"]
            wrong = studio(["answer", "registration", '{"agent_name": "x y"}'], env)
            assert wrong.returncode == 1 and "agent_name" in wrong.stderr
            stopped = studio(["stop"], env)
            assert stopped.returncode == 0, stopped.stderr
            wait_gone(pid)
        finally:
            if running(pid):
                os.kill(pid, signal.SIGTERM)
    assert not (tmp_path / "creds.json").exists()
