"""The relays' private feed: encoder → pipe → studio → one pipe per relay.

The encoder writes one copy of the stream (MPEG-TS) into a pipe only the studio holds;
the studio reads it on its event loop and passes it on into the standard input of
every relay serving a destination that fell out of the encoder's tee or joined after
the encoder started. One feed serves them all: a feed per destination made the encoder
mux, and the studio read, one more copy of the stream for every destination even with
no relay running (issue 9, row 4; docs/bench/profiles/row4-destinations.txt). Nothing
is on a port or a path another local user could read from or write to.

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
    """The feed across encoder runs and relay attempts; ``tap(name)`` is one relay's end."""

    def __init__(self) -> None:
        self.received = 0
        self.passed: dict[str, int] = {}
        self.dropped: dict[str, int] = {}
        self._in: int | None = None
        self._encoder_end: int | None = None
        self._outs: dict[str, int] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    def open(self) -> FeedPipe:
        """A new pipe for a new encoder run; pass ``fd`` to the encoder, then call
        ``encoder_started``."""
        self._close_input()
        self.encoder_started()
        self._loop = asyncio.get_running_loop()
        self._in, self._encoder_end = _pipe()
        os.set_blocking(self._in, False)
        self._loop.add_reader(self._in, self._pump)
        return FeedPipe("relays", self._encoder_end)

    def encoder_started(self) -> None:
        """The encoder holds its end now: close the studio's copy, so its exit is EOF."""
        if self._encoder_end is not None:
            os.close(self._encoder_end)
            self._encoder_end = None

    def tap(self, destination: str) -> FeedTap:
        return FeedTap(self, destination)

    def attach(self, destination: str) -> int:
        """A pipe for ``destination``'s relay: its read end, to be the relay's standard
        input (the caller closes it once the relay runs)."""
        self.detach(destination)
        read_fd, out = _pipe()
        os.set_blocking(out, False)
        self._outs[destination] = out
        self.passed.setdefault(destination, 0)
        self.dropped.setdefault(destination, 0)
        return read_fd

    def detach(self, destination: str) -> None:
        """End that relay's input (it sees EOF)."""
        out = self._outs.pop(destination, None)
        if out is not None:
            os.close(out)

    def _pump(self) -> None:
        assert self._in is not None
        try:
            data = os.read(self._in, CHUNK)
        except BlockingIOError:
            return
        except OSError as exc:
            log.warning("the relays' feed could not be read: %s", exc)
            data = b""
        if not data:  # the encoder is gone
            self._close_input()
            for destination in list(self._outs):
                self.detach(destination)
            return
        self.received += len(data)
        for destination, out in list(self._outs.items()):
            try:
                written = os.write(out, data)
            except BlockingIOError:
                written = 0
            except OSError:  # the relay ended (broken pipe)
                self.detach(destination)
                continue
            self.passed[destination] += written
            self.dropped[destination] += len(data) - written

    def _close_input(self) -> None:
        if self._in is not None:
            if self._loop is not None and not self._loop.is_closed():
                self._loop.remove_reader(self._in)
            os.close(self._in)
            self._in = None

    def close(self) -> None:
        self._close_input()
        self.encoder_started()
        for destination in list(self._outs):
            self.detach(destination)


class FeedTap:
    """One destination's end of the feed, for its relay."""

    def __init__(self, pump: FeedPump, destination: str) -> None:
        self.pump, self.destination = pump, destination

    def attach(self) -> int:
        return self.pump.attach(self.destination)

    def detach(self) -> None:
        self.pump.detach(self.destination)
