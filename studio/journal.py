"""The session journal: every session, its destinations, samples and transcript.

SQLite in WAL mode, one commit per write, so a crash of the studio loses nothing that
was written. Writes happen on one background thread fed by a queue, so the event
loop never waits on the disk. Nothing secret is stored: destination URLs are not
recorded and every text passes through the redaction layer.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import sqlite3
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.children import ChildIdentity
from studio.redaction import redact, redact_data
from studio.secure_file import private_dir

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    id INTEGER PRIMARY KEY,
    started_at REAL NOT NULL,
    ended_at REAL,
    status TEXT NOT NULL,             -- live | ended | failed | abandoned
    platforms TEXT NOT NULL,          -- JSON list
    pid INTEGER,
    summary TEXT                      -- JSON: final stats per platform
);
CREATE TABLE IF NOT EXISTS destinations (
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    name TEXT NOT NULL,
    at REAL NOT NULL,
    state TEXT NOT NULL,
    detail TEXT
);
CREATE TABLE IF NOT EXISTS samples (
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    at REAL NOT NULL,
    kind TEXT NOT NULL,               -- viewers | encoder
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS transcript (
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    at REAL NOT NULL,
    platform TEXT NOT NULL,
    kind TEXT NOT NULL,               -- chat | tip | trade | follow | pinned | ...
    external_id TEXT,
    author TEXT,
    text TEXT,
    data TEXT,
    UNIQUE (session_id, platform, kind, external_id)
);
CREATE TABLE IF NOT EXISTS events (
    session_id INTEGER,
    at REAL NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS children (
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    at REAL NOT NULL,
    name TEXT NOT NULL,               -- Xvfb | xterm | ffmpeg | relay:<destination>
    pid INTEGER NOT NULL,
    start_ticks INTEGER NOT NULL,     -- /proc/<pid>/stat field 22: tells a reused pid apart
    command_digest TEXT NOT NULL      -- SHA-256 of /proc/<pid>/cmdline (it holds stream keys)
);
CREATE INDEX IF NOT EXISTS transcript_by_session ON transcript(session_id, at);
CREATE INDEX IF NOT EXISTS samples_by_session ON samples(session_id, kind, at);
"""


@dataclass(frozen=True)
class SessionRecord:
    id: int
    started_at: float
    ended_at: float | None
    status: str
    platforms: list[str]
    pid: int | None
    summary: dict[str, Any] | None


def _dumps(data: Any) -> str:
    return redact(json.dumps(redact_data(data), default=str, separators=(",", ":")))


