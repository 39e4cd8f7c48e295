"""The baseFM sandbox over plain HTTP: the document's shapes and the control routes."""

from __future__ import annotations

from typing import Any

import httpx
from basefm_helpers import WALLET, state, tx

from studio.sandbox.app import Sandbox
from studio.sandbox.clock import FakeClock

STREAMS = "/api/basefm/streams"


async def create(control: httpx.AsyncClient, **body: Any) -> httpx.Response:
    return await control.post(STREAMS, json={"wallet": WALLET, "txHash": tx(1), **body})


async def test_create_reply_has_the_documented_shape(
    control: httpx.AsyncClient, clock: FakeClock
) -> None:
    reply = await create(control, name="  DJ Rave ", city=" " + "c" * 100)
    assert reply.status_code == 200
    body = reply.json()
    assert set(body) == {"success", "stream", "session", "ffmpeg"}
    assert set(body["stream"]) == {
        "id", "name", "wallet", "streamKey", "rtmpUrl", "fullRtmpUrl", "playbackId", "status",
    }  # fmt: skip
    assert body["stream"]["name"] == "DJ Rave" and body["stream"]["status"] == "created"
    assert set(body["session"]) == {
        "id", "wallet", "maxDuration", "remaining", "expiresAt", "accessToken",
    }  # fmt: skip
    assert body["session"]["expiresAt"].endswith(".000Z")
    assert set(body["ffmpeg"]) == {
        "command", "audioOnlyCommand", "playlistCommand", "artworkCommand", "inputHint",
    }  # fmt: skip
    assert body["stream"]["fullRtmpUrl"] in body["ffmpeg"]["command"]
    assert (await state(control))["sessions"][0]["city"] == "c" * 80  # the service caps it


async def test_the_query_token_is_accepted_as_the_service_does(
    control: httpx.AsyncClient,
) -> None:
    token = (await create(control)).json()["session"]["accessToken"]
    by_query = await control.get(STREAMS, params={"sessionToken": token})
    by_header = await control.get(STREAMS, headers={"x-basefm-session": token})
    assert by_query.json() == by_header.json() and by_header.json()["active"] is True
    assert (await control.get(STREAMS)).status_code == 401
    assert (await control.get(f"{STREAMS}/status")).status_code == 401
    assert (await control.delete(STREAMS)).status_code == 401


async def test_the_owners_second_create_is_the_recovery_reply(
    control: httpx.AsyncClient, clock: FakeClock
) -> None:
    first = (await create(control)).json()
    clock.advance(60)
    again = await control.post(
        STREAMS,
        json={"wallet": WALLET},
        headers={"x-basefm-session": first["session"]["accessToken"]},
    )
    body = again.json()
    assert again.status_code == 200 and body["reconnected"] is True
    assert body["stream"]["id"] == first["stream"]["id"]
    assert body["session"]["remaining"] == 7140
    other = await control.post(STREAMS, json={"wallet": WALLET, "txHash": tx(2)})
    assert other.status_code == 409
    assert other.json() == {
        "error": "active_session_exists",
        "message": "You already have an active stream. 119 minutes remaining.",
        "remaining": 7140,
        "sessionId": first["session"]["id"],
    }


async def test_nginx_on_publish_accepts_only_a_current_key(
    control: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    key = (await create(control)).json()["stream"]["streamKey"]
    refused = await control.post(
        "/_sandbox/rtmp/on_publish", data={"app": "basefm", "name": "sk-dead-beef-0000"}
    )
    assert refused.status_code == 403
    accepted = await control.post("/_sandbox/rtmp/on_publish", data={"app": "basefm", "name": key})
    assert accepted.status_code == 200
    assert (await state(control))["sessions"][0]["muxStatus"] == "active"
    await control.post("/_sandbox/rtmp/on_publish_done", data={"app": "basefm", "name": key})
    assert (await state(control))["sessions"][0]["muxStatus"] == "idle"


async def test_expire_control_route_ends_sessions_at_the_next_look(
    control: httpx.AsyncClient,
) -> None:
    token = (await create(control)).json()["session"]["accessToken"]
    assert (await control.post("/_sandbox/basefm/expire", json={})).json()["expired"] == 1
    reply = await control.get(STREAMS, headers={"x-basefm-session": token})
    assert reply.json() == {"active": False, "message": "Session expired."}
    assert (await state(control))["sessions"][0]["status"] == "auto-ended"


async def test_the_state_dump_holds_no_secrets(control: httpx.AsyncClient) -> None:
    created = (await create(control)).json()
    dump = (await control.get("/_sandbox/basefm/state")).text
    assert created["session"]["accessToken"] not in dump
    assert created["stream"]["streamKey"] not in dump


async def test_malformed_bodies_are_refused(control: httpx.AsyncClient) -> None:
    broken = await control.post(
        STREAMS, content=b"{not json", headers={"content-type": "application/json"}
    )
    assert broken.status_code == 400
    assert (await control.post(STREAMS, json={"wallet": "0x12"})).status_code == 400
    bad_hash = await control.post(STREAMS, json={"wallet": WALLET, "txHash": "0x12"})
    assert bad_hash.status_code == 400
    assert bad_hash.json()["reason"] == "malformed transaction hash"
