"""The retake.tv and baseFM legs' own steps on the in-process sandbox."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json

import pytest

from studio.config import Paths
from studio.errors import StudioError
from studio.golive.basefm_leg import ENDING_MARGIN, BasefmLeg
from studio.golive.leg import LegFinished
from studio.golive.operator import Need
from studio.golive.retake_leg import RetakeLeg
from studio.onair.client import KioskLink
from studio.platforms.basefm import BasefmClient
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_credentials import (
    credentials_from_registration,
    load_credentials,
    save_credentials,
)
from studio.redaction import reveal
from studio.session_store import SessionStore
from tests.golive.golive_helpers import PNG, fake_context, fake_kiosk

SANDBOX = "http://sandbox.test"


class TweetingHuman:
    """Answers the tweet step like a person: first a tweet without the code, then the
    right one, posting each through the sandbox's control route."""

    def __init__(self, control) -> None:
        self.control = control
        self.asked: list[Need] = []

    async def answer(self, need: Need) -> str:
        self.asked.append(need)
        n = len(self.asked)
        url = f"https://x.com/human/status/{1000 + n}"
        text = "hello world" if n == 1 else need.data["verification_message"]
        await self.control.post("/_sandbox/retake/tweets", json={"url": url, "text": text})
        return need.validate(url)


async def registered(transport, control=None) -> RetakeClient:
    """A registered agent; verified too when ``control`` is given."""
    client = RetakeClient(SANDBOX, transport=transport)
    reply = await client.register(
        {
            "agent_name": "leg_bot",
            "agent_description": "testing legs",
            "image_url": "https://example.com/a.png",
            "wallet_address": "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV",
            "ticker": "LEG",
        }
    )
    save_credentials(
        Paths.from_env(),
        credentials_from_registration(
            reply, agent_name="leg_bot", ticker="LEG", origin=client.origin
        ),
    )
    if control is not None:
        await control.post("/_sandbox/retake/verified", json={"agent": "leg_bot"})
    return client


async def test_retake_verified_gate_waits_for_the_right_tweet(transport, control, clock):
    client = await registered(transport)
    ctx, recorder = fake_context(clock)
    human = TweetingHuman(control)
    ctx.operator = human
    leg = RetakeLeg(ctx, client, load_credentials(), paths=Paths.from_env())
    await leg.prepare()
    assert len(human.asked) == 2
    assert "Code:" in human.asked[0].prompt
    assert await client.verification_status() is True
    warnings = [e.text for e in recorder.of("golive.notice") if e.level == "warning"]
    assert warnings, "the failed first tweet is reported"


async def test_retake_fresh_key_every_time_and_token_saved_on_first_stream(
    transport, control, clock
):
    client = await registered(transport, control)
    ctx, _ = fake_context(clock)
    leg = RetakeLeg(ctx, client, load_credentials(), paths=Paths.from_env())
    first = await leg.destination()
    second = await leg.refresh()
    assert reveal(first.url) != reveal(second.url)
    assert (
        await control.post(f"/_sandbox/ingest/retake/{reveal(first.url).rsplit('/', 1)[1]}")
    ).status_code == 403
    assert (
        await control.post(f"/_sandbox/ingest/retake/{reveal(second.url).rsplit('/', 1)[1]}")
    ).status_code == 200
    assert load_credentials().token_address  # saved on the first stream/start
    await leg.confirm_live()
    assert leg.live
    stats = await leg.stop()
    assert stats["status"] == "stopped" and stats["keys_fetched"] == 2


async def test_retake_confirm_live_times_out_with_a_fix(transport, control, clock):
    client = await registered(transport, control)
    ctx, _ = fake_context(clock)
    ctx.timing.live_timeout = 0.0  # no ingest arrives: the first poll is the last
    leg = RetakeLeg(ctx, client, load_credentials(), paths=Paths.from_env())
    await leg.destination()
    with pytest.raises(StudioError, match="did not report the stream live") as info:
        await leg.confirm_live()
    assert info.value.fix


async def test_basefm_pays_syncs_and_ends_before_the_two_hour_limit(transport, control, clock):
    ctx, recorder = fake_context(clock, {"tx_hash": "0x" + "9f" * 32})
    client = BasefmClient(
        SANDBOX,
        transport=transport,
        store=SessionStore(Paths.from_env().sessions_file),
        clock=clock.now,
    )
    leg = BasefmLeg(ctx, client, wallet="0x" + "77" * 20, name="Leg DJ", city="Lisbon")
    await leg.prepare()
    asked = [e for e in recorder.events if e.kind == "golive.notice" and "2-hour" in e.text]
    assert asked
    destination = await leg.destination()
    key = reveal(destination.url).rsplit("/", 1)[1]
    assert (await control.post(f"/_sandbox/ingest/basefm/{key}")).status_code == 200
    await leg.confirm_live()
    assert leg.syncs == 1 and leg.live
    started = clock.now()
    with pytest.raises(LegFinished):
        await leg.on_air()
    assert 7200 - ENDING_MARGIN - 15 <= clock.now() - started <= 7200
    state = (await control.get("/_sandbox/basefm/state")).json()
    assert [s["status"] for s in state["sessions"]] == ["ended"]  # our DELETE, not auto-ended
    assert client.held is None


async def test_the_kiosk_learns_to_mask_the_new_rtmp_key_without_receiving_it(
    transport, control, clock
):
    client = await registered(transport, control)
    ctx, _ = fake_context(clock)
    async with fake_kiosk() as (socket_path, lines):
        ctx.kiosk = KioskLink(socket_path)
        leg = RetakeLeg(ctx, client, load_credentials(), paths=Paths.from_env())
        try:
            destination = await leg.destination()
            assert await ctx.kiosk.flush(5)
        finally:
            await ctx.kiosk.close()
    key = reveal(destination.url).rsplit("/", 1)[1]
    (taught,) = [line for line in lines if line["cmd"] == "fingerprints"]
    assert key not in json.dumps(lines)
    digests = {item["sha256"] for item in taught["items"]}
    assert hashlib.sha256((taught["salt"] + key).encode()).hexdigest() in digests


