"""REST chat polling: catch-up from the last seen id, cadence, dedupe, REST-only feed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from studio.backoff import Backoff
from studio.events import Event
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_events import RetakeChat, RetakeFeedState, RetakeFeedTrouble
from studio.platforms.retake_live import ChatLedger, PollIntervals, RetakeChatPoller, RetakeLive
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


@pytest.fixture(params=["newest_first", "oldest_first"])
async def order(request: pytest.FixtureRequest, control: httpx.AsyncClient) -> str:
    """Both readings of the document: a page of comments sorted either way."""
    reply = await control.post("/_sandbox/retake/options", json={"comments_order": request.param})
    assert reply.json()["comments_order"] == request.param
    return request.param


async def test_catch_up_delivers_only_new_messages_oldest_first(
    client: RetakeClient, control: httpx.AsyncClient, order: str
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


async def test_pages_come_back_in_time_order_and_page_by_the_oldest_either_way(
    client: RetakeClient, control: httpx.AsyncClient, order: str
) -> None:
    user = (await verified_agent(client, control)).user_db_id
    await chat(control, user, "c{i}", 23)
    raw = await client.comments(user, limit=5)
    assert [c.text for c in raw] == (
        ["c22", "c21", "c20", "c19", "c18"]
        if order == "newest_first"
        else ["c18", "c19", "c20", "c21", "c22"]
    )
    pages = [[c.text for c in page] async for page in client.comment_pages(user, page_size=5)]
    assert pages[0] == ["c18", "c19", "c20", "c21", "c22"]
    assert pages[1] == ["c13", "c14", "c15", "c16", "c17"]
    walked = [c.text async for c in client.iter_comments(user, page_size=5)]
    assert walked == [f"c{i}" for i in reversed(range(23))]
    assert client.comments_order == order


class Flaky:
    """A chat listener that fails on its first message, then works."""

    def __init__(self, exc: Exception) -> None:
        self.exc = exc
        self.calls = 0
        self.got: list[Event] = []

    def __call__(self, event: Event) -> None:
        self.got.append(event)
        if isinstance(event, RetakeChat):
            self.calls += 1
            if self.calls == 1:
                raise self.exc


async def test_the_poller_survives_what_is_not_a_platform_error(
    client: RetakeClient, control: httpx.AsyncClient
) -> None:
    user = (await verified_agent(client, control)).user_db_id
    listener = Flaky(RuntimeError("a listener tripped"))
    fast = Backoff(first=0.01, factor=1.0, cap=0.01, jitter=0.0, attempts=None)
    poller = RetakeChatPoller(
        client, user, listener, intervals=PollIntervals(0.01, 0.02, 1.0), retry=fast
    )
    poller.start()
    try:
        await chat(control, user, "first")
        await wait_until(lambda: any(isinstance(e, RetakeFeedTrouble) for e in listener.got))
        await chat(control, user, "after {i}", 3)
        await wait_until(
            lambda: (
                [e.text for e in listener.got if isinstance(e, RetakeChat)]
                == ["first", "after 0", "after 1", "after 2"]
            )
        )
        assert poller.running
    finally:
        await poller.stop()
    (trouble,) = [e for e in listener.got if isinstance(e, RetakeFeedTrouble)]
    assert trouble.where == "poller" and "RuntimeError: a listener tripped" in trouble.error
