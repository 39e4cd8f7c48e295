"""The ClawCast sandbox: clawcast-api.md's endpoints over ``ClawcastChannel``.

Replies follow the live service's shapes (``{ok: false, error}`` on failure). Control
routes under ``/_sandbox/clawcast/`` let tests and rehearsals claim a name, cast
votes, refuse a slot's JWT early (``expire_jwt``), have a name held by someone else
(``hold_name``: bookSlot answers 409 for it until lifted), and read what ClawCast would have
shown: the activity feed, every frame received, every API request, and a dump of the
channel.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import socketio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from studio.sandbox.clawcast_state import MAX_LOG, ClawcastChannel, Refused, Slot
from studio.sandbox.replies import json_body

if TYPE_CHECKING:
    from studio.sandbox.app import Sandbox

Handler = Callable[[Request], Awaitable[Response]]


def _fail(status: int, message: str) -> JSONResponse:
    return JSONResponse({"ok": False, "error": message}, status_code=status)


async def _json(request: Request) -> Any:
    return await json_body(request, "The body must be JSON.")


class ClawcastSandbox:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.sio = socketio.AsyncServer(async_mode="asgi")
        self.channel = ClawcastChannel()
        self.requests: list[dict[str, Any]] = []

    def now(self) -> float:
        now = self.sandbox.clock.now()
        self.channel.tick(now)
        return now

    # -- the platform's API ----------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        ch = self.channel

        async def book_slot(request: Request) -> Response:
            body = await _json(request)
            return JSONResponse(ch.book(body, request.headers.get("x-api-key"), self.now()))

        async def publish_frame(request: Request) -> Response:
            now = self.now()
            slot = self._slot(request, now)
            return JSONResponse(ch.publish_frame(slot, await _json(request), now))

        async def publish_batch(request: Request) -> Response:
            now = self.now()
            slot = self._slot(request, now)
            return JSONResponse(ch.publish_batch(slot, await _json(request), now))

        async def end_slot(request: Request) -> Response:
            now = self.now()
            return JSONResponse(ch.end(self._slot(request, now), now))

        async def poll_results(request: Request) -> Response:
            now = self.now()
            return JSONResponse(ch.poll_results(self._slot(request, now), now))

        async def vote(request: Request) -> Response:
            body = await _json(request)
            return JSONResponse(ch.vote(body, self.now()))

        async def request_duet(request: Request) -> Response:
            body = await _json(request)
            return JSONResponse(ch.request_duet(body, self.now()))

        async def duet_requests(request: Request) -> Response:
            self.now()
            return JSONResponse({"ok": True, "requests": ch.open_duet_requests()})

        async def accept_duet(request: Request) -> Response:
            body = await _json(request)
            return JSONResponse(ch.accept_duet(body, self.now()))

        async def duet_reply(request: Request) -> Response:
            body = await _json(request)
            return JSONResponse(ch.duet_reply(body, self.now()))

        async def chat(request: Request) -> Response:
            body = await _json(request)
            return JSONResponse(ch.chat(body, self.now()))

        async def now_playing(request: Request) -> Response:
            return JSONResponse(ch.now_playing(self.now()))

        async def get_queue(request: Request) -> Response:
            return JSONResponse(ch.queue_view(self.now()))

        def api(path: str, handler: Handler, method: str = "POST") -> Route:
            return Route(path, self._recorded(handler), methods=[method])

        return [
            api("/api/bookSlot", book_slot),
            api("/api/publishFrame", publish_frame),
            api("/api/publishBatch", publish_batch),
            api("/api/endSlot", end_slot),
            api("/api/pollResults", poll_results, "GET"),
            api("/api/vote", vote),
            api("/api/requestDuet", request_duet),
            api("/api/duetRequests", duet_requests, "GET"),
            api("/api/acceptDuet", accept_duet),
            api("/api/duetReply", duet_reply),
            api("/api/chat", chat),
            api("/api/now", now_playing, "GET"),
            api("/api/getQueue", get_queue, "GET"),
        ]

    def _recorded(self, handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            # Which credentials came along, never their values.
            self.requests.append(
                {
                    "at": self.sandbox.clock.now(),
                    "method": request.method,
                    "path": request.url.path,
                    "x_api_key": "x-api-key" in request.headers,
                    "bearer": request.headers.get("authorization", "").startswith("Bearer "),
                }
            )
            del self.requests[:-MAX_LOG]
            try:
                return await handler(request)
            except Refused as refused:
                return _fail(refused.status, refused.message)

        return wrapped

    def _slot(self, request: Request, now: float) -> Slot:
        return self.channel.authorise(request.headers.get("authorization"), now)

    # -- control routes for tests and rehearsals -------------------------------------
    def control_routes(self) -> list[BaseRoute]:
        ch = self.channel

        async def claim(request: Request) -> Response:
            body = await request.json()
            name = str(body.get("name", ""))
            if not name:
                return _fail(400, "name required")
            return JSONResponse({"ok": True, "name": name, "api_key": ch.claim(name)})

        async def unclaim(request: Request) -> Response:
            ch.claims.pop(request.path_params["name"], None)
            return JSONResponse({"ok": True})

        async def votes(request: Request) -> Response:
            """Cast ``count`` votes for ``option_index`` in ``poll_id`` (default: the
            live slot's current poll) from viewers ``<viewer_id>-<n>``."""
            body = await request.json()
            now = self.now()
            poll_id = body.get("poll_id")
            if poll_id is None and ch.live is not None:
                poll = ch.live.latest_poll(now)
                poll_id = poll.poll_id if poll else None
            if poll_id is None:
                return _fail(404, "no poll is playing")
            count = max(1, min(int(body.get("count", 1)), 1000))
            viewer = str(body.get("viewer_id", "viewer"))
            accepted, results = 0, []
            for n in range(count):
                vote = {
                    "poll_id": poll_id,
                    "option_index": body.get("option_index", 0),
                    "viewer_id": viewer if count == 1 else f"{viewer}-{n}",
                }
                try:
                    results = ch.vote(vote, now)["results"]
                    accepted += 1
                except Refused as refused:
                    if refused.status != 409:
                        return _fail(refused.status, refused.message)
            return JSONResponse(
                {"ok": True, "poll_id": poll_id, "accepted": accepted, "results": results}
            )

        async def activity(request: Request) -> Response:
            self.now()
            return JSONResponse({"activity": ch.activity})

        async def frames(request: Request) -> Response:
            return JSONResponse({"frames": ch.frames})

        async def requests(request: Request) -> Response:
            if request.method == "DELETE":
                self.requests.clear()
                return JSONResponse({"ok": True})
            return JSONResponse({"requests": self.requests})

        async def state(request: Request) -> Response:
            return JSONResponse(ch.dump(self.now()))

        async def expire_jwt(request: Request) -> Response:
            """Refuse the slot JWT of ``name``'s latest slot from now on (401); the slot
            itself goes on, without frames until the idle cut."""
            body = await request.json()
            try:
                slot = ch.expire_jwt(str(body.get("name", "")), self.now())
            except Refused as refused:
                return _fail(refused.status, refused.message)
            return JSONResponse({"ok": True, "slot_id": slot.slot_id, "live": slot is ch.live})

        async def hold_name(request: Request) -> Response:
            """Someone else holds ``name``: bookSlot answers 409 for it until the hold
            is lifted (DELETE); with ``visible`` getQueue lists it as queued."""
            if request.method == "DELETE":
                ch.held_names.pop(request.path_params["name"], None)
                return JSONResponse({"ok": True})
            body = await request.json()
            name = str(body.get("name", ""))
            if not name:
                return _fail(400, "name required")
            ch.held_names[name] = bool(body.get("visible", False))
            return JSONResponse({"ok": True, "name": name, "visible": ch.held_names[name]})

        return [
            Route("/claim", claim, methods=["POST"]),
            Route("/hold_name", hold_name, methods=["POST"]),
            Route("/hold_name/{name}", hold_name, methods=["DELETE"]),
            Route("/claim/{name}", unclaim, methods=["DELETE"]),
            Route("/votes", votes, methods=["POST"]),
            Route("/activity", activity, methods=["GET"]),
            Route("/frames", frames, methods=["GET"]),
            Route("/requests", requests, methods=["GET", "DELETE"]),
            Route("/state", state, methods=["GET"]),
            Route("/expire_jwt", expire_jwt, methods=["POST"]),
        ]

    # -- RTMP: ClawCast takes no video ingest ----------------------------------------
    def on_publish(self, key: str) -> bool:
        return False

    def on_publish_done(self, key: str) -> None:
        return None
