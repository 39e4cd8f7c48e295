"""The Socket.IO feed against the sandbox on a real loopback port: rooms, events,
reconnects with REST backfill, polling fallback; every message exactly once, in order."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest

from studio.backoff import Backoff
from studio.events import Event, EventBus
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_events import (
    RetakeChat,
    RetakeFeedState,
    RetakeFeedTrouble,
    RetakeFollow,
    RetakePinned,
    RetakeRawTrade,
    RetakeSessionStarted,
    RetakeTip,
    RetakeTrade,
)
from studio.platforms.retake_live import PollIntervals, RetakeLive
from studio.sandbox.app import Sandbox, SandboxConfig
from studio.sandbox.server import free_port, serve_in_thread
from tests.golive.inert_helpers import CLEAN, HOSTILE, live_characters
from tests.retake.retake_helpers import verified_agent, wait_until

FAST = Backoff(first=0.05, factor=1.0, cap=0.05, jitter=0.0, attempts=None)
QUICK_POLL = PollIntervals(active=0.05, quiet=0.1, active_window=1.0)


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox(SandboxConfig())
    with serve_in_thread(sandbox) as origin:
        yield sandbox, origin


@pytest.fixture
async def setup(
    served: tuple[Sandbox, str],
) -> AsyncIterator[tuple[Sandbox, RetakeClient, httpx.AsyncClient, str]]:
    sandbox, origin = served
    async with RetakeClient(origin) as client, httpx.AsyncClient(base_url=origin) as control:
        name = f"Live_{len(sandbox.retake.world.agents)}"
        reg = await verified_agent(client, control, name)
        yield sandbox, client, control, reg.user_db_id


def chats(events: list[Event]) -> list[str]:
    return [e.text or "" for e in events if isinstance(e, RetakeChat)]


async def test_every_chat_message_arrives_once_in_order_across_reconnects(setup: Any) -> None:
    sandbox, client, control, user = setup
    await control.post("/_sandbox/retake/chat", json={"streamer_id": user, "text": "before start"})
    bus, got = EventBus(), []
    bus.add_listener(got.append)
    live = RetakeLive(client, user, bus.publish, reconnect=FAST, intervals=QUICK_POLL)
    await live.start()
    try:
        await wait_until(lambda: live.connected)
        expected: list[str] = []
        for round_ in range(4):
            texts = [f"r{round_} live {i}" for i in range(5)]
            await control.post(
                "/_sandbox/retake/chat",
                json={"streamer_id": user, "text": f"r{round_} live {{i}}", "count": 5},
            )
            expected += texts
            await wait_until(lambda want=list(expected): chats(got) == want)
            reply = await control.post(
                "/_sandbox/retake/drop-sockets",
                json={
                    "then_chat": {"streamer_id": user, "text": f"r{round_} gap {{i}}", "count": 7}
                },
            )
            assert reply.json()["dropped"] >= 1
            expected += [f"r{round_} gap {i}" for i in range(7)]
            await wait_until(lambda want=list(expected): chats(got) == want and live.connected)
        assert chats(got) == expected  # zero lost, zero duplicated, in order
        gap_sources = {
            e.source for e in got if isinstance(e, RetakeChat) and "gap" in (e.text or "")
        }
        assert gap_sources == {"rest"}  # what the dropped socket missed came from the backfill
        assert "before start" not in chats(got)
        assert live.reconnects == 4
        joins = [room for _, room in sandbox.retake.joins]
        assert joins.count(user) >= 5 and joins.count(f"live_{user}") >= 5
        states = [e.state for e in got if isinstance(e, RetakeFeedState)]
        assert states.count("connected") == 5 and states.count("disconnected") == 4
    finally:
        await live.stop()
    assert not live.connected


async def test_tips_trades_follows_pins_and_session_events(setup: Any) -> None:
    sandbox, client, control, user = setup
    rtmp = await client.rtmp()
    got: list[Event] = []
    live = RetakeLive(client, user, got.append, trades=True, reconnect=FAST, intervals=QUICK_POLL)
    await live.start()
    try:
        await wait_until(lambda: live.connected)
        start = await client.stream_start()
        token = start.token.token_address if start.token else None
        assert token and sandbox.publish("retake", rtmp.key.get_secret_value())
        session = (await client.streamer(user)).session
        assert session is not None and session.session_id
        pinned_room = f"{user}/{session.session_id}"
        await live.join(pinned_room)
        assert any(pinned_room in rooms for rooms in list(sandbox.retake.sockets.values()))
        await control.post("/_sandbox/retake/drop-sockets", json={})
        await wait_until(lambda: live.connects == 2)
        assert [room for _, room in sandbox.retake.joins].count(pinned_room) == 2
        await control.post(
            "/_sandbox/retake/tip", json={"streamer_id": user, "amount": 2.5, "username": "whale"}
        )
        await control.post(
            "/_sandbox/retake/trade", json={"streamer_id": user, "action": "buy", "usd_amount": 40}
        )
        await control.post(
            "/_sandbox/retake/follow", json={"streamer_id": user, "username": "fan1"}
        )
        await control.post("/_sandbox/retake/pin", json={"streamer_id": user, "chat_event_id": "x"})
        kinds = {
            RetakeTip,
            RetakeTrade,
            RetakeRawTrade,
            RetakeFollow,
            RetakePinned,
            RetakeSessionStarted,
        }
        await wait_until(lambda: kinds <= {type(e) for e in got})
        tip = next(e for e in got if isinstance(e, RetakeTip))
        assert (tip.sender_username, tip.amount) == ("whale", 2.5)
        trade = next(e for e in got if isinstance(e, RetakeTrade))
        assert (trade.action, trade.usd_amount, trade.address) == ("buy", 40.0, token)
        follow = next(e for e in got if isinstance(e, RetakeFollow))
        assert follow.username == "fan1"
        chat_types = {e.type for e in got if isinstance(e, RetakeChat)}
        assert {"tip", "trade"} <= chat_types
        assert all(e.kind.startswith("retake.") for e in got)
    finally:
        await live.stop()


async def test_polls_rest_while_the_socket_cannot_connect(setup: Any) -> None:
    _, client, control, user = setup
    got: list[Event] = []
    unreachable = f"http://127.0.0.1:{free_port()}"
    # REST goes to the sandbox; the socket to a port where nothing listens.
    live = RetakeLive(
        client, user, got.append, reconnect=FAST, intervals=QUICK_POLL, socket_url=unreachable
    )
    await live.start()
    try:
        await control.post(
            "/_sandbox/retake/chat", json={"streamer_id": user, "text": "p{i}", "count": 3}
        )
        await wait_until(lambda: chats(got) == ["p0", "p1", "p2"])
        assert all(e.source == "rest" for e in got if isinstance(e, RetakeChat))
        assert any(isinstance(e, RetakeFeedState) and e.state == "polling" for e in got)
        assert not live.connected
    finally:
        await live.stop()


@pytest.mark.parametrize("order", ["newest_first", "oldest_first"])
async def test_chat_sent_while_the_socket_was_down_arrives_whichever_way_pages_are_sorted(
    setup: Any, order: str
) -> None:
    _, client, control, user = setup
    await control.post("/_sandbox/retake/options", json={"comments_order": order})
    try:
        await control.post(
            "/_sandbox/retake/chat", json={"streamer_id": user, "text": "old {i}", "count": 12}
        )
        got: list[Event] = []
        live = RetakeLive(client, user, got.append, reconnect=FAST, intervals=QUICK_POLL)
        await live.start()
        try:
            await wait_until(lambda: live.connected)
            await control.post(
                "/_sandbox/retake/chat", json={"streamer_id": user, "text": "live {i}", "count": 2}
            )
            await wait_until(lambda: chats(got) == ["live 0", "live 1"])
            await control.post(
                "/_sandbox/retake/drop-sockets",
                json={"then_chat": {"streamer_id": user, "text": "gap {i}", "count": 3}},
            )
            want = ["live 0", "live 1", "gap 0", "gap 1", "gap 2"]
            await wait_until(lambda: chats(got) == want and live.connected)
            await control.post("/_sandbox/retake/chat", json={"streamer_id": user, "text": "after"})
            await wait_until(lambda: chats(got) == [*want, "after"])
        finally:
            await live.stop()
    finally:
        await control.post("/_sandbox/retake/options", json={"comments_order": "newest_first"})


async def test_the_socket_supervisor_survives_what_is_not_a_platform_error(setup: Any) -> None:
    _, client, control, user = setup
    got: list[Event] = []
    tripped: list[str] = []

    def listener(event: Event) -> None:
        got.append(event)
        if isinstance(event, RetakeFeedState) and event.state == "connected" and not tripped:
            tripped.append(event.state)
            raise ValueError("a listener tripped on the first connect")

    live = RetakeLive(client, user, listener, reconnect=FAST, intervals=QUICK_POLL)
    await live.start()
    try:
        await wait_until(lambda: tripped and live.connected)
        await control.post(
            "/_sandbox/retake/chat", json={"streamer_id": user, "text": "still {i}", "count": 3}
        )
        await wait_until(lambda: chats(got) == ["still 0", "still 1", "still 2"])
    finally:
        await live.stop()
    troubles = [e for e in got if isinstance(e, RetakeFeedTrouble)]
    assert troubles and troubles[0].where == "socket"
    assert "ValueError: a listener tripped on the first connect" in troubles[0].error


async def test_hostile_chat_arrives_inert_by_socket_and_by_rest(setup: Any) -> None:
    sandbox, client, control, user = setup
    got: list[Event] = []
    live = RetakeLive(client, user, got.append, reconnect=FAST, intervals=QUICK_POLL)
    await live.start()
    try:
        await wait_until(lambda: live.connected)
        await control.post(
            "/_sandbox/retake/chat",
            json={"streamer_id": user, "text": HOSTILE, "username": "\x1b]0;t\x07mallory"},
        )
        await wait_until(lambda: len(chats(got)) == 1)
        await control.post(
            "/_sandbox/retake/drop-sockets",
            json={"then_chat": {"streamer_id": user, "text": HOSTILE + " {i}", "count": 1}},
        )
        await wait_until(lambda: len(chats(got)) == 2 and live.connected)
        messages = [e for e in got if isinstance(e, RetakeChat)]
        assert [m.source for m in messages] == ["socket", "rest"]
        assert [m.text for m in messages] == [CLEAN, CLEAN + " 0"]
        assert messages[0].author == "mallory"
        for message in messages:
            assert live_characters(json.loads(message.to_json())["text"]) == []
    finally:
        await live.stop()


@pytest.mark.parametrize("order", ["newest_first", "oldest_first"])
async def test_chat_at_20_a_second_survives_three_drops_exactly_once_in_order(
    setup: Any, order: str
) -> None:
    """The soak in small: 20 messages a second for 6 s, the socket dropped 3 times, with
    the feed's own reconnect backoff (1 s, 2 s … reset after each good connection)."""
    _, client, control, user = setup
    await control.post("/_sandbox/retake/options", json={"comments_order": order})
    got: list[Event] = []
    live = RetakeLive(client, user, got.append)
    await live.start()
    try:
        await wait_until(lambda: live.connected)
        sent: list[str] = []
        drops: list[float] = []
        start = time.monotonic()
        for n in range(60):  # 2 messages every 0.1 s
            body = {"streamer_id": user, "text": f"burst {n}-{{i}}", "count": 2}
            if n in (15, 30, 45):
                drops.append(time.time())
                reply = await control.post(
                    "/_sandbox/retake/drop-sockets", json={"then_chat": body}
                )
                assert reply.json()["dropped"] >= 1
            else:
                reply = await control.post("/_sandbox/retake/chat", json=body)
            sent += [str(c["_id"]) for c in reply.json()["comments"]]
            await asyncio.sleep(max(0.0, start + (n + 1) * 0.1 - time.monotonic()))

        def ids() -> list[str]:
            return [e.id or "" for e in got if isinstance(e, RetakeChat)]

        await wait_until(lambda: len(ids()) >= len(sent) and live.connected, within=15)
        assert ids() == sent  # every one, once, in the order the sandbox took them
        connected = [e.at for e in got if isinstance(e, RetakeFeedState) and e.state == "connected"]
        back = [min((c for c in connected if c > d), default=float("inf")) - d for d in drops]
        assert all(s < 4.0 for s in back), back  # 1 s backoff (±20 %) and a quick catch-up
    finally:
        await live.stop()
        await control.post("/_sandbox/retake/options", json={"comments_order": "newest_first"})


