"""A destination's private feed: encoder → pipe → studio → pipe → relay.

The encoder writes each destination's copy of the stream into a pipe only the studio
holds; the studio reads it on its event loop and, while a relay serves that
destination, passes it on into the relay's standard input. Nothing is on a port or a
path another local user could read from or write to.

The studio never lets the encoder wait on a relay: pipes are 1 MiB, writes to the
relay do not block, and data a stuck relay cannot take is dropped (MPEG-TS
resynchronises). When the encoder's feed ends, the relay's input ends too, so the
relay stops instead of waiting for data that will never come.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os

from studio.broadcast.ffmpeg_command import FeedPipe

log = logging.getLogger(__name__)

PIPE_SIZE = 1 << 20
"""About 5 s of the 1.6 Mb/s stream: the studio may be busy that long without a gap."""
CHUNK = 1 << 16


def _pipe() -> tuple[int, int]:
    read_fd, write_fd = os.pipe2(os.O_CLOEXEC)
    with contextlib.suppress(OSError):  # a smaller limit (pipe-max-size) is fine
        fcntl.fcntl(write_fd, fcntl.F_SETPIPE_SZ, PIPE_SIZE)
    return read_fd, write_fd


class FeedPump:
    """One destination's feed across encoder runs and relay attempts."""

    def __init__(self, destination: str) -> None:
        self.destination = destination
        self.received = 0
        self.passed = 0
        self.dropped = 0
        self._in: int | None = None
        self._encoder_end: int | None = None
        self._out: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def open(self) -> FeedPipe:
        """A new pipe for a new encoder run; pass ``fd`` to the encoder, then call
        ``encoder_started``."""
        self.close()
        self._loop = asyncio.get_running_loop()
        self._in, self._encoder_end = _pipe()
        os.set_blocking(self._in, False)
        self._loop.add_reader(self._in, self._pump)
        return FeedPipe(self.destination, self._encoder_end)

    def encoder_started(self) -> None:
        """The encoder holds its end now: close the studio's copy, so its exit is EOF."""
        if self._encoder_end is not None:
            os.close(self._encoder_end)
            self._encoder_end = None

    def attach(self) -> int:
        """A pipe for a relay: its read end, to be the relay's standard input (the
        caller closes it once the relay runs)."""
        self.detach()
        read_fd, self._out = _pipe()
        os.set_blocking(self._out, False)
        return read_fd

    def detach(self) -> None:
        """End the relay's input (it sees EOF)."""
        if self._out is not None:
            os.close(self._out)
            self._out = None

    def _pump(self) -> None:
        assert self._in is not None
        try:
            data = os.read(self._in, CHUNK)
        except BlockingIOError:
            return
        except OSError as exc:
            log.warning("feed of %s could not be read: %s", self.destination, exc)
            data = b""
        if not data:  # the encoder is gone
            self._close_input()
            self.detach()
            return
        self.received += len(data)
        if self._out is None:
            return
        try:
            written = os.write(self._out, data)
        except BlockingIOError:
            written = 0
        except OSError:  # the relay ended (broken pipe)
            self.detach()
            return
        self.passed += written
        self.dropped += len(data) - written

    def _close_input(self) -> None:
        if self._in is not None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(self._in)
            os.close(self._in)
            self._in = None

    def close(self) -> None:
        self._close_input()
        self.encoder_started()
        self.detach()
