"""The ClawCast sandbox's channel: queue timing, idle cuts, JWTs, batches, polls, duets.

Time moves only with ``FakeClock.advance``; every state is derived when a request
arrives, so each assertion is about an exact second.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from clawcast_helpers import booking, poll, text

from studio.platforms.clawcast import ClawcastClient
from studio.platforms.clawcast_errors import (
    ClawcastAlreadyBooked,
    ClawcastBadRequest,
    ClawcastNotFound,
    ClawcastSlotExpired,
    ClawcastSlotNotLive,
)
from studio.redaction import reveal
from studio.sandbox.app import Sandbox, SandboxConfig
from studio.sandbox.clawcast_jwt import sign, verify
from studio.sandbox.clock import FakeClock

MakeClient = Callable[..., ClawcastClient]


async def state(control: httpx.AsyncClient) -> dict[str, Any]:
    return (await control.get("/_sandbox/clawcast/state")).json()


# -- the queue -------------------------------------------------------------------------


async def test_the_second_booking_goes_live_when_the_first_ends(
    make_client: MakeClient, clock: FakeClock
) -> None:
    t0 = clock.now()
    first, second = make_client(), make_client()
    await first.book_slot(booking("first", slides=[text("a", 30), text("b", 30)]))
    await second.book_slot(booking("second"))

    clock.advance(59)
    assert (await second.now()).streamer_name == "first"
    with pytest.raises(ClawcastSlotNotLive):
        await second.publish_terminal("not yet")
    clock.advance(1)
    now = await second.now()
    assert now.streamer_name == "second" and now.seconds_remaining == 60
    assert (await second.publish_terminal("my turn")).ok
    assert second.slot is not None and second.slot.starts_at == t0 + 60


async def test_a_slot_with_slides_shortens_to_their_total(
    make_client: MakeClient, clock: FakeClock, control: httpx.AsyncClient
) -> None:
    t0 = clock.now()
    await make_client().book_slot(
        booking("a", minutes=3, slides=[text("x", 8), text("y", 10), text("z")])
    )
    await make_client().book_slot(booking("b"))
    clock.advance(22)
    assert (await make_client().now()).streamer_name == "a"
    clock.advance(1)
    assert (await make_client().now()).streamer_name == "b"
    slots = (await state(control))["slots"]
    assert slots[0]["ended_at"] == t0 + 23 and slots[0]["end_reason"] == "its slides have played"
    assert slots[1]["started_at"] == t0 + 23


async def test_queued_slides_auto_play_when_the_turn_comes(
    make_client: MakeClient, clock: FakeClock
) -> None:
    t0 = clock.now()
    await make_client().book_slot(booking("first", slides=[text("a", 20)]))
    second = make_client()
    reply = await second.book_slot(booking("second", slides=[text("hello"), poll()]))
    assert reply.position_in_queue == 1 and reply.starts_at == t0 + 20
    assert reply.ends_at == t0 + 20 + 5 + 15
    clock.advance(24)  # second is live since 20 s; its poll starts at 25 s
    assert not (await second.poll_results()).active
    clock.advance(1)
    assert (await second.poll_results()).question == "A or B?"
    assert (await second.now()).type == "poll"


async def test_time_passes_through_several_slots_at_once(
    make_client: MakeClient, clock: FakeClock, control: httpx.AsyncClient
) -> None:
    t0 = clock.now()
    for name in ("a", "b", "c"):
        await make_client().book_slot(booking(name, slides=[text(name, 10)]))
    clock.advance(3600)  # nobody asked for an hour: every transition still lands on time
    slots = (await state(control))["slots"]
    assert [(s["started_at"] - t0, s["ended_at"] - t0) for s in slots] == [
        (0, 10),
        (10, 20),
        (20, 30),
    ]
    assert (await make_client().now()).live is False
    # After a quiet spell a new booking goes live at once.
    assert (await make_client().book_slot(booking("d"))).position_in_queue == 0


async def test_end_slot_releases_a_queued_slot_too(
    make_client: MakeClient, clock: FakeClock
) -> None:
    await make_client().book_slot(booking("first"))
    leaving = make_client()
    await leaving.book_slot(booking("leaving"))
    await make_client().book_slot(booking("third"))
    await leaving.end_slot()
    queue = await make_client().get_queue()
    assert [e.streamer_name for e in queue.queue] == ["third"]


# -- idle timeout ----------------------------------------------------------------------


async def test_a_slot_without_frames_is_cut_after_30_s(
    make_client: MakeClient, clock: FakeClock, control: httpx.AsyncClient
) -> None:
    t0 = clock.now()
    idle = make_client()
    await idle.book_slot(booking("idle"))
    await make_client().book_slot(booking("next"))
    clock.advance(29)
    assert (await idle.now()).streamer_name == "idle"
    clock.advance(1)
    assert (await idle.now()).streamer_name == "next"
    slots = (await state(control))["slots"]
    assert slots[0]["ended_at"] == t0 + 30
    assert "idle timeout" in slots[0]["end_reason"]
    with pytest.raises(ClawcastSlotNotLive) as info:
        await idle.publish_terminal("too late")
    assert "idle timeout" in str(info.value)


async def test_each_frame_restarts_the_idle_timer(
    make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client()
    await client.book_slot(booking())
    for _ in range(2):
        clock.advance(25)
        await client.publish_terminal(".", delta=True)
    assert (await client.now()).live  # at 50 s: without the frames it was cut at 30 s
    clock.advance(25)
    assert not (await client.now()).live  # the 60 s slot ended on time
    with pytest.raises(ClawcastSlotNotLive) as info:
        await client.publish_terminal("x")
    assert "its time is up" in str(info.value)


async def test_the_idle_timer_waits_for_a_batch(make_client: MakeClient, clock: FakeClock) -> None:
    client = make_client()
    await client.book_slot(booking(minutes=2))
    clock.advance(20)
    await client.publish_batch([text("long", 30), text("longer", 30)])  # to 80 s, slot to 83 s
    clock.advance(62)
    assert (await client.now()).live
    clock.advance(1)
    assert not (await client.now()).live


async def test_a_refused_slot_stays_on_the_channel_until_its_idle_cut_and_holds_its_name(
    make_client: MakeClient, clock: FakeClock, control: httpx.AsyncClient
) -> None:
    """The JWT refused early (``expire_jwt``): the slot itself stays live, without
    frames, until 30 s after the last frame it took; its name is 409 on bookSlot and
    listed by getQueue until then, and free at that very second."""
    t0 = clock.now()
    client = make_client()
    await client.book_slot(booking("refused"))
    for _ in range(5):
        clock.advance(1)
        await client.publish_terminal(".", delta=True)  # the last one at t0+5
    clock.advance(1)
    expired = await control.post("/_sandbox/clawcast/expire_jwt", json={"name": "refused"})
    assert expired.json()["live"] is True
    with pytest.raises(ClawcastSlotExpired):
        await client.publish_terminal("refused")
    again = make_client()
    clock.advance(28)  # t0+34
    with pytest.raises(ClawcastAlreadyBooked):
        await again.book_slot(booking("refused"))
    assert (await again.get_queue()).holds("refused")
    clock.advance(1)  # t0+35: cut for idling
    assert not (await again.get_queue()).holds("refused")
    await again.book_slot(booking("refused"))
    first, second = (await state(control))["slots"]
    assert first["ended_at"] == t0 + 35 and "idle timeout" in first["end_reason"]
    assert second["started_at"] == t0 + 35


async def test_a_name_held_by_someone_else_is_409_until_the_hold_is_lifted(
    make_client: MakeClient, clock: FakeClock, control: httpx.AsyncClient
) -> None:
    client = make_client()
    held = await control.post("/_sandbox/clawcast/hold_name", json={"name": "taken"})
    assert held.json() == {"ok": True, "name": "taken", "visible": False}
    for _ in range(2):
        with pytest.raises(ClawcastAlreadyBooked) as info:
            await client.book_slot(booking("taken"))
        assert info.value.status == 409
        assert not (await client.get_queue()).holds("taken")  # only bookSlot knows
        clock.advance(600)  # a 409 that never clears by itself
    await client.book_slot(booking("other"))
    await control.post("/_sandbox/clawcast/hold_name", json={"name": "taken", "visible": True})
    queue = await client.get_queue()
    assert [(e.position, e.streamer_name) for e in queue.queue] == [(1, "taken")]
    assert queue.live is not None and queue.live.streamer_name == "other"
    assert (await state(control))["held_names"] == ["taken"]
    lifted = await control.delete("/_sandbox/clawcast/hold_name/taken")
    assert lifted.status_code == 200
    assert (await client.get_queue()).queue == []
    await make_client().book_slot(booking("taken"))  # queued behind "other"
    assert (await client.get_queue()).holds("taken")


# -- JWTs ------------------------------------------------------------------------------


def _claims(token: str) -> dict[str, Any]:
    body = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))


async def test_the_slot_jwt_is_an_hs256_jwt(make_client: MakeClient, clock: FakeClock) -> None:
    reply = await make_client().book_slot(booking("jwt_agent"))
    token = reveal(reply.slot_jwt)
    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "HS256", "typ": "JWT"}
    claims = _claims(token)
    assert claims["streamer_name"] == "jwt_agent"
    assert claims["exp"] == int(clock.now()) + 60 + 60


def test_jwts_verify_only_with_their_key() -> None:
    token = sign({"slot_id": "s"}, b"k1")
    assert verify(token, b"k1") == {"slot_id": "s"}
    assert verify(token, b"k2") is None
    head, body, sig = token.split(".")
    assert verify(f"{head}.{body}.{sig[:-2]}AA", b"k1") is None
    assert verify("not-a-jwt", b"k1") is None


async def test_a_tampered_jwt_is_401(
    transport: httpx.ASGITransport, make_client: MakeClient
) -> None:
    token = reveal((await make_client().book_slot(booking())).slot_jwt)
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as raw:
        for header in ({}, {"Authorization": "Bearer " + forged}, {"Authorization": token}):
            reply = await raw.post(
                "/api/publishFrame",
                json={"type": "terminal", "content": {"screen": "x"}},
                headers=header,
            )
            assert reply.status_code == 401


async def test_the_jwt_outlives_an_early_end_by_60_s(
    make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client()
    await client.book_slot(booking(minutes=3))
    keep = client.slot
    clock.advance(10)
    await client.end_slot()
    client._slot = keep  # as if a second process still held the JWT
    clock.advance(59)
    with pytest.raises(ClawcastSlotNotLive):
        await client.publish_terminal("ended")
    clock.advance(1)
    with pytest.raises(ClawcastSlotExpired):
        await client.publish_terminal("expired")


async def test_a_queued_slots_jwt_lasts_until_after_its_own_slot(
    make_client: MakeClient, clock: FakeClock
) -> None:
    await make_client().book_slot(booking("first", minutes=3, slides=[text("a", 30)] * 6))
    second = make_client()
    await second.book_slot(booking("second"))
    clock.advance(180 + 25)
    # Long past "booking + 1 min + 60 s": the JWT is timed from the slot's own end.
    assert (await second.publish_terminal("live")).ok


# -- polls -----------------------------------------------------------------------------


async def test_votes_need_a_poll_that_is_playing(
    make_client: MakeClient, clock: FakeClock, control: httpx.AsyncClient
) -> None:
    host = make_client()
    await host.book_slot(booking(slides=[text("intro"), poll(seconds=10)]))
    poll_id = (await state(control))["slots"][0]["polls"][0]
    early = await control.post(
        "/_sandbox/clawcast/votes", json={"poll_id": poll_id, "option_index": 0}
    )
    assert early.status_code == 404  # the poll slide has not started
    clock.advance(5)
    ok = await control.post(
        "/_sandbox/clawcast/votes", json={"poll_id": poll_id, "option_index": 1}
    )
    assert ok.json()["results"] == [0, 1]
    again = await control.post(
        "/_sandbox/clawcast/votes", json={"poll_id": poll_id, "option_index": 1}
    )
    assert again.json()["accepted"] == 0  # the same viewer_id
    clock.advance(10)  # the slot has ended with its slides
    late = await control.post(
        "/_sandbox/clawcast/votes",
        json={"poll_id": poll_id, "option_index": 0, "viewer_id": "late"},
    )
    assert late.status_code == 404
    final = await host.poll_results()
    assert final.results == [0, 1] and final.active is False


async def test_a_batch_poll_gets_its_id_when_it_plays(
    make_client: MakeClient, clock: FakeClock
) -> None:
    client = make_client()
    await client.book_slot(booking())
    await client.publish_batch([poll("First?"), poll("Second?")])
    first = await client.poll_results()
    clock.advance(15)
    second = await client.poll_results()
    assert (first.question, second.question) == ("First?", "Second?")
    assert first.poll_id != second.poll_id


# -- duets -----------------------------------------------------------------------------


async def test_open_duet_requests_expire(make_client: MakeClient, clock: FakeClock) -> None:
    client = make_client()
    await client.request_duet(name="host", url="https://h.example", question="Q?")
    clock.advance(599)
    assert len(await client.duet_requests()) == 1
    clock.advance(1)
    assert await client.duet_requests() == []


async def test_a_duet_on_a_free_channel_goes_live_at_once(
    make_client: MakeClient, clock: FakeClock
) -> None:
    c = make_client()
    asked = await c.request_duet(name="host", url="https://h.example", question="Q?")
    assert asked.request_id is not None
    pending = await c.accept_duet(
        request_id=asked.request_id, name="guest", url="https://g.example", answer="A."
    )
    done = await c.duet_reply(request_id=pending, name="host", reply="R.")
    assert done.position_in_queue == 0 and done.ends_at == clock.now() + 18
    with pytest.raises(ClawcastNotFound):
        await c.duet_reply(request_id=pending, name="host", reply="again")


async def test_you_cannot_accept_your_own_duet(make_client: MakeClient) -> None:
    c = make_client()
    asked = await c.request_duet(name="host", url="https://h.example", question="Q?")
    assert asked.request_id is not None
    with pytest.raises(ClawcastBadRequest) as info:
        await c.accept_duet(
            request_id=asked.request_id, name="host", url="https://h.example", answer="A"
        )
    assert info.value.status == 400 and "own duet" in str(info.value)


# -- control routes, determinism -------------------------------------------------------


async def test_activity_feed_tells_the_story(
    make_client: MakeClient, clock: FakeClock, control: httpx.AsyncClient
) -> None:
    await make_client().book_slot(booking("a", slides=[text("x", 10)]))
    await make_client().book_slot(booking("b"))
    await make_client().chat("a", "thanks!")
    clock.advance(10)
    feed = (await control.get("/_sandbox/clawcast/activity")).json()["activity"]
    assert [(e["name"], e["text"]) for e in feed] == [
        ("a", "went live"),
        ("a", "signed up and went live"),
        ("b", "signed up for the queue"),
        ("a", "thanks!"),
        ("a", "slot ended: its slides have played"),
        ("b", "went live"),
    ]


async def test_state_dump_holds_no_secrets(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    key = (await control.post("/_sandbox/clawcast/claim", json={"name": "owned"})).json()["api_key"]
    reply = await make_client(api_key=key).book_slot(booking("owned"))
    dump = json.dumps(await state(control))
    assert key not in dump and reveal(reply.slot_jwt) not in dump
    assert "owned" in dump


async def test_the_sandbox_is_deterministic() -> None:
    async def run() -> tuple[str, int]:
        clock = FakeClock()
        sandbox = Sandbox(SandboxConfig(origin="http://sandbox.test"), clock)
        client = ClawcastClient(
            "http://sandbox.test",
            transport=httpx.ASGITransport(app=sandbox.app),
            persist=False,
            clock=clock.now,
        )
        reply = await client.book_slot(booking(slides=[poll()]))
        await client.vote((await client.poll_results()).poll_id or "", 0, "v")
        viewers = (await client.now()).viewer_count or 0
        await client.aclose()
        return reveal(reply.slot_jwt), viewers

    assert await run() == await run()


async def test_the_client_works_over_a_real_socket(tmp_path: Any) -> None:
    from studio.sandbox.server import serve_in_thread

    sandbox = Sandbox(SandboxConfig())
    with serve_in_thread(sandbox) as origin:
        async with ClawcastClient(origin, persist=False) as client:
            reply = await client.book_slot(booking(slides=[text("over TCP")]))
            assert reply.position_in_queue == 0
            now = await client.now()
            assert now.live and now.streamer_name == "agent_a"
