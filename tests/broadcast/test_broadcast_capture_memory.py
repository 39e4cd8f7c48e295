"""What the capture costs the X server when the encode falls behind.

FFmpeg's x11grab captures every frame into a MIT-SHM segment that Xvfb attaches too,
so each frame waiting for the encoder counts in Xvfb's RSS (about 3.5 MiB at
1280x720), not in FFmpeg's, and FFmpeg keeps every segment it ever needed until it
exits. Here the real encoder command is stalled for real: its only output is a pipe
nobody reads, so once that pipe is full nothing is encoded, and the capture fills its
queue to the end. Then the number of segments FFmpeg created stops growing, and
Xvfb's growth at that point is the most the capture can ever cost it.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import termios
from pathlib import Path

from studio.broadcast.display import VirtualDisplay
from studio.broadcast.ffmpeg_command import FeedPipe, encoder_argv
from studio.broadcast.processes import ManagedProcess
from tests.broadcast.broadcast_helpers import need, wait_until

GROWTH_LIMIT_MIB = 150
"""A full queue of 8 frames costs Xvfb about 40 MiB; the old queue of 512 about 1800."""
SEGMENT_LIMIT = 32
"""Frames FFmpeg may hold in shared memory: the queue, plus a few in flight."""
PLATEAU = 3.0
"""Seconds without a new segment, once the encode is stalled: the queue is full."""


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


def shm_segments(creator: int) -> int:
    """System V shared-memory segments that process ``creator`` made (x11grab's frames)."""
    rows = Path("/proc/sysvipc/shm").read_text().splitlines()[1:]
    return sum(1 for row in rows if int(row.split()[4]) == creator)


def pipe_filling(read_end: int) -> bool:
    """The pipe is at least half full: the encoder is about to block on it (it writes
    whole TS packets, so a pipe that stalls it is seldom full to the last byte)."""
    waiting = int.from_bytes(fcntl.ioctl(read_end, termios.FIONREAD, b"\0\0\0\0"), "little")
    return waiting >= fcntl.fcntl(read_end, fcntl.F_GETPIPE_SZ) // 2


async def test_a_stalled_encode_costs_xvfb_a_bounded_amount_of_memory(
    display: VirtualDisplay,
) -> None:
    need("ffmpeg")
    assert display.name is not None and display.process is not None
    xvfb = display.process.pid
    assert xvfb is not None
    read_end, write_end = os.pipe()  # the encoder's only output: never read
    fcntl.fcntl(read_end, fcntl.F_SETPIPE_SZ, 4096)  # one page: the encode stalls at once
    encoder = ManagedProcess(
        "ffmpeg",
        encoder_argv(display.name, [], [FeedPipe("stalled", write_end)]),
        pass_fds=(write_end,),
    )
    before = rss_mib(xvfb)
    try:
        try:
            await encoder.start()
        finally:
            os.close(write_end)
        assert encoder.pid is not None
        await wait_until(lambda: pipe_filling(read_end), 60, "the encoder's output pipe filled")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 60
        segments, since = shm_segments(encoder.pid), loop.time()
        while loop.time() < deadline and loop.time() - since < PLATEAU:
            assert encoder.running, f"the encoder exited: {encoder.stderr_tail[-3:]}"
            now = shm_segments(encoder.pid)
            if now > SEGMENT_LIMIT or rss_mib(xvfb) - before > GROWTH_LIMIT_MIB:
                break
            if now != segments:
                segments, since = now, loop.time()
            await asyncio.sleep(0.1)
        growth = rss_mib(xvfb) - before
        segments = shm_segments(encoder.pid)
        assert segments <= SEGMENT_LIMIT and growth <= GROWTH_LIMIT_MIB, (
            f"with the encode stalled, FFmpeg holds {segments} captured frames in shared "
            f"memory (limit {SEGMENT_LIMIT}) and Xvfb grew by {growth:.0f} MiB "
            f"(limit {GROWTH_LIMIT_MIB})"
        )
        assert segments > 0, "x11grab captured nothing through shared memory"
    finally:
        await encoder.stop()
        os.close(read_end)
