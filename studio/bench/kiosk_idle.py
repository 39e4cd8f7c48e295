"""Row 3: CPU of the kiosk when nothing changes, on the real display in the real xterm."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from studio.bench.context import Context
from studio.bench.figures import Row
from studio.bench.proctree import TreeCpu, command_name, memory, tree_pids
from studio.broadcast.display import VirtualDisplay
from studio.broadcast.terminal import Terminal
from studio.golive.assemble import kiosk_command

SETTLE = 5.0


async def kiosk_pid(terminal: Terminal, limit: float = 30.0) -> int:
    assert terminal.process is not None and terminal.process.pid is not None
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        for pid in tree_pids([terminal.process.pid]):
            if command_name(pid).startswith("python"):
                return pid
        await asyncio.sleep(0.1)
    raise RuntimeError("the kiosk did not start under the xterm")


def running_kiosk(pid: int) -> None:
    if not Path(f"/proc/{pid}").exists():
        raise RuntimeError("the kiosk exited right after it started (run `studio kiosk run`)")


async def measure(ctx: Context) -> Row:
    row = Row(3, "CPU of the kiosk when nothing changes for 60 s", "0.5% of a core or less")
    window = ctx.seconds(60)
    kiosk, xterm = row.figure("kiosk (Python)", "% of a core"), row.figure("xterm", "% of a core")
    log = ctx.work / "idle.log"
    log.touch()
    socket = Path(ctx.work / "idle-kiosk.sock")
    async with VirtualDisplay() as display:
        assert display.name
        terminal = Terminal(display.name, kiosk_command(socket, log))
        await terminal.start()
        try:
            pid = await kiosk_pid(terminal)
            await asyncio.sleep(ctx.seconds(SETTLE))
            running_kiosk(pid)
            assert terminal.process is not None and terminal.process.pid is not None
            for _ in range(ctx.runs):
                async with TreeCpu([terminal.process.pid]) as cpu:
                    await asyncio.sleep(window)
                parts = cpu.by_name()
                kiosk.add(sum(v for k, v in parts.items() if k.startswith("python")) / window * 100)
                xterm.add(parts.get("xterm", 0.0) / window * 100)
            running_kiosk(pid)
            row.figure("kiosk memory (USS)", "MB").add(memory(pid)[1] / 1024 / 1024)
        finally:
            await terminal.stop()
    row.notes.append(
        f"one kiosk, {ctx.seconds(SETTLE):g} s after start, then {ctx.runs} windows of {window:g} s in a row"
    )
    row.notes.append(
        "profile (py-spy, strace): the once-a-second pulse is all of the idle cost; each of its "
        "24 lines is now drawn once (docs/bench/profiles/row3-kiosk-idle.txt)"
    )
    row.judge(kiosk.median <= 0.5, f"median {kiosk.median:.2f}% of a core")
    return row