@pytest.mark.parametrize("order", ["newest_first", "oldest_first"])
async def test_a_burst_of_many_pages_while_the_socket_is_down_is_caught_up_whole(
    setup: Any, order: str
) -> None:
    """The catch-up pages back with beforeId until it reaches what it has seen, however
    many pages that takes (here 12 pages of the largest size the document allows)."""
    _, client, control, user = setup
    await control.post("/_sandbox/retake/options", json={"comments_order": order})
    got: list[Event] = []
    live = RetakeLive(client, user, got.append, reconnect=FAST, intervals=QUICK_POLL)
    await live.start()
    try:
        await wait_until(lambda: live.connected)
        reply = await control.post(
            "/_sandbox/retake/drop-sockets",
            json={"then_chat": {"streamer_id": user, "text": "burst {i}", "count": 1000}},
        )
        sent = [str(c["_id"]) for c in reply.json()["comments"]]
        reply = await control.post(
            "/_sandbox/retake/chat",
            json={"streamer_id": user, "text": "burst more {i}", "count": 200},
        )
        sent += [str(c["_id"]) for c in reply.json()["comments"]]

        def ids() -> list[str]:
            return [e.id or "" for e in got if isinstance(e, RetakeChat)]

        await wait_until(lambda: len(ids()) >= len(sent) and live.connected, within=15)
        assert ids() == sent
    finally:
        await live.stop()
        await control.post("/_sandbox/retake/options", json={"comments_order": "newest_first"})
