"""Going live for real against the rehearsal world: Xvfb, xterm with the kiosk, one
FFmpeg encode to retake.tv and baseFM through nginx-rtmp, the go-live sequence end to
end, and the recordings read back with ffprobe."""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import signal
from pathlib import Path

import httpx
import pytest
import zxingcpp
from PIL import Image

from studio.broadcast.relay import JOINING
from studio.broadcast.thumbnails import LIVE_RED, is_blank
from studio.config import Paths
from studio.control.operator import ControlOperator
from studio.events import EventBus
from studio.golive.assemble import build, close_kiosk_link
from studio.golive.leg import Timing
from studio.golive.operator import GivenAnswers
from studio.golive.plan import Plan
from studio.journal import Journal
from studio.platforms.basefm import BasefmClient
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_credentials import credentials_from_registration, save_credentials
from studio.sandbox.rehearsal import rehearsal_world
from studio.session_store import SessionStore
from tests.broadcast.broadcast_helpers import Recorder, ffprobe, need, need_rtmp

pytestmark = pytest.mark.processes

WALLET = "0x" + "ab" * 20
TX_HASH = "0x" + "cd" * 32
TWEET = "https://x.com/rehearsal_human/status/1234567890"
FAST = Timing(
    status_poll=0.5,
    live_timeout=30,
    thumbnail_every=4,
    viewers_every=2,
    basefm_status_every=2,
    basefm_live_timeout=30,
    frame_every=1,
    stop_timeout=15,
)


@pytest.fixture
def world(tmp_path: Path):
    need("Xvfb", "xterm", "ffmpeg", "ffprobe")
    need_rtmp()
    with rehearsal_world(tmp_path / "recordings") as w:
        yield w


async def register(world, paths: Paths) -> str:
    async with RetakeClient(world.origin) as client:
        reply = await client.register(
            {
                "agent_name": "rehearsal_bot",
                "agent_description": "An agent rehearsing its first stream",
                "image_url": "https://example.com/avatar.png",
                "wallet_address": "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV",
                "ticker": "REHRS",
            }
        )
        save_credentials(
            paths,
            credentials_from_registration(
                reply, agent_name="rehearsal_bot", ticker="REHRS", origin=client.origin
            ),
        )
        return reply.user_db_id


def video_and_audio(path: Path) -> tuple[dict, dict]:
    streams = ffprobe(path)
    video = next(s for s in streams if s["codec_type"] == "video")
    audio = next(s for s in streams if s["codec_type"] == "audio")
    return video, audio


def assert_seed_format(path: Path) -> None:
    video, audio = video_and_audio(path)
    assert (video["codec_name"], video["pix_fmt"]) == ("h264", "yuv420p")
    assert (video["width"], video["height"]) == (1280, 720)
    assert video["r_frame_rate"] in ("30/1", "30000/1000")
    assert (audio["codec_name"], audio["channels"], audio["sample_rate"]) == ("aac", 2, "44100")


async def run_golive(world, tmp_path: Path, plan: Plan, *, on_live=None):
    paths = Paths.from_env()
    bus = EventBus()
    recorder = Recorder(bus)
    operator = GivenAnswers({"tweet_url": TWEET, "tx_hash": TX_HASH})
    golive = build(plan, bus=bus, operator=operator, urls=world.urls, paths=paths, timing=FAST)
    if on_live is not None:

        def listener(event):
            if event.kind == "golive.live" and event.platform == "retake":
                asyncio.get_running_loop().create_task(on_live(golive))

        bus.add_listener(listener)
    try:
        outcome = await asyncio.wait_for(golive.run(), 120)
    finally:
        await close_kiosk_link(golive)
    return outcome, recorder, golive


