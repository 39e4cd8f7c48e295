"""The ClawCast leg on the in-process sandbox: booking, mirroring the terminal about
once a second so the 30 s idle timeout never fires, slides, and endSlot."""

from __future__ import annotations

import pytest

from studio.config import Paths
from studio.golive.clawcast_leg import ClawcastLeg
from studio.golive.kiosk_feed import KioskFeed
from studio.golive.leg import LegFinished
from studio.onair.client import KioskLink
from studio.platforms.clawcast import ClawcastClient
from studio.session_store import SessionStore
from tests.golive.golive_helpers import fake_context, fake_kiosk


def client(transport, clock) -> ClawcastClient:
    return ClawcastClient(
        "http://sandbox.test",
        transport=transport,
        store=SessionStore(Paths.from_env().sessions_file),
        clock=clock.now,
    )


async def test_mirrors_the_terminal_through_a_whole_slot_without_an_idle_cut(
    transport, control, clock, tmp_path
):
    log = tmp_path / "stream.log"
    log.write_text("\x1b[32m$ make test\x1b[0m\nall green rtk_supersecret123\n")
    ctx, recorder = fake_context(clock)
    leg = ClawcastLeg(
        ctx,
        client(transport, clock),
        streamer_name="mirror_bot",
        streamer_url="https://github.com/me/bot",
        duration_minutes=1,
        mirror=log,
    )
    await leg.prepare()
    with pytest.raises(LegFinished):
        await leg.on_air()
    frames = (await control.get("/_sandbox/clawcast/frames")).json()["frames"]
    assert len(frames) >= 55  # about one a second through a 60 s slot
    screens = [f.get("content", {}).get("screen", "") for f in frames]
    assert "$ make test" in screens[0] and "\x1b" not in screens[0]
    assert "rtk_supersecret123" not in "".join(screens)
    state = (await control.get("/_sandbox/clawcast/state")).json()
    (slot,) = [s for s in state["slots"] if s["streamer_name"] == "mirror_bot"]
    assert "idle" not in (slot["end_reason"] or "")
    assert slot["ended_at"] == pytest.approx(slot["planned_end"], abs=1.5)
    assert [e.kind for e in recorder.events].count("golive.live") == 1
    stats = await leg.stop()
    assert stats["frames"] == len(frames)


async def test_queued_slot_waits_its_turn_and_slides_play_without_frames(
    transport, control, clock, tmp_path
):
    first = client(transport, clock)
    await first.book_slot(
        {
            "streamer_name": "someone_else",
            "streamer_url": "https://a.example",
            "duration_minutes": 1,
            "slides": [{"type": "text", "content": {"headline": "hi"}, "duration_seconds": 20}],
        }
    )
    ctx, recorder = fake_context(clock)
    slides = [{"type": "text", "content": {"headline": "Our turn"}, "duration_seconds": 10}]
    leg = ClawcastLeg(
        ctx,
        client(transport, clock),
        streamer_name="slides_bot",
        streamer_url="https://github.com/me/bot",
        slides=slides,
    )
    await leg.prepare()
    notices = [e.text for e in recorder.of("golive.notice")]
    assert any("position 1" in n for n in notices)
    start = clock.now()
    with pytest.raises(LegFinished):
        await leg.on_air()
    assert clock.now() - start >= 20  # waited for the first slot
    frames = (await control.get("/_sandbox/clawcast/frames")).json()["frames"]
    assert frames == []


async def test_a_restarted_studio_recovers_its_slot_instead_of_booking_again(
    transport, control, clock
):
    ctx, _ = fake_context(clock)
    leg = ClawcastLeg(
        ctx, client(transport, clock), streamer_name="again_bot", streamer_url="https://x.example"
    )
    await leg.prepare()
    ctx2, recorder = fake_context(clock)
    again = ClawcastLeg(
        ctx2, client(transport, clock), streamer_name="again_bot", streamer_url="https://x.example"
    )
    await again.prepare()
    assert any("recovered" in e.text for e in recorder.of("golive.notice"))
    queue = (await control.get("/_sandbox/clawcast/state")).json()
    assert str(queue).count("again_bot") >= 1
    stats = await again.stop()
    assert stats["ended"] == "endSlot"


def poll_leg(ctx, transport, clock) -> ClawcastLeg:  # noqa: ANN001
    """A leg booking one slot of a single 20 s poll slide."""
    poll = {"question": "Next?", "options": ["A", "B"]}
    return ClawcastLeg(
        ctx,
        client(transport, clock),
        streamer_name="poll_bot",
        streamer_url="https://x.example",
        slides=[{"type": "poll", "content": poll, "duration_seconds": 20}],
    )


async def test_poll_results_reach_the_kiosk_while_the_poll_plays(transport, control, clock):
    ctx, _ = fake_context(clock)
    leg = poll_leg(ctx, transport, clock)
    await leg.prepare()
    await control.post("/_sandbox/clawcast/votes", json={"option_index": 1, "count": 3})
    async with fake_kiosk() as (socket_path, lines):
        link = KioskLink(socket_path)
        ctx.bus.add_listener(KioskFeed(link))
        try:
            with pytest.raises(LegFinished):
                await leg.on_air()
            assert await link.flush(5)
        finally:
            await link.close()
    kinds = [line["cmd"] for line in lines]
    assert "slides" in kinds
    results = [line["results"] for line in lines if line["cmd"] == "poll_results"]
    assert results and results[0] == [0, 3]


