"""A studio that died left its session open: the next one offers to resume or stop it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from studio.children import ChildIdentity, identify
from studio.config import Paths, PlatformUrls
from studio.errors import StudioError
from studio.events import EventBus
from studio.golive.operator import GivenAnswers
from studio.golive.plan import Plan
from studio.golive.resume import settle_open_sessions
from studio.journal import Journal
from studio.platforms.basefm import BasefmClient
from studio.platforms.basefm_errors import BasefmPaymentRequired
from studio.platforms.clawcast import ClawcastClient
from studio.session_store import SessionStore

SANDBOX = "http://sandbox.test"
URLS = PlatformUrls(retake=SANDBOX, clawcast=SANDBOX, basefm=SANDBOX)


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


async def crashed_session(transport, clock) -> tuple[Paths, int]:
    """What a killed studio leaves: an open journal session, a baseFM session token
    and a ClawCast slot JWT in the session store."""
    clock.advance(time.time() - clock.now())  # the restarted studio runs on the real clock
    paths = Paths.from_env()
    store = SessionStore(paths.sessions_file)
    basefm = BasefmClient(SANDBOX, transport=transport, store=store, clock=clock.now)
    with pytest.raises(BasefmPaymentRequired):
        await basefm.create_stream("0x" + "aa" * 20)
    await basefm.create_stream("0x" + "aa" * 20, tx_hash="0x" + "bb" * 32)
    clawcast = ClawcastClient(SANDBOX, transport=transport, store=store, clock=clock.now)
    await clawcast.book_slot(
        {"streamer_name": "crashed_bot", "streamer_url": "https://x.example", "duration_minutes": 3}
    )
    journal = Journal(paths.journal)
    sid = journal.open_session(["basefm", "clawcast"], pid=dead_pid())
    journal.close()
    return paths, sid


async def test_stop_ends_every_platform_session_and_closes_the_journal(transport, control, clock):
    paths, sid = await crashed_session(transport, clock)
    bus = EventBus()
    resumed = await settle_open_sessions(
        Plan(resume=False),
        bus=bus,
        operator=GivenAnswers({}),
        paths=paths,
        urls=URLS,
        transport=transport,
    )
    assert resumed is None
    record = Journal(paths.journal).session(sid)
    assert record.status == "stopped after a crash"
    assert record.summary == {"basefm": "ended", "clawcast": "ended"}
    basefm = (await control.get("/_sandbox/basefm/state")).json()
    assert [s["status"] for s in basefm["sessions"]] == ["ended"]
    clawcast = (await control.get("/_sandbox/clawcast/state")).json()
    (slot,) = [s for s in clawcast["slots"] if s["streamer_name"] == "crashed_bot"]
    assert slot["ended_at"] is not None
    assert SessionStore(paths.sessions_file).get("basefm") is None


async def test_the_operator_is_asked_and_resume_keeps_the_session(transport, clock):
    paths, sid = await crashed_session(transport, clock)
    operator = GivenAnswers({"open_session": "resume"})
    resumed = await settle_open_sessions(
        Plan(), bus=EventBus(), operator=operator, paths=paths, urls=URLS, transport=transport
    )
    assert resumed == sid
    assert [s.id for s in Journal(paths.journal).open_sessions()] == [sid]
    # the kept tokens are still there for the legs to recover the sessions
    assert SessionStore(paths.sessions_file).get("basefm") is not None


async def test_without_an_answer_the_operator_learns_the_flags(transport, clock):
    paths, _ = await crashed_session(transport, clock)
    with pytest.raises(StudioError, match="--resume or --stop-open"):
        await settle_open_sessions(
            Plan(),
            bus=EventBus(),
            operator=GivenAnswers({}),
            paths=paths,
            urls=URLS,
            transport=transport,
        )


async def test_a_wrong_answer_is_refused(transport, clock):
    paths, _ = await crashed_session(transport, clock)
    with pytest.raises(StudioError, match="resume or stop"):
        await settle_open_sessions(
            Plan(),
            bus=EventBus(),
            operator=GivenAnswers({"open_session": "maybe"}),
            paths=paths,
            urls=URLS,
            transport=transport,
        )


def fake_running_studio() -> subprocess.Popen:
    """A live process whose command line names studio."""
    runner = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)", "studio"])
    cmdline = Path(f"/proc/{runner.pid}/cmdline")
    for _ in range(200):  # until the child has exec'd
        if b"studio" in cmdline.read_bytes():
            break
        time.sleep(0.01)
    return runner


async def test_a_studio_still_running_is_not_touched(tmp_path):
    paths = Paths.from_env()
    journal = Journal(paths.journal)
    runner = fake_running_studio()
    try:
        sid = journal.open_session(["retake"], pid=runner.pid)
        with pytest.raises(StudioError, match="another studio is live") as info:
            await settle_open_sessions(
                Plan(), bus=EventBus(), operator=GivenAnswers({}), paths=paths
            )
        assert f"kill -INT {runner.pid}" in str(info.value)
        assert [s.id for s in journal.open_sessions()] == [sid]
    finally:
        runner.kill()
        runner.wait()


def leftover(*argv: str) -> subprocess.Popen:
    """A process of the dead studio that is still running (in its own session, as the
    studio starts its children)."""
    proc = subprocess.Popen(list(argv), start_new_session=True)
    cmdline = Path(f"/proc/{proc.pid}/cmdline")
    for _ in range(200):  # until it has exec'd
        if argv[-1].encode() in cmdline.read_bytes():
            break
        time.sleep(0.01)
    return proc


async def test_leftover_children_are_ended_but_a_reused_pid_is_not(tmp_path):
    paths = Paths.from_env()
    journal = Journal(paths.journal)
    sid = journal.open_session(["retake"], pid=dead_pid())
    ffmpeg = leftover("sleep", "61")
    stranger = leftover("sleep", "62")
    try:
        journal.child(sid, "ffmpeg", identify(ffmpeg.pid))
        # the journal's record of a child whose pid now belongs to another program:
        # same pid, other start time and command
        reused = identify(stranger.pid)
        journal.child(
            sid,
            "relay:retake",
            ChildIdentity(pid=reused.pid, start_ticks=reused.start_ticks - 1, command_digest="0"),
        )
        bus = EventBus()
        notices: list = []
        bus.add_listener(
            lambda e: notices.append(e.to_dict()) if e.kind == "golive.notice" else None
        )
        resumed = await settle_open_sessions(
            Plan(resume=True), bus=bus, operator=GivenAnswers({}), paths=paths
        )
        assert resumed == sid
        assert ffmpeg.wait(5) == -signal.SIGTERM
        assert stranger.poll() is None, "a reused pid must never be killed"
        assert notices[0]["text"] == (
            f"ended what session {sid} left running: ffmpeg (pid {ffmpeg.pid})"
        )
    finally:
        for proc in (ffmpeg, stranger):
            proc.kill()
            proc.wait()
        journal.close()
