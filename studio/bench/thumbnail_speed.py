"""Row 11: the studio's thumbnail (the screen read where Xvfb draws it + JPEG encode,
studio/broadcast/thumbnails.py) against ``scrot`` writing a PNG and reading its file,
alternating, on the same display showing the kiosk. The first call (Pillow loads its
JPEG encoder), as the go-live's first thumbnail makes it, is timed apart, and the runs
time the calls after it (the thumbnail loop's every 2-5 minutes)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from pathlib import Path

from studio.bench.context import Context
from studio.bench.figures import Row, ratio
from studio.bench.kiosk_idle import kiosk_pid, running_kiosk
from studio.broadcast.display import VirtualDisplay
from studio.broadcast.terminal import Terminal
from studio.broadcast.thumbnails import thumbnail_jpeg
from studio.golive.assemble import kiosk_command
from studio.golive.rehearsal_cast import AGENT_LINES

CALLS = 5
"""Calls per run; a run's figure is their median."""


def scrot_png(display: str, path: Path) -> bytes:
    path.unlink(missing_ok=True)
    subprocess.run(
        ["scrot", "--overwrite", str(path)],
        env={**os.environ, "DISPLAY": display},
        check=True,
        capture_output=True,
    )
    return path.read_bytes()


def timed(call: object, *args: object) -> float:
    start = time.perf_counter()
    call(*args)  # type: ignore[operator]
    return (time.perf_counter() - start) * 1000


async def measure(ctx: Context) -> Row:
    row = Row(
        11, "thumbnail grab and encode vs `scrot` plus reading its file", "4x faster or better"
    )
    ours, scrot = row.figure("studio thumbnail_jpeg", "ms"), row.figure("scrot + read", "ms")
    first = row.figure("studio thumbnail_jpeg, first call", "ms")
    log = ctx.work / "thumb.log"
    log.write_text("".join(f"{i:05d} {line}\n" for i, line in enumerate(AGENT_LINES * 3)))
    shot = ctx.work / "scrot.png"
    async with VirtualDisplay() as display:
        assert display.name
        terminal = Terminal(display.name, kiosk_command(ctx.work / "thumb.sock", log))
        await terminal.start()
        try:
            pid = await kiosk_pid(terminal)
            await asyncio.sleep(3)
            running_kiosk(pid)
            first.add(await asyncio.to_thread(timed, thumbnail_jpeg, display.name))
            for _ in range(ctx.runs):
                a, b = [], []
                for _ in range(CALLS):
                    a.append(await asyncio.to_thread(timed, thumbnail_jpeg, display.name))
                    b.append(await asyncio.to_thread(timed, scrot_png, display.name, shot))
                ours.add(sorted(a)[CALLS // 2])
                scrot.add(sorted(b)[CALLS // 2])
            size = len(thumbnail_jpeg(display.name)), len(scrot_png(display.name, shot))
        finally:
            await terminal.stop()
    speedup = row.figure("scrot / studio (same run)", "x")
    for value in ratio(scrot.values, ours.values):
        speedup.add(value)
    row.notes.append(
        f"{CALLS} calls of each per run, alternating; sizes: studio (JPEG, 1280x720) "
        f"{size[0] // 1024} KiB, scrot (PNG) {size[1] // 1024} KiB"
    )
    row.notes.append(
        "profile (pyinstrument): the PNG encode and a new X connection per grab were the time "
        "(docs/bench/profiles/row11-thumbnail.txt); then JPEG on a kept connection; now the "
        "screen is read where Xvfb draws it, with no X request and no copy in between, and "
        "the JPEG encode is nearly all that is left (docs/bench/profiles/row11-thumbnail-after.txt)"
    )
    row.judge(speedup.median >= 4, f"median {speedup.median:.2f}x faster than scrot")
    return row
