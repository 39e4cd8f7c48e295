"""Replies that used to escape the error handling and end the broadcast: each one now
comes back as the platform's typed error with a clear message, served by the sandbox's
bad-reply faults."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from studio.platforms._http import MAX_BODY, PlatformError, UnexpectedResponse
from studio.platforms.clawcast_models import PublishFrameResponse
from studio.platforms.retake import RetakeClient
from tests.retake.retake_helpers import verified_agent

STATUS = "/api/v1/agent/stream/status"


@pytest.fixture
async def client(transport: httpx.ASGITransport, control: httpx.AsyncClient) -> AsyncIterator:
    async with RetakeClient("http://sandbox.test", transport=transport) as c:
        await verified_agent(c, control)
        yield c


async def fault(control: httpx.AsyncClient, **burst) -> None:
    reply = await control.post("/_sandbox/faults", json={"burst": {"count": 1, **burst}})
    assert reply.status_code == 200, reply.text


@pytest.mark.parametrize(
    ("burst", "says"),
    [
        ({"reply": "corrupt_gzip"}, "could not be decoded"),
        ({"reply": "redirect", "location": "http://sandbox.test:99999/x"}, "unusable address"),
        ({"reply": "deep_json"}, "nested too deeply"),
        ({"reply": "huge", "size": MAX_BODY + 1024}, f"larger than {MAX_BODY // 1024} KiB"),
        ({"reply": "json", "body": {"is_live": True, "viewers": -1}}, "viewers"),
        ({"reply": "json", "body": {"is_live": True, "uptime_seconds": -5}}, "uptime_seconds"),
    ],
    ids=["gzip", "port", "nested", "huge", "viewers", "uptime"],
)
async def test_a_bad_reply_is_the_platforms_typed_error(client, control, burst, says):
    await fault(control, path_prefix=STATUS, **burst)
    with pytest.raises(UnexpectedResponse, match=says) as info:
        await client.stream_status()
    assert isinstance(info.value, PlatformError) and info.value.platform == "retake.tv"
    assert info.value.fix
    assert (await client.stream_status()).viewers >= 0  # the next reply is read as ever


async def test_a_ticker_longer_than_the_kiosk_shows_is_refused_where_it_enters(client, control):
    await client.rtmp()
    await fault(
        control,
        path_prefix="/api/v1/agent/stream/start",
        reply="json",
        body={"success": True, "token": {"ticker": "T" * 21}},
    )
    with pytest.raises(UnexpectedResponse, match="ticker"):
        await client.stream_start()


def test_counts_in_clawcast_replies_are_never_negative():
    with pytest.raises(ValueError, match="viewer_count"):
        PublishFrameResponse.model_validate({"viewer_count": -1})


async def test_an_error_reply_nested_too_deeply_still_maps(client, control):
    await fault(control, path_prefix=STATUS, reply="deep_json", status=500)
    await fault(control, path_prefix=STATUS, reply="json", status=404, body=[[[[["x"]]]]])
    with pytest.raises(PlatformError) as info:
        await client.stream_status()
    assert info.value.status == 404
