"""docs/BENCHMARKS.md: the machine, then every row with its figures, target and verdict,
each saying when, at which commit and under which load it was measured."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from studio.bench.figures import Row
from studio.bench.results import RunInfo, Stored

HAND_WRITTEN = "## Findings"
"""A section from this heading on is written by hand: the report keeps it as it is."""


def _verdict_mark(row: Row) -> str:
    return {True: "✅", False: "❌", None: "—"}[row.met]


def busy(run: RunInfo) -> float | None:
    """The busiest 1-minute load average of a run when it was above the cores, else None."""
    cores = int(run.machine.get("cores") or 1)
    busiest = max(float(run.load_start.split()[0]), float(run.load_end.split()[0]))
    return busiest if busiest > cores else None


def loaded(run: RunInfo) -> str | None:
    """A warning when the machine was busy with other work while the row was measured."""
    busiest = busy(run)
    if busiest is None:
        return None
    cores = run.machine.get("cores") or "?"
    return (
        f"The machine was loaded by other work (1-minute load average up to {busiest:.1f} "
        f"on {cores} cores): absolute figures are noise, only the side-by-side ratios carry "
        "meaning; rerun this row on a quiet machine."
    )


def measured_by(run: RunInfo) -> str:
    priority = f"nice {run.niceness:+d}" + (" (raised priority)" if run.niceness < 0 else "")
    return (
        f"Measured by `{run.command}` from {run.started} to {run.finished} UTC at commit "
        f"`{run.commit}`, {run.runs} run(s), durations × {run.scale:g}, {priority}; "
        f"load average (1, 5, 15 min) {run.load_start} at the start, {run.load_end} at the end."
    )


def render(
    rows: Sequence[Row],
    stored: Mapping[int, Stored],
    caveats: Sequence[str] = (),
    hand_written: str = "",
) -> str:
    """``rows``: every row in order; those in ``stored`` carry their run's information."""
    runs = sorted((s.run for s in stored.values()), key=lambda r: r.finished)
    machine = runs[-1].machine if runs else {}
    lines = [
        "# Benchmarks",
        "",
        "Written by `studio bench` from the stored result of each row "
        "(docs/bench/results/row<N>.json; `studio bench --rows N` measures row N again and "
        "leaves the others as they were). Each figure is min / **median** / max over the runs; "
        "every ratio is taken run by run, side by side in the same run (the two sides "
        "alternate: A B A B …). CPU is CPU time (user + system) of the whole process tree, "
        "never wall time; memory is USS (private memory) unless named otherwise.",
        "",
        "## Machine",
        "",
        "As of the latest run"
        + (f" (`{runs[-1].command}`, {runs[-1].finished} UTC)." if runs else "."),
        "",
        "| | |",
        "| --- | --- |",
        *(f"| {k} | {v} |" for k, v in machine.items()),
        "",
    ]
    warnings = [
        f"Row {n}: measured under load (1-minute load average up to {busiest:.1f})."
        for n, s in sorted(stored.items())
        if (busiest := busy(s.run)) is not None
    ]
    if caveats or warnings:
        lines += ["## Read this first", "", *(f"- {c}" for c in [*caveats, *warnings]), ""]
    lines += [
        "## Summary",
        "",
        "| # | figure | target | verdict | measured |",
        "| --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        when = stored[row.number].run.finished[:10] if row.number in stored else "–"
        lines.append(
            f"| {row.number} | {row.title} | {row.target} | "
            f"{_verdict_mark(row)} {row.verdict} | {when} |"
        )
    lines.append("")
    for row in rows:
        lines += [
            f"## {row.number}. {row.title}",
            "",
            f"Target: {row.target}. Verdict: {row.verdict}.",
            "",
        ]
        if row.number in stored:
            run = stored[row.number].run
            lines += [measured_by(run), ""]
            if warning := loaded(run):
                lines += [f"**{warning}**", ""]
        if row.figures:
            lines += ["| figure | min / **median** / max | runs |", "| --- | --- | --- |"]
            lines += [f"| {f.name} | {f.summary()} | {len(f.values)} |" for f in row.figures]
            lines.append("")
        if row.chart:
            lines += [f"![row {row.number}]({row.chart})", ""]
        lines += [f"- {note}" for note in row.notes]
        if row.notes:
            lines.append("")
    text = "\n".join(lines)
    if hand_written:
        text = text.rstrip("\n") + "\n\n" + hand_written.strip("\n")
    return text


def hand_written_part(previous: str) -> str:
    """The hand-written tail of an existing report (from ``## Findings`` on), if any."""
    for index, line in enumerate(previous.splitlines(keepends=True)):
        if line.startswith(HAND_WRITTEN):
            return "".join(previous.splitlines(keepends=True)[index:])
    return ""
