"""What the capture costs the X server when the encode falls behind.

FFmpeg's x11grab captures every frame into a MIT-SHM segment that Xvfb attaches too,
so each frame waiting for the encoder counts in Xvfb's RSS (about 3.5 MiB at
1280x720), not in FFmpeg's. Here the real encoder command is stalled for real: its
only output is a pipe nobody reads, so once the pipe is full nothing is encoded and
the capture fills its queue to the end, which FFmpeg reports ("Thread message queue
blocking"). Xvfb's growth at that moment is the most the capture can ever cost it.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from studio.broadcast.display import VirtualDisplay
from studio.broadcast.ffmpeg_command import FeedPipe, encoder_argv
from studio.broadcast.processes import ManagedProcess
from tests.broadcast.broadcast_helpers import need

QUEUE_FULL = "Thread message queue blocking"
GROWTH_LIMIT_MIB = 150
"""A full queue of 8 frames costs about 40 MiB; the old queue of 512 about 1800 MiB."""


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError(f"no VmRSS for pid {pid}")


async def test_a_stalled_encode_costs_xvfb_a_bounded_amount_of_memory(
    display: VirtualDisplay,
) -> None:
    need("ffmpeg")
    assert display.name is not None and display.process is not None
    xvfb = display.process.pid
    assert xvfb is not None
    stderr: list[str] = []
    read_end, write_end = os.pipe()  # the encoder's only output: never read
    encoder = ManagedProcess(
        "ffmpeg",
        encoder_argv(display.name, [], [FeedPipe("stalled", write_end)]),
        pass_fds=(write_end,),
        on_stderr=stderr.append,
    )
    before = rss_mib(xvfb)
    try:
        try:
            await encoder.start()
        finally:
            os.close(write_end)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 90
        growth = 0.0
        while loop.time() < deadline and encoder.running:
            growth = rss_mib(xvfb) - before
            if growth > GROWTH_LIMIT_MIB or any(QUEUE_FULL in line for line in stderr):
                break
            await asyncio.sleep(0.1)
        growth = rss_mib(xvfb) - before
        assert encoder.running, f"the encoder exited: {stderr[-3:]}"
        assert growth <= GROWTH_LIMIT_MIB, (
            f"Xvfb grew by {growth:.0f} MiB while the encode was stalled "
            f"(limit {GROWTH_LIMIT_MIB} MiB): the capture queue holds too many frames"
        )
        assert any(QUEUE_FULL in line for line in stderr), (
            f"the capture never filled its queue within 90 s: {stderr[-3:]}"
        )
    finally:
        await encoder.stop()
        os.close(read_end)
