"""ClawCast refuses the slot's JWT (401) while the slot still has time left: the
operator is asked once (``clawcast_rebook``, answered over the control socket with the
``answer`` command that `studio answer`, the console and ``--headless``'s standard
input all send) and only a yes books again, with the same name and slides."""

from __future__ import annotations

import asyncio
import dataclasses
import re
from collections.abc import Callable

import httpx
import pytest

from studio.backoff import Backoff
from studio.cli.attach import Pending
from studio.config import Paths
from studio.control.client import ControlClient
from studio.control.operator import ControlOperator
from studio.events import EventBus
from studio.golive import clawcast_leg
from studio.golive.clawcast_leg import ClawcastLeg
from studio.golive.leg import LegContext, LegFinished, Timing
from studio.golive.operator import GivenAnswers, Operator
from studio.platforms.clawcast import ClawcastClient
from studio.sandbox.app import Sandbox
from studio.sandbox.clock import FakeClock
from studio.session_store import SessionStore
from tests.broadcast.broadcast_helpers import Recorder, wait_until
from tests.control.control_helpers import served

NAME = "refused_bot"


def leg_on_sandbox(
    transport: httpx.AsyncBaseTransport,
    clock: FakeClock,
    operator: Operator | None = None,
    bus: EventBus | None = None,
    on_sleep: Callable[[float], None] | None = None,
) -> tuple[ClawcastLeg, Recorder, ControlOperator | None]:
    """A mirroring ClawCast leg whose sleeps move the sandbox's clock (and let other
    tasks run), asking a ``ControlOperator`` unless ``operator`` is given. ``on_sleep``
    sees the clock after each sleep (to act at an exact moment of the slot)."""
    bus = bus or EventBus()
    recorder = Recorder(bus)
    control_operator = ControlOperator(bus, timeout=30) if operator is None else None

    async def sleep(seconds: float) -> None:
        clock.advance(seconds)
        if on_sleep is not None:
            on_sleep(clock.now())
        await asyncio.sleep(0)

    ctx = LegContext(
        bus=bus,
        operator=operator or control_operator,  # type: ignore[arg-type]
        timing=Timing(),
        sleep=sleep,
        clock=clock.now,
    )
    client = ClawcastClient(
        "http://sandbox.test",
        transport=transport,
        store=SessionStore(Paths.from_env().sessions_file),
        clock=clock.now,
    )
    leg = ClawcastLeg(
        ctx,
        client,
        streamer_name=NAME,
        streamer_url="https://github.com/me/bot",
        duration_minutes=1,
    )
    return leg, recorder, control_operator


async def expire(control: httpx.AsyncClient) -> None:
    answer = await control.post("/_sandbox/clawcast/expire_jwt", json={"name": NAME})
    assert answer.status_code == 200 and answer.json()["live"] is True, answer.text


async def calls(control: httpx.AsyncClient, path: str) -> list[dict]:
    """The calls of ``path`` that reached ClawCast (a fault burst answers before it)."""
    requests = (await control.get("/_sandbox/clawcast/requests")).json()["requests"]
    return [r for r in requests if r["path"] == path]


async def bookings(control: httpx.AsyncClient) -> list[dict]:
    return await calls(control, "/api/bookSlot")


async def booked_at(control: httpx.AsyncClient, t0: float) -> list[float]:
    """When each bookSlot reached ClawCast, in seconds after ``t0``."""
    return [round(r["at"] - t0, 2) for r in await bookings(control)]


async def my_slots(control: httpx.AsyncClient) -> list[dict]:
    state = (await control.get("/_sandbox/clawcast/state")).json()
    return [s for s in state["slots"] if s["streamer_name"] == NAME]


async def hold(control: httpx.AsyncClient, *, visible: bool) -> None:
    answer = await control.post(
        "/_sandbox/clawcast/hold_name", json={"name": NAME, "visible": visible}
    )
    assert answer.status_code == 200, answer.text


