"""``studio bench``: measure the figures of issue 9 and write docs/BENCHMARKS.md."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import click

from studio.errors import Problem, ValidationFailed

QUICK_SCALE = 0.01


def _rows(value: str | None) -> list[int]:
    from studio.bench import ALL_ROWS

    if not value:
        return list(ALL_ROWS)
    numbers: list[int] = []
    for part in value.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) not in ALL_ROWS:
            raise ValidationFailed(
                [Problem("--rows", f"{part!r} is not a row: use numbers 1 to 12, comma-separated")]
            )
        numbers.append(int(part))
    return sorted(set(numbers))


@click.command()
@click.option("--rows", "rows_text", help="Rows to measure, e.g. 1,2,3 (default: all).")
@click.option("--runs", type=click.IntRange(1, 100), help="Runs per figure (default 5; quick 1).")
@click.option(
    "--seconds",
    type=click.FloatRange(min=0.1),
    help="Scale every duration: S seconds where the issue says 60 (default 60).",
)
@click.option(
    "--quick",
    is_flag=True,
    help="The CI smoke version: tiny durations, 1 run, report to a temporary folder.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Where to write the report (default docs/BENCHMARKS.md; quick: a temporary folder).",
)
def bench(
    rows_text: str | None, runs: int | None, seconds: float | None, quick: bool, out: Path | None
) -> None:
    """Measure the studio against the seed's bare pipeline and the issue's targets,
    and write the report with its charts (docs/BENCHMARKS.md, docs/bench/).

    Each measured row is kept in docs/bench/results/row<N>.json; the report shows every
    stored row, each with when, at which commit and under which load it was measured.

    Benchmarks are not tests: run them on a quiet machine for numbers to trust.
    """
    from studio.bench import run

    numbers = _rows(rows_text)
    runs = runs or (1 if quick else 5)
    scale = (seconds / 60) if seconds else (QUICK_SCALE if quick else 1.0)
    if out is None:
        folder = Path(tempfile.mkdtemp(prefix="studio-bench-report-")) if quick else Path("docs")
        out = folder / "BENCHMARKS.md"
    command = "studio bench " + " ".join(sys.argv[2:]) if len(sys.argv) > 2 else "studio bench"
    done = run(numbers, runs, scale, quick, out, command)
    click.echo(f"report: {out}")
    for row in done:
        click.echo(f"  row {row.number}: {row.verdict}")
