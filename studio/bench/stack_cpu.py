"""Row 1: CPU of the whole studio tree against the seed's bare pipeline, side by side.

Runs alternate: seed, studio, seed, studio… Each is measured over the same window
after it is on air, with the agent writing 5 lines a second (and, for the studio,
viewers' chat at 1 message a second through the sandbox)."""

from __future__ import annotations

import asyncio
import time

from studio.bench import chart
from studio.bench.context import Context
from studio.bench.figures import Row, ratio
from studio.bench.proctree import TreeCpu
from studio.bench.seed_pipeline import SeedPipeline
from studio.bench.stage import GoLiveProcess, running, send_chat, write_lines

WARM_UP = 3.0


async def wait_recording(ctx: Context, key: str, limit: float = 30.0) -> None:
    """Until the receiver records the stream published with ``key``."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if any(f.name.startswith(key) for f in ctx.stage.world.receiver.recordings("extra")):
            return
        await asyncio.sleep(0.1)
    raise RuntimeError(f"the seed pipeline never reached the receiver ({key})")


async def seed_run(ctx: Context, window: float, run: int) -> TreeCpu:
    key = f"seed{run}-{int(time.time())}"
    log = ctx.work / f"seed-{run}.log"
    async with SeedPipeline(log, f"{ctx.stage.world.receiver.url('extra')}/{key}") as seed:
        await wait_recording(ctx, key)
        await asyncio.sleep(WARM_UP)
        async with running(write_lines(log)), TreeCpu([seed.pid]) as cpu:
            await asyncio.sleep(window)
    return cpu


async def studio_run(
    ctx: Context, window: float, run: int, args: list[str] | None = None
) -> TreeCpu:
    log = ctx.work / f"studio-{run}-{len(args or [])}.log"
    async with GoLiveProcess(ctx.stage, log, args or []) as golive:
        await golive.wait_live(120)
        await asyncio.sleep(WARM_UP)
        origin, user = ctx.stage.world.origin, ctx.stage.user_db_id
        async with running(write_lines(log), send_chat(origin, user)), TreeCpu([golive.pid]) as cpu:
            await asyncio.sleep(window)
    return cpu


def _groups(cpu: TreeCpu, window: float) -> dict[str, float]:
    groups: dict[str, float] = {}
    for name, seconds in cpu.by_name().items():
        group = "python (studio, kiosk)" if name.startswith("python") else name
        groups[group] = groups.get(group, 0.0) + seconds / window * 100
    return groups


async def measure(ctx: Context) -> Row:
    row = Row(
        1,
        "CPU of the whole stack vs the seed's bare pipeline (5 lines/s; studio also 1 chat/s)",
        "ratio 1.0 or less",
    )
    window = ctx.seconds(60)
    seed, studio = row.figure("seed pipeline", "% of a core"), row.figure("studio", "% of a core")
    parts: dict[str, list[float]] = {}
    for run in range(ctx.runs):
        seed_cpu = await seed_run(ctx, window, run)
        studio_cpu = await studio_run(ctx, window, run)
        seed.add(seed_cpu.seconds / window * 100)
        studio.add(studio_cpu.seconds / window * 100)
        for prefix, cpu in (("seed", seed_cpu), ("studio", studio_cpu)):
            for name, value in _groups(cpu, window).items():
                parts.setdefault(f"{prefix}: {name}", []).append(value)
    ratios = row.figure("studio / seed (same run)", "")
    for value in ratio(studio.values, seed.values):
        ratios.add(value)
    for label, values in sorted(parts.items()):
        row.figure(label, "% of a core").values.extend(values)
    row.notes.append(
        "baseline: the seed's Full Setup (Xvfb, xterm `tail -f` on a temporary log, FFmpeg with "
        "the seed's exact settings) pushing to the local nginx-rtmp receiver; its `openbox` is "
        "left out (not installed; it would only add to the baseline). Studio: `studio golive "
        "--headless --retake` against the sandbox, the whole tree (studio, kiosk, xterm, Xvfb, "
        "FFmpeg) with its default x264 settings"
    )
    row.notes.append(
        f"window {window:g} s per run after {WARM_UP:g} s on air; runs alternate seed, studio"
    )
    items = [
        (label, sorted(v)[len(v) // 2], chart.SEED if label.startswith("seed") else chart.STUDIO)
        for label, v in sorted(parts.items())
    ]
    path = chart.bars(
        ctx.charts / "row1-stack-cpu.png", "Row 1: CPU by process (median, % of a core)", items, "%"
    )
    row.chart = f"bench/{path.name}"
    row.judge(ratios.median <= 1.0, f"median ratio {ratios.median:.2f} (target 1.0 or less)")
    return row
