"""The Socket.IO client-to-server ``message`` (chat, tip, trade with the Privy JWT) and
``leaveRoom``, against the sandbox on a real loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from studio.backoff import Backoff
from studio.errors import ValidationFailed
from studio.events import Event
from studio.platforms._http import PlatformError
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_events import RetakeChat, RetakeFollow, RetakeTip, RetakeTrade
from studio.platforms.retake_jwt import PrivyJwt, WrongCredential
from studio.platforms.retake_live import PollIntervals, RetakeLive
from studio.platforms.retake_socket_message import SocketNotConnected, send_socket_message
from studio.sandbox.app import Sandbox, SandboxConfig
from studio.sandbox.server import serve_in_thread
from tests.retake.retake_helpers import verified_agent, wait_until

FAST = Backoff(first=0.05, factor=1.0, cap=0.05, jitter=0.0, attempts=None)
QUICK_POLL = PollIntervals(active=0.05, quiet=0.1, active_window=1.0)


def now_iso() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox(SandboxConfig())
    with serve_in_thread(sandbox) as origin:
        yield sandbox, origin


@pytest.fixture
async def stage(served: tuple[Sandbox, str]) -> AsyncIterator[dict[str, Any]]:
    """A live streamer and a fan with a Privy JWT."""
    sandbox, origin = served
    n = len(sandbox.retake.world.agents)
    async with (
        RetakeClient(origin) as streamer,
        RetakeClient(origin) as fan,
        httpx.AsyncClient(base_url=origin) as control,
    ):
        star = await verified_agent(streamer, control, f"Star_{n}")
        await verified_agent(fan, control, f"Fan_{n}")
        rtmp = await streamer.rtmp()
        start = await streamer.stream_start()
        assert sandbox.publish("retake", rtmp.key.get_secret_value())
        info = await streamer.streamer(star.user_db_id)
        assert info.session is not None
        jwt = PrivyJwt(
            (await control.post("/_sandbox/retake/privy", json={"agent": f"Fan_{n}"})).json()["jwt"]
        )
        yield {
            "sandbox": sandbox,
            "origin": origin,
            "client": streamer,
            "control": control,
            "user": star.user_db_id,
            "session": info.session.session_id,
            "token": start.token.token_address if start.token else None,
            "fan": f"Fan_{n}",
            "jwt": jwt,
        }


def message(stage: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {
        "type": "message",
        "session_id": stage["session"],
        "streamer_id": stage["user"],
        "sender_username": stage["fan"],
        "text": "Hello!",
        "timestamp": now_iso(),
        **fields,
    }


async def test_chat_tip_and_trade_reach_the_streamers_feed(stage: dict[str, Any]) -> None:
    got: list[Event] = []
    live = RetakeLive(
        stage["client"],
        stage["user"],
        got.append,
        token_addresses=[stage["token"]],
        reconnect=FAST,
        intervals=QUICK_POLL,
    )
    await live.start()
    try:
        await wait_until(lambda: live.connected)
        ack = await send_socket_message(
            stage["origin"], stage["jwt"], message(stage, text="gm all")
        )
        assert ack.ok and ack.id
        await wait_until(lambda: any(isinstance(e, RetakeChat) and e.text == "gm all" for e in got))
        chat = next(e for e in got if isinstance(e, RetakeChat) and e.text == "gm all")
        assert (chat.author, chat.id) == (stage["fan"], ack.id)

        tip = message(
            stage,
            type="tip",
            text="for the build",
            tip_data={"receiver_id": stage["user"], "amount": 12.5},
        )
        assert (await send_socket_message(stage["origin"], stage["jwt"], tip)).ok
        await wait_until(lambda: any(isinstance(e, RetakeTip) for e in got))
        received = next(e for e in got if isinstance(e, RetakeTip))
        assert (received.sender_username, received.amount) == (stage["fan"], 12.5)
        totals = stage["sandbox"].retake.world.tips[stage["user"]]
        assert totals[stage["fan"]] == 12.5

        # the same message on the feed's own connection
        trade = message(stage, type="trade", text=None, trade_data={"amount": 40, "type": "buy"})
        trade.pop("text")
        ack = await live.send(stage["jwt"], trade)
        await wait_until(lambda: any(isinstance(e, RetakeTrade) for e in got))
        bought = next(e for e in got if isinstance(e, RetakeTrade))
        assert (bought.action, bought.usd_amount, bought.address) == ("buy", 40.0, stage["token"])
        assert bought.data["id"] == ack.id  # the trade's id is its chat event's id
    finally:
        await live.stop()


async def test_refusals_are_errors_and_bad_input_never_leaves(stage: dict[str, Any]) -> None:
    origin, jwt, sandbox = stage["origin"], stage["jwt"], stage["sandbox"]
    with pytest.raises(PlatformError, match="Session 'session_x' not found") as info:
        await send_socket_message(origin, jwt, message(stage, session_id="session_x"))
    assert info.value.status == 404
    with pytest.raises(PlatformError, match="not the JWT's user") as info:
        await send_socket_message(origin, jwt, message(stage, sender_username="Someone_Else"))
    assert info.value.status == 403

    connects = sandbox.retake.connects
    with pytest.raises(ValidationFailed, match="tip_data: is required with type tip"):
        await send_socket_message(origin, jwt, message(stage, type="tip"))
    with pytest.raises(ValidationFailed, match="text: must be at most 500"):
        await send_socket_message(origin, jwt, message(stage, text="x" * 501))
    with pytest.raises(ValidationFailed, match="trade_data.type"):
        await send_socket_message(
            origin, jwt, message(stage, type="trade", trade_data={"amount": 1, "type": "hold"})
        )
    with pytest.raises(WrongCredential, match="sender_token"):
        await send_socket_message(origin, "rtk_notajwt", message(stage))  # type: ignore[arg-type]
    assert sandbox.retake.connects == connects, "nothing was sent"


async def test_an_expired_jwt_is_refused_with_401(stage: dict[str, Any]) -> None:
    sandbox = stage["sandbox"]
    value = stage["jwt"].reveal()
    user, _ = sandbox.retake.world.jwts[value]
    sandbox.retake.world.jwts[value] = (user, 0.0)
    with pytest.raises(PlatformError, match="expired") as info:
        await send_socket_message(stage["origin"], stage["jwt"], message(stage))
    assert info.value.status == 401
    assert value not in str(info.value)


async def test_leave_room_stops_its_events_now_and_after_reconnects(stage: dict[str, Any]) -> None:
    sandbox, control, user = stage["sandbox"], stage["control"], stage["user"]
    got: list[Event] = []
    live = RetakeLive(stage["client"], user, got.append, reconnect=FAST, intervals=QUICK_POLL)
    await live.start()
    try:
        await wait_until(lambda: live.connected)
        await control.post("/_sandbox/retake/follow", json={"streamer_id": user, "username": "a"})
        await wait_until(lambda: any(isinstance(e, RetakeFollow) for e in got))
        await live.leave(f"live_{user}")
        await wait_until(
            lambda: all(
                f"live_{user}" not in rooms for rooms in list(sandbox.retake.sockets.values())
            )
        )
        await control.post("/_sandbox/retake/drop-sockets", json={})
        await wait_until(lambda: live.connects == 2)
        assert f"live_{user}" not in live.rooms
        assert all(f"live_{user}" not in rooms for rooms in list(sandbox.retake.sockets.values()))
        await control.post("/_sandbox/retake/follow", json={"streamer_id": user, "username": "b"})
        await control.post("/_sandbox/retake/chat", json={"streamer_id": user, "text": "marker"})
        await wait_until(lambda: any(isinstance(e, RetakeChat) and e.text == "marker" for e in got))
        assert [e.username for e in got if isinstance(e, RetakeFollow)] == ["a"]
    finally:
        await live.stop()


async def test_send_on_a_feed_that_is_not_connected_is_refused(stage: dict[str, Any]) -> None:
    got: list[Event] = []
    live = RetakeLive(stage["client"], stage["user"], got.append, socket=False)
    await live.start()
    try:
        with pytest.raises(SocketNotConnected, match="not connected"):
            await live.send(stage["jwt"], message(stage))
    finally:
        await live.stop()
    assert stage["sandbox"].retake.world.comments.get(stage["user"], []) == []
