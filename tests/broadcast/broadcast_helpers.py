"""Helpers for the broadcast tests (real processes)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from studio.events import Event, EventBus
from studio.sandbox.rtmp_receiver import RTMP_MODULE


def need(*binaries: str) -> None:
    missing = [b for b in binaries if shutil.which(b) is None]
    if missing:
        pytest.skip(f"needs {', '.join(missing)} (scripts/install installs it)")


def need_rtmp() -> None:
    need("nginx")
    if not RTMP_MODULE.exists():
        pytest.skip(f"needs the nginx RTMP module at {RTMP_MODULE} (libnginx-mod-rtmp)")


KIOSK = [
    sys.executable,
    "-c",
    "import time; print('\\x1b[38;2;255;200;0mON AIR\\x1b[0m studio rehearsal', flush=True); time.sleep(600)",
]


class Recorder:
    """Collects every event of a bus, and the JSON the CLI would print for it."""

    def __init__(self, bus: EventBus) -> None:
        self.events: list[Event] = []
        self.lines: list[str] = []
        bus.add_listener(self._add)

    def _add(self, event: Event) -> None:
        self.events.append(event)
        self.lines.append(event.to_json())

    def of(self, kind: str) -> list[Event]:
        return [e for e in self.events if e.kind == kind]


def ffprobe(path: Path) -> list[dict]:
    out = subprocess.run(
        ["ffprobe", "-v", "error", "-show_streams", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        timeout=20,
        check=True,
    ).stdout
    return json.loads(out)["streams"]


async def wait_until(predicate, limit: float, what: str) -> None:  # noqa: ANN001
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {limit} s waiting for: {what}")
        await asyncio.sleep(0.1)


def udp_sockets(pid: int) -> set[int]:
    """Inodes of the UDP sockets process ``pid`` holds (any local user can reach those)."""
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            held.add(int(target[8:-1]))
    udp = set()
    for table in ("/proc/net/udp", "/proc/net/udp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            udp.add(int(line.split()[9]))
    return held & udp


def descendants(root: int) -> dict[int, str]:
    """Every living process below ``root``, with its command line."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found: dict[int, str] = {}
    todo = list(children.get(root, []))
    while todo:
        pid = todo.pop()
        try:
            found[pid] = (
                Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
            )
        except OSError:
            continue
        todo += children.get(pid, [])
    return found


def alive(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"
