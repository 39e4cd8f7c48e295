"""Switchable faults for the sandbox: error bursts and latency.

The switches sit in front of the platform routes (not the ``/_sandbox`` control
routes). Each burst is bounded by a count, so a fault test always ends by itself.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Receive, Scope, Send


@dataclass
class ErrorBurst:
    status: int = 503
    remaining: int = 1
    path_prefix: str = ""


@dataclass
class Faults:
    latency: float = 0.0
    latency_prefix: str = ""
    bursts: list[ErrorBurst] = field(default_factory=list)

    def add_burst(self, status: int = 503, count: int = 1, path_prefix: str = "") -> None:
        self.bursts.append(ErrorBurst(status, count, path_prefix))

    def clear(self) -> None:
        self.latency = 0.0
        self.latency_prefix = ""
        self.bursts.clear()

    def take_burst(self, path: str) -> int | None:
        for burst in self.bursts:
            if burst.remaining > 0 and path.startswith(burst.path_prefix):
                burst.remaining -= 1
                status = burst.status
                self.bursts = [b for b in self.bursts if b.remaining > 0]
                return status
        return None


class FaultMiddleware:
    def __init__(self, app: ASGIApp, faults: Faults) -> None:
        self.app = app
        self.faults = faults

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        if self.faults.latency and path.startswith(self.faults.latency_prefix):
            await asyncio.sleep(self.faults.latency)
        status = self.faults.take_burst(path)
        if status is None:
            await self.app(scope, receive, send)
            return
        body = json.dumps({"error": "sandbox fault injected", "status": status}).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [(b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": body})
