"""CPU time and memory of a whole process tree, read from /proc.

CPU is the sum of utime + stime of every process in the tree, never wall time.
A sampler walks the tree every ``interval`` seconds and keeps each process's last
reading, so a process that starts or ends inside the window still counts (up to
its last sample).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[int, int, float] | None:
    """(ppid, start time in ticks, CPU seconds) of ``pid``, or None once it is gone."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2 :].split()
    # after the command: state(0) ppid(1) ... utime(11) stime(12) ... starttime(19)
    return int(fields[1]), int(fields[19]), (int(fields[11]) + int(fields[12])) / TICK


def children_map() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            stat = _stat(int(entry.name))
            if stat is not None:
                tree.setdefault(stat[0], []).append(int(entry.name))
    return tree


def tree_pids(roots: Iterable[int]) -> list[int]:
    """``roots`` and every descendant of them that runs now."""
    tree = children_map()
    seen: list[int] = []
    stack = list(roots)
    while stack:
        pid = stack.pop()
        if pid in seen or not Path(f"/proc/{pid}").exists():
            continue
        seen.append(pid)
        stack.extend(tree.get(pid, []))
    return seen


def cpu_seconds(pid: int) -> float:
    stat = _stat(pid)
    return stat[2] if stat else 0.0


def command_name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return "?"


def memory(pid: int) -> tuple[int, int]:
    """(RSS, USS) of one process in bytes; USS is its private memory."""
    try:
        text = Path(f"/proc/{pid}/smaps_rollup").read_text()
    except OSError:
        return 0, 0
    values: dict[str, int] = {}
    for line in text.splitlines()[1:]:
        name, _, rest = line.partition(":")
        parts = rest.split()
        if parts and parts[0].isdigit():
            values[name] = int(parts[0]) * 1024
    uss = values.get("Private_Clean", 0) + values.get("Private_Dirty", 0)
    return values.get("Rss", 0), uss


def tree_memory(roots: Iterable[int]) -> tuple[int, int]:
    """(RSS, USS) summed over the tree, in bytes."""
    rss = uss = 0
    for pid in tree_pids(roots):
        one = memory(pid)
        rss += one[0]
        uss += one[1]
    return rss, uss


@dataclass
class TreeCpu:
    """CPU seconds used by a process tree between ``begin`` and ``end``.

    Run ``sample`` in a task while the window is open (``async with`` does it)."""

    roots: list[int]
    interval: float = 0.25
    _start: dict[tuple[int, int], float] = field(default_factory=dict)
    _last: dict[tuple[int, int], float] = field(default_factory=dict)
    _names: dict[tuple[int, int], str] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    def _read(self) -> dict[tuple[int, int], float]:
        readings: dict[tuple[int, int], float] = {}
        for pid in tree_pids(self.roots):
            stat = _stat(pid)
            if stat is not None:
                key = (pid, stat[1])
                readings[key] = stat[2]
                # read every time: a child seen between its fork and its exec still has
                # its parent's name (``sh``), and keeps its pid and start time after
                name = command_name(pid)
                if name != "?" or key not in self._names:  # a process gone keeps its name
                    self._names[key] = name
        return readings

    def begin(self) -> None:
        self._start = self._read()
        self._last = dict(self._start)

    def sample(self) -> None:
        self._last.update(self._read())

    async def _loop(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            self.sample()

    async def __aenter__(self) -> TreeCpu:
        self.begin()
        self._task = asyncio.create_task(self._loop())
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
        self.sample()

    @property
    def seconds(self) -> float:
        return sum(value - self._start.get(key, 0.0) for key, value in self._last.items())

    def by_name(self) -> dict[str, float]:
        """CPU seconds per command name (``ffmpeg``, ``Xvfb``, ``python3``, ``xterm``)."""
        out: dict[str, float] = {}
        for key, value in self._last.items():
            name = self._names.get(key, "?")
            out[name] = out.get(name, 0.0) + value - self._start.get(key, 0.0)
        return out
