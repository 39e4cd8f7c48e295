"""Children die with the studio, and a resumed studio ends what a killed one left.

Every child the studio starts gets a parent-death signal (``prctl(PR_SET_PDEATHSIG)``,
set between fork and exec by ``die_with_parent``), so even a ``kill -9`` of the studio
takes Xvfb, xterm, FFmpeg, relays and nginx with it. The kernel sends that signal when
the *thread* that forked the child ends: start children from the event loop's thread
(asyncio's ``create_subprocess_exec``), never from a worker thread.

``identify`` reads what a resumed studio needs to recognise a leftover child: its pid,
start time (in clock ticks since boot) and a digest of its command line (FFmpeg's
holds stream keys, so the line itself is never kept). ``end_leftover`` ends it only if
all three still match, so a pid the system has since given to another program is
never touched.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import hashlib
import os
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

PR_SET_PDEATHSIG = 1

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A ``preexec_fn``: the child gets ``sig`` when the thread that started it ends.

    If the parent is already gone by the time the child runs this (it died between the
    fork and the prctl), the child sends ``sig`` to itself at once."""
    parent = os.getpid()

    def preexec() -> None:
        _libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0)
        if os.getppid() != parent:
            os.kill(os.getpid(), sig)

    return preexec


@dataclass(frozen=True)
class ChildIdentity:
    """Enough to recognise one process again: a pid alone may have been reused."""

    pid: int
    start_ticks: int
    command_digest: str
    """SHA-256 of the command line: recognisable, but no stream key in the clear."""
    program: str = field(default="", compare=False)
    """The program's name, for people (``ffmpeg``, ``Xvfb``); not compared."""


def identify(pid: int) -> ChildIdentity | None:
    """The running process ``pid`` as (pid, start time, command digest); None if gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    # the command name (field 2) is in parentheses and may contain spaces or ")"
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] == "Z":  # a zombie is already dead
        return None
    program = os.path.basename(raw.split(b"\0", 1)[0].decode(errors="replace"))
    return ChildIdentity(
        pid=pid,
        start_ticks=int(fields[19]),
        command_digest=hashlib.sha256(raw).hexdigest(),
        program=program,
    )


def is_same(record: ChildIdentity) -> bool:
    return identify(record.pid) == record


def end_leftover(record: ChildIdentity, grace: float = 3.0) -> bool:
    """End ``record``'s process (SIGTERM, then SIGKILL) if it is still that very process.

    True if it was found and is gone now; False if it was already gone or the pid now
    belongs to something else (which is left alone)."""
    if not is_same(record):
        return False
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            # the studio starts each child as a group leader: end its whole group
            if os.getpgid(record.pid) == record.pid:
                os.killpg(record.pid, sig)
            else:
                os.kill(record.pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if not is_same(record):
                return True
            time.sleep(0.02)
    return not is_same(record)
