"""The ClawCast client, call by call, against the in-process sandbox."""

from __future__ import annotations

import logging
import stat
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from clawcast_helpers import booking, poll, text

from studio.errors import ValidationFailed
from studio.platforms.clawcast import ClawcastClient
from studio.platforms.clawcast_errors import (
    ClawcastAlreadyBooked,
    ClawcastAlreadyVoted,
    ClawcastBadRequest,
    ClawcastBatchPlaying,
    ClawcastBatchUsed,
    ClawcastError,
    ClawcastNameClaimed,
    ClawcastNoSlot,
    ClawcastNotFound,
    ClawcastRateLimited,
    ClawcastSlotExpired,
    ClawcastSlotNotLive,
    ClawcastUnavailable,
    ClawcastWrongApiKey,
)
from studio.redaction import reveal
from studio.sandbox.clock import FakeClock
from studio.session_store import SessionStore

MakeClient = Callable[..., ClawcastClient]


async def api_calls(control: httpx.AsyncClient) -> list[str]:
    seen = (await control.get("/_sandbox/clawcast/requests")).json()["requests"]
    return [f"{r['method']} {r['path']}" for r in seen]


# -- bookSlot --------------------------------------------------------------------------


async def test_book_slot_live_now_keeps_the_jwt_secret(
    client: ClawcastClient, clock: FakeClock, store: SessionStore
) -> None:
    reply = await client.book_slot(booking())
    assert reply.position_in_queue == 0 and reply.live_now
    assert reply.starts_at == clock.now()
    assert reply.ends_at == clock.now() + 60
    jwt = reveal(reply.slot_jwt)
    assert jwt.startswith("eyJ") and jwt.count(".") == 2
    assert jwt not in repr(reply) and jwt not in repr(client.slot)
    assert client.slot is not None and client.slot.ends_at == clock.now() + 60

    entry = store.get("clawcast")
    assert entry is not None and entry["slot_jwt"] == jwt
    assert entry["ends_at"] == clock.now() + 60 and entry["base_url"] == "http://sandbox.test"
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


async def test_book_slot_with_slides_reports_the_shortened_slot(
    client: ClawcastClient, clock: FakeClock
) -> None:
    reply = await client.book_slot(booking(slides=[text("a", 8), text("b", 10), text("c")]))
    assert reply.slide_count == 3 and reply.total_duration_seconds == 23
    assert reply.ends_at == clock.now() + 23
    assert reply.batch_ends_at == clock.now() + 23


async def test_a_second_booking_is_queued_after_the_first(
    make_client: MakeClient, clock: FakeClock
) -> None:
    first = await make_client().book_slot(booking("first", minutes=2))
    second = await make_client().book_slot(booking("second"))
    assert first.position_in_queue == 0
    assert second.position_in_queue == 1
    assert second.starts_at == clock.now() + 120
    assert second.ends_at == clock.now() + 180


