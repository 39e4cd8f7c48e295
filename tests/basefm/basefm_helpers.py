"""Values, sandbox calls and a timing-out transport the baseFM tests share."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

WALLET = "0x" + "ab" * 20
OTHER_WALLET = "0x" + "cd" * 20


def tx(n: int) -> str:
    """A well-formed transaction hash, different for each ``n``."""
    return "0x" + f"{n:064x}"


async def api_calls(control: httpx.AsyncClient) -> list[dict[str, Any]]:
    return (await control.get("/_sandbox/basefm/requests")).json()["requests"]


async def state(control: httpx.AsyncClient) -> dict[str, Any]:
    return (await control.get("/_sandbox/basefm/state")).json()


async def no_sleep(_: float) -> None:
    return None


class GivingUpTransport(httpx.AsyncBaseTransport):
    """The ASGI transport with read timeouts: when the reply takes longer than the
    request's read timeout the client gets ``httpx.ReadTimeout``, while the sandbox keeps
    handling the request, as a real server does after its client has gone."""

    def __init__(self, inner: httpx.ASGITransport) -> None:
        self.inner = inner
        self.abandoned: list[asyncio.Task[httpx.Response]] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout = (request.extensions.get("timeout") or {}).get("read")
        task = asyncio.ensure_future(self.inner.handle_async_request(request))
        done, _ = await asyncio.wait({task}, timeout=timeout)
        if task in done:
            return task.result()
        self.abandoned.append(task)
        raise httpx.ReadTimeout("no reply in time", request=request)

    async def drain(self) -> None:
        """Let every abandoned request finish on the sandbox's side (bounded)."""
        if self.abandoned:
            await asyncio.wait_for(asyncio.gather(*self.abandoned), timeout=10)
        self.abandoned.clear()
