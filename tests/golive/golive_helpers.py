"""Helpers for go-live tests that run on the in-process sandbox and its FakeClock."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import tempfile
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from studio.backoff import Backoff
from studio.broadcast.destinations import Destination
from studio.config import Paths
from studio.errors import StudioError
from studio.events import EventBus
from studio.golive.basefm_leg import BasefmLeg
from studio.golive.clawcast_leg import ClawcastLeg
from studio.golive.events import LegDropped
from studio.golive.leg import Leg, LegContext, Timing
from studio.golive.operator import GivenAnswers
from studio.golive.retake_leg import RetakeLeg
from studio.golive.sequence import GoLive
from studio.platforms.basefm import BasefmClient
from studio.platforms.clawcast import ClawcastClient
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_credentials import (
    credentials_from_registration,
    load_credentials,
    save_credentials,
)
from studio.platforms.retake_live import PollIntervals, RetakeLive
from studio.redaction import reveal
from studio.sandbox.clock import FakeClock
from studio.session_store import SessionStore
from tests.broadcast.broadcast_helpers import Recorder


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (32, 18), (200, 40, 90)).save(buf, "PNG")
    return buf.getvalue()


PNG = _png()


def fake_context(
    clock: FakeClock, answers: dict[str, str] | None = None
) -> tuple[LegContext, Recorder]:
    """A leg context whose sleeps move the sandbox's clock instead of waiting."""
    bus = EventBus()
    recorder = Recorder(bus)

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)

    ctx = LegContext(
        bus=bus,
        operator=GivenAnswers(answers or {}),
        timing=Timing(),
        sleep=sleep,
        clock=clock.now,
    )
    return ctx, recorder


@contextlib.asynccontextmanager
async def fake_kiosk() -> AsyncIterator[tuple[Path, list[dict]]]:
    """A Unix socket that answers every kiosk command ``ok`` and keeps what it got."""
    lines: list[dict] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while line := await reader.readline():
            lines.append(json.loads(line))
            writer.write(b'{"ok": true}\n')
            await writer.drain()

    socket_path = Path(tempfile.mkdtemp(prefix="k-")) / "k.sock"
    server = await asyncio.start_unix_server(serve, path=str(socket_path))
    try:
        yield socket_path, lines
    finally:
        server.close()


# -- all three legs on the in-process sandbox ---------------------------------------------

SANDBOX = "http://sandbox.test"
WALLET = "0x" + "77" * 20
TX_HASH = "0x" + "9f" * 32


class FastClock(FakeClock):
    """Sandbox time that runs ``speed`` times faster than the wall clock, so legs that
    run side by side share one timeline (a 60 s ClawCast slot takes 3 s at 20×)."""

    def __init__(self, speed: float = 20.0) -> None:
        super().__init__()
        self.speed = speed
        self._wall = time.monotonic()

    def now(self) -> float:
        return super().now() + (time.monotonic() - self._wall) * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.speed)


