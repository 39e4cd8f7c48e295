"""Row 6: a chat message emitted by the sandbox over Socket.IO until its pixels change on
the virtual display. The bench posts the message to the sandbox (which emits it on the
socket) and polls the chat pane with mss until it differs from the picture before.

What is compared is the chat pane alone (the right-hand column beside the agent's
terminal, above the ticker): the ticker's uptime changes every second by itself, and
before the agent has written anything the opening card is on air, whose pulse moves
once a second and which shows no chat at all; comparing the whole screen there timed
the pulse, not the message. So the agent writes a few lines first, as on a real
stream, and the pane is checked to be on air before any message is timed."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

import httpx
import mss

from studio.bench import chart
from studio.bench.context import Context
from studio.bench.figures import Row, percentile
from studio.bench.stage import GoLiveProcess, post_chat
from studio.golive.rehearsal_cast import AGENT_LINES

POLL = 0.002
CHAT_PANE = {"left": 1280 - 48 * 8, "top": 0, "width": 48 * 8, "height": 720 - 16}
"""The chat pane at 160x45 cells of 8x16 pixels: its 48 columns on the right, above
the one-row ticker (studio/kiosk/kiosk.tcss)."""


def grab(screen: mss.base.MSSBase) -> bytes:
    return bytes(screen.grab(CHAT_PANE).raw)


async def settled(screen: mss.base.MSSBase, quiet: float = 0.3, limit: float = 10.0) -> bytes:
    """A picture of the pane that stayed the same for ``quiet`` seconds."""
    deadline = time.monotonic() + limit
    picture, since = grab(screen), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.03)
        now = grab(screen)
        if now != picture:
            picture, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            return picture
    raise RuntimeError("the chat pane never stayed still long enough to time a message")


async def changed(screen: mss.base.MSSBase, before: bytes, start: float) -> float:
    """Milliseconds from ``start`` until the pane differs from ``before``."""
    while grab(screen) == before:
        if time.perf_counter() - start > 10:
            raise RuntimeError("a chat message never showed on the display")
        await asyncio.sleep(POLL)
    return (time.perf_counter() - start) * 1000


async def chat_on_air(golive: GoLiveProcess, screen: mss.base.MSSBase, post: Any) -> None:
    """The agent writes, so the opening card hands over to its terminal with the chat
    pane beside it; one message that changes the pane shows it is on air (untimed)."""
    with golive.log.open("a") as out:
        out.write("".join(f"{line}\n" for line in AGENT_LINES[:8]))
    before = await settled(screen)
    start = time.perf_counter()
    await post("warm-up")
    await changed(screen, before, start)


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

                    async def post(text: str) -> None:
                        await post_chat(control, ctx.stage.user_db_id, text)

                    await chat_on_air(golive, screen, post)
                    for i in range(count):
                        before = await settled(screen)
                        start = time.perf_counter()
                        await post(f"ping {run}.{i}")
                        latencies.append(await changed(screen, before, start))
        p95.add(percentile(latencies, 95))
        p50.add(percentile(latencies, 50))
        every.extend(latencies)
    row.notes.append(
        f"{count} messages per run; the chat pane ({CHAT_PANE['width']}x{CHAT_PANE['height']} "
        f"pixels) is polled with mss every {POLL * 1000:g} ms plus one grab"
    )
    row.notes.append(
        "hop by hop, most of the time is the kiosk redrawing the whole chat pane for each "
        "message (docs/bench/profiles/row6-chat-latency.txt)"
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