async def test_claimed_name_needs_its_api_key(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    key = (await control.post("/_sandbox/clawcast/claim", json={"name": "owned"})).json()["api_key"]
    assert key.startswith("tvt_")

    with pytest.raises(ClawcastNameClaimed) as missing:
        await make_client().book_slot(booking("owned"))
    assert missing.value.status == 401 and "x-api-key" in str(missing.value)

    wrong = "tvt_" + "0" * 32
    with pytest.raises(ClawcastWrongApiKey) as refused:
        await make_client(api_key=wrong).book_slot(booking("owned"))
    assert refused.value.status == 403 and "regenerate" in str(refused.value)
    assert wrong not in str(refused.value)

    reply = await make_client(api_key=key).book_slot(booking("owned"))
    assert reply.position_in_queue == 0


async def test_credentials_go_only_where_they_belong(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    key = (await control.post("/_sandbox/clawcast/claim", json={"name": "owned"})).json()["api_key"]
    client = make_client(api_key=key)
    await client.book_slot(booking("owned"))
    await client.publish_terminal("x")
    await client.now()
    seen = (await control.get("/_sandbox/clawcast/requests")).json()["requests"]
    assert [(r["path"], r["x_api_key"], r["bearer"]) for r in seen] == [
        ("/api/bookSlot", True, False),
        ("/api/publishFrame", False, True),
        ("/api/now", False, False),
    ]


async def test_booking_a_name_twice_is_refused(make_client: MakeClient) -> None:
    await make_client().book_slot(booking("twice"))
    with pytest.raises(ClawcastAlreadyBooked) as info:
        await make_client().book_slot(booking("twice"))
    assert info.value.status == 409


# -- frames and batches ----------------------------------------------------------------


async def test_frames_replace_and_delta_appends(
    client: ClawcastClient, control: httpx.AsyncClient, channel: Any
) -> None:
    await client.book_slot(booking())
    first = await client.publish_terminal("$ make\n")
    second = await client.publish_terminal("ok\n", delta=True)
    assert (first.frame_count, second.frame_count) == (1, 2)
    assert second.seconds_remaining == 60
    assert channel.live.screen == "$ make\nok\n"
    await client.publish_frame({"type": "terminal", "content": {"screen": "clean\n"}})
    assert channel.live.screen == "clean\n"

    frames = (await control.get("/_sandbox/clawcast/frames")).json()["frames"]
    assert [(f["content"]["screen"], f["delta"]) for f in frames] == [
        ("$ make\n", False),
        ("ok\n", True),
        ("clean\n", False),
    ]


async def test_other_frame_types_are_mirrored(
    client: ClawcastClient, control: httpx.AsyncClient
) -> None:
    await client.book_slot(booking())
    await client.publish_frame(
        {"type": "data", "content": {"rows": [{"label": "FPS", "value": "30"}]}}
    )
    frames = (await control.get("/_sandbox/clawcast/frames")).json()["frames"]
    assert frames[-1]["type"] == "data" and frames[-1]["content"]["rows"][0]["value"] == "30"


async def test_frames_during_a_batch_are_409(client: ClawcastClient, clock: FakeClock) -> None:
    await client.book_slot(booking(minutes=2))
    reply = await client.publish_batch([text("one", 10), text("two", 10)])
    assert reply.slide_count == 2 and reply.total_duration_seconds == 20
    assert reply.ends_at == clock.now() + 23  # the slot shortens to the batch plus 3 s
    assert client.slot is not None and client.slot.ends_at == clock.now() + 23

    clock.advance(19)
    with pytest.raises(ClawcastBatchPlaying) as info:
        await client.publish_terminal("too early")
    assert info.value.status == 409 and "one mode at a time" in str(info.value).lower()
    clock.advance(1)
    assert (await client.publish_terminal("after the batch")).ok


async def test_one_batch_per_slot(client: ClawcastClient, clock: FakeClock) -> None:
    await client.book_slot(booking(minutes=3))
    await client.publish_batch({"slides": [text("one")]})
    with pytest.raises(ClawcastBatchUsed):
        await client.publish_batch([text("again")])  # still playing
    clock.advance(6)
    with pytest.raises(ClawcastBatchUsed) as info:
        await client.publish_batch([text("again")])  # played
    assert "One batch per slot" in str(info.value)


async def test_booked_slides_are_the_slots_batch(client: ClawcastClient) -> None:
    await client.book_slot(booking(slides=[text("booked")]))
    with pytest.raises(ClawcastBatchUsed):
        await client.publish_batch([text("more")])


async def test_frames_before_the_slots_turn_are_refused(
    make_client: MakeClient, clock: FakeClock
) -> None:
    await make_client().book_slot(booking("first"))
    waiting = make_client()
    await waiting.book_slot(booking("second"))
    with pytest.raises(ClawcastSlotNotLive) as info:
        await waiting.publish_terminal("hello?")
    assert info.value.status == 403 and "number 1 in the queue" in str(info.value)


# -- endSlot ---------------------------------------------------------------------------


async def test_end_slot_releases_it_and_forgets_the_jwt(
    client: ClawcastClient, make_client: MakeClient, store: SessionStore, clock: FakeClock
) -> None:
    await client.book_slot(booking("first"))
    nxt = make_client()
    await nxt.book_slot(booking("second"))
    clock.advance(5)
    reply = await client.end_slot()
    assert reply.ok
    assert client.slot is None and store.get("clawcast") is None
    now = await nxt.now()
    assert now.live and now.streamer_name == "second" and now.seconds_remaining == 60
    assert (await nxt.publish_terminal("my turn already")).ok


async def test_end_slot_twice_is_refused_and_forgets(
    make_client: MakeClient, store: SessionStore
) -> None:
    a = make_client(store=store, persist=True)
    await a.book_slot(booking())
    b = make_client(store=store, persist=True)
    assert b.load_slot() is not None
    await a.end_slot()
    with pytest.raises(ClawcastSlotNotLive):
        await b.end_slot()
    assert b.slot is None and store.get("clawcast") is None


async def test_calls_needing_a_slot_send_nothing_without_one(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    client = make_client()
    for call in (
        client.publish_terminal("x"),
        client.publish_batch([text("x")]),
        client.end_slot(),
        client.poll_results(),
    ):
        with pytest.raises(ClawcastNoSlot) as info:
            await call
        assert "Book a slot first" in str(info.value)
    assert await api_calls(control) == []


# -- JWT expiry ------------------------------------------------------------------------


async def test_jwt_expires_about_60_s_after_the_slot(
    client: ClawcastClient, clock: FakeClock, store: SessionStore
) -> None:
    await client.book_slot(booking(slides=[poll(seconds=10)]))
    clock.advance(10 + 59)  # the slot ended at 10 s; the JWT still works
    results = await client.poll_results()
    assert results.question == "A or B?"
    clock.advance(1)
    with pytest.raises(ClawcastSlotExpired) as info:
        await client.poll_results()
    assert info.value.status == 401 and "book a new slot" in str(info.value)
    assert client.slot is None and store.get("clawcast") is None


# -- polls -----------------------------------------------------------------------------


async def test_poll_results_and_votes_are_deduplicated(
    client: ClawcastClient, make_client: MakeClient, clock: FakeClock, control: httpx.AsyncClient
) -> None:
    await client.book_slot(
        booking(slides=[text("intro"), poll("Next?", ("Chess", "Music", "Bot"))])
    )
    before = await client.poll_results()
    assert not before.active and before.poll_id is None  # the poll slide has not played yet
    clock.advance(5)
    current = await client.poll_results()
    assert current.active and current.poll_id and current.options == ["Chess", "Music", "Bot"]

    viewer = make_client()
    assert (await viewer.vote(current.poll_id, 1, "viewer-1")).results == [0, 1, 0]
    assert (await viewer.vote(current.poll_id, 2, "viewer-2")).results == [0, 1, 1]
    with pytest.raises(ClawcastAlreadyVoted):
        await viewer.vote(current.poll_id, 0, "viewer-1")
    cast = await control.post(
        "/_sandbox/clawcast/votes", json={"option_index": 0, "count": 3, "viewer_id": "crowd"}
    )
    assert cast.json()["results"] == [3, 1, 1]

    final = await client.poll_results()
    assert final.results == [3, 1, 1] and final.total_votes == 5


async def test_a_vote_for_an_option_the_poll_lacks_is_the_platforms_400(
    client: ClawcastClient, make_client: MakeClient
) -> None:
    await client.book_slot(booking(slides=[poll()]))
    poll_id = (await client.poll_results()).poll_id
    assert poll_id is not None
    with pytest.raises(ClawcastBadRequest) as info:
        await make_client().vote(poll_id, 5, "viewer")
    assert info.value.status == 400 and "option_index must be below 2" in str(info.value)


async def test_a_vote_for_an_unknown_poll_is_not_found(make_client: MakeClient) -> None:
    with pytest.raises(ClawcastNotFound):
        await make_client().vote("poll_nope", 0, "viewer")


# -- duets -----------------------------------------------------------------------------


async def test_a_three_turn_duet_books_a_slot_of_three_6_s_slides(
    make_client: MakeClient, clock: FakeClock, channel: Any
) -> None:
    host, guest = make_client(), make_client()
    on_air = booking("on_air", slides=[text("x", 30), text("y", 30)])
    await make_client().book_slot(on_air)  # someone is live for 60 s: the duet queues
    asked = await host.request_duet(
        name="host_agent", url="https://github.com/host/agent", question="Learned anything?"
    )
    open_requests = await guest.duet_requests()
    assert [r.id for r in open_requests] == [asked.request_id]
    assert open_requests[0].host_name == "host_agent" and open_requests[0].created_at == clock.now()

    pending_id = await guest.accept_duet(
        request_id=open_requests[0].id,
        name="guest_agent",
        url="https://github.com/guest/agent",
        answer="Emergent behaviour.",
    )
    assert pending_id != asked.request_id
    assert await guest.duet_requests() == []

    done = await host.duet_reply(request_id=pending_id, name="host_agent", reply="Like LLMs.")
    assert done.position_in_queue == 1
    assert done.starts_at == clock.now() + 60 and done.ends_at == clock.now() + 60 + 18

    clock.advance(60)
    now = await host.now()
    assert now.live and now.streamer_name == "host_agent" and now.type == "duet"
    slides = channel.live.batch.slides
    assert [
        (s["content"]["role"], s["content"]["text"], s["duration_seconds"]) for s in slides
    ] == [
        ("host", "Learned anything?", 6),
        ("guest", "Emergent behaviour.", 6),
        ("host", "Like LLMs.", 6),
    ]
    clock.advance(18)
    assert not (await host.now()).live


async def test_accepting_an_unknown_duet_is_not_found(make_client: MakeClient) -> None:
    with pytest.raises(ClawcastNotFound):
        await make_client().accept_duet(
            request_id="duetreq_9999", name="guest", url="https://g.example", answer="hi"
        )


async def test_only_the_host_can_reply(make_client: MakeClient) -> None:
    client = make_client()
    asked = await client.request_duet(name="host", url="https://h.example", question="Q?")
    assert asked.request_id is not None
    pending = await client.accept_duet(
        request_id=asked.request_id, name="guest", url="https://g.example", answer="A."
    )
    with pytest.raises(ClawcastError) as info:
        await client.duet_reply(request_id=pending, name="someone_else", reply="R.")
    assert info.value.status == 403


# -- chat, status ----------------------------------------------------------------------


async def test_chat_reaches_the_activity_feed(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    await make_client().chat("your_agent", "Hello viewers!")
    feed = (await control.get("/_sandbox/clawcast/activity")).json()["activity"]
    assert {"name": "your_agent", "text": "Hello viewers!", "source": "api"}.items() <= feed[
        -1
    ].items()


async def test_now_and_queue(make_client: MakeClient, clock: FakeClock) -> None:
    viewer = make_client()
    assert (await viewer.now()).live is False
    assert (await viewer.get_queue()).live is None
    await make_client().book_slot(booking("first"))
    await make_client().book_slot(booking("second", minutes=3))
    clock.advance(15)
    now = await viewer.now()
    assert now.live and now.streamer_name == "first" and now.seconds_remaining == 45
    assert now.viewer_count is not None and now.viewer_count > 0
    queue = await viewer.get_queue()
    assert queue.live is not None and queue.live.streamer_name == "first"
    assert [(e.position, e.streamer_name, e.duration_minutes) for e in queue.queue] == [
        (1, "second", 3)
    ]
    assert queue.queue[0].starts_at == clock.now() + 45
    assert queue.holds("second") and not queue.holds("third")


async def test_the_idle_cut_is_reckoned_from_the_last_content_clawcast_accepted(
    make_client: MakeClient, clock: FakeClock
) -> None:
    """What the rebook window is built on: 30 s after the slot went live without
    content, after the last accepted frame, after the end of an accepted batch."""
    t0 = clock.now()
    client = make_client()
    await client.book_slot(booking(minutes=3))
    slot = client.slot
    assert slot is not None and client.content_until is None
    assert client.idle_cut_at(slot) == t0 + 30
    clock.advance(12)
    await client.publish_terminal("x")
    assert client.content_until == t0 + 12 and client.idle_cut_at(slot) == t0 + 42
    clock.advance(3)
    await client.publish_batch([text("a", 20)])  # plays t0+15 … t0+35
    assert client.idle_cut_at(slot) == t0 + 65
    with pytest.raises(ClawcastBatchPlaying):  # a refused frame moves nothing
        await client.publish_terminal("y")
    assert client.idle_cut_at(slot) == t0 + 65
    clock.advance(60)  # over: t0+35 + 30 s idle
    await client.book_slot(booking())  # another slot: nothing of it accepted yet
    assert client.content_until is None


# -- invalid input sends nothing -------------------------------------------------------


async def test_invalid_input_is_refused_before_anything_is_sent(
    client: ClawcastClient, control: httpx.AsyncClient
) -> None:
    await client.book_slot(booking())
    await control.delete("/_sandbox/clawcast/requests")
    attempts: list[tuple[Any, str]] = [
        (client.book_slot(booking("bad name!")), "streamer_name"),
        (client.book_slot({**booking(), "duration_minutes": 4}), "duration_minutes"),
        (client.publish_frame({"type": "terminal", "content": {}}), "content.screen"),
        (client.publish_batch([text("x")] * 11), "slides"),
        (client.publish_batch([text("x", 31)]), "slides[0].duration_seconds"),
        (client.vote("poll", 6, "viewer"), "option_index"),
        (client.request_duet(name="h", url="not a url", question="Q?"), "url"),
        (
            client.accept_duet(request_id="", name="g", url="https://g.example", answer="A"),
            "request_id",
        ),
        (client.duet_reply(request_id="p", name="h", reply="   "), "reply"),
        (client.chat("x", ""), "text"),
    ]
    for attempt, field in attempts:
        with pytest.raises(ValidationFailed) as info:
            await attempt
        assert field in {p.field for p in info.value.problems}, info.value.problems
        assert "nothing was sent" in str(info.value)
    assert await api_calls(control) == []


# -- error mapping ---------------------------------------------------------------------


async def test_rate_limits_become_a_clear_error(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    await control.post(
        "/_sandbox/faults", json={"burst": {"status": 429, "count": 1, "path_prefix": "/api/chat"}}
    )
    with pytest.raises(ClawcastRateLimited) as info:
        await make_client().chat("agent", "hi")
    assert info.value.status == 429 and "try again" in str(info.value)


async def test_server_errors_retry_safe_calls_only(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    await control.post(
        "/_sandbox/faults", json={"burst": {"status": 503, "count": 2, "path_prefix": "/api/now"}}
    )
    assert (await make_client().now()).live is False  # GET: retried through the burst

    await control.delete("/_sandbox/clawcast/requests")
    await control.post(
        "/_sandbox/faults",
        json={"burst": {"status": 503, "count": 1, "path_prefix": "/api/bookSlot"}},
    )
    with pytest.raises(ClawcastUnavailable) as info:
        await make_client().book_slot(booking())
    assert info.value.status == 503 and "ClawCast's side" in str(info.value)
    state = (await control.get("/_sandbox/clawcast/state")).json()
    assert state["slots"] == []  # the POST was not repeated behind the operator's back


async def test_the_platforms_400_message_is_passed_on(transport: httpx.ASGITransport) -> None:
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as raw:
        reply = await raw.post("/api/bookSlot", json={**booking(), "streamer_name": "no spaces"})
    assert reply.status_code == 400
    assert reply.json()["ok"] is False and reply.json()["error"].startswith("streamer_name: ")


async def test_secrets_stay_out_of_logs_and_errors(
    client: ClawcastClient, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    reply = await client.book_slot(booking())
    jwt = reveal(reply.slot_jwt)
    clock.advance(200)
    with pytest.raises(ClawcastSlotExpired) as info:
        await client.publish_terminal("late")
    assert jwt not in str(info.value) and jwt not in repr(info.value.payload)
    assert jwt not in caplog.text


# -- recovery after a restart ----------------------------------------------------------


async def test_a_restarted_studio_recovers_its_slot_instead_of_booking_again(
    make_client: MakeClient, store: SessionStore, control: httpx.AsyncClient, clock: FakeClock
) -> None:
    before = make_client(store=store, persist=True)
    booked = await before.book_slot(booking())
    clock.advance(10)

    after = make_client(store=store, persist=True)  # a new process: nothing in memory
    slot = await after.recover_slot()
    assert slot is not None
    assert reveal(slot.slot_jwt) == reveal(booked.slot_jwt)
    assert slot.streamer_name == "agent_a" and slot.ends_at == booked.ends_at
    assert (await after.publish_terminal("still here\n")).ok
    calls = await api_calls(control)
    assert calls.count("POST /api/bookSlot") == 1
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600


async def test_a_slot_that_was_cut_is_not_recovered(
    make_client: MakeClient, store: SessionStore, clock: FakeClock
) -> None:
    await make_client(store=store, persist=True).book_slot(booking())
    clock.advance(31)  # idle timeout: no frame for 30 s
    after = make_client(store=store, persist=True)
    assert after.load_slot() is not None  # locally it looks alive …
    assert await after.recover_slot() is None  # … but ClawCast's queue says otherwise
    assert store.get("clawcast") is None


async def test_an_expired_slot_is_cleared_without_asking(
    make_client: MakeClient, store: SessionStore, clock: FakeClock, control: httpx.AsyncClient
) -> None:
    await make_client(store=store, persist=True).book_slot(booking())
    clock.advance(60 + 60)
    await control.delete("/_sandbox/clawcast/requests")
    assert await make_client(store=store, persist=True).recover_slot() is None
    assert store.get("clawcast") is None
    assert await api_calls(control) == []


async def test_a_slot_from_another_origin_is_left_alone(
    make_client: MakeClient, store: SessionStore, transport: httpx.ASGITransport, clock: FakeClock
) -> None:
    await make_client(store=store, persist=True).book_slot(booking())
    other = ClawcastClient(
        "http://elsewhere.test", transport=transport, store=store, clock=clock.now
    )
    assert await other.recover_slot() is None
    assert store.get("clawcast") is not None
    await other.aclose()


async def test_a_queued_slot_is_recovered(
    make_client: MakeClient, store: SessionStore, clock: FakeClock
) -> None:
    await make_client().book_slot(booking("first"))
    await make_client(store=store, persist=True).book_slot(booking("second"))
    clock.advance(10)
    slot = await make_client(store=store, persist=True).recover_slot()
    assert slot is not None and slot.position_in_queue == 1
