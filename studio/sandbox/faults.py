"""Switchable faults for the sandbox: error bursts, bad replies and latency.

The switches sit in front of the platform routes (not the ``/_sandbox`` control
routes). Each burst is bounded by a count, so a fault test always ends by itself.

A burst answers, instead of the platform, with one of ``REPLIES``:

``status``        a JSON error with the burst's status (the default)
``redirect``      a redirect (the burst's status, 302 by default) to ``location``
``corrupt_gzip``  200 (or the burst's status) with ``content-encoding: gzip`` and a body that is not gzip
``deep_json``     200 with JSON nested deeper than any parser's recursion limit
``huge``          200 with a JSON body of ``size`` bytes (16 MiB at most)
``json``          the burst's status (200 by default) with ``body`` as JSON: a reply
                  of the right shape with wrong values (``{"viewers": -1}``)

``retry_after`` (seconds) adds a ``Retry-After`` header to a burst's replies (a 429's).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

REPLIES = ("status", "redirect", "corrupt_gzip", "deep_json", "huge", "json")
MAX_HUGE = 16 * 1024 * 1024
DEEP = 100_000


@dataclass
class ErrorBurst:
    status: int = 503
    remaining: int = 1
    path_prefix: str = ""
    reply: str = "status"
    location: str = ""
    body: Any = None
    size: int = 0
    retry_after: float | None = None

    def response(self) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        """The status, headers and body this burst answers with."""
        status, headers, body = self._response()
        if self.retry_after is not None:
            headers.append((b"retry-after", f"{self.retry_after:g}".encode()))
        return status, headers, body

    def _response(self) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
        json_type = (b"content-type", b"application/json")
        if self.reply == "redirect":
            return self.status, [(b"location", self.location.encode())], b""
        if self.reply == "corrupt_gzip":
            gzip = (b"content-encoding", b"gzip")
            return self.status, [json_type, gzip], b"this is not gzip data"
        if self.reply == "deep_json":
            return self.status, [json_type], b"[" * DEEP + b"]" * DEEP
        if self.reply == "huge":
            filler = b"x" * max(0, min(self.size, MAX_HUGE) - 10)
            return self.status, [json_type], b'{"x": "' + filler + b'"}'
        if self.reply == "json":
            return self.status, [json_type], json.dumps(self.body).encode()
        body = json.dumps({"error": "sandbox fault injected", "status": self.status}).encode()
        return self.status, [json_type], body


@dataclass
class Faults:
    latency: float = 0.0
    latency_prefix: str = ""
    bursts: list[ErrorBurst] = field(default_factory=list)

    def add_burst(
        self,
        status: int = 503,
        count: int = 1,
        path_prefix: str = "",
        *,
        reply: str = "status",
        location: str = "",
        body: Any = None,
        size: int = 0,
        retry_after: float | None = None,
    ) -> None:
        if reply not in REPLIES:
            raise ValueError(f"reply must be one of {', '.join(REPLIES)}")
        if retry_after is not None and retry_after < 0:
            raise ValueError("retry_after must be 0 or more seconds")
        self.bursts.append(
            ErrorBurst(
                status,
                count,
                path_prefix,
                reply,
                location,
                body,
                min(size, MAX_HUGE),
                retry_after,
            )
        )

    def clear(self) -> None:
        self.latency = 0.0
        self.latency_prefix = ""
        self.bursts.clear()

    def take_burst(self, path: str) -> ErrorBurst | None:
        for burst in self.bursts:
            if burst.remaining > 0 and path.startswith(burst.path_prefix):
                burst.remaining -= 1
                self.bursts = [b for b in self.bursts if b.remaining > 0]
                return burst
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
        burst = self.faults.take_burst(path)
        if burst is None:
            await self.app(scope, receive, send)
            return
        status, headers, body = burst.response()
        headers.append((b"content-length", str(len(body)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
