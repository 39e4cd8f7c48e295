"""``studio bench --quick`` works end to end (a smoke test: the harness, not the figures)."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
from pathlib import Path

import pytest

from studio.bench.proctree import TreeCpu, tree_memory
from tests.broadcast.broadcast_helpers import need, need_rtmp

BUSY = "import time\nend = time.process_time() + 0.6\nwhile time.process_time() < end: pass"


async def test_tree_cpu_counts_the_grandchildren() -> None:
    shell = await asyncio.create_subprocess_exec(
        "sh", "-c", f"{sys.executable} -c '{BUSY}' & {sys.executable} -c '{BUSY}' & wait"
    )
    async with TreeCpu([shell.pid], interval=0.05) as cpu:
        await asyncio.sleep(0.3)
        rss, uss = tree_memory([shell.pid])
        await shell.wait()
    # two grandchildren, each burning 0.6 s of CPU (minus what ran before the window)
    assert cpu.seconds >= 0.6
    assert cpu.by_name().get("python3", 0) + cpu.by_name().get("python", 0) >= 0.6
    assert rss > uss > 0


def figure(report: str, name: str) -> float:
    """The median of a figure row: ``| name | min / **median** / max unit | runs |``."""
    found = re.search(rf"^\| {re.escape(name)} \| [^|]*\*\*([0-9.e+-]+)\*\*", report, re.M)
    assert found, f"no figure {name!r} in the report"
    return float(found.group(1))


@pytest.mark.processes
def test_quick_bench_writes_a_report_with_real_values(tmp_path: Path) -> None:
    need("Xvfb", "xterm", "ffmpeg", "scrot")
    need_rtmp()
    out = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [sys.executable, "-m", "studio", "bench", "--quick", "--rows", "3,7,11",
         "--seconds", "1", "--out", str(out)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = out.read_text()
    assert "## Machine" in report and "| load average at start (1, 5, 15 min) |" in report
    assert re.search(r"\| FFmpeg \| ffmpeg version \S+", report)
    assert "nan" not in report.lower() and "measurement failed" not in report
    assert "## 3. CPU of the kiosk" in report and "## 11. thumbnail" in report
    assert "not measured yet: `studio say` and the audio bus reached main" in report
    assert 0 <= figure(report, "kiosk (Python)") < 100
    assert figure(report, "kiosk memory (USS)") > 5  # a Textual app is tens of MB
    ours, scrot = figure(report, "studio thumbnail_jpeg"), figure(report, "scrot + read")
    assert ours > 0 and scrot > 0
    assert figure(report, "scrot / studio (same run)") == pytest.approx(scrot / ours, rel=0.03)
    assert "report: " + str(out) in done.stdout