class SandboxIngest:
    """The broadcast pipeline as the sandbox sees it: pushing to a destination is what
    nginx's on_publish reports (``/_sandbox/ingest/{app}/{key}``); no picture is made.

    ``ingests`` is every publish (``("publish", name)``) and its end (``("done", name)``)
    in order, so a test sees which destinations reconnected. As ``BroadcastPipeline``
    does, a destination added while running publishes alone (its own relay) and leaves
    alone; one of the encode's own leaves with a restart."""

    def __init__(
        self,
        control: httpx.AsyncClient,
        destinations: list[Destination],
        skip: frozenset[str] = frozenset(),
    ) -> None:
        self.control = control
        self.skip = skip
        self.destinations = list(destinations)
        self.display_name = None
        self.started = False
        self.restarts: list[list[str]] = []
        self.joined: list[str] = []
        self.ingests: list[tuple[str, str]] = []

    @staticmethod
    def _path(destination: Destination) -> str:
        app, key = reveal(destination.url).rsplit("/", 2)[-2:]
        return f"/_sandbox/ingest/{app}/{key}"

    async def _publish(self, destination: Destination) -> None:
        if destination.name not in self.skip:  # an ingest that never arrives
            await self.control.post(self._path(destination))
            self.ingests.append(("publish", destination.name))

    async def _done(self, destination: Destination) -> None:
        await self.control.delete(self._path(destination))
        self.ingests.append(("done", destination.name))

    async def start(self) -> None:
        self.joined = []
        for destination in self.destinations:
            await self._publish(destination)
        self.started = True

    async def stop(self) -> None:
        for destination in self.destinations:
            await self._done(destination)
        self.started = False

    async def add_destination(self, destination: Destination) -> None:
        self.destinations.append(destination)
        if self.started:
            self.joined.append(destination.name)
            await self._publish(destination)

    async def remove_destination(self, name: str, reason: str = "") -> bool:
        leaving = [d for d in self.destinations if d.name == name]
        if not leaving:
            return False
        self.destinations = [d for d in self.destinations if d.name != name]
        if name in self.joined or not self.started:
            self.joined = [n for n in self.joined if n != name]
            await self._done(leaving[0])
            return False
        await self._done(leaving[0])
        await self.restart_encoder()
        return True

    async def restart_encoder(self, destinations: Sequence[Destination] | None = None) -> None:
        await self.stop()
        self.destinations = list(destinations or self.destinations)
        self.restarts.append([d.name for d in self.destinations])
        await self.start()

    def reconnect_now(self) -> None:
        return None


async def register_retake(transport: httpx.AsyncBaseTransport, control: httpx.AsyncClient) -> str:
    """A registered, verified retake.tv agent with its credentials saved; its userDbId."""
    async with RetakeClient(SANDBOX, transport=transport) as client:
        reply = await client.register(
            {
                "agent_name": "three_legs",
                "agent_description": "on air three times",
                "image_url": "https://example.com/a.png",
                "wallet_address": "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV",
                "ticker": "THREE",
            }
        )
    save_credentials(
        Paths.from_env(),
        credentials_from_registration(
            reply, agent_name="three_legs", ticker="THREE", origin=SANDBOX
        ),
    )
    await control.post("/_sandbox/retake/verified", json={"agent": "three_legs"})
    return reply.user_db_id


@dataclass
class Broadcast:
    golive: GoLive
    recorder: Recorder
    pipelines: list[SandboxIngest]
    legs: dict[str, Leg]

    def dropped(self) -> dict[str, LegDropped]:
        return {e.platform: e for e in self.recorder.events if isinstance(e, LegDropped)}

    def live(self) -> set[str]:
        return {e.platform for e in self.recorder.of("golive.live")}