def notices(recorder: Recorder) -> list[str]:
    return [e.text for e in recorder.of("golive.notice")]


@pytest.fixture
def no_jitter(monkeypatch: pytest.MonkeyPatch) -> Backoff:
    """REBOOK_RETRY without its jitter, so the bookings fall at known moments."""
    steady = dataclasses.replace(clawcast_leg.REBOOK_RETRY, jitter=0.0)
    monkeypatch.setattr(clawcast_leg, "REBOOK_RETRY", steady)
    return steady


async def test_a_yes_books_again_with_the_same_name_and_the_slot_plays_out(
    transport, control, clock
) -> None:
    """The JWT is refused on the first frame: the refused slot stays on the channel
    until its idle cut 30 s after it went live, bookSlot answers 409 meanwhile, and the
    new booking goes in at that very moment (ClawCast's queue read every 2 s)."""
    t0 = clock.now()
    async with served(transport=transport) as service:
        operator = service.runtime.operator
        leg, recorder, _ = leg_on_sandbox(transport, clock, operator=operator, bus=service.bus)
        leg.ctx.planned_end = asyncio.get_running_loop().time() + 600
        await leg.prepare()
        old = leg.slot
        assert old is not None
        client = await ControlClient.connect(service.socket_path, client="test")
        try:
            await expire(control)
            on_air = asyncio.create_task(leg.on_air())
            await wait_until(lambda: recorder.of("operator.needed"), 10, "the operator asked")
            (step,) = (await client.status())["pending"]
            assert step["need"] == "clawcast_rebook" and step["platform"] == "clawcast"
            assert step["prompt"].startswith("ClawCast refused the slot's token; book again?")
            left = step["data"]["broadcast_seconds_left"]
            assert 590 <= left <= 600
            assert f"{left} s of the planned broadcast left" in step["prompt"]
            assert len(await bookings(control)) == 1  # nothing booked before the answer
            assert not leg.live
            wrong = await client.request("answer", need="clawcast_rebook", value="maybe")
            assert not wrong.ok and "yes or no" in str(wrong.comment)
            # a line on --headless's standard input answers the newest step
            pending = Pending(await client.status())
            target, value = pending.target("yes\n")
            assert target is not None and target.startswith("clawcast_rebook")
            answered = await client.request("answer", need=target, value=value)
            assert answered.ok, answered
            with pytest.raises(LegFinished):
                await asyncio.wait_for(on_air, 30)
        finally:
            await client.close()
    mine = await my_slots(control)
    assert len(mine) == 2
    first, second = mine
    assert "idle" in first["end_reason"]  # the refused slot ran out on the channel...
    assert first["ended_at"] == t0 + 30 and first["frame_count"] == 0
    assert second["started_at"] == t0 + 30  # ...and the new one went on air right then
    # prepare's booking, the 409 right after the yes, the booking once the queue was free
    assert await booked_at(control, t0) == [0, 0, 30]
    queue_reads = [round(r["at"] - t0) for r in await calls(control, "/api/getQueue")]
    assert queue_reads == [*range(0, 31, 2)]
    said = notices(recorder)
    assert (
        "ClawCast: the refused slot is still on the channel (bookSlot answers 409); "
        "booking again as soon as it is gone, within 35 s" in said
    )
    assert "ClawCast slot booked again: live now" in said
    assert not any("trying again in" in n for n in said)  # no blind retry
    frames = (await control.get("/_sandbox/clawcast/frames")).json()["frames"]
    assert {f["slot_id"] for f in frames} == {second["slot_id"]}
    assert len(frames) >= 55  # the new slot mirrored through its minute
    assert [e.kind for e in recorder.events].count("golive.live") == 2
    assert len(recorder.of("operator.needed")) == 2  # asked again after the wrong answer only
    assert leg.slot is not None and leg.slot.slot_jwt != old.slot_jwt
    await leg.stop()


