"""``KioskLink``: how the studio talks to the kiosk without ever waiting on it.

``send`` queues a command and returns at once; a background task connects to the
kiosk's socket, writes what is queued in one write, reads the replies back in order and
reconnects with a short backoff. A command leaves the queue only when the kiosk has
answered it, so a kiosk that restarts loses nothing that was sent meanwhile. When the
kiosk is down the queue keeps only the newest ``buffer`` commands, so the broadcast
never blocks and never grows without bound. ``request`` is for the CLI: one command, one
reply, a short timeout.

The secrets' fingerprints are kept apart from that queue: every connection starts
with all of them, so a kiosk that restarts learns them again before anything else,
and no amount of chat while it is away can push them out.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import Iterable
from pathlib import Path

from pydantic import BaseModel, SecretStr

from studio.errors import StudioError
from studio.onair.fingerprints import fingerprints_of
from studio.onair.protocol import (
    OK,
    Reply,
    ScreenRequest,
    default_socket_path,
    encode,
)
from studio.redaction import redact
from studio.unix_socket import socket_path_problem

log = logging.getLogger(__name__)

BATCH_BYTES = 64 * 1024
"""At most this much is written before the replies are read (one command may be longer)."""


class KioskUnreachable(StudioError):
    pass


class KioskLink:
    def __init__(
        self,
        socket_path: Path | str | None = None,
        *,
        buffer: int = 200,
        retry_seconds: float = 1.0,
        reply_seconds: float = 2.0,
    ) -> None:
        self.socket_path = Path(socket_path) if socket_path else default_socket_path()
        problem = socket_path_problem(self.socket_path)
        if problem:
            log.warning("the kiosk will not be reachable: %s", problem)
        self._queue: deque[bytes] = deque(maxlen=buffer)
        self._fingerprints: list[bytes] = []
        """Every ``protect`` so far, replayed first on each connection."""
        self._preamble: deque[bytes] = deque()
        self._greeted = False
        """Whether the kiosk at the other end has been sent the fingerprints."""
        self._retry = retry_seconds
        self._wake = asyncio.Event()
        self._drained = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._reply_seconds = reply_seconds
        self.dropped = 0
        """Commands discarded because the queue was full while the kiosk was away."""
        self.refused = 0

    @property
    def connected(self) -> bool:
        return self._writer is not None and not self._writer.is_closing()

    @property
    def pending(self) -> int:
        return len(self._preamble) + len(self._queue)

    def send(self, command: BaseModel) -> None:
        """Queue ``command`` for the kiosk; never blocks, never raises for a missing kiosk."""
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        self._queue.append(encode(command))
        self._kick()

    def _kick(self) -> None:
        self._drained.clear()
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._pump(), name="kiosk-link")

    def protect(self, secrets: Iterable[str | SecretStr | None]) -> None:
        """Teach the kiosk to mask these exact values; only salted hashes are sent."""
        command = fingerprints_of(secrets)
        if command.items:
            line = encode(command)
            self._fingerprints.append(line)
            self._preamble.append(line)
        self._kick()

    async def picture(self, within: float = 2.0) -> str | None:
        """What the kiosk shows now, as plain text; ``None`` when no kiosk answers."""
        try:
            reply = await request(ScreenRequest(), self.socket_path, within=within)
        except (KioskUnreachable, ValueError, OSError):
            return None
        return reply.screen if reply.ok else None

    async def flush(self, within: float = 2.0) -> bool:
        """Wait until the queue is written (for tests and orderly shutdown)."""
        if self.pending:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._drained.wait(), within)
        return not self.pending

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        await self._drop_connection()

    async def _pump(self) -> None:
        """Deliver the queue in order; a command leaves the queue when the kiosk answers it.

        What is queued goes out in one write (``BATCH_BYTES`` at most, one command at
        least) and the replies are read back in order, so a burst costs one round trip
        rather than one a command. A connection lost halfway keeps every command not yet
        answered queued for the next kiosk.
        """
        while True:
            if not self.pending and self._greeted:
                self._drained.set()
                self._wake.clear()
                await self._idle()
                continue
            if not self.connected:
                if not await self._connect():
                    await asyncio.sleep(self._retry)
                    continue
                # every kiosk hears the fingerprints first (an empty set says "none")
                self._preamble = deque(self._fingerprints or [encode(fingerprints_of([]))])
                self._greeted = True
            assert self._writer is not None and self._reader is not None
            batch = self._next_batch()
            answered = 0
            try:
                self._writer.write(b"".join(batch))
                # the kiosk answers a batch as soon as it has read it: one deadline for all
                async with asyncio.timeout(self._reply_seconds):
                    for line in batch:
                        answer = await self._reader.readline()
                        if not answer:
                            break
                        answered += 1
                        self._answered(line)
                        self._report(answer)
            except (ConnectionError, OSError, TimeoutError, ValueError):
                pass
            if answered < len(batch):
                await self._drop_connection()

    def _next_batch(self) -> list[bytes]:
        """The fingerprints still to say, then the queue, in order, up to ``BATCH_BYTES``."""
        batch: list[bytes] = []
        size = 0
        for line in itertools.chain(self._preamble, self._queue):
            if batch and size + len(line) > BATCH_BYTES:
                break
            batch.append(line)
            size += len(line)
        return batch

    def _answered(self, line: bytes) -> None:
        """``line`` has its reply: it leaves the queue, unless a full queue has already
        pushed it out meanwhile (then the queue's head is another command)."""
        for queue in (self._preamble, self._queue):
            if queue and queue[0] is line:
                queue.popleft()
                return

    async def _idle(self) -> None:
        """Wait for the next command; meanwhile a kiosk that hangs up (it restarted) is
        noticed at once, and the next one gets the fingerprints again straight away."""
        reader = self._reader
        if reader is None:
            await self._wake.wait()
            return
        wake = asyncio.ensure_future(self._wake.wait())
        hangup = asyncio.ensure_future(reader.read(1))  # the kiosk speaks only when asked
        try:
            await asyncio.wait({wake, hangup}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            wake.cancel()
            hung_up = hangup.done()
            hangup.cancel()
            # the reader must be free again before the next command's reply is read
            await asyncio.gather(wake, hangup, return_exceptions=True)
        if hung_up:
            await self._drop_connection()

    def _report(self, answer: bytes) -> None:
        if answer == OK:
            return
        try:
            reply = Reply.model_validate_json(answer)
        except ValueError:
            return
        if not reply.ok:
            self.refused += 1
            log.warning("the kiosk refused a command: %s", redact(reply.error or ""))

    async def _connect(self) -> bool:
        try:
            reader, writer = await asyncio.open_unix_connection(str(self.socket_path))
        except (FileNotFoundError, ConnectionError, OSError):
            return False
        self._reader, self._writer = reader, writer
        return True

    async def _drop_connection(self) -> None:
        writer, self._writer, self._reader = self._writer, None, None
        self._greeted = False
        if writer is not None:
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()


async def request(
    command: BaseModel, socket_path: Path | str | None = None, *, within: float = 3.0
) -> Reply:
    """Send one command and wait for the kiosk's reply."""
    path = Path(socket_path) if socket_path else default_socket_path()
    try:
        async with asyncio.timeout(within):
            reader, writer = await asyncio.open_unix_connection(str(path))
            try:
                writer.write(encode(command))
                await writer.drain()
                line = await reader.readline()
            finally:
                writer.close()
                with contextlib.suppress(ConnectionError, OSError):
                    await writer.wait_closed()
    except (FileNotFoundError, ConnectionRefusedError):
        raise KioskUnreachable(
            f"No kiosk is listening on {path}.",
            fix="Start it with `studio kiosk run` (or pass the same --socket to both commands).",
        ) from None
    except TimeoutError:
        raise KioskUnreachable(
            f"The kiosk on {path} did not answer within {within:g} s.",
            fix="Check that the kiosk is running and not frozen; restart it if needed.",
        ) from None
    if not line:
        raise KioskUnreachable(f"The kiosk on {path} closed the connection without answering.")
    return Reply.model_validate_json(line)
