"""``studio bench --quick`` works end to end (a smoke test: the harness, not the figures)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
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
    need("Xvfb", "xterm", "ffmpeg", "scrot", "pulseaudio", "espeak-ng", "sshd", "ssh")
    need_rtmp()
    out = tmp_path / "BENCHMARKS.md"
    done = subprocess.run(
        [sys.executable, "-m", "studio", "bench", "--quick", "--rows", "3,7,8,9,11",
         "--seconds", "1", "--out", str(out)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    report = out.read_text()
    print(report)
    assert "## Machine" in report and "load average (1, 5, 15 min)" in report
    assert "Measured by `studio bench --quick --rows 3,7,8,9,11" in report
    assert re.search(r"\| FFmpeg \| ffmpeg version \S+", report)
    assert "nan" not in report.lower() and "measurement failed" not in report
    assert "## 3. CPU of the kiosk" in report and "## 11. thumbnail" in report
    assert (
        "## 5. frame health" in report and "not run this time (`studio bench --rows 5`)" in report
    )
    # row 7: every utterance heard on the live stream, later than it was sent
    assert 0 < figure(report, "control API: p95") < 30
    assert "every one was heard: [3]" in report
    # row 8: every line of the flood reached both panes, and keys were answered
    assert (
        0 < figure(report, "console: processed") <= figure(report, "console: processed and drawn")
    )
    assert 0 < figure(report, "kiosk: processed") <= figure(report, "kiosk: processed and drawn")
    assert figure(report, "console: key press p95") > 0
    # row 9: a console painted, locally, after a reattach and over SSH
    for name in ("local: first paint", "reattach (quit, start again): state drawn",
                 "over SSH: first paint", "over SSH: state drawn"):  # fmt: skip
        assert 0 < figure(report, name) < 120
    assert figure(report, "local: first paint") <= figure(report, "local: state drawn")
    assert "The viewer's chat line sent before each start was" in report
    # every measured row is stored beside the report with its run
    stored = sorted(p.name for p in (tmp_path / "bench" / "results").glob("*.json"))
    assert stored == ["row11.json", "row3.json", "row7.json", "row8.json", "row9.json"]
    assert 0 <= figure(report, "kiosk (Python)") < 100
    assert figure(report, "kiosk memory (USS)") > 5  # a Textual app is tens of MB
    ours, scrot = figure(report, "studio thumbnail_jpeg"), figure(report, "scrot + read")
    assert ours > 0 and scrot > 0
    assert figure(report, "scrot / studio (same run)") == pytest.approx(scrot / ours, rel=0.03)
    assert "report: " + str(out) in done.stdout


def descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        parent = todo.pop()
        try:
            children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
        except OSError:
            continue
        for child in children:
            found.add(int(child))
            todo.append(int(child))
    return found


def process_group(pgid: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] != "Z":
                members.append(int(entry.name))
    return members


@pytest.mark.processes
def test_a_terminated_bench_ends_the_go_live_it_started(tmp_path: Path) -> None:
    need("Xvfb", "xterm", "ffmpeg")
    need_rtmp()
    bench = subprocess.Popen(
        [sys.executable, "-m", "studio", "bench", "--rows", "10", "--runs", "1",
         "--seconds", "1", "--out", str(tmp_path / "BENCHMARKS.md")],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        golive: int | None = None
        deadline = time.monotonic() + 120
        while golive is None and time.monotonic() < deadline and bench.poll() is None:
            for pid in descendants(bench.pid):
                with contextlib.suppress(OSError):
                    if b"golive" in Path(f"/proc/{pid}/cmdline").read_bytes():
                        golive = pid
            time.sleep(0.05)
        assert golive is not None, "the bench never started a go-live"
        # let it get going (Xvfb, the kiosk, FFmpeg under it), then end the bench
        wait_for(lambda: len(descendants(golive)) >= 3, 90)
        tree = {golive, *descendants(golive)}
        bench.send_signal(signal.SIGTERM)
        bench.wait(90)
        assert bench.returncode != 0
        assert process_group(golive) == [], "the go-live's processes outlived the bench"
        left = [pid for pid in tree if alive(pid)]
        assert left == [], "the go-live's processes outlived the bench"
        assert not (tmp_path / "bench" / "results" / "row10.json").exists()
    finally:
        if bench.poll() is None:
            bench.kill()
            bench.wait()


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(test: Callable[[], bool], limit: float) -> None:
    deadline = time.monotonic() + limit
    while not test():
        assert time.monotonic() < deadline, "not within the limit"
        time.sleep(0.05)
