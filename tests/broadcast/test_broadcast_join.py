"""A destination that joins while on air (baseFM after its cooldown) goes out through
its own relay from the running encode: the encoder process is the same, and the other
destinations' RTMP publish sessions at the receiver are never interrupted. One that
leaves is stopped alone when a relay serves it.

Real Xvfb, xterm, FFmpeg and nginx-rtmp; the baseFM key is the one the sandbox issued,
and nginx asks the sandbox before it accepts that publish (as baseFM's ingest does)."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from studio.backoff import Backoff
from studio.broadcast.destinations import Destination, DestinationState
from studio.broadcast.events import DestinationStateChanged, ProcessStarted
from studio.broadcast.pipeline import BroadcastPipeline
from studio.broadcast.relay import JOINING
from studio.console.model import ConsoleModel
from studio.control.state import BroadcastState
from studio.events import EventBus
from studio.platforms.basefm import BasefmClient
from studio.redaction import reveal
from studio.sandbox.app import Sandbox, SandboxConfig
from studio.sandbox.rtmp_receiver import RtmpReceiver, free_port
from studio.sandbox.server import serve_in_thread
from studio.session_store import SessionStore
from tests.broadcast.broadcast_helpers import KIOSK, Recorder, ffprobe, need, need_rtmp, wait_until

pytestmark = pytest.mark.processes

FAST = Backoff(first=0.5, factor=1.5, cap=2.0, jitter=0.1, attempts=None)
SLOW = Backoff(first=60.0, factor=1.5, cap=60.0, jitter=0.0, attempts=None)
WALLET = "0x" + "5e" * 20


@pytest.fixture(autouse=True)
def _binaries() -> None:
    need("Xvfb", "xterm", "xwininfo", "ffmpeg", "ffprobe")
    need_rtmp()


class World:
    def __init__(self, sandbox: Sandbox, origin: str, receiver: RtmpReceiver) -> None:
        self.sandbox, self.origin, self.receiver = sandbox, origin, receiver

    def publishes(self, key: str) -> list[Path]:
        """One recording per RTMP publish session of ``key`` (``record_unique``)."""
        return [f for f in self.receiver.recordings() if f.name.startswith(f"{key}-")]

    async def basefm_destination(self, tmp_path: Path) -> Destination:
        """A baseFM session as the sandbox arms it: its own URL and key."""
        async with httpx.AsyncClient(base_url=self.origin) as control:
            reply = await control.post("/_sandbox/basefm/token-holders", json={"wallets": [WALLET]})
            assert reply.status_code == 200
        store = SessionStore(tmp_path / "sessions.json")
        async with BasefmClient(self.origin, store=store) as client:
            created = await client.create_stream(WALLET, "Late DJ", None, None)
        assert created.stream.fullRtmpUrl is not None
        return Destination(name="basefm", url=created.stream.fullRtmpUrl)

    def basefm_ingest(self) -> list[str]:
        """Each baseFM session's Mux status: ``active`` once nginx's on_publish for its
        key was accepted, ``idle`` again when that publish ended."""
        return [s.mux_status for s in self.sandbox.basefm.station.sessions]


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    port = free_port()
    sandbox = Sandbox(SandboxConfig(rtmp_base=f"rtmp://127.0.0.1:{port}"))
    with (
        serve_in_thread(sandbox) as origin,
        RtmpReceiver(port, tmp_path / "recordings", origin) as receiver,
    ):
        yield World(sandbox, origin, receiver)


def states(recorder: Recorder, name: str) -> list[tuple[str, str]]:
    return [
        (e.state, e.reason)
        for e in recorder.events
        if isinstance(e, DestinationStateChanged) and e.destination == name
    ]


def shown(events: list, name: str) -> tuple[str, str, str]:  # noqa: ANN001
    """What the operator's console shows for ``name`` after ``events``: label, level,
    and the reason under it."""
    model = ConsoleModel()
    model.apply_all(events)
    dest = model.destinations[name]
    return (*dest.shown(model.now(), model.encoder), dest.reason)


def ffmpeg_starts(recorder: Recorder) -> list[int | None]:
    return [
        e.pid for e in recorder.events if isinstance(e, ProcessStarted) and e.process == "ffmpeg"
    ]


async def test_a_destination_added_while_live_joins_without_a_break_for_the_others(
    world: World, bus: EventBus, recorder: Recorder, tmp_path: Path
) -> None:
    receiver = world.receiver
    destinations = [
        Destination.from_parts("retake", receiver.url("extra"), "retakesteady01"),
        Destination.from_parts("clawcast", receiver.url("extra"), "clawsteady0001"),
    ]
    joiner = await world.basefm_destination(tmp_path)
    key = joiner.key.get_secret_value()
    assert reveal(joiner.url).endswith(f"/basefm/{key}")
    async with BroadcastPipeline(
        destinations, KIOSK, bus=bus, backoff=FAST, relay_backoff=FAST
    ) as live:
        assert live.encoder is not None and await live.wait_live(limit=15)
        encoder_pid = live.encoder.process.pid
        await wait_until(
            lambda: world.publishes("retakesteady01") and world.publishes("clawsteady0001"),
            10,
            "both publishes recorded",
        )
        before = {
            k: world.publishes(k)[0].stat().st_size for k in ("retakesteady01", "clawsteady0001")
        }

        await live.add_destination(joiner)
        # the operator sees it connecting because it joins, not a fault being retried
        joining = list(recorder.events)
        assert shown(joining, "basefm") == ("Connecting", "warning", JOINING)

        assert [d.name for d in live.destinations] == ["retake", "clawcast", "basefm"]
        assert await live.wait_live(["basefm"], limit=20)
        relay = live.relays["basefm"]
        assert relay.process is not None and relay.process.running
        await wait_until(lambda: world.publishes(key), 10, "the joiner's publish recorded")
        await wait_until(
            lambda: (
                live.stats is not None
                and any(
                    e.kind == "encoder.stats" and e.source == "relay:basefm" and e.frame >= 60
                    for e in recorder.events
                )
            ),
            10,
            "2 s of frames relayed to baseFM",
        )
        assert world.basefm_ingest() == ["active"]  # the sandbox accepted its own key
        # the console and the control API show it live, at the relay's own rate
        label, level, _ = shown(list(recorder.events), "basefm")
        assert label.startswith("Live ") and label.endswith(" kb/s") and level == "success"
        control = BroadcastState()
        for event in recorder.events:
            control.apply(event)
        snapshot = control.snapshot()
        assert {n: d["state"] for n, d in snapshot["destinations"].items()} == {
            "retake": "live",
            "clawcast": "live",
            "basefm": "live",
        }
        assert "relay:basefm" in snapshot["encoder"]
        # the others went on: same encoder, still live, their one publish still growing
        assert live.encoder.process.pid == encoder_pid and live.encoder.running
        assert live.destination_states == {
            "retake": DestinationState.LIVE,
            "clawcast": DestinationState.LIVE,
            "basefm": DestinationState.LIVE,
        }
        for steady, size in before.items():
            await wait_until(
                lambda steady=steady, size=size: world.publishes(steady)[0].stat().st_size > size,
                5,
                f"{steady} still receiving",
            )
        assert live.recoveries == 0
    assert ffmpeg_starts(recorder) == [encoder_pid]
    for name, steady in (("retake", "retakesteady01"), ("clawcast", "clawsteady0001")):
        assert len(world.publishes(steady)) == 1, world.publishes(steady)
        assert [state for state, _ in states(recorder, name)] == ["connecting", "live", "stopped"]
    # the joiner: connecting (joining, not a failure), then live; never failed or retried
    assert states(recorder, "basefm")[:2] == [("connecting", JOINING), ("live", "")]
    assert all(s not in ("failed", "retrying") for s, _ in states(recorder, "basefm"))
    recorded = world.publishes(key)
    assert len(recorded) == 1
    video = [s for s in ffprobe(recorded[0]) if s["codec_type"] == "video"]
    assert video and (video[0]["width"], video[0]["height"]) == (1280, 720)
    assert key not in "\n".join(recorder.lines)


async def test_a_relayed_destination_leaves_alone_and_a_tee_one_with_a_new_encode(
    world: World, bus: EventBus, recorder: Recorder
) -> None:
    receiver = world.receiver
    destinations = [
        Destination.from_parts("retake", receiver.url("extra"), "retakeleave001"),
        Destination.from_parts("clawcast", receiver.url("extra"), "clawleave00001"),
    ]
    joiner = Destination.from_parts("extra", receiver.url("extra"), "joinleave00001")
    async with BroadcastPipeline(
        destinations, KIOSK, bus=bus, backoff=FAST, relay_backoff=FAST
    ) as live:
        assert live.encoder is not None and await live.wait_live(limit=15)
        encoder_pid = live.encoder.process.pid
        await live.add_destination(joiner)
        assert live.destination_states["extra"] == DestinationState.CONNECTING
        assert await live.wait_live(["extra"], limit=20)
        relay_process = live.relays["extra"].process
        assert relay_process is not None

        # its platform ended the relayed one: its relay stops, nothing else moves
        assert await live.remove_destination("extra", "extra has ended") is False
        assert "extra" not in live.relays and not relay_process.running
        assert live.encoder.process.pid == encoder_pid
        assert states(recorder, "extra")[-1] == ("stopped", "extra has ended")
        assert [d.name for d in live.destinations] == ["retake", "clawcast"]

        # one the tee still writes to can only leave with a new encode
        assert await live.remove_destination("clawcast", "clawcast has ended") is True
        assert live.encoder.process.pid != encoder_pid
        assert [d.name for d in live.encoder.destinations] == ["retake"]
        assert await live.wait_live(limit=15)
    assert len(world.publishes("joinleave00001")) == 1
    assert len(world.publishes("clawleave00001")) == 1  # not sent to again
    assert len(world.publishes("retakeleave001")) == 2  # it reconnected once, for that
    assert states(recorder, "clawcast")[-1][0] == "stopped"


async def test_a_joiner_that_fails_is_retried_like_any_relay_and_rejoins_the_tee_on_recovery(
    world: World, bus: EventBus, recorder: Recorder, tmp_path: Path
) -> None:
    """Its platform's ingest is not up yet: the joiner fails and waits its relay's
    backoff (60 s) alone; the operator's reconnect skips that wait. When the encoder
    later dies, the new encode carries it in its tee like the others."""
    receiver = world.receiver
    port = free_port()
    late = RtmpReceiver(port, tmp_path / "late")
    destinations = [Destination.from_parts("retake", receiver.url("extra"), "retakeretry01")]
    joiner = Destination.from_parts("late", f"rtmp://127.0.0.1:{port}/extra", "latekey000001")
    try:
        async with BroadcastPipeline(
            destinations, KIOSK, bus=bus, backoff=FAST, relay_backoff=SLOW
        ) as live:
            assert live.encoder is not None and await live.wait_live(limit=15)
            encoder_pid = live.encoder.process.pid
            await live.add_destination(joiner)
            await wait_until(
                lambda: live.destination_states.get("late") == DestinationState.RETRYING,
                15,
                "the joiner fails and waits its backoff",
            )
            failed = [r for s, r in states(recorder, "late") if s == "failed"]
            assert len(failed) == 1 and failed[0]
            retrying = [
                e
                for e in recorder.events
                if isinstance(e, DestinationStateChanged) and e.destination == "late"
            ][-1]
            assert (retrying.state, retrying.attempt, retrying.retry_in) == ("retrying", 1, 60.0)
            assert live.destination_states["retake"] == DestinationState.LIVE
            await late.__aenter__()
            live.reconnect_now()
            assert await live.wait_live(["late"], limit=15)  # well before 60 s
            assert live.encoder.process.pid == encoder_pid and live.recoveries == 0
            assert len(world.publishes("retakeretry01")) == 1

            live.encoder.process.signal(signal.SIGKILL)
            await wait_until(lambda: live.recoveries == 1, 20, "the encode recovered")
            assert [d.name for d in live.encoder.destinations] == ["retake", "late"]
            assert live.relays == {}
            assert await live.wait_live(limit=15)
        assert [p.name.split("-")[0] for p in late.recordings("extra")] == ["latekey000001"] * 2
    finally:
        await late.__aexit__()