async def test_chat_reaches_the_overlay_with_first_time_viewers_marked(clock):
    from studio.golive.chat_bridge import ChatBridge
    from studio.golive.kiosk_feed import KioskFeed
    from studio.platforms.retake_events import RetakeChat, RetakeFollow

    ctx, recorder = fake_context(clock)
    async with fake_kiosk() as (socket_path, lines):
        link = KioskLink(socket_path)
        ctx.bus.add_listener(KioskFeed(link))
        bridge = ChatBridge(platform="retake", streamer="leg_bot", clock=clock.now)
        for raw in (
            RetakeChat(id="1", author="leg_bot", text="I'm live"),
            RetakeChat(id="2", author="ada", text="hi"),
            RetakeChat(id="3", author="ada", text="again"),
            RetakeFollow(username="grace"),
        ):
            for event in bridge(raw):
                ctx.publish(event)
        assert await link.flush(5)
        await link.close()
    chat = [
        (line["author"], line.get("first_time", False)) for line in lines if line["cmd"] == "chat"
    ]
    assert chat == [("leg_bot", False), ("ada", True), ("ada", False)]
    assert [line["who"] for line in lines if line["cmd"] == "alert"] == ["grace"]
    lines_on_bus = [(e.author, e.text, e.first_time) for e in recorder.of("chat.line")]
    assert lines_on_bus == [
        ("leg_bot", "I'm live", False),
        ("ada", "hi", True),
        ("ada", "again", False),
    ]


async def test_a_tip_seen_as_chat_and_as_tip_received_counts_once(clock):
    from studio.golive.chat_bridge import ChatBridge
    from studio.golive.kiosk_feed import KioskFeed
    from studio.platforms.retake_events import RetakeChat, RetakeTip

    ctx, _ = fake_context(clock)
    async with fake_kiosk() as (socket_path, lines):
        link = KioskLink(socket_path)
        ctx.bus.add_listener(KioskFeed(link))
        bridge = ChatBridge(platform="retake", clock=clock.now)

        def feed(raw) -> None:
            for event in bridge(raw):
                ctx.publish(event)

        # one tip, both ways (with ids), in either order
        feed(RetakeChat(id="t1", type="tip", author="ada", tip_data={"amount": 5}))
        feed(RetakeTip(sender_username="ada", amount=5, data={"_id": "t1"}))
        feed(RetakeTip(sender_username="bob", amount=2, data={"_id": "t2"}))
        feed(RetakeChat(id="t2", type="tip", author="bob", tip_data={"amount": 2}))
        # a second, different tip of the same amount is a new tip
        feed(RetakeChat(id="t3", type="tip", author="ada", tip_data={"amount": 5}))
        # without ids: the same person and amount moments apart is one tip ...
        feed(RetakeTip(sender_username="cy", amount=1))
        feed(RetakeChat(id=None, type="tip", author="cy", tip_data={"amount": 1}))
        # ... but not a minute later
        clock.advance(60)
        feed(RetakeTip(sender_username="cy", amount=1))
        assert await link.flush(5)
        await link.close()
    alerts = [(line["who"], line.get("amount")) for line in lines if line["cmd"] == "alert"]
    assert alerts == [
        ("ada", "5.00"),
        ("bob", "2.00"),
        ("ada", "5.00"),
        ("cy", "1.00"),
        ("cy", "1.00"),
    ]


async def test_a_refused_thumbnail_is_a_notice_and_is_tried_again_sooner(transport, control, clock):
    """The thumbnail endpoint redirects to another origin (refused, rightly) twice: the
    leg stays on air, says so, and the third try, after backoff, lands."""
    client = await registered(transport, control)
    ctx, recorder = fake_context(clock)
    ctx.timing.thumbnail_every = 180.0

    async def thumbnail() -> bytes:
        return PNG

    async def sleep(seconds: float) -> None:  # the sandbox's time, letting the test run
        clock.advance(seconds)
        await asyncio.sleep(0.001)

    ctx.thumbnail = thumbnail
    ctx.sleep = sleep
    leg = RetakeLeg(ctx, client, load_credentials(), paths=Paths.from_env())
    await control.post(
        "/_sandbox/faults",
        json={
            "burst": {
                "path_prefix": "/api/v1/agent/update-thumbnail",
                "reply": "redirect",
                "location": "https://elsewhere.example/upload",
                "count": 2,
            }
        },
    )
    started = clock.now()
    uploaded = asyncio.Event()
    landed: list[float] = []

    def on_thumbnail(event) -> None:
        if event.kind == "golive.thumbnail":
            landed.append(clock.now())
            uploaded.set()

    ctx.bus.add_listener(on_thumbnail)
    on_air = asyncio.create_task(leg.on_air())
    try:
        await asyncio.wait_for(uploaded.wait(), 10)
    finally:
        on_air.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await on_air
    warnings = [e.text for e in recorder.of("golive.notice") if e.level == "warning"]
    refused = [t for t in warnings if "redirected to another origin" in t]
    assert len(refused) == 2 and "retrying with backoff" in refused[0]
    assert landed[0] - started < 180  # retried sooner than the usual refresh
    agent = (await control.get("/_sandbox/retake/state")).json()["agents"][0]
    assert agent["thumbnails"] == leg.thumbnails >= 1
