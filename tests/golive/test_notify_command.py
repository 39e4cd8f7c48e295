"""The operator's notify command, run for real: the message on standard input, no
shell, bounded time, failures reported as notices and never fatal. And the crisis path
end to end: retake.tv's shutdown warning over either socket channel reaches the
command at once."""

from __future__ import annotations

import json
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from studio.backoff import Backoff
from studio.errors import ValidationFailed
from studio.events import EventBus
from studio.golive.events import BuilderNotification, Notice, PlatformLive, StateChanged
from studio.golive.notify_command import NotifyCommand, parse_notify_command
from studio.golive.playbook import Playbook
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_events import RetakeShutdownWarning
from studio.platforms.retake_live import PollIntervals, RetakeLive
from studio.sandbox.app import Sandbox, SandboxConfig
from studio.sandbox.server import serve_in_thread
from tests.golive.sim_time import SimTime, sim_context
from tests.retake.retake_helpers import verified_agent, wait_until

RECEIVER = """
import json, os, sys
text = sys.stdin.read()
with open(sys.argv[1], "a") as out:
    out.write(json.dumps({"text": text, "reason": os.environ["STUDIO_NOTIFY_REASON"],
                          "urgent": os.environ["STUDIO_NOTIFY_URGENT"], "argv": sys.argv[2:],
                          "secrets": sorted(k for k in os.environ if k.startswith("RETAKE_"))}) + "\\n")
"""


@pytest.fixture
def receiver(tmp_path: Path) -> tuple[str, Path]:
    """A notify command (in a folder with a space, quoted) and the file it appends to."""
    folder = tmp_path / "my notes"
    folder.mkdir()
    script = folder / "receive.py"
    script.write_text(RECEIVER)
    out = folder / "got.jsonl"
    command = " ".join(shlex.quote(str(p)) for p in (sys.executable, script, out)) + " 'two words'"
    return command, out


