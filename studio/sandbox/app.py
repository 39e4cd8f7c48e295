"""The sandbox: retake.tv, ClawCast and baseFM in one ASGI app, with state.

Paths do not collide between the three platforms (retake lives under ``/api/v1``,
baseFM under ``/api/basefm``, ClawCast at ``/api/<call>``), so one app serves all
three and each ``STUDIO_*_URL`` can point at the same origin. Control routes for
tests and rehearsals live under ``/_sandbox``; the Socket.IO server of retake is
mounted at ``/socket.io/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import socketio
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from studio.sandbox.basefm import BasefmSandbox
from studio.sandbox.clawcast import ClawcastSandbox
from studio.sandbox.clock import Clock, FakeClock
from studio.sandbox.faults import FaultMiddleware, Faults
from studio.sandbox.retake import RetakeSandbox


class Ingest(Protocol):
    """A platform that hands out RTMP keys and learns when one is published."""

    def on_publish(self, key: str) -> bool: ...
    def on_publish_done(self, key: str) -> None: ...


@dataclass(frozen=True)
class SandboxConfig:
    """``rtmp_base``: where the RTMP URLs handed out point (the nginx receiver);
    ``origin``: where the sandbox itself is served, for URLs it hands out;
    ``retake_auto_tweets``: no human to tweet in a rehearsal, so any tweet counts."""

    rtmp_base: str = "rtmp://127.0.0.1:1935"
    origin: str = "http://127.0.0.1:8700"
    retake_auto_tweets: bool = False
    """Accept any well-formed tweet URL as containing the verification code (rehearsals)."""


class Sandbox:
    def __init__(self, config: SandboxConfig | None = None, clock: Clock | None = None) -> None:
        self.config = config or SandboxConfig()
        self.clock = clock or Clock()
        self.faults = Faults()
        self.retake = RetakeSandbox(self)
        self.clawcast = ClawcastSandbox(self)
        self.basefm = BasefmSandbox(self)
        self._ingest: dict[str, Ingest] = {"retake": self.retake, "basefm": self.basefm}
        routes: list[BaseRoute] = [
            *self.retake.routes(),
            *self.clawcast.routes(),
            *self.basefm.routes(),
            Mount(
                "/_sandbox",
                routes=[
                    *self._control_routes(),
                    Mount("/retake", routes=self.retake.control_routes()),
                    Mount("/clawcast", routes=self.clawcast.control_routes()),
                    Mount("/basefm", routes=self.basefm.control_routes()),
                ],
            ),
        ]
        self.http_app = FaultMiddleware(Starlette(routes=routes), self.faults)
        self.app = socketio.ASGIApp(
            self.retake.sio, other_asgi_app=self.http_app, socketio_path="socket.io"
        )

    # -- RTMP ingest, as reported by nginx-rtmp's on_publish callbacks --------------
    def publish(self, app: str, key: str) -> bool:
        """An encoder started pushing ``key`` to RTMP application ``app``.

        ``retake`` and ``basefm`` accept only the keys they handed out and still
        honour; ``extra`` stands for any other destination the operator adds and
        accepts every key."""
        if app == "extra":
            return True
        target = self._ingest.get(app)
        return bool(target and target.on_publish(key))

    def publish_done(self, app: str, key: str) -> None:
        target = self._ingest.get(app)
        if target:
            target.on_publish_done(key)

    def _control_routes(self) -> list[BaseRoute]:
        async def on_publish(request: Request) -> Response:
            form = await request.form()
            ok = self.publish(str(form.get("app", "")), str(form.get("name", "")))
            return Response(status_code=200 if ok else 403)

        async def on_publish_done(request: Request) -> Response:
            form = await request.form()
            self.publish_done(str(form.get("app", "")), str(form.get("name", "")))
            return Response(status_code=200)

        async def ingest(request: Request) -> Response:
            app, key = request.path_params["app"], request.path_params["key"]
            if request.method == "DELETE":
                self.publish_done(app, key)
                return JSONResponse({"ok": True})
            ok = self.publish(app, key)
            return JSONResponse({"ok": ok}, status_code=200 if ok else 403)

        async def faults(request: Request) -> Response:
            if request.method == "DELETE":
                self.faults.clear()
                return JSONResponse({"ok": True})
            body = await request.json()
            if "latency" in body:
                self.faults.latency = float(body["latency"])
                self.faults.latency_prefix = str(body.get("latency_prefix", ""))
            if "burst" in body:
                burst = body["burst"]
                reply = str(burst.get("reply", "status"))
                default_status = {"redirect": 302, "status": 503}.get(reply, 200)
                try:
                    self.faults.add_burst(
                        int(burst.get("status", default_status)),
                        min(int(burst.get("count", 1)), 1000),
                        str(burst.get("path_prefix", "")),
                        reply=reply,
                        location=str(burst.get("location", "")),
                        body=burst.get("body"),
                        size=int(burst.get("size", 0)),
                        retry_after=(
                            float(burst["retry_after"])
                            if burst.get("retry_after") is not None
                            else None
                        ),
                    )
                except ValueError as exc:
                    return JSONResponse({"error": str(exc)}, status_code=400)
            return JSONResponse({"ok": True})

        async def advance(request: Request) -> Response:
            if not isinstance(self.clock, FakeClock):
                return JSONResponse(
                    {"error": "the sandbox runs on the real clock"}, status_code=409
                )
            body = await request.json()
            self.clock.advance(float(body.get("seconds", 0)))
            return JSONResponse({"ok": True, "now": self.clock.now()})

        return [
            Route("/rtmp/on_publish", on_publish, methods=["POST"]),
            Route("/rtmp/on_publish_done", on_publish_done, methods=["POST"]),
            Route("/ingest/{app}/{key}", ingest, methods=["POST", "DELETE"]),
            Route("/faults", faults, methods=["POST", "DELETE"]),
            Route("/clock/advance", advance, methods=["POST"]),
        ]
