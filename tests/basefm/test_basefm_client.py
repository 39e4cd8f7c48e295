"""The baseFM client, call by call, against the in-process sandbox."""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable

import httpx
import pytest
from basefm_helpers import OTHER_WALLET, WALLET, api_calls, state, tx

from studio.platforms.basefm import BasefmClient
from studio.platforms.basefm_errors import (
    BasefmActiveSessionExists,
    BasefmCooldownActive,
    BasefmNoSession,
    BasefmPaymentRejected,
    BasefmPaymentRequired,
    BasefmSessionHeld,
    BasefmWrongWallet,
)
from studio.redaction import reveal
from studio.sandbox.app import Sandbox
from studio.sandbox.clock import FakeClock
from studio.session_store import SessionStore

MakeClient = Callable[..., BasefmClient]


# -- paying for a session --------------------------------------------------------------


async def test_without_tokens_or_pass_baseFM_asks_for_the_fee_then_takes_the_payment(
    client: BasefmClient, control: httpx.AsyncClient, clock: FakeClock
) -> None:
    with pytest.raises(BasefmPaymentRequired) as caught:
        await client.create_stream(WALLET, name="DJ Agent", city="Berlin")
    err = caught.value
    assert err.status == 402 and err.fee == 5.0
    assert "$5 USDC" in err.message and "2,500,000 BASEFM" in err.said
    assert err.fix is not None and "txHash" in err.fix and "$5 USDC" in err.fix
    assert client.held is None

    reply = await client.create_stream(WALLET, name="DJ Agent", city="Berlin", tx_hash=tx(1))
    assert reply.success and not reply.reconnected
    assert reply.stream.name == "DJ Agent" and reply.stream.wallet == WALLET
    assert reply.stream.status == "created"
    assert reply.stream.rtmpUrl == "rtmp://127.0.0.1:1935/basefm"
    key = reveal(reply.stream.streamKey)  # type: ignore[arg-type]
    assert key.startswith("sk-") and len(key.split("-")) == 4
    assert reveal(reply.stream.fullRtmpUrl) == f"rtmp://127.0.0.1:1935/basefm/{key}"  # type: ignore[arg-type]
    assert reply.session.maxDuration == 7200 and reply.session.remaining == 7200
    assert reply.session.expires_at == clock.now() + 7200
    token = reveal(reply.session.accessToken)  # type: ignore[arg-type]
    assert token.startswith("eyJ") and token.count(".") == 2
    assert reply.ffmpeg is not None and key in reveal(reply.ffmpeg.command)  # type: ignore[arg-type]

    seen = await state(control)
    assert seen["usedTxHashes"] == [tx(1)]
    assert seen["sessions"][0]["access"] == "paid" and seen["sessions"][0]["city"] == "Berlin"


async def test_a_used_transaction_cannot_pay_twice(
    make_client: MakeClient, control: httpx.AsyncClient, clock: FakeClock
) -> None:
    first = make_client()
    await first.create_stream(WALLET, tx_hash=tx(1))
    await first.end_session()
    await control.delete("/_sandbox/basefm/cooldowns")

    with pytest.raises(BasefmPaymentRejected) as caught:
        await make_client().create_stream(WALLET, tx_hash=tx(1))
    assert caught.value.status == 400
    assert caught.value.reason == "transaction already used"
    assert "already used cannot pay again" in str(caught.value.fix)


