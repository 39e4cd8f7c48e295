"""The baseFM sandbox: basefm-streaming-api.txt's endpoints over ``Station``.

Authentication as in the service: the session token from ``POST /api/basefm/streams``
in the ``x-basefm-session`` header (or the ``sessionToken`` query parameter, which the
service also accepts and the studio never uses), or an Agentbot user session: the
``next-auth.session-token`` cookie (``__Secure-`` prefixed too) whose value is a user
id registered with ``POST /_sandbox/basefm/users``. Users carry the community guest
pass (``communityWallet``) and the admin flag that relay calls and the cooldown bypass
need.

Control routes under ``/_sandbox/basefm/``:

* ``POST token-holders`` ``{"wallets": [...], "replace": false}``: wallets holding
  2,500,000 BASEFM (default: none, so every create needs a txHash → 402);
* ``POST users`` ``{"user": "u1", "admin": true, "communityWallet": "0x…"}``;
* ``POST tx-hashes`` ``{"hash": "0x…", "reason": "insufficient amount"}``: a payment
  that will not verify;
* ``DELETE cooldowns`` (optionally ``?wallet=0x…``): clear the 24 h cooldowns;
* ``POST expire`` ``{"wallet": "0x…"}`` (or all): move current sessions past 2 h;
* ``POST config`` ``{"muxConfigured": false, "relayMigration": false}``;
* ``POST tokens`` ``{"sessionId": 42, "wallet": "0x…", "ttl": 60}``: mint a signed
  session token (to test 401/403 paths);
* ``GET state``: a dump (no tokens, no stream keys); ``GET requests``: every API request
  (method, path, query string, whether the session header was sent).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import socketio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from studio.sandbox.basefm_state import (
    MAX_SESSION_SECONDS,
    TX_HASH,
    Caller,
    Refused,
    Station,
    User,
)
from studio.sandbox.replies import json_body

if TYPE_CHECKING:
    from studio.sandbox.app import Sandbox

Handler = Callable[[Request], Awaitable[Response]]
SESSION_HEADER = "x-basefm-session"
USER_COOKIES = ("next-auth.session-token", "__Secure-next-auth.session-token")
MAX_LOG = 500


async def _json(request: Request) -> Any:
    return await json_body(request, {"error": "Invalid JSON body"})


class BasefmSandbox:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.sio = socketio.AsyncServer(async_mode="asgi")
        self.station = Station(rtmp_base=sandbox.config.rtmp_base)
        self.requests: list[dict[str, Any]] = []

    def now(self) -> float:
        return self.sandbox.clock.now()

    def _caller(self, request: Request, now: float) -> Caller:
        token = request.headers.get(SESSION_HEADER) or request.query_params.get("sessionToken")
        user_id = next((request.cookies[c] for c in USER_COOKIES if c in request.cookies), None)
        user = self.station.users.get(user_id) if user_id else None
        return Caller(token=self.station.read_token(token, now), user=user)

    def _lenient_caller(self, request: Request, now: float) -> Caller:
        """On create, a bad token does not refuse the request; it just owns nothing."""
        try:
            return self._caller(request, now)
        except Refused:
            user_id = next((request.cookies[c] for c in USER_COOKIES if c in request.cookies), None)
            return Caller(user=self.station.users.get(user_id) if user_id else None)

    # -- the platform's API ----------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        st = self.station

        async def live(request: Request) -> Response:
            return JSONResponse(st.live(self.now()))

        async def streams(request: Request) -> Response:
            now = self.now()
            if request.method == "POST":
                body = await _json(request)
                return JSONResponse(st.create(body, self._lenient_caller(request, now), now))
            caller = self._caller(request, now)
            if request.method == "DELETE":
                return JSONResponse(st.end_session(caller, now))
            return JSONResponse(st.check_session(caller, now))

        async def status(request: Request) -> Response:
            now = self.now()
            caller = self._caller(request, now)
            if request.method == "POST":
                return JSONResponse(st.sync(caller, now))
            return JSONResponse(st.stream_status(caller, now))

        async def distribution(request: Request) -> Response:
            return JSONResponse({"distribution": st.distribution(self.now())})

        async def relays(request: Request) -> Response:
            now = self.now()
            if request.method == "POST":
                body = await _json(request)
                return JSONResponse(st.upsert_relay(body, self._lenient_caller(request, now)))
            return JSONResponse({"relays": [r.listed() for r in st.relays.values()]})

        async def probe(request: Request) -> Response:
            now = self.now()
            key = request.path_params["relay_key"]
            return JSONResponse(st.probe(key, self._lenient_caller(request, now), now))

        def api(path: str, handler: Handler, methods: list[str]) -> Route:
            return Route(path, self._recorded(handler), methods=methods)

        return [
            api("/api/basefm/live", live, ["GET"]),
            api("/api/basefm/streams", streams, ["GET", "POST", "DELETE"]),
            api("/api/basefm/streams/status", status, ["GET", "POST"]),
            api("/api/basefm/distribution", distribution, ["GET"]),
            api("/api/basefm/relays", relays, ["GET", "POST"]),
            api("/api/basefm/relays/{relay_key}/probe", probe, ["POST"]),
        ]

    def _recorded(self, handler: Handler) -> Handler:
        async def wrapped(request: Request) -> Response:
            self.requests.append(
                {
                    "at": self.now(),
                    "method": request.method,
                    "path": request.url.path,
                    "query": request.url.query,
                    "sessionHeader": SESSION_HEADER in request.headers,
                }
            )
            del self.requests[:-MAX_LOG]
            try:
                return await handler(request)
            except Refused as refused:
                return JSONResponse(refused.body, status_code=refused.status)

        return wrapped

    # -- RTMP ingest -----------------------------------------------------------------
    def on_publish(self, key: str) -> bool:
        """Only the stream key of a current, unexpired session may push; Mux goes active."""
        return self.station.publish(key, self.now())

    def on_publish_done(self, key: str) -> None:
        self.station.publish_done(key, self.now())

    # -- control routes --------------------------------------------------------------
    def control_routes(self) -> list[BaseRoute]:
        st = self.station

        async def token_holders(request: Request) -> Response:
            body = await _json(request)
            wallets = {str(w).lower() for w in body.get("wallets", [])}
            if body.get("replace"):
                st.token_holders = wallets
            else:
                st.token_holders |= wallets
            return JSONResponse({"ok": True, "tokenHolders": sorted(st.token_holders)})

        async def users(request: Request) -> Response:
            body = await _json(request)
            user_id = str(body.get("user") or "")
            if not user_id:
                return JSONResponse({"error": "user is required"}, status_code=400)
            st.users[user_id] = User(
                id=user_id,
                admin=bool(body.get("admin", False)),
                community_wallet=body.get("communityWallet"),
            )
            return JSONResponse({"ok": True})

        async def tx_hashes(request: Request) -> Response:
            body = await _json(request)
            tx = str(body.get("hash") or "")
            if not TX_HASH.match(tx):
                return JSONResponse({"error": "hash must be 0x + 64 hex"}, status_code=400)
            st.bad_tx[tx.lower()] = str(body.get("reason") or "transaction not found")
            return JSONResponse({"ok": True})

        async def cooldowns(request: Request) -> Response:
            cleared = st.clear_cooldowns(request.query_params.get("wallet"))
            return JSONResponse({"ok": True, "cleared": cleared})

        async def expire(request: Request) -> Response:
            body = await _json(request)
            now = self.now()
            wallet = str(body.get("wallet") or "").lower()
            moved = 0
            for s in st.sessions:
                if s.current() and (not wallet or s.wallet.lower() == wallet):
                    s.started_at = min(s.started_at, now - MAX_SESSION_SECONDS)
                    moved += 1
            return JSONResponse({"ok": True, "expired": moved})

        async def config(request: Request) -> Response:
            body = await _json(request)
            if "muxConfigured" in body:
                st.mux_configured = bool(body["muxConfigured"])
            if "relayMigration" in body:
                st.relay_migration = bool(body["relayMigration"])
            return JSONResponse({"ok": True})

        async def tokens(request: Request) -> Response:
            body = await _json(request)
            now = self.now()
            payload = {
                "sessionId": body.get("sessionId"),
                "wallet": str(body.get("wallet") or ""),
                "userId": body.get("userId"),
                "exp": int(now + float(body.get("ttl", 3600))),
            }
            return JSONResponse({"token": st.mint(payload)})

        async def state(request: Request) -> Response:
            return JSONResponse(st.dump(self.now()))

        async def requests(request: Request) -> Response:
            return JSONResponse({"requests": self.requests})

        def guarded(handler: Handler) -> Handler:
            async def wrapped(request: Request) -> Response:
                try:
                    return await handler(request)
                except Refused as refused:
                    return JSONResponse(refused.body, status_code=refused.status)

            return wrapped

        return [
            Route("/token-holders", guarded(token_holders), methods=["POST"]),
            Route("/users", guarded(users), methods=["POST"]),
            Route("/tx-hashes", guarded(tx_hashes), methods=["POST"]),
            Route("/cooldowns", guarded(cooldowns), methods=["DELETE"]),
            Route("/expire", guarded(expire), methods=["POST"]),
            Route("/config", guarded(config), methods=["POST"]),
            Route("/tokens", guarded(tokens), methods=["POST"]),
            Route("/state", state, methods=["GET"]),
            Route("/requests", requests, methods=["GET"]),
        ]