@pytest.mark.parametrize("answer", ["no", None])
async def test_a_no_or_no_operator_books_nothing(transport, control, clock, answer) -> None:
    given = GivenAnswers({"clawcast_rebook": answer} if answer else {})
    leg, recorder, _ = leg_on_sandbox(transport, clock, operator=given)
    await leg.prepare()
    await expire(control)
    with pytest.raises(LegFinished):
        await asyncio.wait_for(leg.on_air(), 10)
    assert len(await bookings(control)) == 1
    notices = " | ".join(e.text for e in recorder.of("golive.notice"))
    assert "ClawCast refused the slot's token" in notices
    assert "not booked again" in notices
    if answer is None:
        assert "studio answer clawcast_rebook yes" in notices  # where the answer goes
    await leg.stop()


async def test_a_slot_that_plays_out_asks_nothing(transport, control, clock) -> None:
    """The slot's end is ClawCast's own word: the leg ends without a question."""
    leg, recorder, operator = leg_on_sandbox(transport, clock)
    await leg.prepare()
    with pytest.raises(LegFinished):
        await asyncio.wait_for(leg.on_air(), 10)
    assert recorder.of("operator.needed") == [] and operator is not None and not operator.pending
    assert len(await bookings(control)) == 1


def test_the_console_checks_the_answer_with_the_same_rule() -> None:
    from studio.console.field_check import check_answer

    assert check_answer("clawcast_rebook", "maybe") == "clawcast_rebook: answer yes or no"
    assert check_answer("clawcast_rebook", " Yes ") is None
    assert check_answer("clawcast_rebook", "n") is None


YES = {"clawcast_rebook": "yes"}


async def test_a_409_is_waited_out_until_the_idle_cut_after_the_last_frame(
    transport, control, clock, sandbox: Sandbox
) -> None:
    """Eleven frames are accepted (t0 … t0+10), then the JWT is refused: the refused
    slot is cut 30 s after its last frame (t0+40), and the new booking goes in at that
    moment, not at the slot's end (t0+60) nor blindly before."""
    t0 = clock.now()

    def refuse_after_ten_seconds(now: float) -> None:
        if now >= t0 + 11 and not sandbox.clawcast.channel.slots["slot_0001"].jwt_expired_at:
            sandbox.clawcast.channel.expire_jwt(NAME, now)

    leg, recorder, _ = leg_on_sandbox(
        transport, clock, operator=GivenAnswers(YES), on_sleep=refuse_after_ten_seconds
    )
    await leg.prepare()
    with pytest.raises(LegFinished, match="the ClawCast slot is over"):
        await asyncio.wait_for(leg.on_air(), 30)
    first, second = await my_slots(control)
    assert first["frame_count"] == 11 and "idle" in first["end_reason"]
    assert first["ended_at"] == t0 + 40 and second["started_at"] == t0 + 40
    assert await booked_at(control, t0) == [0, 11, 40]
    queue_reads = [round(r["at"] - t0) for r in await calls(control, "/api/getQueue")]
    assert queue_reads == [*range(11, 40, 2), 40]  # the last read falls on the idle cut
    assert (
        "ClawCast: the refused slot is still on the channel (bookSlot answers 409); "
        "booking again as soon as it is gone, within 34 s" in notices(recorder)
    )
    assert leg.slot is not None and leg.slot.ends_at == t0 + 100  # a full new minute
    await leg.stop()


def held_notice(said: list[str]) -> int:
    """The notice that ends the leg on a held name, and the seconds it names."""
    (held,) = [n for n in said if "booking again refused" in n]
    assert held.startswith(
        f"ClawCast: booking again refused: ClawCast still says '{NAME}' has a slot live "
        "or queued (409) "
    )
    assert "the name is held by someone else" in held
    assert "The ClawCast leg ends; the other legs stay on air" in held
    assert "`studio book FILE`" in held
    late = re.search(r"\(409\) (\d+) s after the refused slot must have ended", held)
    assert late is not None
    return int(late.group(1))


