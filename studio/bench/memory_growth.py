"""Row 12: memory (USS) of the studio process and the kiosk after a long time live with
chat at 1 message a second, against their memory after warm-up."""

from __future__ import annotations

import asyncio

from studio.bench.context import Context
from studio.bench.figures import Row
from studio.bench.proctree import memory
from studio.bench.stage import GoLiveProcess, running, send_chat, write_lines

MB = 1024 * 1024


async def measure(ctx: Context) -> Row:
    row = Row(
        12,
        "memory of the studio and the kiosk after 1 hour live, chat 1/s",
        "growth 20 MB or less after warm-up",
    )
    window, warm_up = ctx.seconds(3600), ctx.seconds(60)
    studio, kiosk = row.figure("studio growth (USS)", "MB"), row.figure("kiosk growth (USS)", "MB")
    log = ctx.work / "memory.log"
    async with GoLiveProcess(ctx.stage, log) as golive:
        await golive.wait_live(120)
        origin, user = ctx.stage.world.origin, ctx.stage.user_db_id
        async with running(write_lines(log), send_chat(origin, user)):
            await asyncio.sleep(warm_up)
            kiosk_pid = golive.kiosk_pid()
            if kiosk_pid is None:
                raise RuntimeError("the kiosk process was not found under the studio")
            before = memory(golive.pid)[1], memory(kiosk_pid)[1]
            await asyncio.sleep(window)
            after = memory(golive.pid)[1], memory(kiosk_pid)[1]
    studio.add((after[0] - before[0]) / MB)
    kiosk.add((after[1] - before[1]) / MB)
    row.figure("studio USS after warm-up", "MB").add(before[0] / MB)
    row.figure("kiosk USS after warm-up", "MB").add(before[1] / MB)
    row.notes.append(
        f"one run: {warm_up:g} s warm-up, then {window:g} s; the full row takes an hour"
    )
    worst = max(studio.median, kiosk.median)
    row.judge(
        worst <= 20,
        f"studio {studio.median:+.1f} MB, kiosk {kiosk.median:+.1f} MB over {window:g} s",
    )
    return row
