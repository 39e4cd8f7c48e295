"""The paid baseFM session is never lost: only the operator or the planned end DELETEs
it; any other ending leaves it armed with its token kept, and going live again
recovers it without a second payment."""

from __future__ import annotations

import asyncio
import errno
import json
from typing import Any

import httpx
import pytest

from studio.config import Paths
from studio.golive.leg import Timing
from studio.golive.operator import Need
from studio.platforms._http import UnexpectedResponse
from studio.platforms.basefm import BasefmClient
from studio.redaction import reveal
from studio.session_store import SessionStore
from tests.golive.golive_helpers import (
    SANDBOX,
    TX_HASH,
    WALLET,
    FastClock,
    basefm_sessions,
    register_retake,
    three_legs,
)

BASEFM = "/api/basefm/streams"


@pytest.fixture
def clock() -> FastClock:
    return FastClock(speed=20.0)


def stored_token() -> str | None:
    entry = SessionStore(Paths.from_env().sessions_file).get("basefm")
    return entry["session_token"] if entry else None


async def armed(control: httpx.AsyncClient) -> None:
    """Exactly one baseFM session, paid once, still current, its token kept."""
    (session,) = await basefm_sessions(control)
    assert session["status"] != "ended" and session["remaining"] > 0
    state = (await control.get("/_sandbox/basefm/state")).json()
    assert state["usedTxHashes"] == [TX_HASH]
    assert stored_token()


async def recovered_by_going_live_again(transport, control, clock) -> None:
    """A second go-live with no payment to give takes the armed session back, goes live
    on it and ends it at the planned end."""
    await control.delete("/_sandbox/faults")
    run = three_legs(
        transport, control, clock, retake=False, clawcast=False, duration=1.0, answers={}
    )
    outcome = await asyncio.wait_for(run.golive.run(), 30)
    assert outcome.ok, outcome.errors
    notices = [e.text for e in run.recorder.of("golive.notice")]
    assert any("recovered the session a previous run created" in t for t in notices)
    assert run.live() == {"basefm"}
    (session,) = await basefm_sessions(control)  # the same one, never a second
    assert session["status"] == "ended"
    state = (await control.get("/_sandbox/basefm/state")).json()
    assert state["usedTxHashes"] == [TX_HASH]
    assert stored_token() is None


CAUSES = {
    "retake_confirm_timeout": dict(no_ingest=frozenset({"retake"}), all_or_nothing=True),
    "clawcast_booking": dict(all_or_nothing=True),
    "pipeline_not_starting": dict(pipeline_fails=True),
    "mux_not_active_in_60s": dict(no_ingest=frozenset({"basefm"})),
}


@pytest.mark.parametrize("cause", list(CAUSES))
async def test_a_failure_elsewhere_leaves_the_session_armed_and_going_live_recovers_it(
    transport, control, clock, cause
):
    await register_retake(transport, control)
    if cause == "clawcast_booking":
        await control.post(
            "/_sandbox/faults", json={"burst": {"path_prefix": "/api/bookSlot", "count": 5}}
        )
    timing = Timing(
        status_poll=3.0,
        live_timeout=0.5,  # wall-clock seconds: retake.tv's 30 s, shortened
        thumbnail_every=10.0,
        viewers_every=5.0,
        basefm_status_every=10.0,
        basefm_live_timeout=60.0,  # sandbox seconds: 3 s at 20x
        frame_every=1.0,
        stop_timeout=10.0,
    )
    run = three_legs(transport, control, clock, duration=2.0, timing=timing, **CAUSES[cause])
    outcome = await asyncio.wait_for(run.golive.run(), 30)
    assert not outcome.ok
    assert outcome.summary["basefm"]["ended"] == "left armed"
    steps = [(e.platform, e.step) for e in run.recorder.of("golive.step")]
    assert ("basefm", "end_session") not in steps  # no DELETE was ever sent
    warnings = [e.text for e in run.recorder.of("golive.notice") if e.level == "warning"]
    assert any("left armed" in t for t in warnings)
    await armed(control)
    await recovered_by_going_live_again(transport, control, clock)


async def test_without_all_or_nothing_a_failure_elsewhere_leaves_basefm_on_air(
    transport, control, clock
):
    await register_retake(transport, control)
    await control.post(
        "/_sandbox/faults", json={"burst": {"path_prefix": "/api/bookSlot", "count": 5}}
    )
    run = three_legs(transport, control, clock, duration=1.5)
    outcome = await asyncio.wait_for(run.golive.run(), 30)
    assert set(outcome.failed_legs) == {"clawcast"}
    assert sorted(outcome.on_air) == ["basefm", "retake"]
    assert outcome.summary["basefm"]["ended"] != "left armed"  # the planned end ended it
    assert [s["status"] for s in await basefm_sessions(control)] == ["ended"]


class Tamper(httpx.AsyncBaseTransport):
    """Passes every request to the sandbox and rewrites the JSON of chosen replies,
    keeping what it replaced, as a platform that changed a field's type would."""

    def __init__(self, inner: httpx.AsyncBaseTransport, edits: dict[tuple[str, str], Any]):
        self.inner = inner
        self.edits = edits
        self.originals: list[dict] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        edit = self.edits.get((request.method, request.url.path))
        if edit is None:
            return response
        body = json.loads(await response.aread())
        self.originals.append(body)
        edit(body)
        return httpx.Response(
            response.status_code,
            headers={"content-type": "application/json"},
            content=json.dumps(body).encode(),
        )


def wrong_type(body: dict) -> None:
    body["session"]["maxDuration"] = "two hours"


