"""Row 10: ``studio golive --headless`` from start until is_live against the sandbox,
split by step from the ``golive.step`` events' own timestamps."""

from __future__ import annotations

from studio.bench import chart
from studio.bench.context import Context
from studio.bench.figures import Row
from studio.bench.stage import GoLiveProcess


def step_times(golive: GoLiveProcess, live_at: float) -> dict[str, float]:
    """Seconds each step took: from its ``started`` to the next step's start (or live)."""
    starts = [
        (float(s.data["at"]), str(s.data["step"]))
        for s in golive.events
        if s.data.get("event") == "golive.step" and s.data.get("state") == "started"
    ]
    starts = [(at, step) for at, step in starts if at <= live_at]
    spans: dict[str, float] = {}
    for (at, step), (next_at, _) in zip(starts, [*starts[1:], (live_at, "")], strict=False):
        spans[step] = spans.get(step, 0.0) + next_at - at
    return spans


async def measure(ctx: Context) -> Row:
    row = Row(10, "`studio golive --headless` until is_live (sandbox), by step", "8 s or less")
    total = row.figure("start to golive.live", "s")
    steps: dict[str, list[float]] = {}
    order: list[str] = []
    for run in range(ctx.runs):
        async with GoLiveProcess(ctx.stage, ctx.work / f"golive-{run}.log") as golive:
            live = await golive.wait_live(120)
        live_at = float(live.data.get("at", live.at))
        total.add(live_at - golive.started_at)
        for step, seconds in step_times(golive, live_at).items():
            if step not in order:
                order.append(step)
            steps.setdefault(step, []).append(seconds)
        first = min((float(s.data["at"]) for s in golive.events if "at" in s.data), default=live_at)
        row.figure("process start to first event (Python, imports)", "s").add(
            first - golive.started_at
        )
    for step in order:
        row.figure(f"step {step}", "s").values.extend(steps[step])
    items = [("start to first event", row.figures[1].median, chart.SEED)] + [
        (step, sorted(steps[step])[len(steps[step]) // 2], chart.STUDIO) for step in order
    ]
    path = chart.bars(
        ctx.charts / "row10-golive-steps.png", "Row 10: go-live by step (median, s)", items, "s"
    )
    row.chart = f"bench/{path.name}"
    row.judge(total.median <= 8.0, f"median {total.median:.2f} s (target 8 s or less)")
    return row
