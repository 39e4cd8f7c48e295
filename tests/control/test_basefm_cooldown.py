"""baseFM's 429 (the wallet's 24-hour cooldown) is not a reason to end the broadcast:
the other legs go live, baseFM waits as an operator step that counts down, and joins
the broadcast when retried (by itself when the cooldown ends, or on the operator's
``retry``) without a break for the others: its destination is added to the running
encode on its own (a relay), retake.tv's ingest is never ended and published again.
``give up`` ends the baseFM leg alone. On the in-process sandbox, with the control
API's operator answering as the console and ``studio answer`` do; the real encode's
side of the join is tests/broadcast/test_broadcast_join.py."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from studio.control.operator import ControlOperator
from studio.errors import ValidationFailed
from studio.golive.events import Notice, OperatorNeeded, OperatorWithdrawn
from studio.platforms.basefm import BasefmClient
from studio.sandbox.app import Sandbox
from tests.golive.golive_helpers import (
    SANDBOX,
    WALLET,
    Broadcast,
    FastClock,
    basefm_sessions,
    register_retake,
    three_legs,
)

DAY = 24 * 3600


@pytest.fixture
def clock() -> FastClock:
    return FastClock(speed=8.0)


async def cooling_wallet(transport: httpx.AsyncBaseTransport, control: httpx.AsyncClient) -> None:
    """A wallet that holds BASEFM (no fee) and ended a session just now: 429 for a day."""
    await control.post("/_sandbox/basefm/token-holders", json={"wallets": [WALLET]})
    async with BasefmClient(SANDBOX, transport=transport) as client:
        await client.create_stream(WALLET, "Earlier DJ", None, None)
        await client.end_session()
    assert [s["status"] for s in await basefm_sessions(control)] == ["ended"]


async def until(condition, within: float = 20.0):  # noqa: ANN001, ANN201
    async with asyncio.timeout(within):
        while not (value := condition()):  # noqa: ASYNC110 - polling for a condition
            await asyncio.sleep(0.02)
    return value


def cooldown_steps(run: Broadcast) -> list[OperatorNeeded]:
    return [
        e for e in run.recorder.events if isinstance(e, OperatorNeeded) and e.need == "cooldown"
    ]


def retake_ingest_since(sandbox: Sandbox) -> float | None:
    """When the sandbox's retake.tv last saw its ingest begin (a reconnect moves it)."""
    (agent,) = sandbox.retake.world.agents.values()
    return agent.ingest_since


def assert_joined_without_a_break(run: Broadcast, sandbox: Sandbox, since: float | None) -> None:
    """baseFM joined the running encode alone: retake.tv did not reconnect."""
    ingest = run.pipelines[-1]
    assert len(run.pipelines) == 1 and ingest.restarts == [] and ingest.joined == ["basefm"]
    assert [d.name for d in ingest.destinations] == ["retake", "basefm"]
    assert ingest.ingests == [("publish", "retake"), ("publish", "basefm")]
    assert since is not None and retake_ingest_since(sandbox) == since
    joined = [
        e for e in run.recorder.events if isinstance(e, Notice) and "joins the broadcast" in e.text
    ]
    assert [(e.platform, e.level) for e in joined] == [("basefm", "info")]


def started(run: Broadcast) -> tuple[ControlOperator, asyncio.Task]:
    operator = ControlOperator(run.golive.ctx.bus)
    run.golive.ctx.operator = operator  # the control API's operator, as in the service
    return operator, asyncio.create_task(run.golive.run())


