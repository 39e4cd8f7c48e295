"""Each row's result is stored on its own; the report is drawn from every stored row."""

from __future__ import annotations

import json
from pathlib import Path

from studio.bench.figures import Row
from studio.bench.report import hand_written_part, render
from studio.bench.results import RunInfo, load, niceness, save


def info(command: str, finished: str, load_start: str = "0.50 0.40 0.30") -> RunInfo:
    machine = {"CPU": "test CPU", "cores": "2"}
    return RunInfo(command, "2026-12-01 10:00:00", finished, load_start, "0.60 0.50 0.40",
                   5, 1.0, machine, commit="abc123def456", niceness=-20)  # fmt: skip


def measured(number: int, value: float) -> Row:
    row = Row(number, f"figure {number}", "1 s or less")
    row.figure("latency", "s").values.extend([value, value * 2, value * 3])
    row.judge(value <= 1, f"median {value * 2:.2f} s")
    row.notes.append("a note")
    row.chart = f"bench/row{number}.png"
    return row


def test_a_stored_row_comes_back_with_its_raw_values_and_run(tmp_path: Path) -> None:
    run = info("studio bench --rows 12", "2026-12-01 11:00:00")
    path = save(tmp_path, measured(12, 0.25), run)
    assert path == tmp_path / "row12.json"
    assert json.loads(path.read_text())["run"]["niceness"] == -20
    (stored,) = load(tmp_path).values()
    assert stored.row.figures[0].values == [0.25, 0.5, 0.75]
    assert stored.row.verdict == "meets the target: median 0.50 s" and stored.row.met is True
    assert stored.row.chart == "bench/row12.png" and stored.row.notes == ["a note"]
    assert stored.run == run


def test_the_report_says_for_each_row_when_where_and_under_which_load(tmp_path: Path) -> None:
    save(tmp_path, measured(3, 0.2), info("studio bench --rows 3", "2026-12-01 11:00:00"))
    busy = info("studio bench --rows 12", "2026-12-01 12:00:00", load_start="9.50 8.00 7.00")
    save(tmp_path, measured(12, 2.0), busy)
    stored = load(tmp_path)
    rows = [stored[3].row, Row(5, "five", "t").not_measured("not run"), stored[12].row]
    text = render(rows, stored, hand_written="## Findings\n\nBy hand.\n")
    section_3 = text.split("## 3. figure 3")[1].split("## 5.")[0]
    section_12 = text.split("## 12. figure 12")[1]
    assert "`studio bench --rows 3`" in section_3 and "`abc123def456`" in section_3
    assert "nice -20 (raised priority)" in section_3 and "0.50 0.40 0.30" in section_3
    assert "loaded by other work" not in section_3
    assert "load average up to 9.5" in section_12 and "`studio bench --rows 12`" in section_12
    assert "- Row 12: measured under load (1-minute load average up to 9.5)." in text
    assert "Row 3: measured under load" not in text
    assert "| latency | 0.2 / **0.4** / 0.6 s | 3 |" in section_3
    assert text.rstrip().endswith("## Findings\n\nBy hand.")
    assert "As of the latest run (`studio bench --rows 12`" in text


def test_the_hand_written_findings_are_kept() -> None:
    report = "# Benchmarks\n\n## 1. x\n\n## Findings of this run\n\n- kept\n"
    assert hand_written_part(report) == "## Findings of this run\n\n- kept\n"
    assert hand_written_part("# Benchmarks\n") == ""


def test_niceness_is_the_process_own() -> None:
    import os

    assert niceness() == os.getpriority(os.PRIO_PROCESS, 0)
