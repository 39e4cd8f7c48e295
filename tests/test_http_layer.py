"""The shared HTTP layer: retries, redirects and error mapping, against a real ASGI app."""

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse
from starlette.routing import Route

from studio.backoff import OBS_RECONNECT, Backoff
from studio.platforms._http import ApiClient, PlatformError, PlatformUnreachable, RedirectRefused


class Counter:
    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.auth: list[str | None] = []

    def hit(self, name: str) -> int:
        self.hits[name] = self.hits.get(name, 0) + 1
        return self.hits[name]


def make_app(counter: Counter) -> Starlette:
    async def flaky(request: Request):
        n = counter.hit("flaky")
        if n < 3:
            return JSONResponse({"error": "busy"}, status_code=503)
        return JSONResponse({"ok": True, "n": n})

    async def always_500(request: Request):
        counter.hit("always")
        return JSONResponse({"error": "down"}, status_code=500)

    async def same_origin(request: Request):
        return RedirectResponse("/ok", status_code=307)

    async def other_origin(request: Request):
        return RedirectResponse("https://evil.example/steal", status_code=302)

    async def ok(request: Request):
        counter.auth.append(request.headers.get("authorization"))
        return JSONResponse({"ok": True})

    return Starlette(
        routes=[
            Route("/flaky", flaky, methods=["GET", "POST"]),
            Route("/always", always_500, methods=["GET", "POST"]),
            Route("/same", same_origin, methods=["GET"]),
            Route("/other", other_origin, methods=["GET"]),
            Route("/ok", ok, methods=["GET"]),
        ]
    )


async def no_sleep(_):
    return None


@pytest.fixture
def counter():
    return Counter()


@pytest.fixture
def client(counter):
    transport = httpx.ASGITransport(app=make_app(counter))
    return ApiClient("http://api.test", transport=transport, sleep=no_sleep)


async def test_safe_calls_retry_5xx_until_success(client, counter):
    response = await client.request("GET", "/flaky")
    assert response.json() == {"ok": True, "n": 3}


async def test_unsafe_calls_are_not_retried(client, counter):
    with pytest.raises(PlatformError) as info:
        await client.request("POST", "/always")
    assert info.value.status == 500
    assert counter.hits["always"] == 1


async def test_retries_are_bounded(client, counter):
    with pytest.raises(PlatformError):
        await client.request("GET", "/always")
    assert counter.hits["always"] == 1 + 3


async def test_same_origin_redirect_is_followed_with_auth(client, counter):
    await client.request("GET", "/same", headers={"Authorization": "Bearer rtk_abcdef"})
    assert counter.auth == ["Bearer rtk_abcdef"]


async def test_cross_origin_redirect_is_refused(client):
    with pytest.raises(RedirectRefused) as info:
        await client.request("GET", "/other", headers={"Authorization": "Bearer rtk_abcdef"})
    assert "evil.example" in str(info.value)
    assert "rtk_abcdef" not in str(info.value)


async def test_unreachable_host_is_reported_after_retries():
    slept = []

    async def record(d):
        slept.append(d)

    client = ApiClient("http://127.0.0.1:9", sleep=record, timeout=1)
    with pytest.raises(PlatformUnreachable) as info:
        await client.request("POST", "/anything")
    assert len(slept) == 3
    assert "Fix:" in str(info.value)
    await client.aclose()


def test_backoff_is_capped_exponential_with_jitter():
    import random

    b = Backoff(first=2, factor=1.5, cap=10, jitter=0.2, attempts=6)
    delays = list(b.delays(random.Random(1)))
    assert len(delays) == 6
    nominal = [2, 3, 4.5, 6.75, 10, 10]
    for got, want in zip(delays, nominal, strict=True):
        assert want * 0.8 <= got <= want * 1.2
    assert OBS_RECONNECT.delay(0, random.Random(0)) == pytest.approx(2, rel=0.2)
