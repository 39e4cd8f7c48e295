"""Runs the chosen rows one after another and writes the report."""

from __future__ import annotations

import asyncio
import datetime
import logging
import shutil
import signal
import tempfile
import traceback
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path

from studio.bench import (
    chat_flood,
    chat_latency,
    console_start,
    destinations_cpu,
    encoder_quality,
    frame_health,
    golive_time,
    kiosk_idle,
    machine,
    memory_growth,
    say_latency,
    stack_cpu,
    thumbnail_speed,
)
from studio.bench.context import Context
from studio.bench.figures import Row
from studio.bench.report import hand_written_part, render
from studio.bench.results import RunInfo, git_commit, load, niceness, save
from studio.bench.stage import end_children, stage

log = logging.getLogger(__name__)

Measure = Callable[[Context], Awaitable[Row]]

MEASURED: dict[int, Measure] = {
    1: stack_cpu.measure,
    2: encoder_quality.measure,
    3: kiosk_idle.measure,
    4: destinations_cpu.measure,
    5: frame_health.measure,
    6: chat_latency.measure,
    7: say_latency.measure,
    8: chat_flood.measure,
    9: console_start.measure,
    10: golive_time.measure,
    11: thumbnail_speed.measure,
    12: memory_growth.measure,
}
ALL_ROWS = tuple(range(1, 13))
NOT_CHOSEN: dict[int, str] = {
    5: "frame health over 10 minutes at that content rate",
    12: "memory of the studio and the kiosk after 1 hour live, chat 1/s",
}
"""Rows left out of a run when they were not chosen with ``--rows`` (the long ones)."""


def not_chosen(number: int) -> Row:
    title = NOT_CHOSEN.get(number, f"row {number}")
    return Row(number, title, "see issue 9").not_measured(
        f"not run this time (`studio bench --rows {number}`)"
    )


async def measure_rows(ctx: Context, numbers: Sequence[int]) -> list[Row]:
    rows: list[Row] = []
    for number in ALL_ROWS:
        if number not in numbers:
            rows.append(not_chosen(number))
            continue
        log.info("row %s", number)
        try:
            rows.append(await MEASURED[number](ctx))
        except Exception as exc:  # noqa: BLE001 - one failing row must not lose the others
            failed = Row(number, f"row {number}", "see the issue")
            failed.met = False
            failed.verdict = f"the measurement failed: {exc}"
            failed.notes.append("```\n" + traceback.format_exc()[-1500:] + "\n```")
            rows.append(failed)
    return sorted(rows, key=lambda row: row.number)


class Ended(KeyboardInterrupt):
    """SIGTERM: unwinds the bench like Ctrl-C, so every row's children are stopped."""


def _ended(signum: int, _frame: object) -> None:
    raise Ended(f"signal {signum}")


def now() -> str:
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


def run(
    numbers: Sequence[int],
    runs: int,
    scale: float,
    quick: bool,
    report: Path,
    command: str,
    caveats: Sequence[str] = (),
) -> list[Row]:
    """Measure ``numbers``, store each one's result in ``report``'s folder/bench/results/,
    and write ``report`` from every stored row (charts in ``report``'s folder/bench/).

    SIGTERM or SIGINT ends the run, and every go-live it started with it."""
    info = RunInfo(
        command, now(), "", machine.load_average(), "", runs, scale, machine.describe(),
        commit=git_commit(), niceness=niceness(),
    )  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="studio-bench-"))
    previous = signal.signal(signal.SIGTERM, _ended)
    try:
        with stage(work / "stage") as staged:
            ctx = Context(staged, runs, scale, quick, report.parent / "bench", work)
            rows = asyncio.run(measure_rows(ctx, numbers))
    finally:
        left = end_children()
        if left:
            log.warning("ended go-live processes the bench had started: %s", left)
        signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(work, ignore_errors=True)
    info.finished, info.load_end = now(), machine.load_average()
    folder = report.parent / "bench" / "results"
    for row in rows:
        if row.number in numbers:
            save(folder, row, info)
    stored = load(folder)
    shown = [stored[r.number].row if r.number in stored else r for r in rows]
    report.parent.mkdir(parents=True, exist_ok=True)
    kept = hand_written_part(report.read_text()) if report.exists() else ""
    report.write_text(render(shown, stored, caveats, kept) + "\n")
    return rows