def received(out: Path) -> list[dict]:
    return [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []


def note(reason: str = "heartbeat", text: str = "hello builder", urgent: bool = False):
    return BuilderNotification(reason=reason, text=text, urgent=urgent)  # type: ignore[arg-type]


async def test_each_notification_reaches_the_command_on_stdin_in_order(receiver, monkeypatch):
    command, out = receiver
    monkeypatch.setenv("RETAKE_ACCESS_TOKEN", "rtk_" + "a" * 32)
    monkeypatch.setenv("RETAKE_PRIVY_JWT", "eyJhbGciOiJFUzI1NiJ9.eyJ1aWQiOiJ1In0.c2ln")
    bus = EventBus()
    notices: list[Notice] = []
    bus.add_listener(lambda e: notices.append(e) if isinstance(e, Notice) else None)
    notifier = NotifyCommand(parse_notify_command(command), bus.publish)
    bus.add_listener(notifier)
    bus.publish(note("live", "I'm live at https://retake.tv/x"))
    bus.publish(note("shutdown_warning", "CRISIS: $(rm -rf /) `whoami`", urgent=True))
    assert await notifier.drain(20)
    got = received(out)
    assert [(g["reason"], g["urgent"]) for g in got] == [("live", "0"), ("shutdown_warning", "1")]
    assert got[0]["text"] == "I'm live at https://retake.tv/x\n"
    assert got[1]["text"] == "CRISIS: $(rm -rf /) `whoami`\n"  # no shell ever saw it
    assert got[0]["argv"] == ["two words"]
    assert got[0]["secrets"] == []  # the studio's credentials stay with the studio
    assert notifier.delivered == 2 and notices == []
    await notifier.aclose()


async def test_failures_and_timeouts_are_notices_never_fatal(tmp_path: Path):
    bus = EventBus()
    notices: list[str] = []
    bus.add_listener(lambda e: notices.append(e.text) if isinstance(e, Notice) else None)
    failing = NotifyCommand(
        [sys.executable, "-c", "import sys; sys.stderr.write('webhook said 403'); sys.exit(3)"],
        bus.publish,
    )
    assert await failing.run_one(note()) == 3
    assert notices[-1].endswith("failed (exit 3): webhook said 403")

    slow = NotifyCommand(
        [sys.executable, "-c", "import time; time.sleep(30)"], bus.publish, timeout=0.5
    )
    started = time.monotonic()
    assert await slow.run_one(note()) is None
    assert time.monotonic() - started < 10
    assert "took longer than 0.5 s and was stopped" in notices[-1]

    gone = NotifyCommand([str(tmp_path / "vanished")], bus.publish)
    assert await gone.run_one(note()) is None
    assert "could not start" in notices[-1]
    assert (failing.failed, slow.failed, gone.failed) == (1, 1, 1)


async def test_a_backlog_is_bounded_and_keeps_urgent_ones(receiver):
    command, out = receiver
    bus = EventBus()
    notices: list[str] = []
    bus.add_listener(lambda e: notices.append(e.text) if isinstance(e, Notice) else None)
    notifier = NotifyCommand(parse_notify_command(command), bus.publish, max_pending=2)
    bus.add_listener(notifier)
    bus.publish(note("shutdown_warning", "crisis", urgent=True))
    bus.publish(note("heartbeat", "beat 1"))
    bus.publish(note("low_viewers", "share"))  # the heartbeat waiting is dropped, not the crisis
    assert await notifier.drain(20)
    assert [g["text"].strip() for g in received(out)] == ["crisis", "share"]
    assert any("the heartbeat one was dropped" in n for n in notices)
    await notifier.aclose()


def test_the_quoting_rule_and_missing_programs_are_checked_up_front():
    assert parse_notify_command("python3 -c 'print(1)'") == ["python3", "-c", "print(1)"]
    with pytest.raises(ValidationFailed, match="--notify-command: 'no-such-notifier'"):
        parse_notify_command("no-such-notifier --to me")
    with pytest.raises(ValidationFailed, match="quoting"):
        parse_notify_command("notify 'unclosed")
    with pytest.raises(ValidationFailed, match="must name a program"):
        parse_notify_command("   ")


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox(SandboxConfig())
    with serve_in_thread(sandbox) as origin:
        yield sandbox, origin


@pytest.mark.parametrize("via", ["event", "message"])
async def test_shutdown_warning_from_the_socket_reaches_the_command_at_once(served, receiver, via):
    sandbox, origin = served
    command, out = receiver
    sim = SimTime()
    ctx, recorder = sim_context(sim)
    playbook = Playbook(ctx)
    notifier = NotifyCommand(parse_notify_command(command), ctx.bus.publish)
    ctx.bus.add_listener(playbook)
    ctx.bus.add_listener(notifier)
    async with RetakeClient(origin) as client, httpx.AsyncClient(base_url=origin) as control:
        reg = await verified_agent(client, control, f"Warned_{via}")
        live = RetakeLive(
            client,
            reg.user_db_id,
            ctx.publish,
            reconnect=Backoff(first=0.05, factor=1.0, cap=0.05, jitter=0.0, attempts=None),
            intervals=PollIntervals(active=0.05, quiet=0.1, active_window=1.0),
        )
        await live.start()
        try:
            ctx.publish(StateChanged(state="live"))
            ctx.publish(PlatformLive(platform="retake", url=f"{origin}/Warned_{via}", viewers=1))
            await wait_until(lambda: live.connected)
            await control.post(
                "/_sandbox/retake/warn",
                json={
                    "streamer_id": reg.user_db_id,
                    "text": "Quality warning 2\x1b]0;pwned\x07",
                    "via": via,
                },
            )
            await wait_until(lambda: bool(recorder.of("retake.shutdown_warning")))
            (warning,) = recorder.of("retake.shutdown_warning")
            assert isinstance(warning, RetakeShutdownWarning)
            assert warning.text is not None and "\x1b" not in warning.text
            assert warning.text.startswith("Quality warning 2") and warning.source == (
                "socket" if via == "event" else "message"
            )
            assert not recorder.of("retake.chat"), "a warning is not a viewer's chat line"
            assert await notifier.drain(20)
            crisis = [g for g in received(out) if g["reason"] == "shutdown_warning"]
            assert len(crisis) == 1 and crisis[0]["urgent"] == "1"
            assert "It said: Quality warning 2" in crisis[0]["text"]
        finally:
            await live.stop()
            await playbook.aclose()
            await notifier.aclose()
