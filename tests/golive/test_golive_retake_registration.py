"""retake.tv registration as an operator step of the go-live sequence, against the
in-process sandbox: a wrong answer names the field and sends nothing, a refused
registration is asked again, a good one is registered, saved 0600 as ``studio retake
register`` saves it, and the sequence goes on to the verification tweet."""

from __future__ import annotations

import asyncio
import json
import stat

import httpx
import pytest

from studio.config import Paths
from studio.control.operator import ControlOperator
from studio.errors import ValidationFailed
from studio.golive.events import Notice, OperatorNeeded
from studio.golive.retake_leg import RetakeLeg
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_credentials import RetakeCredentials, load_credentials
from studio.sandbox.app import Sandbox
from tests.control.control_helpers import until
from tests.golive.golive_helpers import fake_context

SANDBOX = "http://sandbox.test"
WALLET = "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV"
BODY = {
    "agent_name": "step_bot",
    "agent_description": "Registered as an operator step",
    "image_url": "https://sandbox.test/_sandbox/retake/avatars/256x256.png",
    "wallet_address": WALLET,
    "ticker": "STEP",
}


def asked(recorder, need: str) -> list[OperatorNeeded]:  # noqa: ANN001
    return [e for e in recorder.of("operator.needed") if e.need == need]


async def test_registration_is_an_operator_step_then_verification(
    sandbox: Sandbox, transport: httpx.ASGITransport, control: httpx.AsyncClient, clock
) -> None:  # noqa: ANN001
    ctx, recorder = fake_context(clock)
    operator = ControlOperator(ctx.bus)
    ctx.operator = operator
    paths = Paths.from_env()
    async with RetakeClient(SANDBOX, transport=transport) as other:  # a name already taken
        await other.register({**BODY, "agent_name": "taken_bot"})
    client = RetakeClient(SANDBOX, transport=transport)
    leg = RetakeLeg(ctx, client, RetakeCredentials(), paths=paths, skill_cache=paths.state_dir,
                    avatar_transport=transport)  # fmt: skip
    preparing = asyncio.create_task(leg.prepare())
    try:
        await until(lambda: asked(recorder, "registration"))
        step = asked(recorder, "registration")[0]
        assert step.platform == "retake" and step.id == "registration-1"
        assert step.data["fields"] == list(BODY)
        # wrong: the field and its rule, nothing sent, the step asked again
        with pytest.raises(ValidationFailed) as wrong:
            operator.give(step.id, json.dumps({**BODY, "wallet_address": "0xnot-solana"}))
        assert [p.field for p in wrong.value.problems] == ["wallet_address"]
        with pytest.raises(ValidationFailed) as not_json:
            operator.give("registration", "step_bot")
        assert not_json.value.problems[0].field == "registration"
        assert "JSON object" in not_json.value.problems[0].rule
        assert [a.name for a in sandbox.retake.world.agents.values()] == ["taken_bot"]
        assert len(asked(recorder, "registration")) == 3
        # refused by retake.tv (the name is taken): said, and asked again
        operator.give("registration", json.dumps({**BODY, "agent_name": "taken_bot"}))
        await until(lambda: len(asked(recorder, "registration")) == 4)
        warnings = [e for e in recorder.events if isinstance(e, Notice) and e.level == "warning"]
        assert any("taken" in w.text.lower() for w in warnings), warnings
        assert not paths.retake_credentials.exists()
        # right: registered, saved 0600, and on to the verification tweet
        operator.give("registration", json.dumps(BODY))
        await until(lambda: asked(recorder, "tweet_url"))
        agent = next(a for a in sandbox.retake.world.agents.values() if a.name == "step_bot")
        assert stat.S_IMODE(paths.retake_credentials.stat().st_mode) == 0o600
        saved = load_credentials(paths)
        assert saved is not None and saved.access_token is not None
        assert saved.access_token.get_secret_value() == agent.access_token
        assert saved.user_db_id == agent.user_db_id and saved.origin == SANDBOX
        assert leg.agent_name == "step_bot" and leg.user_db_id == agent.user_db_id
        assert leg.watch_url.endswith("/step_bot")
        tweet = asked(recorder, "tweet_url")[0]
        url = "https://x.com/step_human/status/1862000000000000002"
        await control.post(
            "/_sandbox/retake/tweets",
            json={"url": url, "text": tweet.data["verification_message"]},
        )
        operator.give("tweet_url", url)
        await asyncio.wait_for(preparing, 10)
        assert agent.verified
    finally:
        preparing.cancel()
        await client.aclose()


async def test_a_registration_with_an_avatar_that_is_not_square_is_asked_again(
    sandbox: Sandbox, transport: httpx.ASGITransport, clock
) -> None:  # noqa: ANN001
    """The document's avatar is "square (1:1), jpg/png": the step fetches it as
    ``studio retake register`` does; a wide one is said, nothing is sent, asked again."""
    ctx, recorder = fake_context(clock)
    operator = ControlOperator(ctx.bus)
    ctx.operator = operator
    paths = Paths.from_env()
    client = RetakeClient(SANDBOX, transport=transport)
    leg = RetakeLeg(ctx, client, RetakeCredentials(), paths=paths, skill_cache=paths.state_dir,
                    avatar_transport=transport)  # fmt: skip
    preparing = asyncio.create_task(leg.prepare())
    try:
        await until(lambda: asked(recorder, "registration"))
        wide = f"{SANDBOX.replace('http:', 'https:')}/_sandbox/retake/avatars/64x32.png"
        operator.give("registration", json.dumps({**BODY, "image_url": wide}))
        await until(lambda: len(asked(recorder, "registration")) == 2)
        warnings = [
            e.text for e in recorder.events if isinstance(e, Notice) and e.level == "warning"
        ]
        assert any("image_url" in w and "must be square (1:1); it is 64x32" in w
                   for w in warnings), warnings  # fmt: skip
        assert sandbox.retake.world.agents == {} and not paths.retake_credentials.exists()
        assert not [r for r in sandbox.retake.requests if r["path"].endswith("/agent/register")]
        operator.give("registration", json.dumps(BODY))
        await until(lambda: asked(recorder, "tweet_url"))
        assert [a.name for a in sandbox.retake.world.agents.values()] == ["step_bot"]
        said = [e.text for e in recorder.events if isinstance(e, Notice)]
        assert "retake.tv avatar: image is square (256x256)" in said
    finally:
        preparing.cancel()
        await client.aclose()
