"""The retake leg's feed joins the trades room of the agent's own token, so live trades
reach the bus as typed trade events (and from there the kiosk)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from studio.config import Paths
from studio.golive.chat_bridge import chat_feed
from studio.golive.retake_leg import RetakeLeg
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_credentials import (
    credentials_from_registration,
    load_credentials,
    save_credentials,
)
from studio.platforms.retake_events import RetakeTrade
from studio.redaction import reveal
from studio.sandbox.app import Sandbox, SandboxConfig
from studio.sandbox.clock import FakeClock
from studio.sandbox.server import serve_in_thread
from tests.golive.golive_helpers import fake_context
from tests.retake.retake_helpers import register_body, wait_until


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox(SandboxConfig())
    with serve_in_thread(sandbox) as origin:
        yield sandbox, origin


async def test_own_token_trades_reach_the_bus(served: tuple[Sandbox, str]) -> None:
    sandbox, origin = served
    async with RetakeClient(origin) as client, httpx.AsyncClient(base_url=origin) as control:
        reply = await client.register(register_body("Trade_Bot"))
        save_credentials(
            Paths.from_env(),
            credentials_from_registration(
                reply, agent_name="Trade_Bot", ticker="STUDIO", origin=origin
            ),
        )
        await control.post("/_sandbox/retake/verified", json={"agent": "Trade_Bot"})
        ctx, recorder = fake_context(FakeClock())
        leg = RetakeLeg(
            ctx, client, load_credentials(), paths=Paths.from_env(), chat_feed=chat_feed(ctx.timing)
        )
        destination = await leg.destination()
        token = leg.token_address
        assert token and token == load_credentials().token_address
        assert sandbox.publish("retake", reveal(destination.url).rsplit("/", 1)[1])
        try:
            await leg.confirm_live()
            room = f"trades_{token}"
            await wait_until(
                lambda: any(room in rooms for rooms in list(sandbox.retake.sockets.values()))
            )
            await control.post(
                "/_sandbox/retake/trade",
                json={"streamer_id": reply.user_db_id, "action": "sell", "usd_amount": 7.5},
            )
            await wait_until(lambda: bool(recorder.of("retake.trade")))
            (trade,) = recorder.of("retake.trade")
            assert isinstance(trade, RetakeTrade)
            assert (trade.address, trade.action, trade.usd_amount) == (token, "sell", 7.5)
            # what the kiosk feed turns into an on-air alert, once although it came twice
            await wait_until(lambda: bool(recorder.of("chat.alert")))
            (alert,) = [a for a in recorder.of("chat.alert") if a.alert == "trade"]  # type: ignore[attr-defined]
            # whichever copy came first is shown: the chat message's trade_data amount
            # (no unit in the document) or newtrade's usdAmount
            assert alert.amount in ("7.50", "$7.50") and alert.detail == "sell"  # type: ignore[attr-defined]
            assert len([a for a in recorder.of("chat.alert") if a.alert == "trade"]) == 1  # type: ignore[attr-defined]
        finally:
            await leg.stop()