async def test_golive_retake_and_basefm_records_the_seed_format(world, tmp_path):
    paths = Paths.from_env()
    user_db_id = await register(world, paths)
    log = tmp_path / "stream.log"
    log.write_text("\x1b[32m$ agent: warming up\x1b[0m\n")
    injected = []

    async def on_live(golive):
        async with httpx.AsyncClient(base_url=world.origin) as control:
            for i in range(3):
                await control.post(
                    "/_sandbox/retake/chat",
                    json={"streamer_id": user_db_id, "text": f"hello {i}", "username": "viewer1"},
                )
                injected.append(i)
                await asyncio.sleep(0.5)

    plan = Plan(retake=True, basefm=True, basefm_wallet=WALLET, duration=10, log=log)
    outcome, recorder, golive = await run_golive(world, tmp_path, plan, on_live=on_live)
    assert outcome.ok, (outcome.errors, recorder.lines[-10:])

    steps = [(e.platform, e.step) for e in recorder.of("golive.step") if e.state == "done"]
    for expected in [
        ("retake", "verified"),
        ("retake", "rtmp_keys"),
        ("retake", "stream_start"),
        ("retake", "confirm_live"),
        ("retake", "thumbnail"),
        ("retake", "opening_chat"),
        ("basefm", "stream"),
        ("basefm", "confirm_live"),
        ("retake", "stream_stop"),
        ("basefm", "end_session"),
    ]:
        assert expected in steps
    # the payment the operator gave was used, once
    async with httpx.AsyncClient(base_url=world.origin) as control:
        basefm = (await control.get("/_sandbox/basefm/state")).json()
    assert basefm["usedTxHashes"] == [TX_HASH]
    assert {e.platform for e in recorder.of("golive.live")} >= {"retake", "basefm"}

    # the recordings prove it
    for app in ("retake", "basefm"):
        files = world.receiver.recordings(app)
        assert files, f"no recording for {app}"
        assert_seed_format(max(files, key=lambda p: p.stat().st_size))

    # the thumbnail is a real picture of the display
    async with httpx.AsyncClient(base_url=world.origin) as control:
        thumb = await control.get("/_sandbox/retake/thumbnail/rehearsal_bot")
    assert thumb.status_code == 200
    image = Image.open(io.BytesIO(thumb.content))
    assert image.size == (1280, 720) and not is_blank(image)

    # the journal has the whole session and the transcript
    journal = Journal(paths.journal)
    (record,) = journal.recent_sessions(1)
    assert record.status == "ended"
    texts = [line["text"] for line in journal.transcript_of(record.id) if line["kind"] == "chat"]
    assert [t for t in texts if t and t.startswith("hello")] == ["hello 0", "hello 1", "hello 2"]
    assert journal.open_sessions() == []
    live = {d["name"] for d in journal.destinations_of(record.id) if d["state"] == "live"}
    assert live >= {"retake", "basefm"}
    samples = journal.samples_of(record.id, "encoder")
    # journaled while encoding (how fast is a benchmark's question, not a test's)
    assert samples and samples[-1]["fps"] > 0
    # every child, so a studio resumed after a kill -9 can end leftovers
    started = {e.process: e.pid for e in recorder.events if e.kind == "process.started"}
    children = {name: identity.pid for name, identity in journal.children_of(record.id)}
    assert children == started and set(children) >= {"Xvfb", "xterm", "ffmpeg"}

    # nothing secret in any event
    everything = "\n".join(recorder.lines)
    for secret in ("sk_", "rtk_", "eyJ"):
        assert secret not in everything


async def test_killing_ffmpeg_brings_fresh_keys_and_a_resumed_recording(world, tmp_path):
    paths = Paths.from_env()
    await register(world, paths)
    killed = asyncio.Event()

    async def on_live(golive):
        await asyncio.sleep(2)
        os.kill(golive.pipeline.encoder.process.pid, signal.SIGKILL)
        killed.set()

    plan = Plan(
        retake=True,
        rtmp=[f"{world.receiver.url('extra')}/steady"],
        duration=14,
        log=tmp_path / "s.log",
    )
    outcome, recorder, golive = await run_golive(world, tmp_path, plan, on_live=on_live)
    assert killed.is_set()
    assert outcome.ok, outcome.errors
    assert recorder.of("pipeline.recovered"), recorder.lines[-20:]
    retake_leg = golive.legs[0]
    assert retake_leg.keys_fetched == 2  # a fresh key after the crash, never the old one
    rtmp_steps = [
        e for e in recorder.of("golive.step") if e.step == "rtmp_keys" and e.state == "done"
    ]
    starts = [
        e for e in recorder.of("golive.step") if e.step == "stream_start" and e.state == "done"
    ]
    assert len(rtmp_steps) == 2 and len(starts) == 2
    files = sorted(world.receiver.recordings("retake"), key=lambda p: p.stat().st_mtime)
    assert len(files) >= 2, files  # the recording resumed after the crash
    assert_seed_format(files[-1])


