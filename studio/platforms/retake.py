"""The retake.tv client: register, verify, RTMP keys, stream lifecycle, chat, discovery.

Every request body and query value is validated (``studio.validation.retake``) before
anything is sent. The access token travels only as ``Authorization: Bearer`` to the
configured origin: never in a query string, never to another host (the HTTP layer
refuses cross-origin redirects, and the skill-file fetch goes through the same layer
without the token).
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr, TypeAdapter, ValidationError

from studio.backoff import HTTP_RETRY, Backoff
from studio.config import RETAKE_DEFAULT, Paths, PlatformUrls
from studio.errors import Problem, ValidationFailed
from studio.platforms._http import ApiClient, PlatformError, UnexpectedResponse
from studio.platforms.retake_chat_order import Order, in_time_order, page_order
from studio.platforms.retake_credentials import RetakeCredentials, load_credentials
from studio.platforms.retake_errors import PLATFORM, RetakeNoCredentials, map_retake_error
from studio.platforms.retake_jwt import refuse_jwt_as_access_token
from studio.platforms.retake_models import (
    ChatEvent,
    ChatSent,
    Comment,
    Comments,
    JoinToken,
    PublicChat,
    Registration,
    RtmpCredentials,
    SessionInfo,
    SkillCheck,
    SkillManifest,
    Streamer,
    StreamStart,
    StreamStatus,
    StreamStopped,
    ThumbnailUploaded,
    Tipper,
    TokenStats,
    TokenTradeCount,
    TokenVolume,
    TopToken,
    TradePage,
    TrendingToken,
    UserMetadata,
    UserSummary,
    VerificationPrompt,
    Verified,
)
from studio.redaction import redact, register, reveal
from studio.secure_file import write_private
from studio.validation import check
from studio.validation.retake import (
    DEFAULT_COMMENTS,
    ChatSendRequest,
    CommentsQuery,
    IdPath,
    PublicChatQuery,
    RegisterRequest,
    TopVolumeQuery,
    TradesQuery,
    VerifyRequest,
    check_image_upload,
)

API = "/api/v1"
SKILL_VERSION = "2.1.2"
"""The version of retake-tv-skill.txt this client was written against."""

M = TypeVar("M", bound=BaseModel)

_LIST_KEYS = ("results", "data", "users", "sessions", "tokens", "trades", "tippers", "items")


class RetakeClient(ApiClient):
    platform = PLATFORM

    def __init__(
        self,
        origin: str = RETAKE_DEFAULT,
        *,
        access_token: str | SecretStr | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        retry: Backoff = HTTP_RETRY,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        super().__init__(origin, transport=transport, timeout=timeout, retry=retry, **extra)
        self.origin = self.base_url
        self._token: SecretStr | None = None
        self.credentials: RetakeCredentials | None = None
        """What ``from_env`` loaded (agent name, userDbId, …), if anything."""
        self.comments_order: Order = "newest_first"
        """The direction comment pages were last seen sorted in (newest first until a
        page shows otherwise)."""
        self.set_token(access_token)

    @classmethod
    def from_env(
        cls,
        paths: Paths | None = None,
        env: Mapping[str, str] | None = None,
        **options: Any,
    ) -> RetakeClient:
        """A client for ``STUDIO_RETAKE_URL`` with the token of ``load_credentials``."""
        urls = PlatformUrls.from_env(dict(env) if env is not None else None)
        creds = load_credentials(paths, env)
        token = creds.token_for(urls.retake) if creds else None
        client = cls(urls.retake, access_token=token, **options)
        client.credentials = creds
        return client

    def set_token(self, token: str | SecretStr | None) -> None:
        refuse_jwt_as_access_token(token)
        if isinstance(token, str):
            token = SecretStr(token) if token else None
        register(token)
        self._token = token

    @property
    def has_token(self) -> bool:
        return self._token is not None

    def map_error(self, response: httpx.Response, body: Any) -> PlatformError:
        return map_retake_error(response, body)

    def _auth(self) -> dict[str, str]:
        if self._token is None:
            raise RetakeNoCredentials(
                "no retake.tv access token, so the call was not sent",
                platform=PLATFORM,
                fix="Register with `studio retake register`, or set RETAKE_ACCESS_TOKEN.",
            )
        return {"Authorization": f"Bearer {reveal(self._token)}"}

    async def _agent(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        return await self.call(model, method, API + path, headers=self._auth(), **kwargs)

    # -- 1. registration and verification ------------------------------------------
    async def register(self, request: RegisterRequest | Mapping[str, Any]) -> Registration:
        """Create the agent account; the client keeps the returned token. Not retried."""
        body = check(RegisterRequest, request, what="retake.tv registration")
        reply = await self.call(
            Registration, "POST", API + "/agent/register", json=body.model_dump(), idempotent=False
        )
        self.set_token(reply.access_token)
        return reply

    async def prepare_verify(self) -> VerificationPrompt:
        return await self._agent(
            VerificationPrompt, "POST", "/agent/prepare-verify", idempotent=False
        )

    async def verify(self, tweet_url: str) -> Verified:
        body = check(VerifyRequest, {"tweet_url": tweet_url}, what="verification")
        return await self._agent(
            Verified, "POST", "/agent/verify", json=body.model_dump(), idempotent=False
        )

    async def verification_status(self) -> bool:
        reply = await self._agent(Verified, "GET", "/agent/verification-status")
        return reply.verified

    # -- 2. stream lifecycle ---------------------------------------------------------
    async def rtmp(self) -> RtmpCredentials:
        """Fresh RTMP credentials; every earlier key stops working. Not retried."""
        return await self._agent(RtmpCredentials, "POST", "/agent/rtmp", idempotent=False)

    async def stream_start(self) -> StreamStart:
        return await self._agent(StreamStart, "POST", "/agent/stream/start", idempotent=False)

    async def stream_status(self) -> StreamStatus:
        return await self._agent(StreamStatus, "GET", "/agent/stream/status")

    async def update_thumbnail(
        self, image: bytes, filename: str | None = None, content_type: str | None = None
    ) -> ThumbnailUploaded:
        """Upload a JPEG or PNG as multipart field ``image``; its name and type follow
        what it is unless given. Safe to repeat."""
        fmt = check_image_upload(image, what="thumbnail")
        content_type = content_type or ("image/png" if fmt == "PNG" else "image/jpeg")
        filename = filename or ("thumbnail.png" if fmt == "PNG" else "thumbnail.jpg")
        return await self._agent(
            ThumbnailUploaded,
            "POST",
            "/agent/update-thumbnail",
            files={"image": (filename, image, content_type)},
            idempotent=True,
        )

    async def stream_stop(self) -> StreamStopped:
        return await self._agent(StreamStopped, "POST", "/agent/stream/stop", idempotent=False)

    # -- 3. chat ---------------------------------------------------------------------
    async def chat_send(self, message: str, destination_user_id: str) -> ChatSent:
        """Not retried: a repeated send would show twice in chat."""
        body = check(
            ChatSendRequest,
            {"message": message, "destination_user_id": destination_user_id},
            what="chat message",
        )
        return await self._agent(
            ChatSent, "POST", "/agent/stream/chat/send", json=body.model_dump(), idempotent=False
        )

    async def comments(
        self, user_db_id: str, limit: int = DEFAULT_COMMENTS, before_id: str | None = None
    ) -> list[Comment]:
        """One page of a stream's chat, as the server orders it (the document does not
        say which way: see ``comment_pages`` for a page in time order)."""
        query = check(
            CommentsQuery,
            {"userDbId": user_db_id, "limit": limit, "beforeId": before_id},
            what="comments query",
        )
        params = query.model_dump(exclude_none=True)
        reply = await self._agent(Comments, "GET", "/agent/stream/comments", params=params)
        return reply.comments

    async def comment_pages(
        self,
        user_db_id: str,
        *,
        page_size: int = DEFAULT_COMMENTS,
        max_pages: int = 20,
        before_id: str | None = None,
        seen: Callable[[str], bool] | None = None,
    ) -> AsyncIterator[list[Comment]]:
        """Walk back through the chat a page at a time, each page oldest first whichever
        way the server sorts it, paging with ``beforeId`` set to the page's oldest id.

        ``seen`` (ids already known) helps tell a page's direction when its times do
        not. Stops after ``max_pages`` pages, on a short page, or when the caller stops.
        """
        for _ in range(max_pages):
            page = await self.comments(user_db_id, limit=page_size, before_id=before_id)
            order = page_order(page, seen)
            if order is not None:
                self.comments_order = order
            ordered = in_time_order(page, order or self.comments_order)
            if ordered:
                yield ordered
            if len(page) < page_size or not ordered:
                return
            before_id = ordered[0].id

    async def iter_comments(
        self,
        user_db_id: str,
        *,
        page_size: int = DEFAULT_COMMENTS,
        max_pages: int = 20,
        before_id: str | None = None,
    ) -> AsyncIterator[Comment]:
        """Walk back through the chat, newest first, whichever way pages are sorted."""
        async for page in self.comment_pages(
            user_db_id, page_size=page_size, max_pages=max_pages, before_id=before_id
        ):
            for comment in reversed(page):
                yield comment

    # -- 5. public discovery ----------------------------------------------------------
    async def search_users(self, query: str) -> list[UserSummary]:
        if not query.strip():
            raise ValidationFailed([Problem("query", "must not be blank")], what="user search")
        return await self._list(UserSummary, f"/users/search/{quote(query, safe='')}")

    async def live_users(self) -> list[UserSummary]:
        return await self._list(UserSummary, "/users/live/")

    async def newest_users(self) -> list[UserSummary]:
        return await self._list(UserSummary, "/users/newest/")

    async def user_metadata(self, user_id: str) -> UserMetadata:
        return await self.call(
            UserMetadata, "GET", API + f"/users/metadata/{_segment(user_id, 'user_id')}"
        )

    async def streamer(self, identifier: str) -> Streamer:
        """Look a streamer up by username or id; ``streamer_id`` is its userDbId."""
        return await self.call(
            Streamer, "GET", API + f"/users/streamer/{_segment(identifier, 'identifier')}"
        )

    async def active_sessions(self, streamer_id: str | None = None) -> list[SessionInfo]:
        return await self._list(SessionInfo, _per_streamer("/sessions/active/", streamer_id))

    async def recorded_sessions(self, streamer_id: str | None = None) -> list[SessionInfo]:
        return await self._list(SessionInfo, _per_streamer("/sessions/recorded/", streamer_id))

    async def scheduled_sessions(self, streamer_id: str | None = None) -> list[SessionInfo]:
        return await self._list(SessionInfo, _per_streamer("/sessions/scheduled/", streamer_id))

    async def join_session(self, session_id: str) -> JoinToken:
        return await self.call(
            JoinToken, "GET", API + f"/sessions/{_segment(session_id, 'session_id')}/join/"
        )

    async def top_tokens(self) -> list[TopToken]:
        return await self._list(TopToken, "/tokens/top/")

    async def trending_tokens(self) -> list[TrendingToken]:
        return await self._list(TrendingToken, "/tokens/trending/")

    async def token_stats(self, address: str) -> TokenStats:
        return await self.call(
            TokenStats, "GET", API + f"/tokens/{_segment(address, 'address')}/stats"
        )

    async def recent_trades(
        self, limit: int | None = None, cursor: str | None = None, token_address: str | None = None
    ) -> TradePage:
        query = check(TradesQuery, {"limit": limit, "cursor": cursor}, what="trades query")
        path = "/trades/recent/" + (
            f"{_segment(token_address, 'token_address')}/" if token_address else ""
        )
        response = await self.request("GET", API + path, params=query.model_dump(exclude_none=True))
        body = _json(self, response)
        if isinstance(body, list):
            body = {"trades": body}
        return _validate(self, TradePage, body, response)

    async def top_volume(self, limit: int | None = None, window: str = "24h") -> list[TokenVolume]:
        query = check(TopVolumeQuery, {"limit": limit, "window": window}, what="top-volume query")
        return await self._list(
            TokenVolume, "/trades/top-volume/", params=query.model_dump(exclude_none=True)
        )

    async def top_count(self) -> list[TokenTradeCount]:
        return await self._list(TokenTradeCount, "/trades/top-count/")

    async def public_chat(
        self,
        streamer_id: str,
        limit: int = DEFAULT_COMMENTS,
        before_chat_event_id: str | None = None,
    ) -> list[ChatEvent]:
        query = check(
            PublicChatQuery,
            {
                "streamer_id": streamer_id,
                "limit": limit,
                "before_chat_event_id": before_chat_event_id,
            },
            what="chat query",
        )
        reply = await self.call(
            PublicChat, "GET", API + "/chat/", params=query.model_dump(exclude_none=True)
        )
        return reply.chats

    async def top_tippers(self, streamer_id: str) -> list[Tipper]:
        check(IdPath, {"value": streamer_id}, what="streamer_id")
        return await self._list(Tipper, "/chat/top-tippers", params={"streamer_id": streamer_id})

    async def _list(self, model: type[M], path: str, **kwargs: Any) -> list[M]:
        response = await self.request("GET", API + path, **kwargs)
        body = _json(self, response)
        if isinstance(body, Mapping):
            body = next((body[k] for k in _LIST_KEYS if isinstance(body.get(k), list)), None)
            if body is None:
                body = next((v for v in _json(self, response).values() if isinstance(v, list)), [])
        return _validate(self, TypeAdapter(list[model]), body, response)  # type: ignore[valid-type]

    # -- skill file -------------------------------------------------------------------
    async def check_skill_version(
        self, cached: str | None = None, *, cache_dir: Path | None = None
    ) -> SkillCheck:
        """Compare ``<origin>/skill.json`` with the cached version; re-fetch ``/skill.md``
        when it changed.

        With ``cache_dir`` (normally ``Paths.state_dir``) the cached version is read
        from there when ``cached`` is not given; with nothing cached, the version this
        client was written against (``SKILL_VERSION``) is the baseline. A changed version and its
        ``skill.md`` are stored there. No token is sent, and a redirect to another
        origin is refused like every other request.
        """
        cache = SkillCache(cache_dir) if cache_dir else None
        if cached is None and cache is not None:
            cached = cache.version()
        if cached is None:
            cached = SKILL_VERSION
        response = await self.request("GET", "/skill.json")
        manifest = _validate(self, SkillManifest, _json(self, response), response)
        changed = manifest.version != cached
        skill_md = None
        if changed:
            md = await self.request("GET", "/skill.md")
            skill_md = md.text
            if cache is not None:
                cache.store(manifest.version, skill_md)
        return SkillCheck(
            version=manifest.version, cached=cached, changed=changed, skill_md=skill_md
        )


class SkillCache:
    """The last skill version seen and its skill.md, under the studio's state dir."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.version_file = directory / "retake-skill.json"
        self.md_file = directory / "retake-skill.md"

    def version(self) -> str | None:
        try:
            value = json.loads(self.version_file.read_text()).get("version")
        except (OSError, ValueError, AttributeError):
            return None
        return value if isinstance(value, str) else None

    def store(self, version: str, skill_md: str) -> None:
        write_private(self.md_file, skill_md.encode())
        write_private(self.version_file, json.dumps({"version": version}).encode())


