"""docs/BENCHMARKS.md: the machine, then every row with its figures, target and verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from studio.bench.figures import Row


@dataclass
class RunInfo:
    command: str
    started: str
    finished: str
    load_start: str
    load_end: str
    runs: int
    scale: float
    machine: dict[str, str]


def _verdict_mark(row: Row) -> str:
    return {True: "✅", False: "❌", None: "—"}[row.met]


def render(info: RunInfo, rows: Sequence[Row], caveats: Sequence[str] = ()) -> str:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `{info.command}` ({info.started} to {info.finished} UTC). "
        "Each figure is min / **median** / max over the runs; every ratio is taken run by run, "
        "side by side in the same run (the two sides alternate: A B A B …). CPU is CPU time "
        "(user + system) of the whole process tree, never wall time; memory is USS (private "
        "memory) unless named otherwise.",
        "",
        "## Machine",
        "",
        "| | |",
        "| --- | --- |",
        *(f"| {k} | {v} |" for k, v in info.machine.items()),
        f"| load average at start (1, 5, 15 min) | {info.load_start} |",
        f"| load average at end | {info.load_end} |",
        f"| runs per figure | {info.runs} |",
        f"| duration scale | {info.scale:g} × the issue's durations |",
        "",
    ]
    if caveats:
        lines += ["## Read this first", "", *(f"- {c}" for c in caveats), ""]
    lines += ["## Summary", "", "| # | figure | target | verdict |", "| --- | --- | --- | --- |"]
    for row in rows:
        lines.append(
            f"| {row.number} | {row.title} | {row.target} | {_verdict_mark(row)} {row.verdict} |"
        )
    lines.append("")
    for row in rows:
        lines += [
            f"## {row.number}. {row.title}",
            "",
            f"Target: {row.target}. Verdict: {row.verdict}.",
            "",
        ]
        if row.figures:
            lines += ["| figure | min / **median** / max | runs |", "| --- | --- | --- |"]
            lines += [f"| {f.name} | {f.summary()} | {len(f.values)} |" for f in row.figures]
            lines.append("")
        if row.chart:
            lines += [f"![row {row.number}]({row.chart})", ""]
        lines += [f"- {note}" for note in row.notes]
        if row.notes:
            lines.append("")
    return "\n".join(lines)
