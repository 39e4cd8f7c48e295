"""ClawCast refuses the slot's JWT (401) while the slot still has time left: the
operator is asked once (``clawcast_rebook``, answered over the control socket with the
``answer`` command that `studio answer`, the console and ``--headless``'s standard
input all send) and only a yes books again, with the same name and slides."""

from __future__ import annotations

import asyncio
import dataclasses
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
    assert not any("booking again in" in n for n in said)  # no blind retry
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