async def test_the_token_is_kept_from_the_raw_reply_before_validation(transport, control, clock):
    tamper = Tamper(transport, {("POST", BASEFM): wrong_type})
    client = BasefmClient(
        SANDBOX, transport=tamper, store=SessionStore(Paths.from_env().sessions_file)
    )
    created = await client.create_stream(WALLET, tx_hash=TX_HASH)
    (original,) = tamper.originals
    token = original["session"]["accessToken"]
    assert reveal(client.held.session_token) == token
    assert stored_token() == token
    assert created.reconnected and created.stream.id == original["stream"]["id"]


async def test_the_token_survives_a_reply_that_cannot_be_read_back_either(
    transport, control, clock
):
    broken_get = {("POST", BASEFM): wrong_type, ("GET", BASEFM): lambda b: b.update(active="yes?")}
    tamper = Tamper(transport, broken_get)
    client = BasefmClient(
        SANDBOX, transport=tamper, store=SessionStore(Paths.from_env().sessions_file)
    )
    with pytest.raises(UnexpectedResponse, match="maxDuration"):
        await client.create_stream(WALLET, tx_hash=TX_HASH)
    token = tamper.originals[0]["session"]["accessToken"]
    assert stored_token() == token
    later = BasefmClient(SANDBOX, transport=transport, clock=clock.now)  # a restarted studio
    assert reveal(later.held.session_token) == token
    await later.end_session()
    assert [s["status"] for s in await basefm_sessions(control)] == ["ended"]


async def stop_during_the_paid_create(run, control) -> Any:
    await control.post("/_sandbox/faults", json={"latency": 0.6, "latency_prefix": BASEFM})
    creating = asyncio.Event()
    run.golive.ctx.bus.add_listener(
        lambda e: creating.set() if getattr(e, "step", None) == "stream" else None
    )
    task = asyncio.create_task(run.golive.run())
    await asyncio.wait_for(creating.wait(), 10)
    await asyncio.sleep(0.1)  # the create is on its way, its answer 0.5 s out
    run.golive.request_stop("stopped by SIGINT")  # what the signal handler calls
    outcome = await asyncio.wait_for(task, 30)
    await control.delete("/_sandbox/faults")
    return outcome


async def test_a_stop_during_the_paid_create_waits_for_its_answer_and_keeps_the_token(
    transport, control, clock
):
    run = three_legs(
        transport, control, clock, retake=False, clawcast=False, duration=5, tx_hash=TX_HASH
    )
    outcome = await stop_during_the_paid_create(run, control)
    assert outcome.reason == "stopped by SIGINT"
    assert outcome.summary["basefm"]["ended"] == "left armed"
    await armed(control)
    await recovered_by_going_live_again(transport, control, clock)


async def test_a_stop_during_a_create_that_never_answers_says_so(transport, control, clock):
    run = three_legs(
        transport,
        control,
        clock,
        retake=False,
        clawcast=False,
        duration=5,
        tx_hash=TX_HASH,
        create_timeout=0.2,  # the bound on waiting, shorter than the 0.6 s latency
    )
    outcome = await stop_during_the_paid_create(run, control)
    assert not outcome.ok  # never a success with the outcome unknown
    (error,) = outcome.errors
    assert "may have created it and used the payment" in error and "Do not pay again" in error


class FullDisk(SessionStore):
    def put(self, platform: str, entry: dict[str, Any]) -> None:
        raise OSError(errno.ENOSPC, "No space left on device", str(self.path))


async def test_a_token_that_cannot_be_saved_is_kept_in_memory_and_the_session_still_ends(
    transport, control, clock
):
    run = three_legs(
        transport,
        control,
        clock,
        retake=False,
        clawcast=False,
        duration=1.0,
        store=FullDisk(Paths.from_env().sessions_file),
    )
    outcome = await asyncio.wait_for(run.golive.run(), 30)
    assert outcome.ok, outcome.errors
    warnings = [e.text for e in run.recorder.of("golive.notice") if e.level == "warning"]
    assert any("could not be saved (No space left on device)" in t for t in warnings)
    assert run.live() == {"basefm"}
    assert [s["status"] for s in await basefm_sessions(control)] == ["ended"]


class PayingHuman:
    """Gives a mistyped hash first, then the right one; keeps every prompt."""

    def __init__(self, *hashes: str) -> None:
        self.hashes = list(hashes)
        self.asked: list[Need] = []

    async def answer(self, need: Need) -> str:
        self.asked.append(need)
        return need.validate(self.hashes.pop(0))


BAD = "0x" + "ee" * 32


@pytest.mark.parametrize("up_front", [False, True], ids=["asked", "flag"])
async def test_a_rejected_payment_is_named_and_never_asks_for_a_second_one(
    transport, control, clock, up_front
):
    await control.post(
        "/_sandbox/basefm/tx-hashes", json={"hash": BAD, "reason": "transaction not found"}
    )
    human = PayingHuman(*([TX_HASH] if up_front else [BAD, TX_HASH]))
    run = three_legs(
        transport,
        control,
        clock,
        retake=False,
        clawcast=False,
        duration=1.0,
        operator=human,
        tx_hash=BAD if up_front else None,
    )
    outcome = await asyncio.wait_for(run.golive.run(), 30)
    assert outcome.ok, outcome.errors
    again = human.asked[-1]
    assert f"baseFM rejected the payment {BAD}: " in again.prompt
    assert "transaction not found" in again.prompt
    assert "Do not send another payment" in again.prompt
    assert "Send $" not in again.prompt
    assert again.data["rejected_tx_hash"] == BAD
    warnings = [e.text for e in run.recorder.of("golive.notice") if e.level == "warning"]
    assert any(BAD in t and "transaction not found" in t for t in warnings)
    state = (await control.get("/_sandbox/basefm/state")).json()
    assert state["usedTxHashes"] == [TX_HASH]
