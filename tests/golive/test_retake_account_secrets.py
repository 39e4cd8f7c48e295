"""The Privy user JWT, when the operator has one, is masked on air like the keys: the
kiosk learns its fingerprint, never the JWT."""

from __future__ import annotations

import hashlib
import json

from studio.config import Paths
from studio.golive.retake_leg import RetakeLeg
from studio.onair.client import KioskLink
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_credentials import (
    credentials_from_registration,
    load_credentials,
    save_credentials,
)
from studio.platforms.retake_jwt import PrivyJwt
from tests.golive.golive_helpers import fake_context, fake_kiosk
from tests.retake.retake_helpers import register_body


async def test_the_kiosk_learns_to_mask_the_jwt(transport, control, clock):
    client = RetakeClient("http://sandbox.test", transport=transport)
    reply = await client.register(register_body("Masked_Bot"))
    save_credentials(
        Paths.from_env(),
        credentials_from_registration(
            reply, agent_name="Masked_Bot", ticker="M", origin=client.origin
        ),
    )
    await control.post("/_sandbox/retake/verified", json={"agent": "Masked_Bot"})
    jwt = PrivyJwt(
        (await control.post("/_sandbox/retake/privy", json={"agent": "Masked_Bot"})).json()["jwt"]
    )
    ctx, _ = fake_context(clock)
    async with fake_kiosk() as (socket_path, lines):
        ctx.kiosk = KioskLink(socket_path)
        leg = RetakeLeg(
            ctx, client, load_credentials(), paths=Paths.from_env(), account_secrets=[jwt.reveal()]
        )
        try:
            await leg.destination()
            assert await ctx.kiosk.flush(5)
        finally:
            await ctx.kiosk.close()
    (taught,) = [line for line in lines if line["cmd"] == "fingerprints"]
    assert jwt.reveal() not in json.dumps(lines)
    digests = {item["sha256"] for item in taught["items"]}
    assert hashlib.sha256((taught["salt"] + jwt.reveal()).encode()).hexdigest() in digests