def three_legs(
    transport: httpx.AsyncBaseTransport,
    control: httpx.AsyncClient,
    clock: FastClock,
    *,
    retake: bool = True,
    basefm: bool = True,
    clawcast: bool = True,
    duration: float = 2.0,
    answers: dict[str, str] | None = None,
    timing: Timing | None = None,
    chat: bool = False,
    store: SessionStore | None = None,
    pipeline_fails: bool = False,
    no_ingest: frozenset[str] = frozenset(),
    all_or_nothing: bool = False,
    operator: Any = None,
    tx_hash: str | None = None,
    create_timeout: float = 30.0,
    mirror: Path | None = None,
) -> Broadcast:
    """A go-live over the chosen legs on the in-process sandbox: retake.tv (chat by REST
    polling when ``chat``), baseFM (paying with ``TX_HASH`` unless ``answers`` says
    otherwise) and ClawCast (a one-minute slot mirroring ``mirror``), with
    ``SandboxIngest`` for the pipeline. ``duration`` is in wall-clock seconds."""
    bus = EventBus()
    recorder = Recorder(bus)
    ctx = LegContext(
        bus=bus,
        operator=operator or GivenAnswers({"tx_hash": TX_HASH} if answers is None else answers),
        timing=timing
        or Timing(
            status_poll=3.0,
            live_timeout=10.0,
            thumbnail_every=10.0,
            viewers_every=5.0,
            basefm_status_every=10.0,
            basefm_live_timeout=60.0,
            frame_every=1.0,
            stop_timeout=10.0,
        ),
        sleep=clock.sleep,
        clock=clock.now,
    )

    async def thumbnail() -> bytes:
        return PNG

    ctx.thumbnail = thumbnail
    store = store or SessionStore(Paths.from_env().sessions_file)
    legs: dict[str, Leg] = {}
    if retake:
        client = RetakeClient(
            SANDBOX, transport=transport, access_token=load_credentials().access_token
        )

        def feed(client: RetakeClient, user: str, on_event: Any) -> RetakeLive:
            return RetakeLive(
                client,
                user,
                on_event,
                socket=False,
                intervals=PollIntervals(0.05, 0.1, 1.0),
                poll_retry=Backoff(first=0.05, factor=1.0, cap=0.05, jitter=0.0, attempts=None),
            )

        legs["retake"] = RetakeLeg(
            ctx,
            client,
            load_credentials(),
            paths=Paths.from_env(),
            chat_feed=feed if chat else None,
        )
    if basefm:
        legs["basefm"] = BasefmLeg(
            ctx,
            BasefmClient(
                SANDBOX,
                transport=transport,
                store=store,
                clock=clock.now,
                create_timeout=create_timeout,
            ),
            wallet=WALLET,
            name="Three DJ",
            tx_hash=tx_hash,
        )
    if clawcast:
        legs["clawcast"] = ClawcastLeg(
            ctx,
            ClawcastClient(SANDBOX, transport=transport, store=store, clock=clock.now),
            streamer_name="three_legs",
            streamer_url="https://github.com/me/three",
            duration_minutes=1,
            mirror=mirror,
        )
    pipelines: list[SandboxIngest] = []

    def pipeline(destinations: list[Destination], *_: Any) -> SandboxIngest:
        if pipeline_fails:
            raise StudioError("FFmpeg could not start", fix="Run `studio doctor`.")
        pipelines.append(SandboxIngest(control, destinations, no_ingest))
        return pipelines[-1]

    golive = GoLive(
        ctx,
        list(legs.values()),
        pipeline_factory=pipeline,
        duration=duration,
        all_or_nothing=all_or_nothing,
    )
    return Broadcast(golive, recorder, pipelines, legs)


async def basefm_sessions(control: httpx.AsyncClient) -> list[dict]:
    return (await control.get("/_sandbox/basefm/state")).json()["sessions"]


@dataclass
class Reply:
    path: str
    status: int  # 0: no reply (the client gave up)
    at: float
    sent: float


class Timed(httpx.AsyncBaseTransport):
    """The sandbox's transport, with every reply's path, status and arrival time kept."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.replies: list[Reply] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        sent = time.monotonic()
        try:
            response = await self.inner.handle_async_request(request)
        except BaseException:
            self.replies.append(Reply(request.url.path, 0, time.monotonic(), sent))
            raise
        self.replies.append(Reply(request.url.path, response.status_code, time.monotonic(), sent))
        return response

    def of(self, path: str) -> list[Reply]:
        return [r for r in self.replies if r.path == path]

    def recovered_after(self, path: str, since: float = 0.0) -> float | None:
        """Seconds from the last failed reply on ``path`` (after ``since``) to the first
        good one after it; ``None`` while there is none."""
        replies = [r for r in self.of(path) if r.at >= since]
        failed = [r for r in replies if not 200 <= r.status < 300]
        if not failed:
            return None
        good = [r for r in replies if 200 <= r.status < 300 and r.at > failed[-1].at]
        return round(good[0].at - failed[-1].at, 2) if good else None