async def test_a_payment_the_chain_does_not_confirm_carries_the_reason(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    await control.post(
        "/_sandbox/basefm/tx-hashes", json={"hash": tx(9), "reason": "insufficient amount"}
    )
    with pytest.raises(BasefmPaymentRejected) as caught:
        await make_client().create_stream(WALLET, tx_hash=tx(9))
    assert caught.value.reason == "insufficient amount"
    assert "payment verification failed: insufficient amount" in str(caught.value)
    assert (await state(control))["sessions"] == []


async def test_token_holders_stream_without_paying(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    await control.post("/_sandbox/basefm/token-holders", json={"wallets": [WALLET]})
    client = make_client()
    reply = await client.create_stream(WALLET)
    assert reply.success
    current = await client.session()
    assert current.stream is not None and current.stream.accessGrantedBy == "basefm"
    assert (await state(control))["usedTxHashes"] == []


# -- one session per wallet ------------------------------------------------------------


async def test_the_owner_creating_again_gets_the_same_stream_back(
    client: BasefmClient, control: httpx.AsyncClient
) -> None:
    first = await client.create_stream(WALLET, tx_hash=tx(1))
    again = await client.create_stream(WALLET)  # no second payment needed, nor taken
    assert again.reconnected
    assert again.stream.id == first.stream.id
    assert reveal(again.stream.streamKey) == reveal(first.stream.streamKey)  # type: ignore[arg-type]
    assert again.session.id == first.session.id
    assert len((await state(control))["sessions"]) == 1
    assert (await state(control))["usedTxHashes"] == [tx(1)]


async def test_another_caller_gets_409_with_the_remaining_time(
    make_client: MakeClient, control: httpx.AsyncClient, clock: FakeClock
) -> None:
    first = await make_client().create_stream(WALLET, tx_hash=tx(1))
    clock.advance(600)
    with pytest.raises(BasefmActiveSessionExists) as caught:
        await make_client().create_stream(WALLET, tx_hash=tx(2))
    err = caught.value
    assert err.status == 409 and err.remaining == 6600 and err.session_id == first.session.id
    assert "1 h 50 min" in err.message and "do not pay again" in str(err.fix)
    assert (await state(control))["usedTxHashes"] == [tx(1)]  # the second hash is untouched


async def test_cooldown_after_ending_carries_the_time_left(
    client: BasefmClient, control: httpx.AsyncClient, clock: FakeClock
) -> None:
    await client.create_stream(WALLET, tx_hash=tx(1))
    clock.advance(1800)
    await client.end_session()
    clock.advance(3600)
    with pytest.raises(BasefmCooldownActive) as caught:
        await client.create_stream(WALLET, tx_hash=tx(2))
    err = caught.value
    assert err.status == 429 and err.remaining == 23 * 3600
    assert err.available_at == clock.now() + 23 * 3600
    assert "23 h 00 min" in err.message and "23 h 00 min" in str(err.fix)

    clock.advance(23 * 3600)
    reply = await client.create_stream(WALLET, tx_hash=tx(2))
    assert reply.success and not reply.reconnected


async def test_the_sandbox_can_clear_a_cooldown(
    client: BasefmClient, control: httpx.AsyncClient
) -> None:
    await client.create_stream(WALLET, tx_hash=tx(1))
    await client.end_session()
    with pytest.raises(BasefmCooldownActive):
        await client.create_stream(WALLET, tx_hash=tx(2))
    await control.delete("/_sandbox/basefm/cooldowns", params={"wallet": WALLET})
    assert (await client.create_stream(WALLET, tx_hash=tx(2))).success
    # a later ending starts a new cooldown
    await client.end_session()
    with pytest.raises(BasefmCooldownActive):
        await client.create_stream(WALLET, tx_hash=tx(3))


async def test_a_session_ends_after_two_hours(
    client: BasefmClient, sandbox: Sandbox, clock: FakeClock, store: SessionStore
) -> None:
    reply = await client.create_stream(WALLET, tx_hash=tx(1))
    key = reveal(reply.stream.streamKey)  # type: ignore[arg-type]
    clock.advance(7199)
    current = await client.session()
    assert current.active and current.session is not None
    assert current.session.remaining == 1 and current.session.remainingMinutes == 0
    assert current.session.elapsed == 7199
    assert sandbox.publish("basefm", key)

    clock.advance(1)
    over = await client.session()
    assert not over.active and over.message == "Session expired."
    assert client.held is None and store.get("basefm") is None
    assert not sandbox.publish("basefm", key)
    # no cooldown after an expiry: the next session starts at once
    assert (await client.create_stream(WALLET, tx_hash=tx(2))).success


async def test_create_cleans_up_an_expired_session_nobody_asked_about(
    make_client: MakeClient, control: httpx.AsyncClient, clock: FakeClock
) -> None:
    await make_client().create_stream(WALLET, tx_hash=tx(1))
    clock.advance(7200)
    reply = await make_client().create_stream(WALLET, tx_hash=tx(2))
    assert reply.success and not reply.reconnected
    statuses = [s["status"] for s in (await state(control))["sessions"]]
    assert statuses == ["auto-ended", "active"]


async def test_the_community_pass_works_only_with_the_claimed_wallet(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    await control.post(
        "/_sandbox/basefm/users", json={"user": "u1", "communityWallet": OTHER_WALLET}
    )
    client = make_client(user_session="u1")
    with pytest.raises(BasefmWrongWallet) as caught:
        await client.create_stream(WALLET)
    assert caught.value.status == 403 and caught.value.expected == OTHER_WALLET
    assert OTHER_WALLET in caught.value.message

    reply = await client.create_stream(OTHER_WALLET)
    assert reply.session.wallet == OTHER_WALLET
    current = await client.session()
    assert current.stream is not None and current.stream.accessGrantedBy == "community-pass"


# -- the session token -----------------------------------------------------------------


async def test_the_token_is_kept_0600_and_only_ever_sent_as_a_header(
    client: BasefmClient,
    control: httpx.AsyncClient,
    sandbox: Sandbox,
    store: SessionStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    reply = await client.create_stream(WALLET, tx_hash=tx(1))
    token = reveal(reply.session.accessToken)  # type: ignore[arg-type]
    key = reveal(reply.stream.streamKey)  # type: ignore[arg-type]

    entry = store.get("basefm")
    assert entry is not None and entry["session_token"] == token
    assert entry["stream_id"] == reply.stream.id and entry["session_id"] == reply.session.id
    assert entry["expires_at"] == reply.session.expires_at
    assert entry["token_expires_at"] == reply.session.expires_at + 3600  # type: ignore[operator]
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600

    sandbox.publish("basefm", key)
    await client.session()
    await client.stream_status()
    await client.sync_status()
    await client.live()
    await client.end_session()

    calls = {(c["method"], c["path"]): c for c in await api_calls(control)}
    session_calls = [
        ("GET", "/api/basefm/streams"),
        ("GET", "/api/basefm/streams/status"),
        ("POST", "/api/basefm/streams/status"),
        ("DELETE", "/api/basefm/streams"),
    ]
    assert all(calls[call]["sessionHeader"] for call in session_calls)
    assert not calls[("GET", "/api/basefm/live")]["sessionHeader"]  # not sent where unneeded
    assert all(c["query"] == "" for c in calls.values())  # never ?sessionToken=
    for text in (caplog.text, repr(reply), str(reply), repr(client.held)):
        assert token not in text and key not in text


async def test_end_session_clears_the_stored_token_and_no_session_is_success(
    client: BasefmClient, make_client: MakeClient, store: SessionStore, control: httpx.AsyncClient
) -> None:
    reply = await client.create_stream(WALLET, tx_hash=tx(1))
    token = reveal(reply.session.accessToken)  # type: ignore[arg-type]
    ended = await client.end_session()
    assert ended.success and ended.message == "Session ended"
    assert client.held is None and store.get("basefm") is None

    nothing_held = await client.end_session()
    assert nothing_held.success and nothing_held.message == "No session"

    stale = make_client(session_token=token)
    on_server = await stale.end_session()
    assert on_server.success and on_server.message == "No session"
    assert [c["method"] for c in await api_calls(control)].count("DELETE") == 2


async def test_session_calls_without_a_token_send_nothing(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    client = make_client()
    for call in (client.session, client.stream_status, client.sync_status):
        with pytest.raises(BasefmNoSession):
            await call()
    assert await api_calls(control) == []


async def test_a_restarted_studio_recovers_its_session_instead_of_creating_one(
    client: BasefmClient,
    make_client: MakeClient,
    store: SessionStore,
    control: httpx.AsyncClient,
    clock: FakeClock,
) -> None:
    first = await client.create_stream(WALLET, tx_hash=tx(1))
    await client.aclose()
    clock.advance(1800)

    restarted = make_client(store=store, persist=True)
    assert restarted.held is not None and restarted.held.stream_id == first.stream.id
    recovered = await restarted.recover_session()
    assert recovered is not None and recovered.active
    assert recovered.stream is not None and recovered.stream.id == first.stream.id
    assert reveal(recovered.stream.streamKey) == reveal(first.stream.streamKey)  # type: ignore[arg-type]
    assert recovered.session is not None and recovered.session.remaining == 5400

    again = await restarted.create_stream(WALLET, tx_hash=tx(1))
    assert again.reconnected and again.stream.id == first.stream.id
    assert len((await state(control))["sessions"]) == 1


async def test_a_stored_token_past_its_validity_is_not_used(
    client: BasefmClient, make_client: MakeClient, store: SessionStore, clock: FakeClock
) -> None:
    await client.create_stream(WALLET, tx_hash=tx(1))
    clock.advance(7200 + 3600)
    restarted = make_client(store=store, persist=True)
    assert restarted.held is None and store.get("basefm") is None
    assert await restarted.recover_session() is None


async def test_a_stored_session_of_another_origin_is_left_alone(
    client: BasefmClient, transport: httpx.ASGITransport, store: SessionStore, clock: FakeClock
) -> None:
    await client.create_stream(WALLET, tx_hash=tx(1))
    other = BasefmClient("http://elsewhere.test", transport=transport, store=store, clock=clock.now)
    assert other.held is None
    other.forget_session()
    assert store.get("basefm") is not None
    await other.aclose()


# -- status, sync and the station ------------------------------------------------------


async def test_ingest_then_sync_takes_the_session_live(
    client: BasefmClient, sandbox: Sandbox, control: httpx.AsyncClient
) -> None:
    reply = await client.create_stream(WALLET, tx_hash=tx(1))
    key = reveal(reply.stream.streamKey)  # type: ignore[arg-type]

    waiting = await client.stream_status()
    assert waiting.active and waiting.streamHealth == "waiting"
    assert not waiting.pickupRecommended and waiting.mux is not None
    assert waiting.mux.status == "idle"
    early = await client.sync_status()
    assert not early.success and not early.synced and early.muxStatus == "idle"

    assert (await control.post(f"/_sandbox/ingest/basefm/{key}")).json() == {"ok": True}
    picked = await client.stream_status()
    assert picked.pickupRecommended and picked.streamHealth == "good"
    assert picked.session is not None and picked.session.status == "active"

    synced = await client.sync_status()
    assert synced.success and synced.synced and synced.muxStatus == "active"
    assert synced.playbackId == reply.stream.playbackId
    live = await client.stream_status()
    assert not live.pickupRecommended and live.session is not None
    assert live.session.status == "live"
    assert live.distribution is not None and live.distribution.origin.status == "active"

    sandbox.publish_done("basefm", key)
    after = await client.stream_status()
    assert after.streamHealth == "waiting" and after.session is not None
    assert after.session.status == "active"


async def test_only_the_current_stream_key_may_publish(
    client: BasefmClient, sandbox: Sandbox
) -> None:
    reply = await client.create_stream(WALLET, tx_hash=tx(1))
    key = reveal(reply.stream.streamKey)  # type: ignore[arg-type]
    assert not sandbox.publish("basefm", "sk-0000-0000-0000")
    assert sandbox.publish("basefm", key)
    await client.end_session()
    assert not sandbox.publish("basefm", key)


async def test_live_lists_djs_on_air_with_their_key_kept_secret(
    client: BasefmClient, sandbox: Sandbox
) -> None:
    idle = await client.live()
    assert idle.availability == "idle" and idle.count == 0 and idle.primaryDj is None
    assert idle.distribution is not None and idle.distribution.origin.status == "idle"

    reply = await client.create_stream(WALLET, name="DJ Rave", tx_hash=tx(1))
    key = reveal(reply.stream.streamKey)  # type: ignore[arg-type]
    assert (await client.live()).count == 0  # armed, not yet on air
    sandbox.publish("basefm", key)

    live = await client.live()
    assert live.availability == "live" and live.count == 1
    dj = live.primaryDj
    assert dj is not None and dj.name == "DJ Rave" and dj.wallet == WALLET
    assert dj.streamKey is not None and reveal(dj.streamKey) == key and key not in repr(live)
    assert dj.hlsUrl == f"https://stream.mux.com/{reply.stream.playbackId}.m3u8"
    assert live.distribution is not None
    assert live.distribution.origin.playbackId == reply.stream.playbackId


async def test_distribution_and_relays(
    make_client: MakeClient, control: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await control.post("/_sandbox/basefm/users", json={"user": "admin", "admin": True})
    admin = make_client(user_session="admin")

    relays = await admin.relays()
    assert [r.key for r in relays] == ["basefm-space"]
    assert relays[0].type == "hls-consumer" and relays[0].required

    probe = await admin.probe_relay("basefm-space")
    assert not probe.ok and probe.error and probe.relay is not None
    assert probe.relay.status == "degraded"

    record = await admin.upsert_relay(
        {
            "key": "youtube-main",
            "name": "YouTube Live",
            "type": "youtube",
            "viewerUrl": "https://youtube.com/live/abc123",
        }
    )
    assert record.key == "youtube-main" and record.status == "pending"
    assert record.viewer_url == record.probe_url == "https://youtube.com/live/abc123"

    dj = make_client()
    reply = await dj.create_stream(WALLET, tx_hash=tx(1))
    sandbox.publish("basefm", reveal(reply.stream.streamKey))  # type: ignore[arg-type]
    healthy = await admin.probe_relay("basefm-space")
    assert healthy.ok and healthy.relay is not None and healthy.relay.status == "healthy"
    assert healthy.relay.last_healthy_at is not None

    dist = await admin.distribution()
    assert dist.origin.status == "active"
    assert dist.requiredRelayStatus == "healthy" and dist.overallStatus == "healthy"
    assert {r.key: r.status for r in dist.relays} == {
        "basefm-space": "healthy",
        "youtube-main": "pending",
    }


async def test_a_second_wallet_is_refused_while_a_session_runs(
    client: BasefmClient, control: httpx.AsyncClient, store: SessionStore
) -> None:
    first = await client.create_stream(WALLET, tx_hash=tx(1))
    with pytest.raises(BasefmSessionHeld) as caught:
        await client.create_stream(OTHER_WALLET, tx_hash=tx(2))
    assert WALLET in caught.value.message and "End the running session" in str(caught.value.fix)
    entry = store.get("basefm")
    assert entry is not None and entry["stream_id"] == first.stream.id
    assert [c["method"] for c in await api_calls(control)] == ["POST", "GET"]

    await client.end_session()
    assert (await client.create_stream(OTHER_WALLET, tx_hash=tx(2))).session.wallet == OTHER_WALLET
