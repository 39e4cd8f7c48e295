"""REST chat polling: catch-up from the last seen id, cadence, dedupe, REST-only feed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from studio.events import Event
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_live import (
    ChatLedger,
    PollIntervals,
    RetakeChat,
    RetakeChatPoller,
    RetakeFeedState,
    RetakeLive,
)
from studio.sandbox.app import Sandbox
from tests.retake.retake_helpers import verified_agent, wait_until


class Clock:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
async def client(transport: httpx.ASGITransport) -> AsyncIterator[RetakeClient]:
    async with RetakeClient("http://sandbox.test", transport=transport) as c:
        yield c


async def chat(control: httpx.AsyncClient, user: str, text: str, count: int = 1) -> None:
    reply = await control.post(
        "/_sandbox/retake/chat", json={"streamer_id": user, "text": text, "count": count}
    )
    assert reply.status_code == 200


async def test_catch_up_delivers_only_new_messages_oldest_first(
    client: RetakeClient, control: httpx.AsyncClient
) -> None:
    user = (await verified_agent(client, control)).user_db_id
    await chat(control, user, "old {i}", 3)
    got: list[Event] = []
    poller = RetakeChatPoller(client, user, got.append, page_size=4)
    assert await poller.baseline() == 3
    assert await poller.poll_once() == []
    await chat(control, user, "new {i}", 10)  # more than two pages of four
    delivered = await poller.poll_once()
    assert [e.text for e in delivered] == [f"new {i}" for i in range(10)]
    assert [e.text for e in got if isinstance(e, RetakeChat)] == [f"new {i}" for i in range(10)]
    assert all(e.source == "rest" and e.id for e in delivered)
    assert await poller.poll_once() == []


async def test_cadence_follows_chat_activity(
    client: RetakeClient, control: httpx.AsyncClient
) -> None:
    user = (await verified_agent(client, control)).user_db_id
    clock = Clock()
    poller = RetakeChatPoller(
        client, user, lambda e: None, intervals=PollIntervals(2.5, 7.5, 30.0), clock=clock
    )
    assert poller.next_interval() == 7.5  # quiet until someone talks
    await chat(control, user, "hi")
    await poller.poll_once()
    assert poller.next_interval() == 2.5
    clock.t += 29
    assert poller.next_interval() == 2.5
    clock.t += 2
    assert poller.next_interval() == 7.5
    assert PollIntervals().active in (2.0, 2.5, 3.0) and 5 <= PollIntervals().quiet <= 10


def test_ledger_is_bounded() -> None:
    ledger = ChatLedger(capacity=3)
    assert all(ledger.add(k) for k in "abcd")
    assert len(ledger) == 3 and "a" not in ledger and "d" in ledger
    assert not ledger.add("d")


async def test_rest_only_feed(
    client: RetakeClient, control: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    user = (await verified_agent(client, control)).user_db_id
    await chat(control, user, "history")
    got: list[Event] = []
    live = RetakeLive(
        client, user, got.append, socket=False, intervals=PollIntervals(0.01, 0.02, 1.0)
    )
    await live.start()
    try:
        await chat(control, user, "m{i}", 4)
        await wait_until(
            lambda: (
                [e.text for e in got if isinstance(e, RetakeChat)] == [f"m{i}" for i in range(4)]
            )
        )
        assert sandbox.retake.connects == 0
    finally:
        await live.stop()
    states = [e.state for e in got if isinstance(e, RetakeFeedState)]
    assert states == ["polling", "stopped"]


async def test_replay_history_delivers_what_was_there(
    client: RetakeClient, control: httpx.AsyncClient
) -> None:
    user = (await verified_agent(client, control)).user_db_id
    await chat(control, user, "earlier {i}", 2)
    got: list[Event] = []
    live = RetakeLive(
        client,
        user,
        got.append,
        socket=False,
        replay_history=True,
        intervals=PollIntervals(0.01, 0.02, 1.0),
    )
    await live.start()
    try:
        await wait_until(lambda: len([e for e in got if isinstance(e, RetakeChat)]) == 2)
    finally:
        await live.stop()
    assert [e.text for e in got if isinstance(e, RetakeChat)] == ["earlier 0", "earlier 1"]
