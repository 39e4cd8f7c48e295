"""Every documented baseFM error status becomes its own error, with the body's data."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from basefm_helpers import OTHER_WALLET, WALLET, api_calls, tx

from studio.platforms.basefm import BasefmClient
from studio.platforms.basefm_errors import (
    BasefmAdminRequired,
    BasefmBadRequest,
    BasefmMuxUnavailable,
    BasefmNoActiveSession,
    BasefmNotSessionOwner,
    BasefmRelayMigrationMissing,
    BasefmRelayNotFound,
    BasefmUnauthorized,
    BasefmUnavailable,
)
from studio.redaction import MASK, redact, reveal
from studio.sandbox.app import Sandbox
from studio.session_store import SessionStore

MakeClient = Callable[..., BasefmClient]


async def mint(control: httpx.AsyncClient, **payload: object) -> str:
    return (await control.post("/_sandbox/basefm/tokens", json=payload)).json()["token"]


async def test_400_wallet_required(make_client: MakeClient) -> None:
    client = make_client()
    with pytest.raises(BasefmBadRequest) as caught:
        # below validation on purpose: what the platform says about a body without a wallet
        await client.request("POST", "/api/basefm/streams", json={})
    assert caught.value.status == 400 and "Wallet address required" in caught.value.message


async def test_401_an_invalid_or_expired_token_is_dropped(
    make_client: MakeClient, control: httpx.AsyncClient, store: SessionStore
) -> None:
    client = make_client(session_token="eyJhbGciOiJIUzI1NiJ9.eyJ4IjoxfQ.forged-signature")
    with pytest.raises(BasefmUnauthorized) as caught:
        await client.session()
    assert caught.value.status == 401 and "start a new stream session" in str(caught.value.fix)
    assert client.held is None

    owner = make_client(store=store, persist=True)
    reply = await owner.create_stream(WALLET, tx_hash=tx(1))
    expired = await mint(control, sessionId=reply.session.id, wallet=WALLET, ttl=-1)
    for name in ("session", "stream_status", "sync_status", "end_session"):
        late = make_client(session_token=expired)
        with pytest.raises(BasefmUnauthorized):
            await getattr(late, name)()
        assert late.held is None


async def test_403_a_token_for_another_wallet_is_not_the_owners(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    reply = await make_client().create_stream(WALLET, tx_hash=tx(1))
    wrong = await mint(control, sessionId=reply.session.id, wallet=OTHER_WALLET)
    for name in ("session", "stream_status", "sync_status", "end_session"):
        client = make_client(session_token=wrong)
        with pytest.raises(BasefmNotSessionOwner) as caught:
            await getattr(client, name)()
        assert caught.value.status == 403
        assert client.held is None


async def test_403_relays_need_an_admin_session(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    await control.post("/_sandbox/basefm/users", json={"user": "dj", "admin": False})
    for client in (make_client(), make_client(user_session="dj")):
        with pytest.raises(BasefmAdminRequired) as caught:
            await client.upsert_relay({"key": "x-live", "name": "X"})
        assert caught.value.status == 403
        with pytest.raises(BasefmAdminRequired):
            await client.probe_relay("basefm-space")


async def test_404_sync_without_an_active_session(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    token = await mint(control, sessionId=999, wallet=WALLET)
    client = make_client(session_token=token)
    with pytest.raises(BasefmNoActiveSession) as caught:
        await client.sync_status()
    assert caught.value.status == 404
    status = await client.stream_status()
    assert not status.active and status.message == "No active stream session found"


async def test_404_and_400_on_probing_relays(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    await control.post("/_sandbox/basefm/users", json={"user": "root", "admin": True})
    admin = make_client(user_session="root")
    with pytest.raises(BasefmRelayNotFound) as caught:
        await admin.probe_relay("nope")
    assert caught.value.status == 404
    await admin.upsert_relay({"key": "bare", "name": "No URLs"})
    with pytest.raises(BasefmBadRequest) as bad:
        await admin.probe_relay("bare")
    assert "no probe target" in bad.value.message


async def test_500_mux_not_configured(make_client: MakeClient, control: httpx.AsyncClient) -> None:
    await control.post("/_sandbox/basefm/config", json={"muxConfigured": False})
    client = make_client()
    with pytest.raises(BasefmMuxUnavailable) as caught:
        await client.create_stream(WALLET, tx_hash=tx(1))
    assert caught.value.status == 500 and "Mux not configured" in caught.value.message
    degraded = await client.live()
    assert degraded.availability == "degraded" and degraded.error
    assert degraded.distribution is not None and degraded.distribution.origin.status == "degraded"


async def test_503_relay_migration_missing(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    await control.post("/_sandbox/basefm/users", json={"user": "root", "admin": True})
    await control.post("/_sandbox/basefm/config", json={"relayMigration": False})
    admin = make_client(user_session="root")
    with pytest.raises(BasefmRelayMigrationMissing) as caught:
        await admin.upsert_relay({"key": "x-live", "name": "X"})
    assert caught.value.status == 503 and "migration" in str(caught.value.fix)
    with pytest.raises(BasefmRelayMigrationMissing):
        await admin.probe_relay("basefm-space")


async def test_5xx_is_retried_for_reads_but_never_for_create(
    make_client: MakeClient, control: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    client = make_client()
    await control.post(
        "/_sandbox/faults",
        json={"burst": {"status": 502, "count": 2, "path_prefix": "/api/basefm/live"}},
    )
    assert (await client.live()).availability == "idle"

    await control.post(
        "/_sandbox/faults",
        json={"burst": {"status": 503, "count": 2, "path_prefix": "/api/basefm/streams"}},
    )
    with pytest.raises(BasefmUnavailable) as caught:
        await client.create_stream(WALLET, tx_hash=tx(1))
    assert caught.value.status == 503
    assert [b.remaining for b in sandbox.faults.bursts] == [1]  # sent once, not retried
    assert [c["path"] for c in await api_calls(control)] == ["/api/basefm/live"]


async def test_error_payloads_and_messages_never_show_secrets(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    owner = make_client()
    reply = await owner.create_stream(WALLET, tx_hash=tx(1))
    token = reveal(reply.session.accessToken)  # type: ignore[arg-type]
    wrong = await mint(control, sessionId=reply.session.id, wallet=OTHER_WALLET)
    client = make_client(session_token=wrong)
    with pytest.raises(BasefmNotSessionOwner) as caught:
        await client.session()
    for text in (str(caught.value), repr(caught.value.payload), repr(client.held)):
        assert token not in text and wrong not in text
    assert redact(f"header {wrong}") == f"header {MASK}"
