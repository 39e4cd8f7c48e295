"""Atomic writes of files that hold secrets: mode 0600 from the first byte."""

from __future__ import annotations

import json
import logging
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def private_dir(path: Path) -> int | None:
    """Make ``path`` a folder only its owner can enter (0700), creating it if need be.

    A folder that existed with a looser mode is tightened, with a warning: the old
    mode is returned so the caller can tell the operator; None if nothing changed."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode == 0o700:
        return None
    path.chmod(0o700)
    log.warning("%s was open to other users (mode %03o); it is now 0700", path, mode)
    return mode


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, readable by the owner only.

    The temporary file is created with ``O_EXCL`` and mode 0600 in the target's own
    folder, fsynced, then renamed over the target, so a reader sees either the old
    file or the new one and the secret is never world-readable, not even briefly.
    """
    private_dir(path.parent)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    dir_fd = os.open(path.parent, os.O_DIRECTORY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def write_private_json(path: Path, payload: Any) -> None:
    write_private(path, (json.dumps(payload, indent=2, sort_keys=True) + "\n").encode())


def read_json(path: Path) -> Any | None:
    try:
        return json.loads(path.read_text())
    except FileNotFoundError:
        return None