async def test_first_thumbnail_before_the_agent_writes_is_the_opening_card(world, tmp_path):
    """The storefront: an agent that has written nothing yet still sells its stream. The
    first thumbnail retake.tv keeps is the opening card under a title band, its QR code
    reads back as the stream's link, and the studio kept the same picture."""
    paths = Paths.from_env()
    await register(world, paths)
    log = tmp_path / "stream.log"
    log.write_text("")
    plan = Plan(retake=True, duration=6, log=log, title="Fixing the parser live", grid="128x36")
    outcome, recorder, golive = await run_golive(world, tmp_path, plan)
    assert outcome.ok, (outcome.errors, recorder.lines[-10:])
    async with httpx.AsyncClient(base_url=world.origin) as control:
        thumb = await control.get("/_sandbox/retake/thumbnail/rehearsal_bot")
    assert thumb.status_code == 200
    image = Image.open(io.BytesIO(thumb.content)).convert("RGB")
    assert image.size == (1280, 720)
    picture, band = image.crop((0, 0, 1280, 560)), image.crop((0, 562, 1280, 720))
    assert not is_blank(picture)
    # the LIVE badge: a JPEG, so its red within a few steps, over hundreds of pixels
    near_red = [
        count
        for count, colour in band.getcolors(1280 * 158) or []
        if all(abs(a - b) <= 8 for a, b in zip(colour, LIVE_RED, strict=True))
    ]
    assert sum(near_red) > 500
    # the opening card is on air: its QR code is the stream's link
    link = f"{world.origin}/rehearsal_bot"
    assert [code.text for code in zxingcpp.read_barcodes(picture)] == [link]
    # every uploaded thumbnail is kept in the session's folder; the last is what retake.tv has
    uploads = recorder.of("golive.thumbnail")
    kept = [Path(event.kept) for event in uploads if event.kept]
    assert len(kept) == len(uploads) >= 1
    assert kept[0].parent == paths.journal.parent / "thumbnails" / f"session-{outcome.session_id}"
    assert kept[-1].read_bytes() == thumb.content
    assert all(path.stat().st_mode & 0o777 == 0o600 for path in kept)


async def test_basefm_joining_after_its_cooldown_leaves_retake_connected(world, tmp_path):
    """The wallet's one session a day is used: retake.tv goes live alone, baseFM waits
    out its cooldown (cleared here, then retried as the operator would) and joins the
    running encode on its own relay. retake.tv's publish at nginx is never interrupted:
    one recording, one ingest start at the sandbox, the same encoder process."""
    paths = Paths.from_env()
    await register(world, paths)
    async with httpx.AsyncClient(base_url=world.origin) as control:
        await control.post("/_sandbox/basefm/token-holders", json={"wallets": [WALLET]})
    async with BasefmClient(world.origin, store=SessionStore(tmp_path / "earlier.json")) as dj:
        await dj.create_stream(WALLET, "Earlier DJ", None, None)
        await dj.end_session()
    bus = EventBus()
    recorder = Recorder(bus)
    desk = ControlOperator(bus)
    plan = Plan(retake=True, basefm=True, basefm_wallet=WALLET, duration=90, log=tmp_path / "s.log")
    golive = build(
        plan,
        bus=bus,
        operator=GivenAnswers({"tweet_url": TWEET}, then=desk),
        urls=world.urls,
        paths=paths,
        timing=FAST,
    )
    (agent,) = world.sandbox.retake.world.agents.values()

    def live_on() -> set[str]:
        return {e.platform for e in recorder.of("golive.live")}

    async def until(condition, within: float):  # noqa: ANN001, ANN202
        async with asyncio.timeout(within):
            while not condition():  # noqa: ASYNC110 - polling for a condition
                await asyncio.sleep(0.1)

    going = asyncio.create_task(golive.run())
    try:
        await until(
            lambda: (
                "retake" in live_on()
                and any(e.need == "cooldown" for e in recorder.of("operator.needed"))
            ),
            60,
        )
        assert golive.pipeline is not None and golive.pipeline.encoder is not None
        encoder_pid = golive.pipeline.encoder.process.pid
        retake_since = agent.ingest_since
        assert retake_since is not None and len(world.receiver.recordings("retake")) == 1
        async with httpx.AsyncClient(base_url=world.origin) as control:
            await control.delete("/_sandbox/basefm/cooldowns")
        desk.give("cooldown", "retry")
        await until(lambda: "basefm" in live_on(), 60)
        await until(lambda: world.receiver.recordings("basefm"), 10)
        assert await golive.pipeline.wait_live(["retake", "basefm"], limit=30)
        assert golive.pipeline.encoder.process.pid == encoder_pid
        assert agent.ingest_since == retake_since  # retake.tv's ingest never restarted
        golive.request_stop()
        outcome = await asyncio.wait_for(going, 60)
    finally:
        golive.request_stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(going, 60)
        await close_kiosk_link(golive)
    assert outcome.ok, (outcome.errors, recorder.lines[-10:])
    assert len(world.receiver.recordings("retake")) == 1
    assert len(world.receiver.recordings("basefm")) == 1
    assert [e.pid for e in recorder.of("process.started") if e.process == "ffmpeg"] == [encoder_pid]
    basefm = [
        (e.state, e.reason) for e in recorder.of("destination.state") if e.destination == "basefm"
    ]
    assert basefm[:2] == [("connecting", JOINING), ("live", "")]
    retake = [e.state for e in recorder.of("destination.state") if e.destination == "retake"]
    assert retake == ["connecting", "live", "stopped"]
    notices = [e.text for e in recorder.of("golive.notice") if e.platform == "basefm"]
    assert (
        "basefm joins the broadcast on its own connection; the other destinations stay live"
        in notices
    )
