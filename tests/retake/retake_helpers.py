"""Shared helpers of the retake.tv tests."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from typing import Any

import httpx
from PIL import Image

from studio.platforms.retake import RetakeClient
from studio.platforms.retake_models import Registration
from studio.validation.retake import b58encode

WALLET = b58encode(bytes(range(1, 33)))
TWEET = "https://x.com/operator/status/1234567890"


def register_body(name: str = "Studio_Bot", **overrides: Any) -> dict[str, Any]:
    body = {
        "agent_name": name,
        "agent_description": "A terminal studio that streams its own build logs.",
        "image_url": "https://cdn.example.com/avatar.png",
        "wallet_address": WALLET,
        "ticker": "STUDIO",
    }
    body.update(overrides)
    return body


def png(width: int = 16, height: int = 16, fmt: str = "PNG") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (10, 200, 30)).save(buf, fmt)
    return buf.getvalue()


async def verified_agent(
    client: RetakeClient, control: httpx.AsyncClient, name: str = "Studio_Bot"
) -> Registration:
    """Register ``name``, have the "human" tweet the code, and verify."""
    reg = await client.register(register_body(name))
    prompt = await client.prepare_verify()
    url = f"https://x.com/operator/status/{abs(hash(name)) % 10**12}"
    reply = await control.post(
        "/_sandbox/retake/tweets", json={"url": url, "text": prompt.verification_message}
    )
    assert reply.status_code == 200
    assert (await client.verify(url)).verified
    return reg


async def wait_until(condition: Callable[[], bool], within: float = 5.0) -> None:
    """Wait for ``condition`` (checked every 10 ms), failing after ``within`` seconds.

    The state it watches changes in another thread (the served sandbox) or in
    callbacks, so it is polled rather than signalled."""

    async def loop() -> None:
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.01)

    await asyncio.wait_for(loop(), within)
