"""Local users get nothing from the studio's files: the journal's -wal and -shm are
0600, the state folder is always 0700, and the session store loses nothing when
several processes write it at once."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from pathlib import Path

from studio.journal import Journal
from studio.session_store import SessionStore


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_journal_wal_and_shm_are_private_whatever_the_umask(tmp_path: Path) -> None:
    state = tmp_path / "state"
    old = os.umask(0o022)
    try:
        journal = Journal(state / "journal.sqlite3")
        session = journal.open_session(["retake"], pid=os.getpid())
        journal.event(session, "test", {"n": 1})
        files = {p.name: mode(p) for p in state.iterdir()}
        journal.close()
    finally:
        os.umask(old)
    assert files == {
        "journal.sqlite3": 0o600,
        "journal.sqlite3-wal": 0o600,
        "journal.sqlite3-shm": 0o600,
    }
    assert mode(state) == 0o700


def test_loose_journal_files_from_before_are_tightened(tmp_path: Path) -> None:
    state = tmp_path / "state"
    Journal(state / "journal.sqlite3").close()
    for name in ("journal.sqlite3", "journal.sqlite3-wal", "journal.sqlite3-shm"):
        (state / name).touch()
        (state / name).chmod(0o644)
    journal = Journal(state / "journal.sqlite3")
    journal.event(None, "test", {"n": 1})
    modes = {p.name: mode(p) for p in state.iterdir() if p.name.startswith("journal")}
    journal.close()
    assert modes == {
        "journal.sqlite3": 0o600,
        "journal.sqlite3-wal": 0o600,
        "journal.sqlite3-shm": 0o600,
    }


def test_a_state_folder_open_to_others_is_made_private_and_said_so(tmp_path: Path, caplog) -> None:  # noqa: ANN001
    state = tmp_path / "state"
    state.mkdir(mode=0o755)
    state.chmod(0o755)
    with caplog.at_level(logging.WARNING):
        SessionStore(state / "sessions.json").put("basefm", {"session_token": "tok-123456789"})
    assert mode(state) == 0o700
    assert f"{state} was open to other users (mode 755); it is now 0700" in caplog.text
    assert mode(state / "sessions.json") == 0o600

    state.chmod(0o750)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        Journal(state / "journal.sqlite3").close()
    assert mode(state) == 0o700 and "(mode 750)" in caplog.text


WRITER = """
import sys
from pathlib import Path
from studio.session_store import SessionStore
store = SessionStore(Path(sys.argv[1]))
sys.stdin.readline()  # both writers start together
for i in range(int(sys.argv[3])):
    store.put(f"{sys.argv[2]}{i}", {"session_token": f"token-{sys.argv[2]}-{i:04d}"})
"""


def test_two_processes_writing_the_session_store_lose_nothing(tmp_path: Path) -> None:
    path = tmp_path / "state" / "sessions.json"
    count = 60
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), name, str(count)],
            stdin=subprocess.PIPE,
            text=True,
        )
        for name in ("a", "b")
    ]
    for writer in writers:
        assert writer.stdin is not None
        writer.stdin.write("go\n")
        writer.stdin.close()
    assert [writer.wait(60) for writer in writers] == [0, 0]
    store = SessionStore(path)
    for name in ("a", "b"):
        for i in range(count):
            assert store.get(f"{name}{i}") == {"session_token": f"token-{name}-{i:04d}"}, (
                f"{name}{i} was lost"
            )