async def test_a_409_that_never_clears_ends_the_leg_after_the_window_without_a_planned_end(
    transport, control, clock, no_jitter
) -> None:
    """Someone else holds the name and the queue does not show it. The broadcast has no
    planned end, and still the retries are bounded: the queue is read until the
    refused slot's idle cut (t0+30), bookSlot tried then, and once it is still 409 on
    the backoff (2 s, then 3 s) until the window closes at t0+35; then the leg ends."""
    t0 = clock.now()
    leg, recorder, _ = leg_on_sandbox(transport, clock, operator=GivenAnswers(YES))
    await leg.prepare()
    assert leg.ctx.planned_end is None
    await hold(control, visible=False)
    await expire(control)
    with pytest.raises(LegFinished, match=f"'{NAME}' is held by someone else"):
        await asyncio.wait_for(leg.on_air(), 30)
    assert await booked_at(control, t0) == [0, 0, 30, 32, 35]
    queue_reads = [round(r["at"] - t0) for r in await calls(control, "/api/getQueue")]
    assert queue_reads == [*range(0, 31, 2)]  # not read once it proved blind to the hold
    assert held_notice(notices(recorder)) == 5
    assert clock.now() == t0 + 35 and len(await my_slots(control)) == 1
    assert leg.client.slot is None and not leg.live
    await leg.stop()


async def test_an_operator_who_answers_late_gets_one_booking_and_the_notice(
    transport, control, clock, no_jitter
) -> None:
    """The yes comes 50 s after the refusal, when the refused slot has long been cut:
    one bookSlot, its 409 is final, and the notice names the 20 s since the window."""
    t0 = clock.now()

    class SlowOperator(GivenAnswers):
        async def answer(self, need):  # noqa: ANN001, ANN202
            clock.advance(50)
            return await super().answer(need)

    leg, recorder, _ = leg_on_sandbox(transport, clock, operator=SlowOperator(YES))
    await leg.prepare()
    await hold(control, visible=True)
    await expire(control)
    with pytest.raises(LegFinished, match="held by someone else"):
        await asyncio.wait_for(leg.on_air(), 30)
    assert await booked_at(control, t0) == [0, 50]
    assert await calls(control, "/api/getQueue") == []
    assert held_notice(notices(recorder)) == 20  # 50 s after the refusal, cut at t0+30
    await leg.stop()


async def test_unavailable_is_retried_until_stopped_then_the_409_is_waited_out(
    transport, control, clock, no_jitter
) -> None:
    """Four 503s on bookSlot, no planned end: retried on REBOOK_RETRY (2, 3, 4.5,
    6.75 s) with one notice, then the 409 of the refused slot is waited out on the
    queue and the booking goes in at its idle cut (t0+30)."""
    t0 = clock.now()
    leg, recorder, _ = leg_on_sandbox(transport, clock, operator=GivenAnswers(YES))
    await leg.prepare()
    await expire(control)
    burst = {"path_prefix": "/api/bookSlot", "count": 4, "status": 503}
    assert (await control.post("/_sandbox/faults", json={"burst": burst})).status_code == 200
    with pytest.raises(LegFinished, match="the ClawCast slot is over"):
        await asyncio.wait_for(leg.on_air(), 30)
    # the 503s never reach ClawCast's routes: the 409 at t0+16.25, the booking at t0+30
    assert await booked_at(control, t0) == [0, 16.25, 30]
    reads = [round(r["at"] - t0, 2) for r in await calls(control, "/api/getQueue")]
    assert reads == [16.25, 18.25, 20.25, 22.25, 24.25, 26.25, 28.25, 30]
    unavailable = [n for n in notices(recorder) if "trying again in" in n]
    assert unavailable == [  # once: the same failure is told at most once a minute
        "ClawCast: booking again failed (ClawCast 503: ClawCast failed (sandbox fault "
        "injected)); trying again in 2 s, and until the broadcast is stopped"
    ]
    first, second = await my_slots(control)
    assert second["started_at"] == first["ended_at"] == t0 + 30
    await leg.stop()


