"""Row 5: frame health of the encode at 5 lines a second and 1 chat a second:
FFmpeg's own speed and dropped frames, from the ``encoder.stats`` events."""

from __future__ import annotations

import asyncio

from studio.bench.context import Context
from studio.bench.figures import Row
from studio.bench.stage import GoLiveProcess, running, send_chat, write_lines


async def measure(ctx: Context) -> Row:
    row = Row(
        5,
        "frame health over 10 minutes at that content rate",
        "speed 0.99x or more, dropped 0.1% or less",
    )
    window = ctx.seconds(600)
    speed, dropped = row.figure("speed", "x"), row.figure("dropped frames", "%")
    for run in range(ctx.runs):
        log = ctx.work / f"health-{run}.log"
        async with GoLiveProcess(ctx.stage, log) as golive:
            await golive.wait_live(120)
            origin, user = ctx.stage.world.origin, ctx.stage.user_db_id
            first = len(golive.events)
            async with running(write_lines(log), send_chat(origin, user)):
                await asyncio.sleep(window)
            stats = [
                s.data
                for s in golive.events[first:]
                if s.data.get("event") == "encoder.stats" and s.data.get("source") == "ffmpeg"
            ]
        if len(stats) < 2:
            raise RuntimeError("the encoder reported no progress during the window")
        a, b = stats[0], stats[-1]
        frames = b["frame"] - a["frame"]
        # speed over the window: encoded media time against the wall clock between the two reports
        speed.add((b["out_time"] - a["out_time"]) / max(1e-6, b["at"] - a["at"]))
        dropped.add(
            100
            * (b["drop_frames"] - a["drop_frames"])
            / max(1, frames + b["drop_frames"] - a["drop_frames"])
        )
    ok = speed.median >= 0.99 and dropped.median <= 0.1
    row.notes.append(
        f"window {window:g} s per run; speed is encoded media time over wall time between FFmpeg's progress reports"
    )
    row.judge(ok, f"median speed {speed.median:.3f}x, dropped {dropped.median:.2f}%")
    return row
