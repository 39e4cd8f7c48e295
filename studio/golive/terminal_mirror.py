"""The on-air terminal as plain text: the last lines of the agent's log, ANSI removed,
secrets masked. ClawCast gets it as ``terminal`` frames."""

from __future__ import annotations

import os
from pathlib import Path

from studio.inert_text import inert
from studio.redaction import redact


def tail_text(path: Path, *, lines: int = 40, max_bytes: int = 64 * 1024, width: int = 160) -> str:
    """The last ``lines`` lines of ``path`` (at most ``max_bytes`` read), as plain text."""
    try:
        with path.open("rb") as handle:
            size = handle.seek(0, os.SEEK_END)
            handle.seek(max(0, size - max_bytes))
            data = handle.read()
    except (FileNotFoundError, IsADirectoryError, PermissionError):
        return ""
    text = inert(data.decode("utf-8", errors="replace"), newlines=True)
    kept = [line[:width] for line in text.split("\n")[-lines:]]
    return redact("\n".join(kept).strip("\n") + "\n")