def _segment(value: str, name: str) -> str:
    """``value`` as one URL path segment; a bad one is named by ``name`` (not "value")."""
    try:
        check(IdPath, {"value": value}, what=name)
    except ValidationFailed as exc:
        raise ValidationFailed([Problem(name, p.rule) for p in exc.problems], what=name) from None
    return quote(value, safe="")


def _per_streamer(base: str, streamer_id: str | None) -> str:
    return base + (f"{_segment(streamer_id, 'streamer_id')}/" if streamer_id else "")


def _json(client: ApiClient, response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        raise UnexpectedResponse(
            f"the reply to {response.request.method} {response.request.url.path} is not JSON",
            platform=client.platform,
            status=response.status_code,
            fix="The platform may have changed its API; check for an updated studio.",
        ) from None


def _validate(client: ApiClient, model: Any, body: Any, response: httpx.Response) -> Any:
    adapter = model if isinstance(model, TypeAdapter) else TypeAdapter(model)
    try:
        return adapter.validate_python(body)
    except ValidationError as exc:
        detail = redact(str(exc.errors(include_input=False)))[:300]
        raise UnexpectedResponse(
            f"the reply to {response.request.method} {response.request.url.path} "
            f"did not match the documented shape: {detail}",
            platform=client.platform,
            status=response.status_code,
            fix="The platform may have changed its API; check for an updated studio.",
        ) from None