class Journal:
    """Synchronous access to the journal file. Use ``JournalWriter`` from async code."""

    def __init__(self, path: Path) -> None:
        self.path = path
        private_dir(path.parent)
        # SQLite creates the -wal and -shm files with the database file's own mode: a
        # database that is 0600 before it is opened keeps both of them private too.
        os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        for file in (path, *(path.with_name(path.name + end) for end in ("-wal", "-shm"))):
            with contextlib.suppress(FileNotFoundError):
                file.chmod(0o600)
        self._db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("PRAGMA busy_timeout=5000")
        self._db.executescript(SCHEMA)
        self._lock = threading.Lock()

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _exec(self, sql: str, args: tuple[Any, ...] = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._db.execute(sql, args)

    # -- sessions -----------------------------------------------------------------
    def open_session(
        self, platforms: list[str], *, pid: int | None = None, at: float | None = None
    ) -> int:
        cur = self._exec(
            "INSERT INTO sessions (started_at, status, platforms, pid) VALUES (?, 'live', ?, ?)",
            (at or time.time(), json.dumps(platforms), pid),
        )
        return int(cur.lastrowid or 0)

    def adopt(self, session_id: int, *, pid: int) -> None:
        """A resuming studio takes the session over: it is live again, under its pid."""
        self._exec("UPDATE sessions SET pid = ?, status = 'live' WHERE id = ?", (pid, session_id))

    def close_session(
        self, session_id: int, *, status: str = "ended", summary: dict[str, Any] | None = None
    ) -> None:
        self._exec(
            "UPDATE sessions SET ended_at = ?, status = ?, summary = ? WHERE id = ?",
            (time.time(), status, _dumps(summary or {}), session_id),
        )

    def session(self, session_id: int) -> SessionRecord | None:
        row = self._exec(
            "SELECT id, started_at, ended_at, status, platforms, pid, summary FROM sessions WHERE id = ?",
            (session_id,),
        ).fetchone()
        return _record(row) if row else None

    def open_sessions(self) -> list[SessionRecord]:
        """Sessions still marked live: a studio that crashed or was killed left them."""
        rows = self._exec(
            "SELECT id, started_at, ended_at, status, platforms, pid, summary FROM sessions "
            "WHERE status = 'live' ORDER BY id"
        ).fetchall()
        return [_record(row) for row in rows]

    def recent_sessions(self, limit: int = 20) -> list[SessionRecord]:
        rows = self._exec(
            "SELECT id, started_at, ended_at, status, platforms, pid, summary FROM sessions "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall()
        return [_record(row) for row in rows]

    # -- what happens during a session --------------------------------------------
    def destination(self, session_id: int, name: str, state: str, detail: Any = None) -> None:
        self._exec(
            "INSERT INTO destinations (session_id, name, at, state, detail) VALUES (?, ?, ?, ?, ?)",
            (session_id, name, time.time(), state, _dumps(detail)),
        )

    def sample(
        self, session_id: int, kind: str, data: dict[str, Any], at: float | None = None
    ) -> None:
        self._exec(
            "INSERT INTO samples (session_id, at, kind, data) VALUES (?, ?, ?, ?)",
            (session_id, at or time.time(), kind, _dumps(data)),
        )

    def transcript(
        self,
        session_id: int,
        *,
        platform: str,
        kind: str,
        external_id: str | None,
        author: str | None,
        text: str | None,
        data: Any = None,
        at: float | None = None,
    ) -> bool:
        """Add one chat line, tip, trade or follow; a repeat of the same id is ignored."""
        cur = self._exec(
            "INSERT OR IGNORE INTO transcript "
            "(session_id, at, platform, kind, external_id, author, text, data) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session_id,
                at or time.time(),
                platform,
                kind,
                external_id,
                redact(author) if author else author,
                redact(text) if text else text,
                _dumps(data),
            ),
        )
        return cur.rowcount == 1

    def event(
        self, session_id: int | None, kind: str, data: dict[str, Any], at: float | None = None
    ) -> None:
        self._exec(
            "INSERT INTO events (session_id, at, kind, data) VALUES (?, ?, ?, ?)",
            (session_id, at or time.time(), kind, _dumps(data)),
        )

    def child(self, session_id: int, name: str, identity: ChildIdentity) -> None:
        """A process the session started: a resumed studio ends it if it outlived us."""
        self._exec(
            "INSERT INTO children (session_id, at, name, pid, start_ticks, command_digest) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                session_id,
                time.time(),
                name,
                identity.pid,
                identity.start_ticks,
                identity.command_digest,
            ),
        )

    # -- reading back -------------------------------------------------------------
    def children_of(self, session_id: int) -> list[tuple[str, ChildIdentity]]:
        rows = self._exec(
            "SELECT name, pid, start_ticks, command_digest FROM children "
            "WHERE session_id = ? ORDER BY at, rowid",
            (session_id,),
        ).fetchall()
        return [
            (name, ChildIdentity(pid=pid, start_ticks=ticks, command_digest=digest, program=name))
            for name, pid, ticks, digest in rows
        ]

    def transcript_of(self, session_id: int) -> list[dict[str, Any]]:
        rows = self._exec(
            "SELECT at, platform, kind, external_id, author, text, data FROM transcript "
            "WHERE session_id = ? ORDER BY at, rowid",
            (session_id,),
        ).fetchall()
        keys = ("at", "platform", "kind", "external_id", "author", "text", "data")
        return [
            dict(zip(keys, row, strict=True)) | {"data": json.loads(row[6] or "null")}
            for row in rows
        ]

    def samples_of(self, session_id: int, kind: str) -> list[dict[str, Any]]:
        rows = self._exec(
            "SELECT at, data FROM samples WHERE session_id = ? AND kind = ? ORDER BY at, rowid",
            (session_id, kind),
        ).fetchall()
        return [{"at": at, **json.loads(data)} for at, data in rows]

    def destinations_of(self, session_id: int) -> list[dict[str, Any]]:
        rows = self._exec(
            "SELECT name, at, state, detail FROM destinations WHERE session_id = ? ORDER BY at, rowid",
            (session_id,),
        ).fetchall()
        return [
            {"name": n, "at": at, "state": s, "detail": json.loads(d or "null")}
            for n, at, s, d in rows
        ]

    def events_of(self, session_id: int) -> list[dict[str, Any]]:
        rows = self._exec(
            "SELECT at, kind, data FROM events WHERE session_id = ? ORDER BY at, rowid",
            (session_id,),
        ).fetchall()
        return [{"at": at, "kind": k, "data": json.loads(d)} for at, k, d in rows]


def _record(row: tuple[Any, ...]) -> SessionRecord:
    return SessionRecord(
        id=row[0],
        started_at=row[1],
        ended_at=row[2],
        status=row[3],
        platforms=json.loads(row[4]),
        pid=row[5],
        summary=json.loads(row[6]) if row[6] else None,
    )


_STOP = object()


class JournalWriter:
    """Runs journal writes on one background thread, in order, off the event loop."""

    def __init__(self, journal: Journal) -> None:
        self.journal = journal
        self._queue: queue.Queue[Any] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="journal", daemon=True)
        self._thread.start()

    def submit(self, write: Callable[[Journal], Any]) -> None:
        self._queue.put(write)

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            if item is _STOP:
                return
            try:
                item(self.journal)
            except sqlite3.Error:  # a failed write must not kill the broadcast
                import logging

                logging.getLogger(__name__).exception("journal write failed")

    def flush_and_close(self, timeout: float = 10.0) -> None:
        self._queue.put(_STOP)
        self._thread.join(timeout)
        self.journal.close()
