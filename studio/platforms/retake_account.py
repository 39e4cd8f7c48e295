"""retake.tv section 6: the account behind the agent, with a Privy user JWT.

Profile (read, bio, username, picture, banner, token name), following (list, check,
follow, unfollow) and the session-owner controls (start, end, update, delete, muted
users). Everything is validated before it is sent (``studio.validation.retake``).

The JWT is a ``PrivyJwt`` and travels only as ``Authorization: Bearer <jwt>`` to the
configured origin; this client never holds the agent's access token, and
``RetakeClient`` refuses a JWT. Usable from the CLI and the console alike: every
method is a coroutine returning a typed reply or raising a ``StudioError``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel

from studio.backoff import HTTP_RETRY, Backoff
from studio.config import RETAKE_DEFAULT, Paths, PlatformUrls
from studio.errors import StudioError
from studio.platforms._http import ApiClient, PlatformError
from studio.platforms.retake import API, RetakeClient, _json, _segment, _validate
from studio.platforms.retake_account_models import (
    FollowedUser,
    FollowState,
    MutedUser,
    OwnedSession,
    Profile,
    SessionDeleted,
)
from studio.platforms.retake_errors import PLATFORM, RetakeNotFound, map_account_error
from studio.platforms.retake_jwt import PrivyJwt, WrongCredential, require_privy_jwt
from studio.validation import check
from studio.validation.retake import (
    BannerRequest,
    BioRequest,
    SessionStartRequest,
    SessionUpdateRequest,
    TokenNameRequest,
    UsernameRequest,
    check_image_upload,
)

M = TypeVar("M", bound=BaseModel)

_LIST_KEYS = ("following", "users", "muted_users", "mutedUsers", "muted", "results", "data")
_WRAPPERS = ("user", "profile", "session", "data")
_ACKS = {"success", "ok", "message"}


class RetakeAccount(ApiClient):
    platform = PLATFORM

    def __init__(
        self,
        origin: str = RETAKE_DEFAULT,
        *,
        jwt: PrivyJwt,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        retry: Backoff = HTTP_RETRY,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        if not isinstance(jwt, PrivyJwt):
            raise WrongCredential(
                f"the account client takes a PrivyJwt, not a {type(jwt).__name__}",
                fix="Load it with load_privy_jwt() (RETAKE_PRIVY_JWT or the privy-jwt file); "
                "the agent's access_token never goes here.",
            )
        extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        super().__init__(origin, transport=transport, timeout=timeout, retry=retry, **extra)
        self.origin = self.base_url
        self._jwt = jwt

    @classmethod
    def from_env(
        cls, paths: Paths | None = None, env: Mapping[str, str] | None = None, **options: Any
    ) -> RetakeAccount:
        urls = PlatformUrls.from_env(dict(env) if env is not None else None)
        return cls(urls.retake, jwt=require_privy_jwt(paths, env), **options)

    def map_error(self, response: httpx.Response, body: Any) -> PlatformError:
        return map_account_error(response, body)

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._jwt.reveal()}"}

    async def _one(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        response = await self.request(method, API + path, headers=self._headers(), **kwargs)
        body: Any = _json(self, response) if response.content else {}
        if isinstance(body, Mapping):
            for key in _WRAPPERS:
                inner = body.get(key)
                if isinstance(inner, Mapping) and set(body) - {key} <= _ACKS:
                    body = {**{k: v for k, v in body.items() if k != key}, **inner}
                    break
        return _validate(self, model, body, response)  # type: ignore[no-any-return]

    async def _many(self, model: type[M], path: str) -> list[M]:
        response = await self.request("GET", API + path, headers=self._headers())
        body: Any = _json(self, response)
        if isinstance(body, Mapping):
            body = next((body[k] for k in _LIST_KEYS if isinstance(body.get(k), list)), None)
            if body is None:
                body = next((v for v in _json(self, response).values() if isinstance(v, list)), [])
        return _validate(self, list[model], body, response)  # type: ignore[no-any-return,valid-type]

    # -- profile ---------------------------------------------------------------------
    async def me(self) -> Profile:
        return await self._one(Profile, "GET", "/users/me")

    async def _patch(self, path: str, **kwargs: Any) -> Profile:
        """A profile PATCH; the profile as it is now, read back when the reply is only
        an acknowledgement such as ``{"success": true}`` (the document shows none)."""
        reply = await self._one(Profile, "PATCH", path, idempotent=True, **kwargs)
        if reply.user_id is None and reply.username is None:
            return await self.me()
        return reply

    async def set_bio(self, bio: str) -> Profile:
        body = check(BioRequest, {"bio": bio}, what="bio")
        return await self._patch("/users/me/bio", json=body.model_dump())

    async def set_username(self, username: str) -> Profile:
        """Also the stream URL's path (``https://retake.tv/<username>``)."""
        body = check(UsernameRequest, {"username": username}, what="username")
        return await self._patch("/users/me/username", json=body.model_dump())

    async def set_profile_picture(
        self, image: bytes, filename: str = "pfp.png", content_type: str | None = None
    ) -> Profile:
        """Multipart field ``image``, a JPEG or PNG."""
        fmt = check_image_upload(image, what="image")
        content_type = content_type or ("image/png" if fmt == "PNG" else "image/jpeg")
        return await self._patch("/users/me/pfp", files={"image": (filename, image, content_type)})

    async def set_banner(
        self,
        image: bytes | None = None,
        url: str | None = None,
        *,
        filename: str = "banner.png",
        content_type: str | None = None,
    ) -> Profile:
        """Multipart ``image`` + ``url``, as the document says; either may be left out,
        not both (some readings take the banner from the image, some from the url)."""
        request = check(BannerRequest, {"url": url, "has_image": image is not None}, what="banner")
        files: dict[str, Any] = {}
        if image is not None:
            fmt = check_image_upload(image, what="image")
            content_type = content_type or ("image/png" if fmt == "PNG" else "image/jpeg")
            files["image"] = (filename, image, content_type)
        data = {"url": request.url} if request.url is not None else {}
        if not files:
            # still multipart/form-data, as the document says, with the url field only
            files["url"] = (None, request.url)
            data = {}
        return await self._patch("/users/me/banner", files=files, data=data)

    async def set_token_name(self, token_name: str) -> Profile:
        body = check(TokenNameRequest, {"token_name": token_name}, what="token name")
        return await self._patch("/users/me/tokenName", json=body.model_dump())

    # -- following -------------------------------------------------------------------
    async def following(self) -> list[FollowedUser]:
        return await self._many(FollowedUser, "/users/me/following")

    async def is_following(self, target_username: str) -> bool:
        path = f"/users/me/following/{_segment(target_username, 'target_username')}"
        response = await self.request("GET", API + path, headers=self._headers())
        body = _json(self, response)
        if isinstance(body, bool):
            return body
        state = _validate(self, FollowState, body, response)
        return bool(state.following)

    async def follow(self, target_id: str) -> FollowState:
        return await self._follow("PUT", target_id, True)

    async def unfollow(self, target_id: str) -> FollowState:
        return await self._follow("DELETE", target_id, False)

    async def _follow(self, method: str, target_id: str, wanted: bool) -> FollowState:
        path = f"/users/me/following/{_segment(target_id, 'target_id')}"
        state = await self._one(FollowState, method, path)
        if state.following is None:  # a bare {"success": true} means it was done
            state = state.model_copy(update={"following": wanted})
        if state.target_id is None:
            state = state.model_copy(update={"target_id": target_id})
        return state

    # -- session-owner controls -------------------------------------------------------
    async def start_session(
        self, title: str, category: str, tags: list[str] | tuple[str, ...] = ()
    ) -> OwnedSession:
        """Not retried: a repeat would open a second session."""
        body = check(
            SessionStartRequest,
            {"title": title, "category": category, "tags": list(tags)},
            what="session",
        )
        return await self._one(
            OwnedSession, "POST", "/sessions/start", json=body.model_dump(), idempotent=False
        )

    async def end_session(self, session_id: str) -> OwnedSession:
        path = f"/sessions/{_segment(session_id, 'session_id')}/end"
        return await self._one(OwnedSession, "POST", path, idempotent=False)

    async def update_session(
        self,
        session_id: str,
        *,
        title: str | None = None,
        category: str | None = None,
        tags: list[str] | tuple[str, ...] | None = None,
    ) -> OwnedSession:
        """Only the fields given are sent."""
        body = check(
            SessionUpdateRequest,
            {
                "title": title,
                "category": category,
                "tags": list(tags) if tags is not None else None,
            },
            what="session update",
        )
        path = f"/sessions/{_segment(session_id, 'session_id')}"
        return await self._one(OwnedSession, "PUT", path, json=body.model_dump(exclude_none=True))

    async def delete_session(self, session_id: str) -> SessionDeleted:
        path = f"/sessions/{_segment(session_id, 'session_id')}"
        deleted = await self._one(SessionDeleted, "DELETE", path)
        if deleted.session_id is None:
            deleted = deleted.model_copy(update={"session_id": session_id})
        return deleted

    async def muted_users(self, session_id: str) -> list[MutedUser]:
        return await self._many(
            MutedUser, f"/sessions/{_segment(session_id, 'session_id')}/muted-users"
        )


async def active_session_id(account: RetakeAccount, public: RetakeClient) -> str:
    """The id of the JWT user's active session (for end, update and muted users when no
    id is given); raises saying there is none."""
    me = await account.me()
    if not me.user_id:
        raise StudioError("retake.tv did not say who this JWT's user is", fix="Pass a session id.")
    try:
        active = await public.active_sessions(me.user_id)
    except RetakeNotFound:  # the document's 404 for "no active session" here
        active = []
    if not active or not active[0].session_id:
        raise StudioError(
            f"{me.username or me.user_id} has no active session",
            fix="Pass the session id, or start a session first.",
        )
    return active[0].session_id


async def follow_target(public: RetakeClient, target: str) -> tuple[str, str | None]:
    """A userDbId for ``target`` (a username or an id) and its username, looked up with
    ``/users/streamer/<target>``."""
    found = await public.streamer(target)
    return found.streamer_id or target, found.username
