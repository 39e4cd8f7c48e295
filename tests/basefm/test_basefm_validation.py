"""Every baseFM validation rule, good and bad; a refused body is never sent."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from basefm_helpers import WALLET, api_calls, tx

from studio.errors import ValidationFailed
from studio.platforms.basefm import BasefmClient
from studio.validation import check
from studio.validation.basefm import (
    CITY_MAX,
    NAME_MAX,
    CreateStreamRequest,
    RelayUpsertRequest,
    check_relay_key,
    check_tx_hash,
    check_wallet,
    create_stream_request,
)

MakeClient = Callable[..., BasefmClient]


def problems(exc: ValidationFailed) -> dict[str, str]:
    return {p.field: p.rule for p in exc.problems}


# -- wallet ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "wallet",
    [WALLET, "0x" + "AbCdEf0123" * 4, "  0x" + "12" * 20 + " "],
)
def test_good_wallets(wallet: str) -> None:
    assert check_wallet(wallet) == wallet.strip()
    assert create_stream_request(wallet).wallet == wallet.strip()


@pytest.mark.parametrize(
    ("wallet", "rule"),
    [
        ("0x" + "ab" * 19, "0x followed by 40 hex digits"),
        ("0x" + "ab" * 21, "0x followed by 40 hex digits"),
        ("ab" * 20, "0x followed by 40 hex digits"),
        ("0x" + "zz" * 20, "0x followed by 40 hex digits"),
        ("vitalik.eth", "0x followed by 40 hex digits"),
        ("", "0x followed by 40 hex digits"),
        ("0x" + "0" * 40, "zero address"),
    ],
)
def test_bad_wallets(wallet: str, rule: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        create_stream_request(wallet)
    assert rule in problems(caught.value)["wallet"]
    with pytest.raises(ValidationFailed):
        check_wallet(wallet)


def test_wallet_must_be_text() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check(CreateStreamRequest, {"wallet": 12345})
    assert problems(caught.value)["wallet"] == "must be text"


# -- name and city ---------------------------------------------------------------------


def test_name_defaults_to_dj_and_is_trimmed() -> None:
    assert create_stream_request(WALLET).name == "DJ"
    assert create_stream_request(WALLET, name="  DJ Rave ").name == "DJ Rave"
    assert create_stream_request(WALLET, name="x" * NAME_MAX).name == "x" * NAME_MAX


@pytest.mark.parametrize(
    ("name", "rule"),
    [("   ", "must not be blank"), ("x" * (NAME_MAX + 1), f"at most {NAME_MAX} characters")],
)
def test_bad_names(name: str, rule: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        create_stream_request(WALLET, name=name)
    assert rule in problems(caught.value)["name"]


def test_city_is_trimmed_and_may_be_exactly_80_characters() -> None:
    assert create_stream_request(WALLET, city="  Berlin  ").city == "Berlin"
    assert create_stream_request(WALLET, city=" " + "c" * CITY_MAX + " ").city == "c" * CITY_MAX
    assert create_stream_request(WALLET, city="   ").city is None
    assert create_stream_request(WALLET).city is None
    assert "city" not in create_stream_request(WALLET, city="  ").body()


def test_a_city_longer_than_80_characters_is_refused_not_cut() -> None:
    with pytest.raises(ValidationFailed) as caught:
        create_stream_request(WALLET, city="c" * (CITY_MAX + 1))
    rule = problems(caught.value)["city"]
    assert "at most 80 characters" in rule and "got 81" in rule
    assert "shorten it" in rule


# -- txHash ----------------------------------------------------------------------------


@pytest.mark.parametrize("tx_hash", [tx(1), "0x" + "F" * 64, " " + tx(7) + "\n"])
def test_good_tx_hashes(tx_hash: str) -> None:
    assert check_tx_hash(tx_hash) == tx_hash.strip()
    assert create_stream_request(WALLET, tx_hash=tx_hash).txHash == tx_hash.strip()


@pytest.mark.parametrize(
    "tx_hash",
    ["0x" + "1" * 63, "0x" + "1" * 65, "1" * 66, "0x" + "g" * 64, "0x", "", WALLET],
)
def test_bad_tx_hashes(tx_hash: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        create_stream_request(WALLET, tx_hash=tx_hash)
    assert "0x followed by 64 hex digits" in problems(caught.value)["txHash"]
    with pytest.raises(ValidationFailed) as again:
        check_tx_hash(tx_hash)
    assert again.value.problems[0].field == "txHash"


def test_the_body_uses_the_platforms_field_names() -> None:
    body = create_stream_request(WALLET, name="Rave", city="Lagos", tx_hash=tx(1)).body()
    assert body == {"wallet": WALLET, "name": "Rave", "city": "Lagos", "txHash": tx(1)}


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        check(CreateStreamRequest, {"wallet": WALLET, "archive": True})
    assert problems(caught.value)["archive"] == "is not a field the platform accepts"


# -- relays ----------------------------------------------------------------------------

GOOD_RELAY: dict[str, Any] = {
    "key": "youtube-main",
    "name": "YouTube Live",
    "type": "youtube",
    "viewerUrl": "https://youtube.com/live/abc123",
}


def test_good_relay_bodies() -> None:
    relay = check(RelayUpsertRequest, GOOD_RELAY)
    assert relay.body() == {**GOOD_RELAY, "required": False, "enabled": True}
    minimal = check(RelayUpsertRequest, {"key": "x.live_2", "name": "X"})
    assert minimal.type == "custom" and minimal.probeUrl is None
    for kind in ("hls-consumer", "rtmp", "youtube", "custom"):
        assert check(RelayUpsertRequest, {**GOOD_RELAY, "type": kind}).type == kind
    assert check(RelayUpsertRequest, {**GOOD_RELAY, "probeUrl": "http://10.0.0.2/live"})


@pytest.mark.parametrize(
    ("change", "field", "rule"),
    [
        ({"key": None}, "key", "is required"),
        ({"name": None}, "name", "is required"),
        ({"name": "  "}, "name", "must not be blank"),
        ({"type": "twitch"}, "type", "'hls-consumer', 'rtmp', 'youtube' or 'custom'"),
        ({"viewerUrl": "ftp://example.com/x"}, "viewerUrl", "http:// or https://"),
        ({"probeUrl": "javascript:alert(1)"}, "probeUrl", "http:// or https://"),
        ({"probeUrl": "/relative"}, "probeUrl", "http:// or https://"),
        ({"key": "../etc"}, "key", "letters, digits"),
        ({"key": "a/b"}, "key", "letters, digits"),
        ({"required": "yes"}, "required", "valid boolean"),
    ],
)
def test_bad_relay_bodies(change: dict[str, Any], field: str, rule: str) -> None:
    body = {k: v for k, v in {**GOOD_RELAY, **change}.items() if v is not None}
    with pytest.raises(ValidationFailed) as caught:
        check(RelayUpsertRequest, body)
    assert rule in problems(caught.value)[field]


@pytest.mark.parametrize("key", ["basefm-space", "youtube-main", "x.live", "A1_b"])
def test_good_relay_keys(key: str) -> None:
    assert check_relay_key(key) == key


@pytest.mark.parametrize(
    "key", ["", "../x", "a/b", "a b", "-leading", ".hidden", "a?b", "x" * 65, "ключ"]
)
def test_bad_relay_keys(key: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        check_relay_key(key)
    assert caught.value.problems[0].field == "relayKey"


# -- nothing is sent -------------------------------------------------------------------


async def test_refused_input_never_reaches_the_platform(
    make_client: MakeClient, control: httpx.AsyncClient
) -> None:
    client = make_client()
    attempts = [
        client.create_stream("0x123"),
        client.create_stream(WALLET, city="c" * 81),
        client.create_stream(WALLET, name=""),
        client.create_stream(WALLET, tx_hash="0xdeadbeef"),
        client.upsert_relay({"key": "a b", "name": "x"}),
        client.upsert_relay({"key": "ok", "name": "x", "type": "twitch"}),
        client.probe_relay("../../streams"),
    ]
    for attempt in attempts:
        with pytest.raises(ValidationFailed) as caught:
            await attempt
        assert "nothing was sent" in str(caught.value)
    assert await api_calls(control) == []
