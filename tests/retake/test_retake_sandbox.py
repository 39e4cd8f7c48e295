"""The retake.tv sandbox's own rules: what it refuses, ingest, viewers, control routes."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
import pytest

from studio.platforms.retake import RetakeClient
from studio.redaction import reveal
from studio.sandbox.app import Sandbox, SandboxConfig
from studio.sandbox.clock import FakeClock
from tests.retake.retake_helpers import TWEET, register_body, verified_agent

ORIGIN = "http://sandbox.test"


@pytest.fixture
async def client(transport: httpx.ASGITransport) -> AsyncIterator[RetakeClient]:
    async with RetakeClient(ORIGIN, transport=transport) as c:
        yield c


async def test_register_refuses_bad_fields_with_a_clear_error(control: httpx.AsyncClient) -> None:
    reply = await control.post(
        "/api/v1/agent/register", json=register_body("no spaces allowed", ticker="")
    )
    assert reply.status_code == 400
    error = reply.json()["error"]
    assert "agent_name" in error and "ticker" in error
    assert (await control.post("/api/v1/agent/register", content=b"{oops")).status_code == 400


async def test_authenticated_routes_want_a_bearer_token(control: httpx.AsyncClient) -> None:
    reg = (await control.post("/api/v1/agent/register", json=register_body())).json()
    assert (await control.get("/api/v1/agent/stream/status")).status_code == 401
    as_query = await control.get(
        "/api/v1/agent/stream/status", params={"access_token": reg["access_token"]}
    )
    assert as_query.status_code == 401  # only the header counts
    basic = {"Authorization": f"Basic {reg['access_token']}"}
    assert (await control.get("/api/v1/agent/stream/status", headers=basic)).status_code == 401
    bearer = {"Authorization": f"Bearer {reg['access_token']}"}
    assert (await control.get("/api/v1/agent/stream/status", headers=bearer)).status_code == 200


async def test_comments_query_rules(control: httpx.AsyncClient, client: RetakeClient) -> None:
    reg = await verified_agent(client, control)
    headers = {"Authorization": f"Bearer {reveal(client._token or '')}"}  # noqa: SLF001
    url = "/api/v1/agent/stream/comments"
    assert (await control.get(url, headers=headers)).status_code == 400
    assert (
        await control.get(url, headers=headers, params={"userDbId": "user_none"})
    ).status_code == 404
    too_many = await control.get(
        url, headers=headers, params={"userDbId": reg.user_db_id, "limit": 101}
    )
    assert too_many.status_code == 400
    unknown = await control.get(
        url, headers=headers, params={"userDbId": reg.user_db_id, "beforeId": "x"}
    )
    assert unknown.status_code == 404
    thumb = await control.post(
        "/api/v1/agent/update-thumbnail",
        headers=headers,
        files={"image": ("t.png", b"not a png", "image/png")},
    )
    assert thumb.status_code == 400 and "JPEG or PNG" in thumb.json()["error"]
    no_field = await control.post(
        "/api/v1/agent/update-thumbnail", headers=headers, files={"other": ("a", b"b")}
    )
    assert no_field.status_code == 400


async def test_ingest_decides_is_live(
    client: RetakeClient, control: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock
) -> None:
    reg = await verified_agent(client, control)
    key = reveal((await client.rtmp()).key)
    await client.stream_start()
    refused = await control.post("/_sandbox/ingest/retake/sk_wrong_key_000")
    assert refused.status_code == 403
    assert (await control.post(f"/_sandbox/ingest/retake/{key}")).status_code == 200
    clock.advance(30)
    assert (await client.stream_status()).is_live
    await control.post(
        "/_sandbox/retake/viewers", json={"streamer_id": reg.user_db_id, "viewers": 123}
    )
    assert (await client.stream_status()).viewers == 123
    await control.delete(f"/_sandbox/ingest/retake/{key}")
    status = await client.stream_status()
    assert (status.is_live, status.viewers, status.uptime_seconds) == (False, 0, 0)
    # the nginx-rtmp callback form of the same thing
    form = await control.post("/_sandbox/rtmp/on_publish", data={"app": "retake", "name": key})
    assert form.status_code == 200 and (await client.stream_status()).is_live


async def test_tweet_control_route_checks_the_url(control: httpx.AsyncClient) -> None:
    bad = await control.post(
        "/_sandbox/retake/tweets", json={"url": "https://x.com/a", "text": "t"}
    )
    assert bad.status_code == 400
    good = await control.post("/_sandbox/retake/tweets", json={"url": TWEET, "text": "t"})
    assert good.json()["status_id"] == "1234567890"


async def test_auto_tweets_from_the_sandbox_config(clock: FakeClock) -> None:
    @dataclass(frozen=True)
    class RehearsalConfig(SandboxConfig):
        retake_auto_tweets: bool = True

    sandbox = Sandbox(RehearsalConfig(origin=ORIGIN), clock)
    assert sandbox.retake.auto_tweets
    async with RetakeClient(ORIGIN, transport=httpx.ASGITransport(app=sandbox.app)) as c:
        await c.register(register_body())
        await c.prepare_verify()
        assert (await c.verify("https://twitter.com/anyone/status/42")).verified


async def test_state_lists_agents_without_secrets(
    client: RetakeClient, control: httpx.AsyncClient
) -> None:
    reg = await verified_agent(client, control)
    key = reveal((await client.rtmp()).key)
    await client.rtmp()
    state = (await control.get("/_sandbox/retake/state")).json()
    agent = state["agents"][0]
    assert (agent["userDbId"], agent["verified"], agent["keys_issued"]) == (reg.user_db_id, True, 2)
    text = str(state)
    assert key not in text and reveal(client._token or "") not in text  # noqa: SLF001


async def test_control_routes_refuse_unknown_streamers(control: httpx.AsyncClient) -> None:
    for route in ("chat", "tip", "trade", "follow", "pin", "viewers"):
        reply = await control.post(f"/_sandbox/retake/{route}", json={"streamer_id": "user_none"})
        assert reply.status_code == 404, route
