"""Every retake.tv input rule, with good and bad values; bad input is refused before
anything is sent."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from studio.errors import ValidationFailed
from studio.platforms.retake import RetakeClient
from studio.sandbox.app import Sandbox
from studio.validation import check
from studio.validation.retake import (
    ChatSendRequest,
    CommentsQuery,
    RegisterRequest,
    VerifyRequest,
    b58decode,
    b58encode,
    check_image_upload,
    check_square_image,
)
from tests.retake.retake_helpers import WALLET, png, register_body

SOLANA_SYSTEM_PROGRAM = "11111111111111111111111111111111"
A_REAL_LOOKING_KEY = "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV"


def problems(model: type[Any], data: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationFailed) as info:
        check(model, data)
    return {p.field: p.rule for p in info.value.problems}


def test_a_good_registration_passes() -> None:
    body = check(RegisterRequest, register_body())
    assert body.agent_name == "Studio_Bot" and body.ticker == "STUDIO"


@pytest.mark.parametrize("name", ["a", "Bot-2", "under_score", "X" * 32])
def test_agent_name_good(name: str) -> None:
    check(RegisterRequest, register_body(name))


@pytest.mark.parametrize("name", ["", "has space", "slash/name", "dot.name", "X" * 33, "émoji"])
def test_agent_name_bad(name: str) -> None:
    rule = problems(RegisterRequest, register_body(name))["agent_name"]
    assert "1-32 characters" in rule and "stream URL" in rule


@pytest.mark.parametrize("text,rule", [("   ", "blank"), ("x" * 501, "at most 500")])
def test_description_bad(text: str, rule: str) -> None:
    assert (
        rule
        in problems(RegisterRequest, register_body(agent_description=text))["agent_description"]
    )


@pytest.mark.parametrize(
    "url", ["https://a.example/x.png", "https://a.example/p/x.JPG", "https://a.example/x.jpeg?v=2"]
)
def test_image_url_good(url: str) -> None:
    check(RegisterRequest, register_body(image_url=url))


@pytest.mark.parametrize(
    "url,rule",
    [
        ("http://a.example/x.png", "https://"),
        ("https://a.example/x.gif", ".jpg, .jpeg or .png"),
        ("https://a.example/x", ".jpg, .jpeg or .png"),
        ("https://user:pw@a.example/x.png", "user name"),
        ("not a url", "https://"),
    ],
)
def test_image_url_bad(url: str, rule: str) -> None:
    assert rule in problems(RegisterRequest, register_body(image_url=url))["image_url"]


@pytest.mark.parametrize("wallet", [WALLET, SOLANA_SYSTEM_PROGRAM, A_REAL_LOOKING_KEY])
def test_wallet_good(wallet: str) -> None:
    assert len(b58decode(wallet)) == 32
    check(RegisterRequest, register_body(wallet_address=wallet))


@pytest.mark.parametrize(
    "wallet,rule",
    [
        ("0xabc", "base58"),  # 0 is not in the alphabet
        (WALLET[:-4], "32 bytes"),
        (b58encode(bytes(range(1, 34))), "32 bytes"),
        ("O" * 44, "base58"),
        ("", "32 bytes"),
    ],
)
def test_wallet_bad(wallet: str, rule: str) -> None:
    assert rule in problems(RegisterRequest, register_body(wallet_address=wallet))["wallet_address"]


def test_base58_round_trip_keeps_leading_zeros() -> None:
    data = b"\x00\x00" + bytes(range(30))
    assert b58encode(data).startswith("11")
    assert b58decode(b58encode(data)) == data


@pytest.mark.parametrize("ticker", ["A", "YOU", "ABCDEFGHIJ", "abc123"])
def test_ticker_good(ticker: str) -> None:
    check(RegisterRequest, register_body(ticker=ticker))


@pytest.mark.parametrize("ticker", ["", "ABCDEFGHIJK", "$YOU", "TWO WORD"])
def test_ticker_bad(ticker: str) -> None:
    assert (
        "1-10 letters or digits"
        in problems(RegisterRequest, register_body(ticker=ticker))["ticker"]
    )


def test_missing_fields_are_named() -> None:
    found = problems(RegisterRequest, {})
    assert set(found) == {
        "agent_name",
        "agent_description",
        "image_url",
        "wallet_address",
        "ticker",
    }
    assert all(rule == "is required" for rule in found.values())


@pytest.mark.parametrize(
    "url",
    [
        "https://x.com/someone/status/123",
        "https://twitter.com/some_one/status/1234567890123",
        "http://www.x.com/A/status/1?s=20&t=abc",
        "https://www.twitter.com/abcdefghijklmno/status/9/",
    ],
)
def test_tweet_url_good(url: str) -> None:
    check(VerifyRequest, {"tweet_url": url})


@pytest.mark.parametrize(
    "url",
    [
        "https://x.com/someone/status/abc",
        "https://x.com/someone",
        "https://evil.com/someone/status/1",
        "https://x.com.evil.com/someone/status/1",
        "https://x.com/abcdefghijklmnop/status/1",  # 16 characters
        "https://x.com/some-one/status/1",
        "ftp://x.com/a/status/1",
    ],
)
def test_tweet_url_bad(url: str) -> None:
    assert "status URL" in problems(VerifyRequest, {"tweet_url": url})["tweet_url"]


def test_chat_rules() -> None:
    check(ChatSendRequest, {"message": "hi", "destination_user_id": "user_1"})
    assert (
        "blank"
        in problems(ChatSendRequest, {"message": " ", "destination_user_id": "u"})["message"]
    )
    long = problems(ChatSendRequest, {"message": "x" * 501, "destination_user_id": "u"})
    assert "at most 500" in long["message"]
    bad_dest = problems(ChatSendRequest, {"message": "hi", "destination_user_id": "a/b"})
    assert "destination_user_id" in bad_dest


@pytest.mark.parametrize("limit,ok", [(1, True), (100, True), (0, False), (101, False)])
def test_comments_limit(limit: int, ok: bool) -> None:
    data = {"userDbId": "user_1", "limit": limit}
    if ok:
        check(CommentsQuery, data)
    else:
        assert "limit" in problems(CommentsQuery, data)


def test_square_image_check() -> None:
    assert check_square_image(png(64, 64)) == (64, 64)
    assert check_square_image(png(32, 32, "JPEG")) == (32, 32)
    with pytest.raises(ValidationFailed, match="must be square"):
        check_square_image(png(64, 48))
    with pytest.raises(ValidationFailed, match="JPEG or PNG"):
        check_square_image(png(8, 8, "GIF"))
    with pytest.raises(ValidationFailed, match="not a readable"):
        check_square_image(b"not an image")


def test_thumbnail_must_decode() -> None:
    assert check_image_upload(png(20, 10)) == "PNG"
    for bad in (b"", b"\x89PNG\r\n\x1a\nbroken", png(4, 4, "BMP")):
        with pytest.raises(ValidationFailed):
            check_image_upload(bad)


async def test_bad_input_never_reaches_the_platform(
    sandbox: Sandbox, transport: httpx.ASGITransport
) -> None:
    async with RetakeClient(
        "http://sandbox.test", transport=transport, access_token="rtk_notsent1"
    ) as client:
        with pytest.raises(ValidationFailed, match="agent_name"):
            await client.register(register_body("bad name"))
        with pytest.raises(ValidationFailed, match="tweet_url"):
            await client.verify("https://example.com/status/1")
        with pytest.raises(ValidationFailed, match="message"):
            await client.chat_send("", "user_1")
        with pytest.raises(ValidationFailed, match="limit"):
            await client.comments("user_1", limit=500)
        with pytest.raises(ValidationFailed, match="thumbnail"):
            await client.update_thumbnail(b"GIF89a")
        with pytest.raises(ValidationFailed, match="limit"):
            await client.recent_trades(limit=101)
        with pytest.raises(ValidationFailed, match="window"):
            await client.top_volume(window="forever")
        with pytest.raises(ValidationFailed, match="user_id"):
            await client.user_metadata("../agent/rtmp")
    assert sandbox.retake.requests == []
