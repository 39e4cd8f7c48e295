"""Row 4: the studio's CPU with three RTMP destinations against one, side by side."""

from __future__ import annotations

import time

from studio.bench.context import Context
from studio.bench.figures import Row, ratio
from studio.bench.stack_cpu import studio_run


async def measure(ctx: Context) -> Row:
    row = Row(4, "CPU with three RTMP destinations vs one", "ratio 1.05 or less")
    window = ctx.seconds(60)
    one, three = row.figure("one destination", "% of a core"), row.figure("three", "% of a core")
    extra = ctx.stage.world.receiver.url("extra")
    for run in range(ctx.runs):
        stamp = int(time.time())
        one_cpu = await studio_run(ctx, window, run)
        args = ["--rtmp", f"{extra}/b{run}-{stamp}", "--rtmp", f"{extra}/c{run}-{stamp}"]
        three_cpu = await studio_run(ctx, window, run, args)
        one.add(one_cpu.seconds / window * 100)
        three.add(three_cpu.seconds / window * 100)
    ratios = row.figure("three / one (same run)", "")
    for value in ratio(three.values, one.values):
        ratios.add(value)
    row.notes.append(
        "retake.tv alone vs retake.tv plus two `--rtmp` destinations on the local receiver; "
        f"window {window:g} s; runs alternate one, three"
    )
    row.notes.append(
        "profile (py-spy): a private feed per destination was read by the studio even with no "
        "relay running; one feed now serves every relay (docs/bench/profiles/row4-destinations.txt)"
    )
    row.judge(ratios.median <= 1.05, f"median ratio {ratios.median:.2f} (target 1.05 or less)")
    return row
