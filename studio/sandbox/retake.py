"""The retake.tv sandbox: retake-tv-skill.txt's endpoints and Socket.IO events over
``RetakeWorld``.

Choices where the document is silent: errors are ``{"error": "..."}``; comments come
newest first (``POST /_sandbox/retake/options {"comments_order": "oldest_first"}``
serves the other reading) and ``beforeId`` pages back to older ones; stream start for an agent that
is not verified is a 403; chat/send answers ``{"success": true, "comment": {...}}``.

Control routes under ``/_sandbox/retake/`` stand in for the humans and viewers: post a
tweet, inject chat, tips, trades, follows and pins, set viewer counts, drop every
socket (optionally injecting chat while they are down), and read the state;
``/avatars/<width>x<height>.png`` (or ``.jpg``) serves a picture of that size, as the
host of a registration's ``image_url`` would.
``auto_tweets`` (config ``retake_auto_tweets`` or ``POST /options``) makes verify accept
any well-formed status URL as if its tweet held the code, for interactive rehearsals.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

import socketio
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from studio.errors import ValidationFailed
from studio.sandbox.replies import json_body
from studio.sandbox.retake_state import Agent, Refused, RetakeWorld, iso
from studio.validation import check
from studio.validation.retake import (
    DEFAULT_COMMENTS,
    BioRequest,
    SessionStartRequest,
    SessionUpdateRequest,
    SocketMessage,
    TokenNameRequest,
    UsernameRequest,
    check_image_upload,
)

if TYPE_CHECKING:
    from studio.sandbox.app import Sandbox

log = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response]]
API = "/api/v1"
MAX_INJECT = 1000


def _fail(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json(request: Request) -> Any:
    return await json_body(request, "The body must be JSON.")


def _int(value: str | None, default: int, name: str) -> int:
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError:
        raise Refused(400, f"{name} must be a number") from None


def _guard(handler: Handler) -> Handler:
    async def guarded(request: Request) -> Response:
        try:
            return await handler(request)
        except Refused as exc:
            return _fail(exc.status, exc.message)

    return guarded


class RetakeSandbox:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.world = RetakeWorld()
        self.world.auto_tweets = bool(getattr(sandbox.config, "retake_auto_tweets", False))
        self.sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins=[])
        self.sockets: dict[str, set[str]] = {}  # sid -> rooms
        self.joins: list[tuple[str, str]] = []  # (sid, room), in order
        self.leaves: list[tuple[str, str]] = []  # (sid, room), in order
        self.connects = 0
        self.requests: list[dict[str, Any]] = []
        self._install_socket_handlers()

    @property
    def auto_tweets(self) -> bool:
        return self.world.auto_tweets

    @auto_tweets.setter
    def auto_tweets(self, value: bool) -> None:
        self.world.auto_tweets = value

    def now(self) -> float:
        return self.sandbox.clock.now()

    # -- RTMP ingest ----------------------------------------------------------------
    def on_publish(self, key: str) -> bool:
        return self.world.publish(key, self.now())

    def on_publish_done(self, key: str) -> None:
        self.world.publish_done(key)

    # -- Socket.IO --------------------------------------------------------------------
    def _install_socket_handlers(self) -> None:
        sio = self.sio

        @sio.event
        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> bool:
            self.sockets[sid] = set()
            self.connects += 1
            return True

        @sio.event
        async def disconnect(sid: str, *reason: Any) -> None:
            self.sockets.pop(sid, None)

        @sio.on("joinRoom")
        async def join_room(sid: str, data: Any) -> dict[str, Any]:
            room = data.get("roomId") if isinstance(data, dict) else None
            if not isinstance(room, str) or not room:
                return {"ok": False, "error": "roomId is required"}
            await sio.enter_room(sid, room)
            self.sockets.setdefault(sid, set()).add(room)
            self.joins.append((sid, room))
            del self.joins[:-1000]
            return {"ok": True, "roomId": room}

        @sio.on("leaveRoom")
        async def leave_room(sid: str, data: Any) -> dict[str, Any]:
            room = data.get("roomId") if isinstance(data, dict) else None
            if isinstance(room, str):
                await sio.leave_room(sid, room)
                self.sockets.get(sid, set()).discard(room)
                self.leaves.append((sid, room))
                del self.leaves[:-1000]
            return {"ok": True}

        @sio.on("message")
        async def message(sid: str, data: Any) -> dict[str, Any]:
            try:
                event = await self.receive_message(data)
            except Refused as exc:
                return {"ok": False, "status": exc.status, "error": exc.message}
            return {"ok": True, "_id": event["_id"]}

    async def receive_message(self, data: Any) -> dict[str, Any]:
        """The client-to-server ``message``: chat, tip or trade, with the sender's Privy
        JWT in ``sender_token``. Answered (acknowledged) with ``ok`` or a status and
        error, as the REST routes would be: 400, 401, 403, 404, 409."""
        w, now = self.world, self.now()
        if not isinstance(data, dict):
            raise Refused(400, "The payload must be an object.")
        token = data.get("sender_token")
        if not isinstance(token, str) or not token:
            raise Refused(401, "sender_token (a Privy user JWT) is required")
        sender = w.user_for_jwt(token, now)
        try:
            msg = check(
                SocketMessage,
                {k: v for k, v in data.items() if k != "sender_token"},
                what="message",
            )
        except ValidationFailed as exc:
            raise Refused(400, exc.message) from None
        if msg.sender_username != sender.name:
            raise Refused(403, "sender_username is not the JWT's user")
        streamer = w.streamer(msg.streamer_id)
        if streamer.session is None:
            raise Refused(409, "No active session")
        if streamer.session.session_id != msg.session_id:
            raise Refused(404, f"Session '{msg.session_id}' not found")
        if msg.type == "message":
            assert msg.text is not None
            comment = w.add_comment(
                streamer.user_db_id, msg.text, now, username=sender.name, wallet=sender.wallet
            )
            await self.emit_chat(streamer.user_db_id, comment)
            return w.chat_events[streamer.user_db_id][-1]
        if msg.tip_data is not None:
            receiver = w.streamer(msg.tip_data.receiver_id)
            tip_data = msg.tip_data.model_dump()
            w.add_tip(receiver, sender.name, msg.tip_data.amount)
            event = w.add_chat_event(
                streamer.user_db_id, "tip", sender.name, msg.text, now, tip_data=tip_data
            )
            await self.sio.emit("message", event, room=streamer.user_db_id)
            await self.sio.emit(
                "tip_received",
                {
                    "receiver_id": receiver.user_db_id,
                    "sender_username": sender.name,
                    "amount": msg.tip_data.amount,
                    "timestamp": iso(now),
                    "_id": event["_id"],
                },
                room=f"live_{receiver.user_db_id}",
            )
            return event
        assert msg.trade_data is not None
        return await self._trade(
            streamer, msg.trade_data.type, msg.trade_data.amount, sender.name, msg.text
        )

    async def _trade(
        self, a: Agent, action: str, usd: float, username: str, text: str | None = None
    ) -> dict[str, Any]:
        """A buy or sell of ``a``'s token: in its chat (with the trade's own id) and in the
        ``trades`` and ``trades_{tokenAddress}`` rooms."""
        w, now = self.world, self.now()
        t = w.add_trade(a, action, usd, now, username)
        trade_data = {"amount": usd, "type": action, "tx_hash": None}
        event = w.add_chat_event(
            a.user_db_id, "trade", username, text, now, event_id=t["id"], trade_data=trade_data
        )
        public = _public_trade(t)
        await self.sio.emit("message", event, room=a.user_db_id)
        await self.sio.emit("newtrade", public, room="trades")
        await self.sio.emit("newtrade", public, room=f"trades_{a.token_address}")
        await self.sio.emit("rawtrade", {**public, "raw": {"signature": t["id"]}}, room="trades")
        return event

    async def emit_chat(self, streamer_id: str, comment: dict[str, Any]) -> None:
        event = self.world.chat_events[streamer_id][-1]
        payload = {**event, "author": comment["author"]}
        await self.sio.emit("message", payload, room=streamer_id)

    async def drop_sockets(self) -> int:
        """Server-side disconnect of every client (the fault switch)."""
        sids = list(self.sockets)
        for sid in sids:
            await self.sio.disconnect(sid)
            self.sockets.pop(sid, None)
        return len(sids)

    # -- the platform's API -----------------------------------------------------------
    def routes(self) -> list[BaseRoute]:
        w = self.world

        def agent(request: Request) -> Agent:
            self._record(request)
            return w.agent_for(request.headers.get("authorization"))

        async def register(request: Request) -> Response:
            self._record(request)
            a = w.register(await _json(request), self.now())
            return JSONResponse(
                {
                    "access_token": a.access_token,
                    "agent_id": a.agent_id,
                    "userDbId": a.user_db_id,
                    "wallet_address": a.wallet,
                    "token_address": "",
                    "token_ticker": "",
                }
            )

        async def prepare_verify(request: Request) -> Response:
            return JSONResponse({"verification_message": w.prepare_verify(agent(request))})

        async def verify(request: Request) -> Response:
            a = agent(request)
            return JSONResponse({"verified": w.verify(a, await _json(request))})

        async def verification_status(request: Request) -> Response:
            return JSONResponse({"verified": agent(request).verified})

        async def rtmp(request: Request) -> Response:
            a = agent(request)
            key = w.new_rtmp_key(a)
            return JSONResponse({"url": f"{self.sandbox.config.rtmp_base}/retake", "key": key})

        async def stream_start(request: Request) -> Response:
            a, opened = w.start(agent(request), self.now())
            if opened:
                assert a.session is not None
                await self.sio.emit(
                    "session_started",
                    {
                        "streamer_id": a.user_db_id,
                        "session_id": a.session.session_id,
                        "username": a.name,
                        "timestamp": iso(self.now()),
                    },
                    room=f"live_{a.user_db_id}",
                )
            return JSONResponse(
                {
                    "success": True,
                    "token": {
                        "name": a.name,
                        "ticker": a.token_ticker,
                        "imageUrl": a.image_url,
                        "tokenAddress": a.token_address,
                        "tokenType": "meteora-dbc",
                    },
                }
            )

        async def stream_status(request: Request) -> Response:
            return JSONResponse(w.status(agent(request), self.now()))

        async def stream_stop(request: Request) -> Response:
            return JSONResponse(w.stop(agent(request), self.now()))

        async def update_thumbnail(request: Request) -> Response:
            a = agent(request)
            form = await request.form()
            upload = form.get("image")
            if upload is None or isinstance(upload, str):
                raise Refused(400, "multipart field 'image' (a JPEG or PNG file) is required")
            data = await upload.read()
            try:
                check_image_upload(data)
            except ValidationFailed:
                raise Refused(400, "image must be a JPEG or PNG") from None
            a.thumbnail = data
            a.thumbnails += 1
            return JSONResponse(
                {
                    "message": "Thumbnail updated",
                    "thumbnail_url": f"{self.sandbox.config.origin}/thumbnails/{a.user_db_id}/{a.thumbnails}.png",
                }
            )

        async def chat_send(request: Request) -> Response:
            a = agent(request)
            body = await _json(request)
            if not isinstance(body, dict):
                raise Refused(400, "The body must be a JSON object.")
            text, dest = body.get("message"), body.get("destination_user_id")
            if not isinstance(text, str) or not text.strip():
                raise Refused(400, "message is required")
            if not isinstance(dest, str) or not dest:
                raise Refused(400, "destination_user_id is required")
            comment = w.add_comment(dest, text, self.now(), username=a.name, wallet=a.wallet)
            await self.emit_chat(dest, comment)
            return JSONResponse({"success": True, "comment": comment})

        async def comments(request: Request) -> Response:
            agent(request)
            q = request.query_params
            streamer = q.get("userDbId")
            if not streamer:
                raise Refused(400, "userDbId is required")
            if streamer not in w.agents:
                raise Refused(404, f"User '{streamer}' not found")
            limit = _int(q.get("limit"), DEFAULT_COMMENTS, "limit")
            page = w.page(
                w.comments.get(streamer, []),
                limit,
                q.get("beforeId"),
                "_id",
                oldest_first=w.comments_order == "oldest_first",
            )
            return JSONResponse({"comments": page})

        return [
            Route(f"{API}/agent/register", _guard(register), methods=["POST"]),
            Route(f"{API}/agent/prepare-verify", _guard(prepare_verify), methods=["POST"]),
            Route(f"{API}/agent/verify", _guard(verify), methods=["POST"]),
            Route(f"{API}/agent/verification-status", _guard(verification_status), methods=["GET"]),
            Route(f"{API}/agent/rtmp", _guard(rtmp), methods=["POST"]),
            Route(f"{API}/agent/stream/start", _guard(stream_start), methods=["POST"]),
            Route(f"{API}/agent/stream/status", _guard(stream_status), methods=["GET"]),
            Route(f"{API}/agent/stream/stop", _guard(stream_stop), methods=["POST"]),
            Route(f"{API}/agent/update-thumbnail", _guard(update_thumbnail), methods=["POST"]),
            Route(f"{API}/agent/stream/chat/send", _guard(chat_send), methods=["POST"]),
            Route(f"{API}/agent/stream/comments", _guard(comments), methods=["GET"]),
            *self._account_routes(),
            *self._public_routes(),
            Route("/skill.json", self._skill_json, methods=["GET"]),
            Route("/skill.md", self._skill_md, methods=["GET"]),
        ]

    skill_version = "2.1.2"
    account_replies = "full"
    """How section-6 routes answer, where the document shows no reply: ``full`` (the
    object itself) or ``bare`` (``{"success": true}``, bare booleans and arrays, objects
    wrapped in ``session``, an empty 204 on delete). Tests run the client against both."""

    async def _skill_json(self, request: Request) -> Response:
        return JSONResponse({"name": "retake", "version": self.skill_version})

    async def _skill_md(self, request: Request) -> Response:
        return Response(f"# retake.tv skill {self.skill_version}\n", media_type="text/markdown")

    def _record(self, request: Request) -> None:
        self.requests.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": sorted(request.query_params.keys()),
                "authorization": "authorization" in request.headers,
            }
        )
        del self.requests[:-500]

    # -- section 6: profile, following, session-owner controls (Privy JWT) ------------
    def _account_routes(self) -> list[BaseRoute]:
        w = self.world

        def user(request: Request) -> Agent:
            self._record(request)
            return w.user_for(request.headers.get("authorization"), self.now())

        async def body_of(request: Request, model: Any, what: str) -> Any:
            body = await _json(request)
            if not isinstance(body, dict):
                raise Refused(400, "The body must be a JSON object.")
            try:
                return check(model, body, what=what)
            except ValidationFailed as exc:
                raise Refused(400, exc.message) from None

        async def image_of(request: Request, required: bool) -> tuple[bytes | None, Any]:
            if not request.headers.get("content-type", "").startswith("multipart/form-data"):
                raise Refused(400, "The body must be multipart/form-data.")
            form = await request.form()
            upload = form.get("image")
            if upload is None or isinstance(upload, str):
                if required:
                    raise Refused(400, "multipart field 'image' (a JPEG or PNG file) is required")
                return None, form
            data = await upload.read()
            try:
                check_image_upload(data)
            except ValidationFailed:
                raise Refused(400, "image must be a JPEG or PNG") from None
            return data, form

        def bare() -> bool:
            return self.account_replies == "bare"

        def profile_reply(a: Agent, **extra: Any) -> Response:
            if bare():
                return JSONResponse({"success": True})
            return JSONResponse({**w.profile(a), **extra})

        def session_reply(session: Any, **extra: Any) -> Response:
            if bare():
                return JSONResponse({"success": True, **extra, "session": session.to_json()})
            return JSONResponse(session.to_json())

        def image_url(a: Agent, kind: str) -> str:
            return (
                f"{self.sandbox.config.origin}/images/{a.user_db_id}/{kind}/{w.next_id(kind)}.png"
            )

        async def me(request: Request) -> Response:
            return JSONResponse(w.profile(user(request)))

        async def bio(request: Request) -> Response:
            a = user(request)
            a.description = (await body_of(request, BioRequest, "bio")).bio
            return profile_reply(a)

        async def username(request: Request) -> Response:
            a = user(request)
            w.rename(a, (await body_of(request, UsernameRequest, "username")).username)
            return profile_reply(a)

        async def pfp(request: Request) -> Response:
            a = user(request)
            a.pfp, _ = await image_of(request, required=True)
            a.pfp_url = image_url(a, "pfp")
            return profile_reply(a)

        async def banner(request: Request) -> Response:
            a = user(request)
            data, form = await image_of(request, required=False)
            url = form.get("url")
            if data is None and not url:
                raise Refused(400, "multipart 'image' or 'url' is required")
            if url is not None and (not isinstance(url, str) or not url.startswith("https://")):
                raise Refused(400, "url must be an https:// URL")
            a.banner = data
            a.banner_url = image_url(a, "banner") if data is not None else str(url)
            if url:
                a.banner_link = str(url)
            return profile_reply(a)

        async def token_name(request: Request) -> Response:
            a = user(request)
            a.token_name = (await body_of(request, TokenNameRequest, "token name")).token_name
            return profile_reply(a)

        async def following(request: Request) -> Response:
            a = user(request)
            rows = [
                {**w.summary(w.agents[uid]), "followed_at": iso(since)}
                for uid, since in a.following.items()
            ]
            return JSONResponse(rows if bare() else {"following": rows})

        async def check_following(request: Request) -> Response:
            a = user(request)
            name = request.path_params["target"]
            target = w.find_by_name(name)
            if target is None:
                raise Refused(404, f"User '{name}' not found")
            yes = target.user_db_id in a.following
            if bare():
                return JSONResponse(yes)
            return JSONResponse(
                {"following": yes, "target_id": target.user_db_id, "target_username": target.name}
            )

        async def follow(request: Request) -> Response:
            a, target_id = user(request), request.path_params["target"]
            if request.method == "PUT":
                fresh = target_id not in a.following
                target = w.follow(a, target_id, self.now())
                if fresh:
                    await self.sio.emit(
                        "user_followed",
                        {
                            "streamer_id": target.user_db_id,
                            "username": a.name,
                            "followers": target.followers,
                            "timestamp": iso(self.now()),
                        },
                        room=f"live_{target.user_db_id}",
                    )
            else:
                target = w.unfollow(a, target_id)
            if bare():
                return JSONResponse({"success": True})
            return JSONResponse(
                {
                    "success": True,
                    "following": target.user_db_id in a.following,
                    "target_id": target.user_db_id,
                    "target_username": target.name,
                }
            )

        async def session_start(request: Request) -> Response:
            a = user(request)
            req = await body_of(request, SessionStartRequest, "session")
            session = w.open_session(a, req.title, req.category, list(req.tags), self.now())
            await self.sio.emit(
                "session_started",
                {
                    "streamer_id": a.user_db_id,
                    "session_id": session.session_id,
                    "username": a.name,
                    "title": session.title,
                    "timestamp": iso(self.now()),
                },
                room=f"live_{a.user_db_id}",
            )
            return session_reply(session)

        async def session_end(request: Request) -> Response:
            a = user(request)
            session = w.owned_session(a, request.path_params["session_id"])
            return session_reply(w.end_session(a, session, self.now()))

        async def session_change(request: Request) -> Response:
            a = user(request)
            session = w.owned_session(a, request.path_params["session_id"])
            if request.method == "DELETE":
                w.delete_session(a, session)
                if bare():
                    return Response(status_code=204)
                return JSONResponse({"success": True, "session_id": session.session_id})
            req = await body_of(request, SessionUpdateRequest, "session update")
            if req.title is not None:
                session.title = req.title
            if req.category is not None:
                session.category = req.category
            if req.tags is not None:
                session.tags = list(req.tags)
            return session_reply(session)

        async def muted(request: Request) -> Response:
            a = user(request)
            session = w.owned_session(a, request.path_params["session_id"])
            muted = list(session.muted)
            return JSONResponse(muted if bare() else {"muted_users": muted})

        routes: list[tuple[str, Handler, list[str]]] = [
            ("/users/me", me, ["GET"]),
            ("/users/me/bio", bio, ["PATCH"]),
            ("/users/me/username", username, ["PATCH"]),
            ("/users/me/pfp", pfp, ["PATCH"]),
            ("/users/me/banner", banner, ["PATCH"]),
            ("/users/me/tokenName", token_name, ["PATCH"]),
            ("/users/me/following", following, ["GET"]),
            ("/users/me/following/{target}", check_following, ["GET"]),
            ("/users/me/following/{target}", follow, ["PUT", "DELETE"]),
            ("/sessions/start", session_start, ["POST"]),
            ("/sessions/{session_id}/end", session_end, ["POST"]),
            ("/sessions/{session_id}", session_change, ["PUT", "DELETE"]),
            ("/sessions/{session_id}/muted-users", muted, ["GET"]),
        ]
        return [Route(API + path, _guard(h), methods=m) for path, h, m in routes]

    # -- public discovery (section 5) -------------------------------------------------
    def _public_routes(self) -> list[BaseRoute]:
        w = self.world

        def live() -> list[Agent]:
            return [a for a in w.agents.values() if a.is_live()]

        async def search(request: Request) -> Response:
            query = request.path_params["query"].lower()
            return JSONResponse(
                [w.summary(a) for a in w.agents.values() if query in a.name.lower()]
            )

        async def users_live(request: Request) -> Response:
            return JSONResponse([w.summary(a) for a in live()])

        async def users_newest(request: Request) -> Response:
            newest = sorted(w.agents.values(), key=lambda a: -a.created_at)
            return JSONResponse([w.summary(a) for a in newest[:50]])

        async def metadata(request: Request) -> Response:
            a = w.agents.get(request.path_params["user_id"])
            if a is None:
                raise Refused(404, "User not found")
            return JSONResponse(
                {
                    "username": a.name,
                    "bio": a.description,
                    "wallet_address": a.wallet,
                    "social_links": [],
                    "profile_picture_url": a.image_url,
                }
            )

        async def streamer(request: Request) -> Response:
            a = w.streamer(request.path_params["identifier"])
            return JSONResponse(
                {
                    "streamer_id": a.user_db_id,
                    "username": a.name,
                    "bio": a.description,
                    "ticker": a.token_ticker or a.ticker,
                    "token_address": a.token_address,
                    "is_live": a.is_live(),
                    "session": a.session.to_json() if a.session else None,
                }
            )

        async def sessions_active(request: Request) -> Response:
            sid = request.path_params.get("streamer_id")
            if sid is not None:
                a = w.streamer(sid)
                if a.session is None:
                    raise Refused(404, "No active session for this streamer")
                return JSONResponse([a.session.to_json()])
            return JSONResponse([a.session.to_json() for a in w.agents.values() if a.session])

        async def sessions_recorded(request: Request) -> Response:
            sid = request.path_params.get("streamer_id")
            if sid is not None:
                w.streamer(sid)
            return JSONResponse(
                [s.to_json() for s in reversed(w.sessions) if sid is None or s.streamer_id == sid]
            )

        async def sessions_scheduled(request: Request) -> Response:
            sid = request.path_params.get("streamer_id")
            if sid is not None:
                w.streamer(sid)
            return JSONResponse([s for s in w.scheduled if sid is None or s["streamer_id"] == sid])

        async def join(request: Request) -> Response:
            session_id = request.path_params["session_id"]
            a = next(
                (a for a in w.agents.values() if a.session and a.session.session_id == session_id),
                None,
            )
            if a is None:
                raise Refused(404, "Session not found or not live")
            return JSONResponse(
                {
                    "token": "lk_viewer_" + session_id,
                    "url": "wss://livekit.sandbox.invalid",
                    "room": session_id,
                }
            )

        async def tokens_top(request: Request) -> Response:
            return JSONResponse(
                [
                    {
                        "user_id": a.user_db_id,
                        "name": a.name,
                        "ticker": a.token_ticker,
                        "address": a.token_address,
                        "current_market_cap": a.market_cap,
                        "rank": i,
                    }
                    for i, a in enumerate(w.ranked(), start=1)
                ]
            )

        async def tokens_trending(request: Request) -> Response:
            return JSONResponse(
                [
                    {
                        "username": a.name,
                        "ticker": a.token_ticker,
                        "growth_24h": round((a.market_cap - 5000.0) / 50.0, 2),
                        "market_cap": a.market_cap,
                    }
                    for a in w.ranked()
                ]
            )

        async def token_stats(request: Request) -> Response:
            address = request.path_params["address"]
            a = next((a for a in w.agents.values() if a.token_address == address), None)
            if a is None:
                raise Refused(404, "Token not found")
            volume = sum(t["usdAmount"] for t in w.trades if t["address"] == address)
            return JSONResponse(
                {
                    "current_price": round(a.market_cap / 1_000_000_000, 9),
                    "market_cap": a.market_cap,
                    "all_time_high": max(a.market_cap, 5000.0),
                    "growth": {
                        "1h": 0.0,
                        "6h": 0.0,
                        "24h": round((a.market_cap - 5000.0) / 50.0, 2),
                    },
                    "volume": volume,
                    "earnings": round(volume * 0.01, 2),
                }
            )

        def trades_page(request: Request, address: str | None) -> Response:
            q = request.query_params
            limit = _int(q.get("limit"), 50, "limit")
            if not 1 <= limit <= 100:
                raise Refused(400, "limit must be 1-100")
            trades = [t for t in reversed(w.trades) if address is None or t["address"] == address]
            start = 0
            if q.get("cursor"):
                start = next(
                    (i + 1 for i, t in enumerate(trades) if t["id"] == q["cursor"]), len(trades)
                )
            page = trades[start : start + limit]
            more = start + limit < len(trades)
            return JSONResponse(
                {
                    "trades": [_public_trade(t) for t in page],
                    "next_cursor": page[-1]["id"] if page and more else None,
                }
            )

        async def trades_recent(request: Request) -> Response:
            return trades_page(request, request.path_params.get("token_address"))

        def by_token() -> dict[str, list[dict[str, Any]]]:
            out: dict[str, list[dict[str, Any]]] = {}
            for t in w.trades:
                out.setdefault(t["address"], []).append(t)
            return out

        async def top_volume(request: Request) -> Response:
            q = request.query_params
            limit = _int(q.get("limit"), 10, "limit")
            window = q.get("window", "24h")
            rows = [
                {
                    "token_address": addr,
                    "ticker": ts[0]["ticker"],
                    "volume": sum(t["usdAmount"] for t in ts),
                    "window": window,
                }
                for addr, ts in by_token().items()
            ]
            rows.sort(key=lambda r: -r["volume"])
            return JSONResponse(rows[:limit])

        async def top_count(request: Request) -> Response:
            rows = [
                {"token_address": addr, "ticker": ts[0]["ticker"], "count": len(ts)}
                for addr, ts in by_token().items()
            ]
            rows.sort(key=lambda r: -r["count"])
            return JSONResponse(rows)

        async def chat(request: Request) -> Response:
            q = request.query_params
            streamer_id = q.get("streamer_id")
            if not streamer_id:
                raise Refused(400, "streamer_id is required")
            w.streamer(streamer_id)
            limit = _int(q.get("limit"), DEFAULT_COMMENTS, "limit")
            events = w.page(
                w.chat_events.get(streamer_id, []), limit, q.get("before_chat_event_id"), "_id"
            )
            return JSONResponse({"chats": events})

        async def top_tippers(request: Request) -> Response:
            streamer_id = request.query_params.get("streamer_id")
            if not streamer_id:
                raise Refused(400, "streamer_id is required")
            w.streamer(streamer_id)
            totals = w.tips.get(streamer_id, {})
            rows = sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))
            return JSONResponse([{"username": u, "total_amount": amount} for u, amount in rows])

        routes: list[tuple[str, Handler]] = [
            ("/users/search/{query}", search),
            ("/users/live/", users_live),
            ("/users/newest/", users_newest),
            ("/users/metadata/{user_id}", metadata),
            ("/users/streamer/{identifier}", streamer),
            ("/sessions/active/", sessions_active),
            ("/sessions/active/{streamer_id}/", sessions_active),
            ("/sessions/recorded/", sessions_recorded),
            ("/sessions/recorded/{streamer_id}/", sessions_recorded),
            ("/sessions/scheduled/", sessions_scheduled),
            ("/sessions/scheduled/{streamer_id}/", sessions_scheduled),
            ("/sessions/{session_id}/join/", join),
            ("/tokens/top/", tokens_top),
            ("/tokens/trending/", tokens_trending),
            ("/tokens/{address}/stats", token_stats),
            ("/trades/recent/", trades_recent),
            ("/trades/recent/{token_address}/", trades_recent),
            ("/trades/top-volume/", top_volume),
            ("/trades/top-count/", top_count),
            ("/chat/", chat),
            ("/chat/top-tippers", top_tippers),
        ]
        return [Route(API + path, _guard(self._recorded(h)), methods=["GET"]) for path, h in routes]

    def _recorded(self, handler: Handler) -> Handler:
        async def recorded(request: Request) -> Response:
            self._record(request)
            return await handler(request)

        return recorded

    # -- control routes (mounted at /_sandbox/retake/) --------------------------------
    def control_routes(self) -> list[BaseRoute]:
        w = self.world

        async def tweets(request: Request) -> Response:
            body = await _json(request)
            sid = w.post_tweet(str(body.get("url", "")), str(body.get("text", "")))
            return JSONResponse({"ok": True, "status_id": sid})

        async def options(request: Request) -> Response:
            body = await _json(request)
            if "auto_tweets" in body:
                w.auto_tweets = bool(body["auto_tweets"])
            if "skill_version" in body:
                self.skill_version = str(body["skill_version"])
            if "comments_order" in body:
                if body["comments_order"] not in ("newest_first", "oldest_first"):
                    raise Refused(400, "comments_order must be newest_first or oldest_first")
                w.comments_order = body["comments_order"]
            if "account_replies" in body:
                if body["account_replies"] not in ("full", "bare"):
                    raise Refused(400, "account_replies must be full or bare")
                self.account_replies = body["account_replies"]
            return JSONResponse(
                {
                    "ok": True,
                    "auto_tweets": w.auto_tweets,
                    "skill_version": self.skill_version,
                    "comments_order": w.comments_order,
                    "account_replies": self.account_replies,
                }
            )

        async def mark_verified(request: Request) -> Response:
            body = await _json(request)
            a = w.streamer(str(body.get("agent", "")))
            a.verified = bool(body.get("verified", True))
            return JSONResponse({"ok": True, "verified": a.verified})

        async def chat(request: Request) -> Response:
            body = await _json(request)
            comments = await self._inject_chat(body)
            return JSONResponse({"ok": True, "comments": comments})

        async def tip(request: Request) -> Response:
            body = await _json(request)
            a = w.streamer(str(body.get("streamer_id", "")))
            username, amount = str(body.get("username", "viewer")), float(body.get("amount", 1))
            now = self.now()
            w.add_tip(a, username, amount)
            tip_data = {
                "receiver_id": a.user_db_id,
                "amount": amount,
                "tx_hash": body.get("tx_hash"),
            }
            event = w.add_chat_event(
                a.user_db_id, "tip", username, body.get("text"), now, tip_data=tip_data
            )
            await self.sio.emit("message", event, room=a.user_db_id)
            await self.sio.emit(
                "tip_received",
                {
                    "receiver_id": a.user_db_id,
                    "sender_username": username,
                    "amount": amount,
                    "timestamp": iso(now),
                    "_id": event["_id"],
                },
                room=f"live_{a.user_db_id}",
            )
            return JSONResponse({"ok": True, "event": event})

        async def trade(request: Request) -> Response:
            body = await _json(request)
            a = w.streamer(str(body.get("streamer_id", "")))
            action = str(body.get("action", "buy"))
            if action not in ("buy", "sell"):
                raise Refused(400, "action must be buy or sell")
            username, usd = str(body.get("username", "trader")), float(body.get("usd_amount", 10))
            event = await self._trade(a, action, usd, username)
            trade = next(t for t in reversed(w.trades) if t["id"] == event["_id"])
            return JSONResponse({"ok": True, "trade": _public_trade(trade)})

        async def follow(request: Request) -> Response:
            body = await _json(request)
            a = w.streamer(str(body.get("streamer_id", "")))
            a.followers += 1
            payload = {
                "streamer_id": a.user_db_id,
                "username": str(body.get("username", "fan")),
                "followers": a.followers,
                "timestamp": iso(self.now()),
            }
            await self.sio.emit("user_followed", payload, room=f"live_{a.user_db_id}")
            return JSONResponse({"ok": True})

        async def pin(request: Request) -> Response:
            body = await _json(request)
            a = w.streamer(str(body.get("streamer_id", "")))
            if a.session is None:
                raise Refused(409, "No active session")
            payload = {
                "streamer_id": a.user_db_id,
                "session_id": a.session.session_id,
                "chat_event_id": body.get("chat_event_id"),
                "pinned": bool(body.get("pinned", True)),
            }
            await self.sio.emit("pinned", payload, room=f"{a.user_db_id}/{a.session.session_id}")
            return JSONResponse({"ok": True})

        async def viewers(request: Request) -> Response:
            body = await _json(request)
            a = w.streamer(str(body.get("streamer_id", "")))
            value = body.get("viewers")
            a.viewers_override = None if value is None else max(0, int(value))
            return JSONResponse({"ok": True})

        async def schedule(request: Request) -> Response:
            body = await _json(request)
            a = w.streamer(str(body.get("streamer_id", "")))
            entry = {
                "session_id": w.next_id("scheduled"),
                "streamer_id": a.user_db_id,
                "title": str(body.get("title", f"{a.name} later")),
                "scheduled_for": iso(self.now() + float(body.get("in_seconds", 3600))),
            }
            w.scheduled.append(entry)
            return JSONResponse({"ok": True, "session": entry})

        async def drop(request: Request) -> Response:
            body = await _json(request)
            dropped = await self.drop_sockets()
            comments = await self._inject_chat(body["then_chat"]) if body.get("then_chat") else []
            return JSONResponse({"ok": True, "dropped": dropped, "comments": comments})

        async def state(request: Request) -> Response:
            now = self.now()
            return JSONResponse(
                {
                    "agents": [
                        {
                            "name": a.name,
                            "userDbId": a.user_db_id,
                            "verified": a.verified,
                            "live": a.is_live(),
                            "session": a.session.to_json() if a.session else None,
                            "keys_issued": len(a.revoked) + (1 if a.rtmp_key else 0),
                            "thumbnails": a.thumbnails,
                            "token_address": a.token_address,
                            "viewers": a.viewers(now),
                            "comments": len(w.comments.get(a.user_db_id, [])),
                        }
                        for a in w.agents.values()
                    ],
                    "sockets": {sid: sorted(rooms) for sid, rooms in self.sockets.items()},
                    "joins": [list(j) for j in self.joins],
                    "leaves": [list(j) for j in self.leaves],
                    "connects": self.connects,
                    "requests": self.requests,
                    "auto_tweets": w.auto_tweets,
                }
            )

        async def thumbnail(request: Request) -> Response:
            a = w.streamer(request.path_params["agent"])
            if a.thumbnail is None:
                raise Refused(404, "no thumbnail yet")
            return Response(a.thumbnail, media_type="application/octet-stream")

        async def avatar(request: Request) -> Response:
            """A picture of the asked size, as the CDN behind an ``image_url`` serves it."""
            width, height = request.path_params["width"], request.path_params["height"]
            fmt = "JPEG" if request.path_params["ext"] in ("jpg", "jpeg") else "PNG"
            if not (0 < width <= MAX_AVATAR_SIDE and 0 < height <= MAX_AVATAR_SIDE):
                raise Refused(400, f"each side is 1 to {MAX_AVATAR_SIDE} pixels")
            return Response(_picture(width, height, fmt), media_type=f"image/{fmt.lower()}")

        async def privy(request: Request) -> Response:
            body = await _json(request)
            a = w.streamer(str(body.get("agent", "")))
            lifetime = float(body.get("expires_in", 3600))
            return JSONResponse({"ok": True, "jwt": w.issue_jwt(a, self.now(), lifetime)})

        async def mute(request: Request) -> Response:
            body = await _json(request)
            session = w.find_session(str(body.get("session_id", "")))
            if session is None:
                raise Refused(404, "Session not found")
            entry = {
                "user_id": str(body.get("user_id") or w.next_id("viewer")),
                "username": str(body.get("username", "troll")),
                "muted_at": iso(self.now()),
            }
            session.muted.append(entry)
            return JSONResponse({"ok": True, "muted": entry})

        async def warn(request: Request) -> Response:
            """A shutdown warning, over the channel asked for (the document names none):
            ``via`` ``event`` (a ``shutdown_warning`` event in ``live_{id}``) or
            ``message`` (a chat message of type ``warning`` in ``{id}``)."""
            body = await _json(request)
            a = w.streamer(str(body.get("streamer_id", "")))
            text = str(body.get("text", "Low-effort stream: improve it or it will be shut down."))
            via = str(body.get("via", "event"))
            if via == "event":
                payload = {"streamer_id": a.user_db_id, "text": text, "timestamp": iso(self.now())}
                await self.sio.emit("shutdown_warning", payload, room=f"live_{a.user_db_id}")
            elif via == "message":
                event = w.add_chat_event(a.user_db_id, "warning", "retake.tv", text, self.now())
                await self.sio.emit("message", event, room=a.user_db_id)
            else:
                raise Refused(400, "via must be event or message")
            return JSONResponse({"ok": True})

        routes: list[tuple[str, Handler, str]] = [
            ("/privy", privy, "POST"),
            ("/warn", warn, "POST"),
            ("/mute", mute, "POST"),
            ("/tweets", tweets, "POST"),
            ("/options", options, "POST"),
            ("/verified", mark_verified, "POST"),
            ("/chat", chat, "POST"),
            ("/tip", tip, "POST"),
            ("/trade", trade, "POST"),
            ("/follow", follow, "POST"),
            ("/pin", pin, "POST"),
            ("/viewers", viewers, "POST"),
            ("/schedule", schedule, "POST"),
            ("/drop-sockets", drop, "POST"),
            ("/state", state, "GET"),
            ("/thumbnail/{agent}", thumbnail, "GET"),
            ("/avatars/{width:int}x{height:int}.{ext:str}", avatar, "GET"),
        ]
        return [Route(path, _guard(h), methods=[m]) for path, h, m in routes]

    async def _inject_chat(self, body: Any) -> list[dict[str, Any]]:
        """Viewer chat: stored for REST ``comments`` and emitted on the socket.

        ``{"streamer_id", "text", "username"?, "count"?}``; with ``count`` the text may
        hold ``{i}`` for the message's number.
        """
        if not isinstance(body, dict):
            raise Refused(400, "The body must be a JSON object.")
        a = self.world.streamer(str(body.get("streamer_id", "")))
        count = min(max(int(body.get("count", 1)), 1), MAX_INJECT)
        template = str(body.get("text", "hello"))
        username = str(body.get("username", "viewer1"))
        out = []
        for i in range(count):
            text = template.replace("{i}", str(i)) if count > 1 or "{i}" in template else template
            comment = self.world.add_comment(
                a.user_db_id, text, self.now(), username=username, fid=1000 + i
            )
            await self.emit_chat(a.user_db_id, comment)
            out.append(comment)
        return out


MAX_AVATAR_SIDE = 1024


def _picture(width: int, height: int, fmt: str) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 120, 200)).save(out, format=fmt)
    return out.getvalue()


def _public_trade(trade: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in trade.items() if k != "at"}
