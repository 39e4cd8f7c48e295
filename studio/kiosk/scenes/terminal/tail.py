"""Follow what the agent writes: a regular file (like ``tail -F``) or a FIFO.

A file shows its last lines first, then every new line; it may not exist yet, be
truncated or be replaced. A FIFO is held open with a writer of our own so that an
agent closing its end is not an end of stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

READ_SIZE = 64 * 1024
BACKLOG_BYTES = 64 * 1024
POLL_SECONDS = 0.1
MAX_PARTIAL = 16 * 1024


class LineSplitter:
    """Turns byte chunks into complete text lines; a partial line waits for its end."""

    def __init__(self) -> None:
        self._partial = b""

    def feed(self, chunk: bytes) -> list[str]:
        data = self._partial + chunk
        *complete, self._partial = data.split(b"\n")
        if len(self._partial) > MAX_PARTIAL:
            complete.append(self._partial)
            self._partial = b""
        return [line.decode("utf-8", "replace") for line in complete]

    def flush(self) -> list[str]:
        partial, self._partial = self._partial, b""
        return [partial.decode("utf-8", "replace")] if partial else []


def _is_fifo(path: Path) -> bool:
    try:
        return stat.S_ISFIFO(path.stat().st_mode)
    except OSError:
        return False


async def follow(path: Path, *, backlog_lines: int = 200) -> AsyncIterator[list[str]]:
    """Yield batches of lines from ``path`` forever (cancel the task to stop)."""
    if _is_fifo(path):
        async for batch in _follow_fifo(path):
            yield batch
    else:
        async for batch in _follow_file(path, backlog_lines):
            yield batch


async def _follow_file(path: Path, backlog_lines: int) -> AsyncIterator[list[str]]:
    splitter = LineSplitter()
    handle = None
    identity: tuple[int, int] | None = None
    first_open = True
    try:
        while True:
            if handle is None:
                try:
                    handle = open(path, "rb")  # noqa: SIM115, ASYNC230 - a local file, reads never block long
                except OSError:
                    await asyncio.sleep(POLL_SECONDS)
                    continue
                info = os.fstat(handle.fileno())
                identity = (info.st_dev, info.st_ino)
                if first_open and info.st_size > BACKLOG_BYTES:
                    handle.seek(info.st_size - BACKLOG_BYTES)
                    handle.readline()
                backlog = first_open
                first_open = False
                lines = splitter.feed(handle.read())
                if backlog:
                    lines = lines[-backlog_lines:]
                if lines:
                    yield lines
            chunk = handle.read(READ_SIZE)
            if chunk:
                lines = splitter.feed(chunk)
                if lines:
                    yield lines
                continue
            await asyncio.sleep(POLL_SECONDS)
            try:
                info = path.stat()  # noqa: ASYNC240
            except OSError:
                continue
            if (info.st_dev, info.st_ino) != identity or info.st_size < handle.tell():
                handle.close()
                handle = None
                splitter.flush()
    finally:
        if handle is not None:
            handle.close()


async def _follow_fifo(path: Path) -> AsyncIterator[list[str]]:
    loop = asyncio.get_running_loop()
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    keep_open = os.open(path, os.O_WRONLY | os.O_NONBLOCK)
    ready = asyncio.Event()
    loop.add_reader(reader, ready.set)
    splitter = LineSplitter()
    try:
        while True:
            await ready.wait()
            ready.clear()
            try:
                chunk = os.read(reader, READ_SIZE)
            except BlockingIOError:
                continue
            lines = splitter.feed(chunk)
            if lines:
                yield lines
    finally:
        loop.remove_reader(reader)
        with contextlib.suppress(OSError):
            os.close(keep_open)
        with contextlib.suppress(OSError):
            os.close(reader)
