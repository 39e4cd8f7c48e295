"""Each measured row's result, kept in docs/bench/results/row<N>.json, so a run of some
rows updates only those and the report is drawn from every row ever stored.

A result holds the row as measured (each figure's raw values, the verdict, the notes and
the chart's name) and the run that measured it (command, start and end, load averages,
git commit, niceness, runs and scale, the machine)."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from studio.bench.figures import Figure, Row


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
    commit: str = "unknown"
    niceness: int = 0
    """The bench process's own niceness (-20 when the lead runs it at raised priority)."""


@dataclass
class Stored:
    row: Row
    run: RunInfo


def niceness() -> int:
    return os.getpriority(os.PRIO_PROCESS, 0)


def git_commit(folder: Path | None = None) -> str:
    """The commit the bench runs at (with ``+changes`` when the code differs from it; the
    bench's own outputs under docs/ do not count)."""
    where = str(folder or Path(__file__).resolve().parent)
    try:
        head = subprocess.run(
            ["git", "-C", where, "rev-parse", "--short=12", "HEAD"],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
        dirty = subprocess.run(
            ["git", "-C", where, "status", "--porcelain", "--untracked-files=no",
             "--", ":(top)", ":(top,exclude)docs"],
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    commit = head.stdout.strip() or "unknown"
    return commit + ("+changes" if dirty.stdout.strip() else "")


def path_of(folder: Path, number: int) -> Path:
    return folder / f"row{number}.json"


def save(folder: Path, row: Row, run: RunInfo) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = path_of(folder, row.number)
    data = {"row": dataclasses.asdict(row), "run": dataclasses.asdict(run)}
    path.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n")
    return path


def _row(data: dict[str, Any]) -> Row:
    figures = [Figure(**f) for f in data.get("figures", [])]
    return Row(
        number=int(data["number"]),
        title=str(data["title"]),
        target=str(data["target"]),
        figures=figures,
        verdict=str(data.get("verdict", "")),
        met=data.get("met"),
        notes=[str(n) for n in data.get("notes", [])],
        chart=data.get("chart"),
    )


def load(folder: Path) -> dict[int, Stored]:
    """Every stored row, by number (a file that cannot be read is named in the error)."""
    stored: dict[int, Stored] = {}
    if not folder.is_dir():
        return stored
    for path in sorted(folder.glob("row*.json")):
        try:
            data = json.loads(path.read_text())
            row = _row(data["row"])
            run = RunInfo(**data["run"])
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path}: not a stored bench result ({exc})") from exc
        stored[row.number] = Stored(row, run)
    return stored