async def test_unavailable_is_never_retried_past_the_planned_end(
    transport, control, clock, monkeypatch
) -> None:
    """A 503 when the next try (8 s away) would come after the broadcast's planned end
    (5 s away): nothing more is sent, and the leg ends saying so."""
    monkeypatch.setattr(
        clawcast_leg, "REBOOK_RETRY", Backoff(first=8.0, factor=1.5, cap=10.0, jitter=0.0)
    )
    t0 = clock.now()
    leg, recorder, _ = leg_on_sandbox(transport, clock, operator=GivenAnswers(YES))
    await leg.prepare()
    leg.ctx.planned_end = asyncio.get_running_loop().time() + 5
    await expire(control)
    burst = {"path_prefix": "/api/bookSlot", "count": 1, "status": 503}
    assert (await control.post("/_sandbox/faults", json={"burst": burst})).status_code == 200
    with pytest.raises(LegFinished, match="planned end"):
        await asyncio.wait_for(leg.on_air(), 30)
    assert await booked_at(control, t0) == [0]
    assert clock.now() == t0  # nothing waited for
    assert (
        "ClawCast: not booked again before the broadcast's planned end (ClawCast 503: "
        "ClawCast failed (sandbox fault injected)); the ClawCast leg ends, the other legs "
        "stay on air"
    ) in notices(recorder)
    await leg.stop()


async def test_an_unreadable_queue_falls_back_to_now_and_still_books_at_the_cut(
    transport, control, clock
) -> None:
    """getQueue answers a shape nobody can read: /api/now (the refused slot was live)
    says when it is gone, and the booking goes in at its idle cut all the same."""
    t0 = clock.now()
    leg, _, _ = leg_on_sandbox(transport, clock, operator=GivenAnswers(YES))
    await leg.prepare()
    await expire(control)
    burst = {
        "path_prefix": "/api/getQueue",
        "count": 100,
        "status": 200,
        "reply": "json",
        "body": {"live": {"streamer": 7}, "queue": "soon"},
    }
    assert (await control.post("/_sandbox/faults", json={"burst": burst})).status_code == 200
    with pytest.raises(LegFinished, match="the ClawCast slot is over"):
        await asyncio.wait_for(leg.on_air(), 30)
    assert await booked_at(control, t0) == [0, 0, 30]
    now_reads = [round(r["at"] - t0) for r in await calls(control, "/api/now")]
    assert now_reads == [*range(0, 31, 2)]
    await leg.stop()


async def test_a_429_waits_its_retry_after_and_books_once_the_refused_slot_is_gone(
    transport, control, clock, no_jitter
) -> None:
    """429 with Retry-After: 40 on the first booking after the yes: nothing is sent
    for 40 s (not the 2 s of the backoff), and by then the refused slot was cut (t0+30):
    the booking at t0+40 goes straight through."""
    t0 = clock.now()
    leg, recorder, _ = leg_on_sandbox(transport, clock, operator=GivenAnswers(YES))
    await leg.prepare()
    await expire(control)
    burst = {"path_prefix": "/api/bookSlot", "count": 1, "status": 429, "retry_after": 40}
    assert (await control.post("/_sandbox/faults", json={"burst": burst})).status_code == 200
    with pytest.raises(LegFinished, match="the ClawCast slot is over"):
        await asyncio.wait_for(leg.on_air(), 30)
    assert await booked_at(control, t0) == [0, 40]
    assert await calls(control, "/api/getQueue") == []  # no 409 to wait out
    (waited,) = [n for n in notices(recorder) if "trying again in" in n]
    assert "trying again in 40 s, and until the broadcast is stopped" in waited
    first, second = await my_slots(control)
    assert first["ended_at"] == t0 + 30 and second["started_at"] == t0 + 40
    await leg.stop()
