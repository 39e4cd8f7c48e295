"""A create request that gets no reply: never sent twice, never paid twice.

The sandbox's latency fault holds the request longer than the client's create timeout;
the ``GivingUpTransport`` gives the client a ``ReadTimeout`` while the sandbox goes on
to create the stream, as a real server does after its client hung up.
"""

from __future__ import annotations

import socket
from collections.abc import Callable

import httpx
import pytest
from basefm_helpers import WALLET, GivingUpTransport, api_calls, no_sleep, state, tx

from studio.platforms.basefm import BasefmClient, BasefmUnreachable
from studio.platforms.basefm_errors import BasefmActiveSessionExists, BasefmCreateUncertain
from studio.redaction import reveal
from studio.sandbox.clock import FakeClock
from studio.session_store import SessionStore

MakeClient = Callable[..., BasefmClient]
SLOW = {"latency": 0.3, "latency_prefix": "/api/basefm/streams"}


def kinds(calls: list[dict[str, object]]) -> list[str]:
    return [f"{c['method']} {c['path']}" for c in calls]


async def test_a_first_create_without_reply_is_not_resent_and_says_do_not_pay_again(
    make_client: MakeClient, giving_up: GivingUpTransport, control: httpx.AsyncClient
) -> None:
    client = make_client(transport=giving_up, create_timeout=0.05)
    await control.post("/_sandbox/faults", json=SLOW)
    with pytest.raises(BasefmCreateUncertain) as caught:
        await client.create_stream(WALLET, tx_hash=tx(1))
    err = caught.value
    assert err.paid and err.wallet == WALLET
    assert err.fix is not None and err.fix.startswith("Do not pay again")
    await giving_up.drain()

    # the platform did create it, once, with the one payment
    assert kinds(await api_calls(control)) == ["POST /api/basefm/streams"]
    seen = await state(control)
    assert len(seen["sessions"]) == 1 and seen["usedTxHashes"] == [tx(1)]

    # repeating the same request as told cannot pay twice or make a second stream
    await control.delete("/_sandbox/faults")
    with pytest.raises(BasefmActiveSessionExists) as exists:
        await client.create_stream(WALLET, tx_hash=tx(1))
    assert exists.value.remaining == 7200
    seen = await state(control)
    assert len(seen["sessions"]) == 1 and seen["usedTxHashes"] == [tx(1)]


async def test_a_create_without_reply_is_recovered_through_the_held_session(
    client: BasefmClient,
    make_client: MakeClient,
    giving_up: GivingUpTransport,
    store: SessionStore,
    control: httpx.AsyncClient,
    clock: FakeClock,
) -> None:
    first = await client.create_stream(WALLET, tx_hash=tx(1))
    clock.advance(900)

    restarted = make_client(transport=giving_up, store=store, persist=True, create_timeout=0.05)
    await control.post("/_sandbox/faults", json=SLOW)
    reply = await restarted.create_stream(WALLET, tx_hash=tx(1))
    await giving_up.drain()

    assert reply.reconnected and reply.stream.id == first.stream.id
    assert reveal(reply.stream.streamKey) == reveal(first.stream.streamKey)  # type: ignore[arg-type]
    assert reply.session.remaining == 7200 - 900
    assert reveal(reply.session.accessToken) == reveal(first.session.accessToken)  # type: ignore[arg-type]
    assert kinds(await api_calls(control)) == [
        "POST /api/basefm/streams",
        "POST /api/basefm/streams",  # timed out
        "GET /api/basefm/streams",  # the recovery path, before anything else
    ]
    seen = await state(control)
    assert len(seen["sessions"]) == 1 and seen["usedTxHashes"] == [tx(1)]


async def test_a_token_of_an_ended_session_cannot_find_the_new_one(
    client: BasefmClient,
    make_client: MakeClient,
    giving_up: GivingUpTransport,
    store: SessionStore,
    control: httpx.AsyncClient,
    clock: FakeClock,
) -> None:
    """Tokens are bound to one session: after a timeout the studio can say only that
    the new session may exist, and it still sends nothing twice."""
    await client.create_stream(WALLET, tx_hash=tx(1))
    clock.advance(7200)  # expired, token still inside its hour of grace
    restarted = make_client(transport=giving_up, store=store, persist=True, create_timeout=0.05)
    assert restarted.held is not None
    await control.post("/_sandbox/faults", json=SLOW)
    with pytest.raises(BasefmCreateUncertain):
        await restarted.create_stream(WALLET, tx_hash=tx(2))
    await giving_up.drain()
    assert kinds(await api_calls(control))[1:] == [
        "POST /api/basefm/streams",
        "GET /api/basefm/streams",
    ]
    assert restarted.held is None and store.get("basefm") is None
    assert (await state(control))["usedTxHashes"] == [tx(1), tx(2)]


async def test_a_create_that_never_connected_is_plainly_unreachable(clock: FakeClock) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = BasefmClient(
        f"http://127.0.0.1:{port}", persist=False, clock=clock.now, sleep=no_sleep
    )
    try:
        with pytest.raises(BasefmUnreachable) as caught:
            await client.create_stream(WALLET, tx_hash=tx(1))
    finally:
        await client.aclose()
    assert not caught.value.may_have_arrived
    assert not isinstance(caught.value, BasefmCreateUncertain)


async def test_reads_are_retried_after_a_timeout(
    client: BasefmClient,
    make_client: MakeClient,
    giving_up: GivingUpTransport,
    store: SessionStore,
    control: httpx.AsyncClient,
) -> None:
    await client.create_stream(WALLET, tx_hash=tx(1))
    slow = make_client(transport=giving_up, store=store, persist=True, timeout=0.05)
    await control.post("/_sandbox/faults", json=SLOW)
    with pytest.raises(BasefmUnreachable) as caught:
        await slow.session()
    assert caught.value.may_have_arrived
    await giving_up.drain()
    assert kinds(await api_calls(control))[1:] == ["GET /api/basefm/streams"] * 4
    assert slow.held is not None  # a network failure does not drop the token
