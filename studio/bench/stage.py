"""What the benchmarks put on air: the sandbox world, a registered agent, the agent's
log lines and the viewers' chat at a fixed rate, and the studio itself as a real
``studio golive --headless`` process whose JSON events are read as they come."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import os
import signal
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from studio.config import Paths
from studio.golive.rehearsal_cast import AGENT_LINES
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_credentials import credentials_from_registration, save_credentials
from studio.sandbox.rehearsal import RehearsalWorld, rehearsal_world

LINES_PER_SECOND = 5.0
CHAT_PER_SECOND = 1.0
AGENT = "bench_agent"


@dataclass
class Stage:
    world: RehearsalWorld
    folder: Path
    user_db_id: str

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            **self.world.env(),
            "STUDIO_RETAKE_CREDENTIALS": str(self.folder / "retake-credentials.json"),
            "STUDIO_STATE_DIR": str(self.folder / "state"),
        }


@contextlib.contextmanager
def stage(folder: Path) -> Iterator[Stage]:
    """The sandbox and the RTMP receiver on loopback, with a verified retake.tv agent."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    with rehearsal_world(folder / "recordings") as world:
        user = asyncio.run(_register(world, folder))
        yield Stage(world, folder, user)


async def _register(world: RehearsalWorld, folder: Path) -> str:
    async with RetakeClient(world.origin) as client:
        reply = await client.register(
            {
                "agent_name": AGENT,
                "agent_description": "measures the studio",
                "image_url": "https://example.com/a.png",
                "wallet_address": "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV",
                "ticker": "BENCH",
            }
        )
    paths = Paths(folder / "retake-credentials.json", folder / "state", folder / "config")
    creds = credentials_from_registration(
        reply, agent_name=AGENT, ticker="BENCH", origin=world.origin
    )
    save_credentials(paths, creds)
    async with httpx.AsyncClient(base_url=world.origin) as control:
        answer = await control.post("/_sandbox/retake/verified", json={"agent": AGENT})
        answer.raise_for_status()
    return reply.user_db_id


async def write_lines(log: Path, rate: float = LINES_PER_SECOND) -> None:
    """The agent: ``rate`` lines a second into ``log``, until cancelled."""
    start = time.monotonic()
    for i, line in enumerate(itertools.cycle(AGENT_LINES)):
        with log.open("a") as out:
            out.write(f"{i:05d} {line}\n")
        await asyncio.sleep(max(0.0, start + (i + 1) / rate - time.monotonic()))


async def send_chat(origin: str, streamer: str, rate: float = CHAT_PER_SECOND) -> None:
    """A viewer: ``rate`` chat messages a second through the sandbox, until cancelled."""
    start = time.monotonic()
    async with httpx.AsyncClient(base_url=origin, timeout=10) as control:
        for i in itertools.count():
            await post_chat(control, streamer, f"message {i} from the audience")
            await asyncio.sleep(max(0.0, start + (i + 1) / rate - time.monotonic()))


async def post_chat(control: httpx.AsyncClient, streamer: str, text: str) -> None:
    answer = await control.post(
        "/_sandbox/retake/chat", json={"streamer_id": streamer, "text": text, "username": "viewer"}
    )
    answer.raise_for_status()


@contextlib.asynccontextmanager
async def running(*coroutines: Any) -> AsyncIterator[None]:
    """Background tasks for the length of a block."""
    tasks = [asyncio.create_task(c) for c in coroutines]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task


LIVE_CHILDREN: dict[int, float] = {}
"""Process groups of the services the bench started and has not stopped yet (pid: start):
``end_children`` stops them when the bench is told to end (they outlive their parent on
purpose, so nothing else would)."""


def end_children(grace: float = 20.0) -> list[int]:
    """SIGINT (a clean end) to every go-live still running, then SIGKILL to its group after
    ``grace`` seconds; returns the pids that were still running."""
    pids = list(LIVE_CHILDREN)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + grace
    waiting = set(pids)
    while waiting and time.monotonic() < deadline:
        for pid in list(waiting):
            if not _alive(pid):
                waiting.discard(pid)
        time.sleep(0.05)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, signal.SIGKILL)
        _alive(pid)
        LIVE_CHILDREN.pop(pid, None)
    return pids


