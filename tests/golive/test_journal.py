import os
import signal
import stat
import subprocess
import sys
import textwrap

from studio import redaction
from studio.journal import Journal, JournalWriter


def test_session_lifecycle_and_reading_back(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    sid = journal.open_session(["retake", "basefm"], pid=123)
    assert [s.id for s in journal.open_sessions()] == [sid]
    journal.destination(sid, "retake", "live")
    journal.sample(sid, "viewers", {"retake": 3})
    journal.sample(sid, "encoder", {"fps": 30.0, "drop_frames": 0})
    assert journal.transcript(
        sid, platform="retake", kind="chat", external_id="c1", author="viewer1", text="hi"
    )
    assert not journal.transcript(
        sid, platform="retake", kind="chat", external_id="c1", author="viewer1", text="hi"
    )
    journal.transcript(
        sid,
        platform="retake",
        kind="tip",
        external_id="t1",
        author="w",
        text=None,
        data={"amount": 5},
    )
    journal.close_session(sid, summary={"retake": {"duration_seconds": 60}})
    assert journal.open_sessions() == []
    record = journal.session(sid)
    assert record.status == "ended" and record.summary == {"retake": {"duration_seconds": 60}}
    lines = journal.transcript_of(sid)
    assert [(line["kind"], line["external_id"]) for line in lines] == [
        ("chat", "c1"),
        ("tip", "t1"),
    ]
    assert lines[1]["data"] == {"amount": 5}
    assert journal.samples_of(sid, "viewers")[0]["retake"] == 3
    assert journal.destinations_of(sid)[0]["state"] == "live"
    assert stat.S_IMODE((tmp_path / "j.sqlite3").stat().st_mode) == 0o600


def test_secrets_never_reach_the_journal(tmp_path):
    redaction.register("sk_journalsecret1")
    journal = Journal(tmp_path / "j.sqlite3")
    sid = journal.open_session(["retake"])
    journal.event(sid, "x", {"url": "rtmp://h/app/sk_journalsecret1"})
    journal.transcript(
        sid,
        platform="retake",
        kind="chat",
        external_id="1",
        author="a",
        text="key sk_journalsecret1",
    )
    journal.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("j.sqlite3*"))
    assert b"sk_journalsecret1" not in raw


def test_writer_thread_keeps_order(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    sid = journal.open_session(["retake"])
    writer = JournalWriter(journal)
    for i in range(200):
        writer.submit(
            lambda j, i=i: j.transcript(
                sid, platform="retake", kind="chat", external_id=str(i), author="a", text=str(i)
            )
        )
    writer.flush_and_close()
    reread = Journal(tmp_path / "j.sqlite3")
    assert [line["text"] for line in reread.transcript_of(sid)] == [str(i) for i in range(200)]


def test_a_killed_studio_loses_nothing_written(tmp_path):
    """A process killed with SIGKILL mid-session leaves every committed line readable,
    and its session is found open so a restarted studio can offer to resume it."""
    path = tmp_path / "j.sqlite3"
    script = textwrap.dedent(
        f"""
        import sys, time
        from pathlib import Path
        from studio.journal import Journal
        j = Journal(Path({str(path)!r}))
        sid = j.open_session(["retake"])
        for i in range(50):
            j.transcript(sid, platform="retake", kind="chat", external_id=str(i), author="v", text="m" + str(i))
        print("written", flush=True)
        time.sleep(30)
        """
    )
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "written"
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(10)
    journal = Journal(path)
    (open_session,) = journal.open_sessions()
    assert len(journal.transcript_of(open_session.id)) == 50


def test_a_resuming_studio_adopts_the_session(tmp_path):
    journal = Journal(tmp_path / "j.sqlite3")
    sid = journal.open_session(["retake"], pid=111)
    journal.close_session(sid, status="failed")
    journal.adopt(sid, pid=222)
    (record,) = journal.open_sessions()
    assert (record.id, record.pid, record.status) == (sid, 222, "live")
