"""Bad input, generated: every validator and every reply parser, fed whatever
hypothesis makes up, either accepts it or raises its typed error with a message that
names the field, and a client refuses bad input before anything is sent.

``STUDIO_RELIABILITY=long`` runs five times as many examples."""

from __future__ import annotations

import asyncio
import inspect
import json
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from studio.errors import ValidationFailed
from studio.platforms import basefm_models, clawcast_models, retake_models
from studio.platforms._http import PlatformError
from studio.platforms.basefm import BasefmClient
from studio.platforms.clawcast import ClawcastClient
from studio.platforms.retake import RetakeClient
from studio.sandbox.app import Sandbox, SandboxConfig
from studio.validation import basefm as basefm_rules
from studio.validation import check
from studio.validation import clawcast as clawcast_rules
from studio.validation import retake as retake_rules
from tests.reliability.conftest import LONG

EXAMPLES = 50 if LONG else 10
SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=60)
    | st.sampled_from(
        ["", " ", "0x" + "a" * 40, "https://x.com/a/status/1", "rtmp://h/a", "\x1b[2J"]
    )
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=12), inner, max_size=6)
    ),
    max_leaves=25,
)


def models_in(module: Any) -> list[type[BaseModel]]:
    return [
        value
        for name, value in vars(module).items()
        if inspect.isclass(value)
        and issubclass(value, BaseModel)
        and value.__module__ == module.__name__
        and not name.startswith("_")
    ]


def field_names(model: type[BaseModel]) -> set[str]:
    names = set(model.model_fields)
    for field in model.model_fields.values():
        if field.alias:
            names.add(field.alias)
        if field.validation_alias and isinstance(field.validation_alias, str):
            names.add(field.validation_alias)
    return names


VALIDATORS = [
    m for module in (retake_rules, clawcast_rules, basefm_rules) for m in models_in(module)
]
REPLIES = [
    m for module in (retake_models, clawcast_models, basefm_models) for m in models_in(module)
]


def shaped_like(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    """Objects with the model's own field names (so the rules inside are reached),
    holding anything, or anything at all."""
    names = sorted(field_names(model)) or ["value"]
    return st.dictionaries(st.sampled_from(names), json_values, max_size=len(names)) | json_values


@pytest.mark.parametrize(
    "model", VALIDATORS, ids=lambda m: f"{m.__module__.rsplit('.', 1)[-1]}.{m.__name__}"
)
@SETTINGS
@given(data=st.data())
def test_every_validator_accepts_or_names_the_field(
    model: type[BaseModel], data: st.DataObject
) -> None:
    value = data.draw(shaped_like(model))
    try:
        check(model, value)
    except ValidationFailed as failed:
        assert failed.problems
        for problem in failed.problems:
            assert problem.field and problem.rule, problem
            assert problem.field in failed.message
        known = field_names(model) | {str(k) for k in value} if isinstance(value, dict) else set()
        for problem in failed.problems:
            assert problem.field == "(body)" or any(
                problem.field.startswith(name) for name in known
            ), f"{problem.field!r} names no field of {sorted(known)}"


@pytest.mark.parametrize(
    "rule", [basefm_rules.check_wallet, basefm_rules.check_tx_hash, basefm_rules.check_relay_key]
)
@SETTINGS
@given(value=json_values)
def test_single_value_checks_accept_or_name_the_field(rule: Any, value: Any) -> None:
    try:
        rule(value)
    except ValidationFailed as failed:
        (problem,) = failed.problems
        assert problem.field in ("wallet", "txHash", "relayKey") and problem.field in failed.message


PARSER_TRANSPORT = httpx.MockTransport(lambda request: httpx.Response(599))
"""Never called: ``parse`` reads a reply already in hand (a transport saves the
client its TLS set-up)."""


def reply(body: bytes) -> httpx.Response:
    request = httpx.Request("GET", "http://sandbox.test/api/thing")
    return httpx.Response(200, content=body, request=request)


@pytest.mark.parametrize(
    "model", REPLIES, ids=lambda m: f"{m.__module__.rsplit('.', 1)[-1]}.{m.__name__}"
)
@SETTINGS
@given(data=st.data())
def test_every_reply_parser_accepts_or_raises_the_platform_error(
    model: type[BaseModel], data: st.DataObject
) -> None:
    value = data.draw(shaped_like(model))
    body = (
        json.dumps(value).encode()
        if data.draw(st.booleans())
        else data.draw(st.binary(max_size=40))
    )
    client = RetakeClient("http://sandbox.test", transport=PARSER_TRANSPORT)
    try:
        client.parse(model, reply(body))
    except PlatformError as error:
        assert "did not match the documented shape" in error.message
        assert "/api/thing" in error.message


class Counting(httpx.AsyncBaseTransport):
    """The in-process sandbox, counting every request that reaches it."""

    def __init__(self) -> None:
        sandbox = Sandbox(
            SandboxConfig(rtmp_base="rtmp://127.0.0.1:1935", origin="http://sandbox.test")
        )
        self.inner = httpx.ASGITransport(app=sandbox.app)
        self.count = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.count += 1
        return await self.inner.handle_async_request(request)


async def refused_before_sending(call: Any) -> tuple[ValidationFailed | None, int]:
    transport = Counting()
    try:
        await call(transport)
    except ValidationFailed as failed:
        return failed, transport.count
    except PlatformError:  # the input was valid and sent: the platform answered (402 …)
        pass
    return None, transport.count


@SETTINGS
@given(body=shaped_like(retake_rules.RegisterRequest))
def test_retake_registration_bad_input_sends_nothing(body: Any) -> None:
    async def call(transport: Counting) -> None:
        async with RetakeClient("http://sandbox.test", transport=transport) as client:
            await client.register(body)

    failed, sent = asyncio.run(refused_before_sending(call))
    if failed is not None:
        assert sent == 0, f"{sent} request(s) sent for refused input"


@SETTINGS
@given(body=shaped_like(clawcast_rules.BookSlotRequest))
def test_clawcast_booking_bad_input_sends_nothing(body: Any) -> None:
    async def call(transport: Counting) -> None:
        async with ClawcastClient("http://sandbox.test", transport=transport) as client:
            await client.book_slot(body)

    failed, sent = asyncio.run(refused_before_sending(call))
    if failed is not None:
        assert sent == 0, f"{sent} request(s) sent for refused input"


@SETTINGS
@given(wallet=json_values, name=st.none() | st.text(max_size=90), tx=st.none() | json_values)
def test_basefm_create_bad_input_sends_nothing(wallet: Any, name: Any, tx: Any) -> None:
    async def call(transport: Counting) -> None:
        async with BasefmClient("http://sandbox.test", transport=transport) as client:
            await client.create_stream(wallet, name=name, tx_hash=tx)

    failed, sent = asyncio.run(refused_before_sending(call))
    if failed is not None:
        assert sent == 0, f"{sent} request(s) sent for refused input"
        assert {p.field for p in failed.problems} <= {"wallet", "name", "city", "txHash"}