def _alive(pid: int) -> bool:
    """Whether ``pid`` still runs (reaping it when it is our exited child)."""
    with contextlib.suppress(ChildProcessError):
        done, _ = os.waitpid(pid, os.WNOHANG)
        if done == pid:
            return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@dataclass
class Seen:
    at: float
    """When the bench read it (time.time())."""
    data: dict[str, Any]


@dataclass
class GoLiveProcess:
    """``studio golive --headless`` as a child process; its events as they arrive."""

    stage: Stage
    log: Path
    args: Sequence[str] = ()
    events: list[Seen] = field(default_factory=list)
    started_at: float = 0.0
    process: asyncio.subprocess.Process | None = None
    _reader: asyncio.Task[None] | None = None
    _stderr: bytes = b""

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        self.log.touch()
        self.started_at = time.time()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "studio",
            "golive",
            "--headless",
            "--retake",
            "--log",
            str(self.log),
            *self.args,
            env=self.stage.env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            start_new_session=True,
        )
        LIVE_CHILDREN[self.process.pid] = self.started_at
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        async for line in self.process.stdout:
            with contextlib.suppress(ValueError):
                self.events.append(Seen(time.time(), json.loads(line)))

    async def wait_for(self, test: Callable[[dict[str, Any]], bool], limit: float = 60.0) -> Seen:
        deadline = time.monotonic() + limit
        index = 0
        while time.monotonic() < deadline:
            while index < len(self.events):
                seen = self.events[index]
                index += 1
                if test(seen.data):
                    return seen
                if seen.data.get("event") in ("golive.failed", "golive.ended"):
                    raise RuntimeError(f"the go-live ended early: {seen.data}")
            if self.process is not None and self.process.returncode is not None:
                break
            await asyncio.sleep(0.05)
        tail = [s.data.get("event") for s in self.events[-8:]]
        raise RuntimeError(f"not seen within {limit} s; last events {tail}")

    async def wait_live(self, limit: float = 60.0) -> Seen:
        return await self.wait_for(lambda e: e.get("event") == "golive.live", limit)

    def display(self) -> str:
        for seen in self.events:
            if seen.data.get("event") == "pipeline.state" and seen.data.get("display"):
                return str(seen.data["display"])
        raise RuntimeError("the go-live never said which display it uses")

    def xauthority(self) -> str:
        """The X authority file the studio keeps its display's cookie in (its XAUTHORITY):
        the studio's display admits only clients holding that cookie."""
        from studio.bench.proctree import tree_pids

        # the studio sets it after it starts, so its children (xterm, FFmpeg) show it; its
        # own /proc environ is what it was started with (the bench's, which may name an
        # earlier run's file)
        for pid in tree_pids([self.pid]):
            if pid == self.pid:
                continue
            try:
                environ = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
            except OSError:
                continue
            for entry in environ:
                if entry.startswith(b"XAUTHORITY="):
                    return entry.split(b"=", 1)[1].decode()
        raise RuntimeError("the studio has no XAUTHORITY: its display cannot be read")

    def kiosk_pid(self) -> int | None:
        """The kiosk: the Python process under the studio's xterm."""
        from studio.bench.proctree import command_name, tree_pids

        for pid in tree_pids([self.pid]):
            if pid != self.pid and command_name(pid).startswith("python"):
                return pid
        return None

    async def stop(self, limit: float = 30.0) -> int | None:
        """SIGINT (a clean end), then SIGKILL to its own process group if it hangs."""
        if self.process is None:
            return None
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(self.process.wait(), limit)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                await self.process.wait()
        LIVE_CHILDREN.pop(self.process.pid, None)
        if self._reader is not None:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await asyncio.wait_for(self._reader, 5)
        return self.process.returncode

    async def __aenter__(self) -> GoLiveProcess:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
