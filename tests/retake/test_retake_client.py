"""Every retake.tv client call against the in-process sandbox, the error mapping, and
where the access token may go."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from studio.backoff import Backoff
from studio.platforms._http import RedirectRefused
from studio.platforms.retake import SKILL_VERSION, RetakeClient, SkillCache
from studio.platforms.retake_errors import (
    CREDENTIALS_FIX,
    RetakeAuthError,
    RetakeBadInput,
    RetakeError,
    RetakeNameTaken,
    RetakeNoActiveSession,
    RetakeNoCredentials,
    RetakeNotFound,
    RetakeNotVerified,
    RetakeServerError,
    RetakeVerificationError,
)
from studio.redaction import redact, reveal
from studio.sandbox.app import Sandbox
from studio.sandbox.clock import FakeClock
from tests.conftest import no_sleep
from tests.retake.retake_helpers import TWEET, png, register_body, verified_agent

ORIGIN = "http://sandbox.test"
NO_RETRY = Backoff(attempts=0)


@pytest.fixture
async def client(transport: httpx.ASGITransport) -> AsyncIterator[RetakeClient]:
    async with RetakeClient(ORIGIN, transport=transport, sleep=no_sleep) as c:
        yield c


async def test_register_keeps_the_token_and_hides_it(
    client: RetakeClient, sandbox: Sandbox
) -> None:
    reg = await client.register(register_body())
    token = reveal(reg.access_token)
    assert token.startswith("rtk_") and client.has_token
    assert token not in repr(reg) and token not in str(reg.model_dump())
    assert redact(f"token={token}") == "token=[REDACTED]"
    assert reg.user_db_id in sandbox.retake.world.agents
    assert (reg.token_address, reg.token_ticker) == ("", "")


async def test_verification_flow(client: RetakeClient, control: httpx.AsyncClient) -> None:
    await client.register(register_body())
    assert await client.verification_status() is False
    prompt = await client.prepare_verify()
    assert prompt.verification_message.startswith(
        "Claiming my Livestreaming Agent on @retakedottv. Code: "
    )
    await control.post(
        "/_sandbox/retake/tweets", json={"url": TWEET, "text": "gm " + prompt.verification_message}
    )
    assert (await client.verify(TWEET + "?s=20")).verified
    assert await client.verification_status() is True


async def test_verify_errors_say_which_cause(
    client: RetakeClient, control: httpx.AsyncClient
) -> None:
    await client.register(register_body())
    with pytest.raises(RetakeVerificationError) as info:
        await client.verify(TWEET)
    assert info.value.reason == "no_message" and "prepare-verify" in (info.value.fix or "")
    first = await client.prepare_verify()
    await control.post(
        "/_sandbox/retake/tweets", json={"url": TWEET, "text": first.verification_message}
    )
    await client.prepare_verify()  # a fresh code: the old tweet no longer matches
    with pytest.raises(RetakeVerificationError) as info:
        await client.verify(TWEET)
    assert info.value.reason == "code_missing" and "exact" in (info.value.fix or "")
    assert info.value.status == 400


async def test_auto_tweets_lets_a_rehearsal_verify(
    client: RetakeClient, control: httpx.AsyncClient
) -> None:
    await client.register(register_body())
    await client.prepare_verify()
    with pytest.raises(RetakeVerificationError):
        await client.verify(TWEET)
    await control.post("/_sandbox/retake/options", json={"auto_tweets": True})
    assert (await client.verify(TWEET)).verified


async def test_stream_lifecycle(
    client: RetakeClient, control: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock
) -> None:
    reg = await verified_agent(client, control)
    rtmp = await client.rtmp()
    assert rtmp.url == "rtmp://127.0.0.1:1935/retake" and reveal(rtmp.key).startswith("sk_")
    assert reveal(rtmp.publish_url) == f"rtmp://127.0.0.1:1935/retake/{reveal(rtmp.key)}"
    assert reveal(rtmp.key) not in repr(rtmp)

    start = await client.stream_start()
    assert start.success and start.token is not None
    assert start.token.ticker == "STUDIO" and start.token.token_address
    assert (await client.stream_status()).is_live is False  # no video yet

    assert sandbox.publish("retake", reveal(rtmp.key))
    clock.advance(90)
    status = await client.stream_status()
    assert (status.is_live, status.uptime_seconds, status.user_db_id) == (True, 90, reg.user_db_id)
    assert status.viewers == 7 and status.token_address == start.token.token_address

    uploaded = await client.update_thumbnail(png(32, 18))
    assert uploaded.thumbnail_url
    assert sandbox.retake.world.agents[reg.user_db_id].thumbnail == png(32, 18)
    jpeg = png(16, 16, "JPEG")
    await client.update_thumbnail(jpeg, filename="t.jpg")
    assert sandbox.retake.world.agents[reg.user_db_id].thumbnail == jpeg

    again = await client.stream_start()  # idempotent while the session is open
    assert again.token is not None and again.token.token_address == start.token.token_address

    clock.advance(30)
    stopped = await client.stream_stop()
    assert (stopped.status, stopped.duration_seconds, stopped.viewers) == ("stopped", 120, 9)
    assert (await client.stream_status()).is_live is False
    with pytest.raises(RetakeNoActiveSession) as info:
        await client.stream_stop()
    assert info.value.status == 409 and "stream/start" in (info.value.fix or "")


async def test_rtmp_keys_rotate_and_old_keys_are_refused_at_ingest(
    client: RetakeClient, control: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    await verified_agent(client, control)
    first, second = await client.rtmp(), await client.rtmp()
    assert reveal(first.key) != reveal(second.key)
    assert not sandbox.publish("retake", reveal(first.key))
    assert not sandbox.publish("retake", "sk_made_up_key")
    assert not sandbox.publish("basefm", reveal(second.key))
    assert sandbox.publish("retake", reveal(second.key))
    third = await client.rtmp()
    assert not sandbox.publish("retake", reveal(second.key))
    assert sandbox.publish("retake", reveal(third.key))
    sandbox.publish_done("retake", reveal(third.key))
    await client.stream_start()
    assert (await client.stream_status()).is_live is False


async def test_streaming_before_verification_is_refused(client: RetakeClient) -> None:
    await client.register(register_body())
    with pytest.raises(RetakeNotVerified) as info:
        await client.stream_start()
    assert "studio retake verify" in (info.value.fix or "")


async def test_chat_send_and_comments_paging(
    client: RetakeClient, control: httpx.AsyncClient
) -> None:
    reg = await verified_agent(client, control)
    await client.chat_send("I'm live. What should we explore today?", reg.user_db_id)
    await control.post(
        "/_sandbox/retake/chat", json={"streamer_id": reg.user_db_id, "text": "c{i}", "count": 120}
    )
    page = await client.comments(reg.user_db_id)
    assert len(page) == 50 and page[0].text == "c119" and page[-1].text == "c70"
    assert page[0].author.fusername == "viewer1" and page[0].stream_id == reg.user_db_id
    older = await client.comments(reg.user_db_id, limit=100, before_id=page[-1].id)
    assert [c.text for c in older[:2]] == ["c69", "c68"] and len(older) == 71
    assert older[-1].text.startswith("I'm live") and older[-1].author.fusername == "Studio_Bot"
    walked = [c.text async for c in client.iter_comments(reg.user_db_id, page_size=7)]
    assert len(walked) == 121 and len(set(walked)) == 121
    limited = [c async for c in client.iter_comments(reg.user_db_id, page_size=10, max_pages=2)]
    assert len(limited) == 20


async def test_chat_in_another_agents_stream(
    client: RetakeClient, transport: httpx.ASGITransport, control: httpx.AsyncClient
) -> None:
    await verified_agent(client, control)
    async with RetakeClient(ORIGIN, transport=transport) as other:
        them = await other.register(register_body("Other_Bot"))
    await client.chat_send("hello neighbour", them.user_db_id)
    assert [c.text for c in await client.comments(them.user_db_id)] == ["hello neighbour"]
    with pytest.raises(RetakeNotFound) as info:
        await client.chat_send("anyone?", "user_nobody")
    assert "userDbId" in (info.value.fix or "")


async def test_public_discovery(
    client: RetakeClient, control: httpx.AsyncClient, sandbox: Sandbox, clock: FakeClock
) -> None:
    reg = await verified_agent(client, control)
    rtmp = await client.rtmp()
    start = await client.stream_start()
    assert start.token is not None
    address = start.token.token_address or ""
    sandbox.publish("retake", reveal(rtmp.key))
    for usd in (10, 25, 5):
        await control.post(
            "/_sandbox/retake/trade", json={"streamer_id": reg.user_db_id, "usd_amount": usd}
        )
    await control.post(
        "/_sandbox/retake/tip", json={"streamer_id": reg.user_db_id, "amount": 3, "username": "a"}
    )
    await control.post(
        "/_sandbox/retake/tip", json={"streamer_id": reg.user_db_id, "amount": 5, "username": "b"}
    )
    await control.post("/_sandbox/retake/chat", json={"streamer_id": reg.user_db_id, "text": "gm"})
    await control.post("/_sandbox/retake/schedule", json={"streamer_id": reg.user_db_id})

    found = await client.search_users("studio")
    assert [u.user_id for u in found] == [reg.user_db_id]
    assert await client.search_users("nobody matches") == []
    live = await client.live_users()
    assert (
        live[0].username == "Studio_Bot" and live[0].token_address == address and live[0].rank == 1
    )
    assert (await client.newest_users())[0].user_id == reg.user_db_id
    meta = await client.user_metadata(reg.user_db_id)
    assert meta.username == "Studio_Bot" and meta.profile_picture_url and meta.social_links == []
    streamer = await client.streamer("Studio_Bot")
    assert streamer.streamer_id == reg.user_db_id and streamer.is_live and streamer.session
    assert (await client.streamer(reg.user_db_id)).username == "Studio_Bot"

    active = await client.active_sessions()
    assert active[0].streamer_id == reg.user_db_id and active[0].session_id
    assert (await client.active_sessions(reg.user_db_id))[0].session_id == active[0].session_id
    join = await client.join_session(active[0].session_id or "")
    assert join.room == active[0].session_id and reveal(join.token) not in repr(join)
    assert len(await client.scheduled_sessions()) == 1
    assert len(await client.scheduled_sessions(reg.user_db_id)) == 1
    assert await client.recorded_sessions() == []
    clock.advance(60)
    await client.stream_stop()
    assert (await client.recorded_sessions(reg.user_db_id))[0].session_id == active[0].session_id
    with pytest.raises(RetakeNotFound):
        await client.active_sessions(reg.user_db_id)

    top = await client.top_tokens()
    assert (top[0].address, top[0].ticker, top[0].rank) == (address, "STUDIO", 1)
    assert top[0].current_market_cap == 5040.0
    assert (await client.trending_tokens())[0].growth_24h == 0.8
    stats = await client.token_stats(address)
    assert stats.volume == 40.0 and stats.growth and stats.growth.h24 == 0.8

    page = await client.recent_trades(limit=2)
    assert [t.usd_amount for t in page.trades] == [5.0, 25.0] and page.next_cursor
    rest = await client.recent_trades(limit=2, cursor=page.next_cursor)
    assert [t.usd_amount for t in rest.trades] == [10.0] and rest.next_cursor is None
    assert len((await client.recent_trades(token_address=address)).trades) == 3
    volume = await client.top_volume(limit=5, window="1h")
    assert (volume[0].token_address, volume[0].volume, volume[0].window) == (address, 40.0, "1h")
    assert (await client.top_count())[0].count == 3

    chats = await client.public_chat(reg.user_db_id, limit=3)
    assert [c.type for c in chats] == ["message", "tip", "tip"] and chats[0].text == "gm"
    assert chats[1].tip_data and chats[1].tip_data["amount"] == 5
    older = await client.public_chat(
        reg.user_db_id, limit=10, before_chat_event_id=chats[-1].chat_event_id
    )
    assert [c.type for c in older] == ["trade", "trade", "trade"]
    tippers = await client.top_tippers(reg.user_db_id)
    assert [(t.username, t.total_amount) for t in tippers] == [("b", 5.0), ("a", 3.0)]
    with pytest.raises(RetakeNotFound):
        await client.token_stats("NoSuchToken111")


# -- errors ------------------------------------------------------------------------------


async def test_name_taken_and_bad_input(
    client: RetakeClient, transport: httpx.ASGITransport
) -> None:
    await client.register(register_body())
    async with RetakeClient(ORIGIN, transport=transport) as second:
        with pytest.raises(RetakeNameTaken) as info:
            await second.register(register_body("studio_bot"))
    assert info.value.status == 400 and "change" in (info.value.fix or "").lower()
    assert isinstance(info.value, RetakeBadInput)


async def test_wrong_token_is_an_auth_error_with_the_fix(transport: httpx.ASGITransport) -> None:
    async with RetakeClient(ORIGIN, transport=transport, access_token="rtk_wrongwrongwrong") as c:
        with pytest.raises(RetakeAuthError) as info:
            await c.stream_status()
    error = info.value
    assert error.status == 401 and "Invalid or missing access_token" in error.message
    assert error.fix == CREDENTIALS_FIX
    assert "rtk_wrongwrongwrong" not in str(error)


async def test_no_token_sends_nothing(transport: httpx.ASGITransport, sandbox: Sandbox) -> None:
    async with RetakeClient(ORIGIN, transport=transport) as c:
        with pytest.raises(RetakeNoCredentials, match="RETAKE_ACCESS_TOKEN"):
            await c.rtmp()
    assert sandbox.retake.requests == []


def _server(status: int, body: Any, calls: list[str]) -> httpx.ASGITransport:
    async def reply(request: Request) -> Response:
        calls.append(f"{request.method} {request.url.path}")
        return JSONResponse(body, status_code=status)

    app = Starlette(routes=[Route("/{path:path}", reply, methods=["GET", "POST"])])
    return httpx.ASGITransport(app=app)


@pytest.mark.parametrize(
    "status,method,kind,fix_part",
    [
        (400, "rtmp", RetakeBadInput, "Check fields"),
        (401, "rtmp", RetakeAuthError, "RETAKE_ACCESS_TOKEN"),
        (404, "stream_status", RetakeNotFound, "userDbId"),
        (409, "stream_stop", RetakeNoActiveSession, "/agent/stream/start"),
        (500, "stream_start", RetakeServerError, "Retry"),
        (418, "rtmp", RetakeError, "skill document"),
    ],
)
async def test_each_documented_status_maps_to_its_error(
    status: int, method: str, kind: type[RetakeError], fix_part: str
) -> None:
    calls: list[str] = []
    transport = _server(status, {"error": "said the server"}, calls)
    async with RetakeClient(
        ORIGIN, transport=transport, access_token="rtk_statustests", sleep=no_sleep
    ) as c:
        with pytest.raises(kind) as info:
            await getattr(c, method)()
    assert type(info.value) is kind and info.value.status == status
    assert "said the server" in info.value.message and fix_part in (info.value.fix or "")
    assert len(calls) == 1  # POSTs are not retried; a 404 on a GET is final


async def test_verification_errors_map_by_message() -> None:
    cases = {
        "No verification message found": "no_message",
        "Invalid tweet URL": "invalid_url",
        "Tweet does not contain the code": "code_missing",
        "Something else": "unknown",
    }
    for said, reason in cases.items():
        transport = _server(400, {"message": said}, [])
        async with RetakeClient(ORIGIN, transport=transport, access_token="rtk_verifytests") as c:
            with pytest.raises(RetakeVerificationError) as info:
                await c.verify(TWEET)
        assert info.value.reason == reason and info.value.fix


async def test_safe_calls_retry_and_posts_do_not(
    sandbox: Sandbox, transport: httpx.ASGITransport, control: httpx.AsyncClient
) -> None:
    async with RetakeClient(ORIGIN, transport=transport, sleep=no_sleep) as c:
        reg = await verified_agent(c, control)
        sandbox.faults.add_burst(503, 2, "/api/v1/agent/stream/status")
        assert (await c.stream_status()).user_db_id == reg.user_db_id
        sandbox.faults.add_burst(503, 2, "/api/v1/agent/stream/comments")
        assert await c.comments(reg.user_db_id) == []
        sandbox.faults.add_burst(503, 1, "/api/v1/agent/stream/start")
        with pytest.raises(RetakeServerError):
            await c.stream_start()
        assert sandbox.retake.world.agents[reg.user_db_id].session is None
        sandbox.faults.add_burst(503, 1, "/api/v1/agent/stream/chat/send")
        with pytest.raises(RetakeServerError):
            await c.chat_send("once only", reg.user_db_id)
        assert await c.comments(reg.user_db_id) == []


# -- where the token goes ------------------------------------------------------------------


async def test_token_travels_only_as_a_bearer_header(
    client: RetakeClient, control: httpx.AsyncClient, sandbox: Sandbox
) -> None:
    reg = await verified_agent(client, control)
    await client.rtmp()
    await client.stream_start()
    await client.comments(reg.user_db_id, limit=5)
    await client.live_users()
    token = reveal(client._token or "")  # noqa: SLF001 - the test needs the real value
    authed = [r for r in sandbox.retake.requests if r["path"].startswith("/api/v1/agent/")]
    assert all(r["authorization"] for r in authed if not r["path"].endswith("/register"))
    assert not any(
        r["authorization"] for r in sandbox.retake.requests if "/agent/" not in r["path"]
    )
    assert all(token not in " ".join(r["query"]) for r in sandbox.retake.requests)


async def test_a_cross_origin_redirect_never_carries_the_token() -> None:
    seen_elsewhere: list[dict[str, str]] = []

    async def elsewhere(request: Request) -> Response:
        seen_elsewhere.append(dict(request.headers))
        return JSONResponse({"is_live": True})

    async def redirect(request: Request) -> Response:
        return RedirectResponse("http://attacker.test/api/v1/agent/stream/status", status_code=302)

    async def skill(request: Request) -> Response:
        return RedirectResponse("http://attacker.test/skill.json", status_code=301)

    home = Starlette(
        routes=[Route("/api/v1/agent/stream/status", redirect), Route("/skill.json", skill)]
    )
    other = Starlette(routes=[Route("/{p:path}", elsewhere)])

    class TwoHosts(httpx.AsyncBaseTransport):
        def __init__(self) -> None:
            self.home = httpx.ASGITransport(app=home)
            self.other = httpx.ASGITransport(app=other)

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            target = self.other if request.url.host == "attacker.test" else self.home
            return await target.handle_async_request(request)

    async with RetakeClient(ORIGIN, transport=TwoHosts(), access_token="rtk_mustnotleak") as c:
        with pytest.raises(RedirectRefused) as info:
            await c.stream_status()
        assert "attacker.test" in info.value.message
        with pytest.raises(RedirectRefused):
            await c.check_skill_version("2.1.2")
    assert seen_elsewhere == []


async def test_a_same_origin_redirect_is_followed(
    transport: httpx.ASGITransport, control: httpx.AsyncClient
) -> None:
    async with RetakeClient(ORIGIN, transport=transport) as c:
        reg = await verified_agent(c, control)
        # Starlette redirects /users/live to /users/live/ on the same origin.
        response = await c.request("GET", "/api/v1/users/live")
        assert (response.url.path, response.json()) == ("/api/v1/users/live/", [])
        assert (await c.streamer(reg.user_db_id)).username == "Studio_Bot"


# -- skill file ------------------------------------------------------------------------


async def test_skill_version_check_caches_and_refetches(
    client: RetakeClient, control: httpx.AsyncClient, tmp_path: Any
) -> None:
    first = await client.check_skill_version(cache_dir=tmp_path)
    assert (first.version, first.cached, first.changed) == ("2.1.2", SKILL_VERSION, False)
    assert first.skill_md is None and SkillCache(tmp_path).version() is None
    await control.post("/_sandbox/retake/options", json={"skill_version": "2.2.0"})
    second = await client.check_skill_version(cache_dir=tmp_path)
    assert (second.version, second.cached, second.changed) == ("2.2.0", "2.1.2", True)
    assert second.skill_md and "2.2.0" in second.skill_md
    assert SkillCache(tmp_path).version() == "2.2.0"
    assert (tmp_path / "retake-skill.md").read_text() == second.skill_md
    third = await client.check_skill_version(cache_dir=tmp_path)
    assert (third.cached, third.changed, third.skill_md) == ("2.2.0", False, None)
    assert (await client.check_skill_version("2.1.9")).changed is True