async def test_frames_are_what_kiosk_viewers_see_filler_included(
    transport, control, clock, tmp_path
):
    from studio.onair import SwitchScene, TickerUpdate
    from tests.kiosk.kiosk_helpers import ON_AIR, make_app, settle

    log = tmp_path / "stream.log"
    log.write_text("")  # the agent has written nothing yet: this used to be a blank frame
    app = make_app(tmp_path, clock, socket=True, log_path=log)
    async with app.run_test(size=ON_AIR) as pilot:
        await settle(pilot, (tmp_path / "kiosk.sock").exists)
        await app.apply(TickerUpdate(live=True, name="mirror_bot\x1b]0;x\x07", viewers=7))
        await app.apply(SwitchScene(scene="filler"))
        await settle(pilot, lambda: app.scene == "filler")
        ctx, _ = fake_context(clock)
        ctx.kiosk = KioskLink(tmp_path / "kiosk.sock")
        leg = ClawcastLeg(
            ctx,
            client(transport, clock),
            streamer_name="filler_bot",
            streamer_url="https://github.com/me/bot",
            duration_minutes=1,
            mirror=log,
        )
        await leg.prepare()
        with pytest.raises(LegFinished):
            await leg.on_air()
        picture = await app.picture_text()
        await ctx.kiosk.close()
    frames = (await control.get("/_sandbox/clawcast/frames")).json()["frames"]
    screens = [f.get("content", {}).get("screen", "") for f in frames]
    assert len(screens) >= 55 and screens[-1] == picture
    assert "BE RIGHT BACK" in screens[0]  # the filler card's title, drawn in pixels
    assert "mirror_bot is thinking — stay tuned" in screens[0]  # and its lines
    assert "● LIVE   mirror_bot   │   viewers 7" in screens[0]  # the ticker, cleaned
    assert all("stay tuned" in s for s in screens)  # never a blank frame
    assert not any(c in "".join(screens) for c in "\x1b\x07\x9b")


async def test_without_a_kiosk_the_frames_fall_back_to_the_log_tail(
    transport, control, clock, tmp_path
):
    log = tmp_path / "stream.log"
    log.write_text("")
    ctx, _ = fake_context(clock)
    ctx.kiosk = KioskLink(tmp_path / "nobody.sock")  # no kiosk listens
    leg = ClawcastLeg(
        ctx,
        client(transport, clock),
        streamer_name="tail_bot",
        streamer_url="https://github.com/me/bot",
        duration_minutes=1,
        mirror=log,
    )
    await leg.prepare()
    with pytest.raises(LegFinished):
        await leg.on_air()
    frames = (await control.get("/_sandbox/clawcast/frames")).json()["frames"]
    assert {f["content"]["screen"] for f in frames} == {"$ \n"}


async def test_two_bookings_at_once_make_one_slot(transport, control, clock):
    import asyncio

    from studio.golive.clawcast_leg import SlotHeld

    ctx, recorder = fake_context(clock)
    leg = ClawcastLeg(
        ctx, client(transport, clock), streamer_name="twice_bot", streamer_url="https://t.example"
    )
    slides = [{"type": "text", "content": {"headline": "Once"}}]
    first, second = await asyncio.gather(leg.book(slides), leg.book(slides), return_exceptions=True)
    assert not isinstance(first, BaseException) and first.position_in_queue == 0
    assert isinstance(second, SlotHeld)  # under way, or held: never a second slot
    state = (await control.get("/_sandbox/clawcast/state")).json()
    assert [s["streamer_name"] for s in state["slots"]] == ["twice_bot"]
    (held,) = recorder.of("clawcast.slot")
    assert held.streamer_name == "twice_bot" and held.position_in_queue == 0
    await leg.stop()


async def test_unreadable_poll_results_are_skipped_and_the_slides_play_on(
    transport, control, clock
):
    """pollResults answering with a corrupt body, then JSON nested past reason: the
    slides play to the slot's end, and the next readable results still arrive."""
    ctx, recorder = fake_context(clock)
    leg = poll_leg(ctx, transport, clock)
    await leg.prepare()
    await control.post("/_sandbox/clawcast/votes", json={"option_index": 0, "count": 2})
    for reply in ("corrupt_gzip", "deep_json"):
        answer = await control.post(
            "/_sandbox/faults",
            json={"burst": {"path_prefix": "/api/pollResults", "count": 1, "reply": reply}},
        )
        assert answer.status_code == 200
    with pytest.raises(LegFinished):
        await leg.on_air()
    results = [e.results for e in recorder.of("poll.results")]
    assert results and results[0] == [2, 0]  # the third ask, after the two bad replies
    assert recorder.of("golive.failed") == []
