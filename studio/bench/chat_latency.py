"""Row 6: a chat message emitted by the sandbox over Socket.IO until its pixels change on
the virtual display. The bench posts the message to the sandbox (which emits it on the
socket) and polls the screen with mss until it differs from the picture before."""

from __future__ import annotations

import asyncio
import os
import time

import httpx
import mss

from studio.bench import chart
from studio.bench.context import Context
from studio.bench.figures import Row, percentile
from studio.bench.stage import GoLiveProcess, post_chat

POLL = 0.002


def grab(screen: mss.base.MSSBase) -> bytes:
    return bytes(screen.grab(screen.monitors[0]).raw)


async def settled(screen: mss.base.MSSBase, quiet: float = 0.3, limit: float = 10.0) -> bytes:
    """A picture that stayed the same for ``quiet`` seconds."""
    deadline = time.monotonic() + limit
    picture, since = grab(screen), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.03)
        now = grab(screen)
        if now != picture:
            picture, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return picture
    raise RuntimeError("the display never stayed still long enough to time a chat message")


async def measure(ctx: Context) -> Row:
    row = Row(
        6,
        "chat message (sandbox Socket.IO) until its pixels change on the display",
        "p95 100 ms or less",
    )
    count = max(5, round(100 * min(1.0, ctx.scale))) if ctx.quick else 100
    p95, p50 = row.figure("p95", "ms"), row.figure("median", "ms")
    every: list[float] = []
    for run in range(ctx.runs):
        async with GoLiveProcess(ctx.stage, ctx.work / f"chat-{run}.log") as golive:
            await golive.wait_live(120)
            await golive.wait_for(
                lambda e: e.get("event") == "retake.feed" and e.get("state") == "connected", 30
            )
            latencies: list[float] = []
            os.environ["XAUTHORITY"] = golive.xauthority()
            with mss.MSS(display=golive.display()) as screen:
                async with httpx.AsyncClient(
                    base_url=ctx.stage.world.origin, timeout=10
                ) as control:
                    for i in range(count):
                        before = await settled(screen)
                        start = time.perf_counter()
                        await post_chat(control, ctx.stage.user_db_id, f"ping {run}.{i}")
                        while grab(screen) == before:
                            if time.perf_counter() - start > 10:
                                raise RuntimeError("a chat message never showed on the display")
                            await asyncio.sleep(POLL)
                        latencies.append((time.perf_counter() - start) * 1000)
        p95.add(percentile(latencies, 95))
        p50.add(percentile(latencies, 50))
        every.extend(latencies)
    row.notes.append(
        f"{count} messages per run; the screen is polled with mss every {POLL * 1000:g} ms plus one grab"
    )
    ordered = sorted(every)
    items = [(f"p{p}", percentile(ordered, p), chart.STUDIO) for p in (50, 75, 90, 95, 99)]
    path = chart.bars(
        ctx.charts / "row6-chat-latency.png",
        "Row 6: chat to pixels, all runs (ms)",
        items,
        "ms",
        100,
    )
    row.chart = f"bench/{path.name}"
    row.judge(p95.median <= 100, f"median p95 {p95.median:.0f} ms")
    return row