async def test_a_429_waits_counting_down_while_retake_is_live_then_joins_on_retry(
    transport, control, clock, sandbox
):  # noqa: ANN001
    await register_retake(transport, control)
    await cooling_wallet(transport, control)
    run = three_legs(transport, control, clock, clawcast=False, duration=120.0)
    operator, going = started(run)
    try:
        step = (await until(lambda: cooldown_steps(run)))[0]
        await until(lambda: "retake" in run.live())
        since = retake_ingest_since(sandbox)
        assert "basefm" not in run.live() and "basefm" not in run.dropped()
        # the countdown's end is baseFM's: a day after the session ended
        assert DAY - 120 < step.data["until"] - clock.now() <= DAY
        assert step.data["choices"] == ["retry", "give up"] and step.id
        # the encode carries retake.tv alone meanwhile
        assert [d.name for d in run.pipelines[-1].destinations] == ["retake"]
        # a retry while still cooling: asked again, with baseFM's new time
        operator.give(step.id, "retry")
        await until(lambda: len(cooldown_steps(run)) == 2)
        assert operator.pending == [cooldown_steps(run)[1].id]
        # the cooldown is over (cleared in the sandbox); the operator retries now
        await control.delete("/_sandbox/basefm/cooldowns")
        operator.give("cooldown", "retry")
        await until(lambda: "basefm" in run.live(), 30)
        assert_joined_without_a_break(run, sandbox, since)
        assert [s["status"] for s in await basefm_sessions(control)] == ["ended", "live"]
        assert operator.pending == []
        run.golive.request_stop()
        outcome = await asyncio.wait_for(going, 30)
    finally:
        run.golive.request_stop()
        await asyncio.wait_for(going, 30)
    assert outcome.ok, outcome.errors
    assert [s["status"] for s in await basefm_sessions(control)] == ["ended", "ended"]


async def test_it_is_retried_by_itself_when_the_cooldown_ends(transport, control, clock, sandbox):  # noqa: ANN001
    """No answer at all: when the time baseFM gave is up, the leg tries again alone."""
    await register_retake(transport, control)
    await cooling_wallet(transport, control)
    clock.advance(DAY - 40)  # 40 s of the cooldown left (5 s of wall time at 8x)
    run = three_legs(transport, control, clock, clawcast=False, duration=120.0)
    operator, going = started(run)
    try:
        step = (await until(lambda: cooldown_steps(run)))[0]
        assert 30 < step.data["until"] - clock.now() <= 40
        await until(lambda: "retake" in run.live())
        since = retake_ingest_since(sandbox)
        await until(lambda: "basefm" in run.live(), 30)
        assert len(cooldown_steps(run)) == 1 and operator.pending == []
        withdrawn = [e for e in run.recorder.events if isinstance(e, OperatorWithdrawn)]
        assert [(e.need, e.id) for e in withdrawn] == [("cooldown", step.id)]
        assert_joined_without_a_break(run, sandbox, since)
    finally:
        run.golive.request_stop()
        await asyncio.wait_for(going, 30)
    assert [s["status"] for s in await basefm_sessions(control)] == ["ended", "ended"]


async def test_give_up_ends_the_basefm_leg_alone(transport, control, clock):  # noqa: ANN001
    await register_retake(transport, control)
    await cooling_wallet(transport, control)
    run = three_legs(transport, control, clock, clawcast=False, duration=120.0)
    operator, going = started(run)
    try:
        step = (await until(lambda: cooldown_steps(run)))[0]
        await until(lambda: "retake" in run.live())
        with pytest.raises(ValidationFailed, match="must be retry or give up"):
            operator.give("cooldown", "later")  # checked, reported, and asked again
        assert operator.pending == [step.id]
        operator.give(step.id, "Give_Up")
        await until(lambda: any(isinstance(e, Notice) and "given up" in e.text
                                for e in run.recorder.events))  # fmt: skip
        assert (
            operator.pending == []
            and not going.done()
            and "retake" in run.live()
            and "basefm" not in run.dropped()
        )
        assert [s["status"] for s in await basefm_sessions(control)] == ["ended"]  # no new one
    finally:
        run.golive.request_stop()
        outcome = await asyncio.wait_for(going, 30)
    assert outcome.ok, outcome.errors
