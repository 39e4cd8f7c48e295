"""Faults of the platforms' APIs, each survived by the real go-live sequence on the
in-process sandbox, with the time to recover: error bursts on every leg's on-air calls,
5 s of API latency, a ClawCast JWT that expires, and baseFM's 2-hour limit on a
simulated clock. Every reply is timestamped where the studio receives it (``Timed``), so
a recovery is the first good answer after the fault, not a guess."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from studio.control.operator import ControlOperator
from studio.golive.basefm_leg import ENDING_MARGIN
from studio.golive.clawcast_leg import ClawcastLeg
from studio.golive.operator import GivenAnswers
from tests.broadcast.broadcast_helpers import wait_until
from tests.golive.golive_helpers import (
    TX_HASH,
    FastClock,
    Timed,
    basefm_sessions,
    register_retake,
    three_legs,
)
from tests.reliability.conftest import LONG

RETAKE_STATUS = "/api/v1/agent/stream/status"
BASEFM_STATUS = "/api/basefm/streams/status"
CLAWCAST_FRAME = "/api/publishFrame"
BURST = 6 if LONG else 3
BURST_ON_AIR = 14.0 if LONG else 7.0  # baseFM asks its status every 1.25 s here
LATENCY = 5.0
LATENCY_WINDOW = 15.0 if LONG else 5.5
JWT_ON_AIR = 16.0  # the expiry, the question, the idle cut of the old slot, the new slot


@pytest.fixture
def clock() -> FastClock:
    return FastClock(speed=8.0)  # as tests/golive: ClawCast's 30 s idle cut is 3.75 s


@pytest.fixture
def timed(transport: httpx.ASGITransport) -> Timed:
    return Timed(transport)


async def fault(control: httpx.AsyncClient, **body: object) -> None:
    answer = await control.post("/_sandbox/faults", json=body)
    assert answer.status_code == 200, answer.text


async def all_live(run, limit: float = 15) -> None:  # noqa: ANN001
    await wait_until(lambda: run.live() == {"retake", "basefm", "clawcast"}, limit, "all live")


async def test_api_error_bursts_on_every_leg(timed: Timed, control, clock, figures) -> None:
    """``BURST`` 503s in a row on each leg's on-air call (retake.tv's stream/status,
    baseFM's status, ClawCast's frames): notices, and every leg stays on air."""
    await register_retake(timed, control)
    run = three_legs(timed, control, clock, duration=BURST_ON_AIR)
    going = asyncio.create_task(asyncio.wait_for(run.golive.run(), 40))
    await all_live(run)
    injected = time.monotonic()
    for path in (RETAKE_STATUS, BASEFM_STATUS, CLAWCAST_FRAME):
        await fault(control, burst={"path_prefix": path, "count": BURST, "status": 503})

    def recovered() -> bool:
        paths = (RETAKE_STATUS, BASEFM_STATUS, CLAWCAST_FRAME)
        return all(timed.recovered_after(p, injected) is not None for p in paths)

    await wait_until(recovered, 30, "every leg's call answered again")
    outcome = await going
    took = {
        "retake": timed.recovered_after(RETAKE_STATUS, injected),
        "basefm": timed.recovered_after(BASEFM_STATUS, injected),
        "clawcast": timed.recovered_after(CLAWCAST_FRAME, injected),
    }
    failed = {
        name: sum(r.status == 503 for r in timed.of(path) if r.at >= injected)
        for name, path in (
            ("retake", RETAKE_STATUS),
            ("basefm", BASEFM_STATUS),
            ("clawcast", CLAWCAST_FRAME),
        )
    }
    figures.record(burst=BURST, failed=failed, recovered_s=took)
    assert failed == {"retake": BURST, "basefm": BURST, "clawcast": BURST}
    assert run.dropped() == {} and outcome.failed_legs == {}
    assert sorted(outcome.on_air) == ["basefm", "clawcast", "retake"]
    assert "the planned duration" in outcome.reason or "slot is over" in outcome.reason
    assert [s["status"] for s in await basefm_sessions(control)] == ["ended"]


async def test_five_seconds_of_api_latency(timed: Timed, control, clock, figures) -> None:
    """Every retake.tv call held 5 s for ``LATENCY_WINDOW`` seconds: the legs stay on
    air, and the next status answer comes right after the latency is gone."""
    await register_retake(timed, control)
    run = three_legs(timed, control, clock, duration=LATENCY_WINDOW + 4.0, basefm=False)
    going = asyncio.create_task(asyncio.wait_for(run.golive.run(), LATENCY_WINDOW + 40))
    await wait_until(lambda: run.live() == {"retake", "clawcast"}, 15, "live")
    await fault(control, latency=LATENCY, latency_prefix="/api/v1/agent")
    slow_from = time.monotonic()
    await asyncio.sleep(LATENCY_WINDOW)  # the fault itself: a fixed length by design
    await control.delete("/_sandbox/faults")
    cleared = time.monotonic()
    await wait_until(
        lambda: any(200 <= r.status < 300 and r.at > cleared for r in timed.of(RETAKE_STATUS)),
        30,
        "a status answer after the latency",
    )
    first_good = min(
        r.at for r in timed.of(RETAKE_STATUS) if 200 <= r.status < 300 and r.at > cleared
    )
    slow = [r for r in timed.of(RETAKE_STATUS) if r.at > slow_from and r.at - r.sent >= LATENCY]
    outcome = await going
    figures.record(
        latency_s=LATENCY,
        window_s=LATENCY_WINDOW,
        slow_replies=len(slow),
        slow_statuses=sorted({r.status for r in slow}),
        recovered_s=round(first_good - cleared, 2),
    )
    assert slow, "no status call met the latency"
    assert run.dropped() == {} and outcome.failed_legs == {}
    assert sorted(outcome.on_air) == ["clawcast", "retake"]


async def test_a_clawcast_jwt_that_expires(timed: Timed, control, clock, figures) -> None:
    """ClawCast refuses the slot's JWT (401) while the slot has time left: the operator
    is asked whether to book again (``clawcast_rebook``), and once they say yes a new
    slot with the same name goes on air with a new JWT, while retake.tv and baseFM stay
    on air throughout. Figures: from the expiry to the question, and from the answer to
    ClawCast live again (bookSlot is refused with 409 until ClawCast cuts the old slot
    for 30 s without frames: 3.75 s at this clock's speed)."""
    await register_retake(timed, control)
    run = three_legs(timed, control, clock, duration=JWT_ON_AIR)
    operator = ControlOperator(run.golive.ctx.bus, timeout=30)
    run.golive.ctx.operator = GivenAnswers({"tx_hash": TX_HASH}, then=operator)
    going = asyncio.create_task(asyncio.wait_for(run.golive.run(), JWT_ON_AIR + 30))
    await all_live(run)
    leg = run.legs["clawcast"]
    assert isinstance(leg, ClawcastLeg) and leg.slot is not None
    old = leg.slot
    answer = await control.post("/_sandbox/clawcast/expire_jwt", json={"name": "three_legs"})
    assert answer.status_code == 200 and answer.json()["live"] is True
    expired = time.monotonic()
    await wait_until(lambda: run.recorder.of("operator.needed"), 10, "the operator asked")
    asked_s = round(time.monotonic() - expired, 2)
    (asked,) = run.recorder.of("operator.needed")
    assert asked.need == "clawcast_rebook" and "book again?" in asked.prompt
    assert 0 < asked.data["broadcast_seconds_left"] <= JWT_ON_AIR
    refused = [r for r in timed.of(CLAWCAST_FRAME) if r.status == 401]
    assert refused, "no frame was refused"
    # the two other legs stay on air while the question waits: their status calls
    # keep being answered after it was asked
    waiting = time.monotonic()

    def answered_since(path: str) -> bool:
        return any(200 <= r.status < 300 and r.at > waiting for r in timed.of(path))

    await wait_until(
        lambda: answered_since(RETAKE_STATUS) and answered_since(BASEFM_STATUS),
        15,
        "retake.tv and baseFM answering while the operator is asked",
    )
    assert leg.live is False and {"retake", "basefm"} <= {
        leg.platform for leg in run.golive.legs if leg.live
    }
    operator.give("clawcast_rebook", "yes")
    yes = time.monotonic()
    await wait_until(lambda: len(run.recorder.of("golive.live")) >= 4, 20, "ClawCast again")
    back_s = round(time.monotonic() - yes, 2)
    assert leg.slot is not None and leg.slot.slot_jwt != old.slot_jwt
    assert leg.live
    outcome = await going
    bookings = [r for r in timed.of("/api/bookSlot")]
    figures.record(
        asked_s=asked_s,
        on_air_again_s=back_s,
        refused_bookings=sum(r.status == 409 for r in bookings),
    )
    assert run.dropped() == {} and outcome.failed_legs == {}
    assert sorted(outcome.on_air) == ["basefm", "clawcast", "retake"]
    kinds = [(e.kind, getattr(e, "platform", None)) for e in run.recorder.events]
    back_on_air = len(kinds) - 1 - kinds[::-1].index(("golive.live", "clawcast"))
    for other in ("retake", "basefm"):  # stopped once, at the end, after ClawCast came back
        assert kinds.count(("golive.stopped", other)) == 1
        assert kinds.index(("golive.stopped", other)) > back_on_air
    assert [s["status"] for s in await basefm_sessions(control)] == ["ended"]


async def test_basefm_two_hour_limit(timed: Timed, control, clock, figures) -> None:
    """The simulated clock jumps to just before baseFM's 2-hour limit: the baseFM leg
    ends its own session before baseFM would, and retake.tv stays on air."""
    await register_retake(timed, control)
    run = three_legs(timed, control, clock, duration=6.0, clawcast=False)
    going = asyncio.create_task(asyncio.wait_for(run.golive.run(), 40))
    await wait_until(lambda: run.live() == {"retake", "basefm"}, 15, "live")
    leg = run.legs["basefm"]
    assert leg.ends_at is not None  # type: ignore[attr-defined]
    limit = leg.ends_at  # type: ignore[attr-defined]
    clock.advance(limit - ENDING_MARGIN - 5 - clock.now())
    jumped = time.monotonic()
    await wait_until(
        lambda: any(e.platform == "basefm" for e in run.recorder.of("golive.stopped")),
        15,
        "baseFM ended",
    )
    took = round(time.monotonic() - jumped, 2)
    ended_before = round(limit - clock.now(), 1)
    sessions = await basefm_sessions(control)
    outcome = await going
    figures.record(ended_after_s=took, before_limit_s=ended_before)
    assert [s["status"] for s in sessions] == ["ended"]  # our DELETE, not baseFM's cut
    notices = " | ".join(e.text for e in run.recorder.of("golive.notice"))
    assert "the 2-hour session limit is reached" in notices
    assert 0 < ended_before <= ENDING_MARGIN + 5
    assert run.dropped() == {} and "retake" in outcome.on_air
