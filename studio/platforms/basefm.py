"""The baseFM client: live list, DJ stream sessions, stream status, distribution, relays.

The session token (``session.accessToken`` of the create reply) authenticates every
later call on the session. It is sent only as the ``x-basefm-session`` header, never as
the ``sessionToken`` query parameter, so it does not land in server or proxy logs. It
is kept in the session store (0600) with the session's expiry and stream id, so a
restarted studio recovers the session (``GET /api/basefm/streams``) instead of
creating, and perhaps paying for, a second one.

Creating a stream may cost $5 USDC, so that request is never repeated on a timeout.
After a timeout the studio asks baseFM first whether the session exists (the recovery
path); see ``BasefmClient.create_stream``.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from studio.backoff import HTTP_RETRY, Backoff
from studio.config import BASEFM_DEFAULT, Paths
from studio.platforms._http import ApiClient, PlatformError, PlatformUnreachable
from studio.platforms._timestamps import epoch_or_none
from studio.platforms.basefm_errors import (
    PLATFORM,
    BasefmActiveSessionExists,
    BasefmCreateUncertain,
    BasefmNoSession,
    BasefmNotSessionOwner,
    BasefmSessionHeld,
    BasefmUnauthorized,
    map_basefm_error,
)
from studio.platforms.basefm_models import (
    MAX_SESSION_SECONDS,
    TOKEN_GRACE_SECONDS,
    CreatedSession,
    CreateStreamResponse,
    Distribution,
    DistributionResponse,
    EndSessionResponse,
    LiveResponse,
    ProbeRelayResponse,
    Relay,
    RelayRecord,
    RelaysResponse,
    SessionResponse,
    StreamStatusResponse,
    SyncStatusResponse,
    UpsertRelayResponse,
)
from studio.redaction import SecretValue, register, reveal
from studio.session_store import SessionStore
from studio.validation import check
from studio.validation.basefm import (
    RelayUpsertRequest,
    check_relay_key,
    create_stream_request,
)

STORE_KEY = "basefm"
SESSION_HEADER = "x-basefm-session"
STREAMS = "/api/basefm/streams"
STATUS = "/api/basefm/streams/status"
CREATE_TIMEOUT = 30.0
"""Creating a stream verifies a payment on chain and arms a Mux stream: allow it time,
since a timeout there is the one failure that cannot simply be retried."""

M = TypeVar("M", bound=BaseModel)


class BasefmUnreachable(PlatformUnreachable):
    """No reply from baseFM; ``may_have_arrived`` is false only when no connection opened."""

    def __init__(self, message: str, *, may_have_arrived: bool, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.may_have_arrived = may_have_arrived


class BasefmHeldSession(BaseModel):
    """The session this studio holds: its token and what is needed to recover it."""

    model_config = ConfigDict(frozen=True)

    session_token: SecretValue
    base_url: str
    wallet: str | None = None
    session_id: int | str | None = None
    stream_id: str | None = None
    expires_at: float | None = None
    token_expires_at: float | None = None
    stored_at: float

    def to_entry(self) -> dict[str, Any]:
        entry = self.model_dump(mode="json")
        entry["session_token"] = reveal(self.session_token)
        return entry


class BasefmClient(ApiClient):
    platform = PLATFORM

    def __init__(
        self,
        base_url: str = BASEFM_DEFAULT,
        *,
        session_token: str | SecretStr | None = None,
        user_session: str | SecretStr | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        store: SessionStore | None = None,
        persist: bool = True,
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
        create_timeout: float = CREATE_TIMEOUT,
        retry: Backoff = HTTP_RETRY,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        """``session_token``: a token from an earlier create (otherwise the stored one is
        used); ``user_session``: an Agentbot sign-in cookie value, needed only for
        community guest passes and admin calls (relays)."""
        extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        super().__init__(base_url, transport=transport, timeout=timeout, retry=retry, **extra)
        self._clock = clock
        self._create_timeout = create_timeout
        self._store = (store or SessionStore(Paths.from_env().sessions_file)) if persist else None
        self._user_session = _secret(user_session)
        self._held: BasefmHeldSession | None = None
        self.store_error: OSError | None = None
        """Why the held session could not be written to the session store, if it could not."""
        self.create_uncertain: BasefmCreateUncertain | None = None
        """Set when a create was cut short by a stop and its outcome is unknown."""
        token = _secret(session_token)
        if token is not None:
            self._held = BasefmHeldSession(
                session_token=token, base_url=self.base_url, stored_at=clock()
            )
        else:
            self.load_session()

    def map_error(self, response: httpx.Response, body: Any) -> PlatformError:
        return map_basefm_error(response, body)

    def _unreachable(self, exc: Exception) -> PlatformUnreachable:
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "could not be reached"
        never_connected = isinstance(
            exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
        )
        return BasefmUnreachable(
            f"{self.base_url} {kind} ({type(exc).__name__})",
            platform=self.platform,
            may_have_arrived=not never_connected,
            fix="Check the network and the configured baseFM URL (STUDIO_BASEFM_URL), "
            "then try again.",
        )

    # -- the held session ------------------------------------------------------------
    @property
    def held(self) -> BasefmHeldSession | None:
        return self._held

    @property
    def session_token(self) -> SecretStr | None:
        return self._held.session_token if self._held else None

    def load_session(self) -> BasefmHeldSession | None:
        """The stored session for this origin whose token may still work, without asking
        baseFM. An entry for another origin is left alone; an expired one is cleared."""
        if self._store is None:
            return self._held
        entry = self._store.get(STORE_KEY)
        if not entry:
            return None
        try:
            held = BasefmHeldSession.model_validate(entry)
        except ValueError:
            self._store.clear(STORE_KEY)
            return None
        if held.base_url != self.base_url:
            return None
        if held.token_expires_at is not None and self._clock() >= held.token_expires_at:
            self._store.clear(STORE_KEY)
            return None
        self._held = held
        return held

    def forget_session(self) -> None:
        self._held = None
        if self._store is not None:
            try:
                entry = self._store.get(STORE_KEY)
                if entry is None or entry.get("base_url") == self.base_url:
                    self._store.clear(STORE_KEY)
            except OSError as exc:
                self.store_error = exc

    def _keep_raw(self, response: httpx.Response, wallet: str) -> None:
        """Hold the session token straight from the raw reply, before the rest of it is
        validated: a reply with one field of an unexpected type must not cost the token
        of a session that may be paid for."""
        try:
            body = response.json()
        except (ValueError, RecursionError):
            return
        if not isinstance(body, dict) or not isinstance(body.get("session"), dict):
            return
        session: dict[str, Any] = body["session"]
        token = session.get("accessToken")
        if not isinstance(token, str) or not token:
            return
        register(token)
        stream = body["stream"] if isinstance(body.get("stream"), dict) else {}
        now = self._clock()
        expiry = session.get("expiresAt")
        expires_at = epoch_or_none(expiry) if isinstance(expiry, (str, int, float)) else None
        expires_at = expires_at if expires_at is not None else now + MAX_SESSION_SECONDS
        session_id = session.get("id")
        stream_id = stream.get("id")
        self._hold(
            BasefmHeldSession(
                session_token=SecretStr(token),
                base_url=self.base_url,
                wallet=wallet,
                session_id=session_id if isinstance(session_id, (int, str)) else None,
                stream_id=stream_id if isinstance(stream_id, str) else None,
                expires_at=expires_at,
                token_expires_at=expires_at + TOKEN_GRACE_SECONDS,
                stored_at=now,
            )
        )

    def _hold(self, held: BasefmHeldSession) -> None:
        """Hold ``held`` in memory, then keep it in the session store. A store that
        cannot be written (a full disk) costs nothing now: the token stays in memory,
        so this run can still use and end the session, and ``store_error`` says why it
        would not survive a restart."""
        self._held = held
        if self._store is None:
            return
        try:
            self._store.put(STORE_KEY, held.to_entry())
        except OSError as exc:
            self.store_error = exc
        else:
            self.store_error = None

    def _keep(self, reply: CreateStreamResponse) -> None:
        token = reply.session.accessToken
        if token is None:
            return
        now = self._clock()
        expires_at = reply.session.expires_at
        if expires_at is None:
            expires_at = now + (reply.session.remaining or reply.session.maxDuration)
        held = BasefmHeldSession(
            session_token=token,
            base_url=self.base_url,
            wallet=reply.session.wallet or reply.stream.wallet,
            session_id=reply.session.id,
            stream_id=reply.stream.id,
            expires_at=expires_at,
            token_expires_at=expires_at + TOKEN_GRACE_SECONDS,
            stored_at=now,
        )
        if held != self._held:
            self._hold(held)

    def _headers(self, *, required: bool) -> dict[str, str]:
        headers: dict[str, str] = {}
        if self._held is not None:
            headers[SESSION_HEADER] = reveal(self._held.session_token)
        if self._user_session is not None:
            name = "next-auth.session-token"
            if self.base_url.startswith("https://"):
                name = "__Secure-" + name
            headers["cookie"] = f"{name}={reveal(self._user_session)}"
        if required and not headers:
            raise BasefmNoSession(
                "no baseFM session token is held, so there is no session to ask about",
                platform=PLATFORM,
                fix="Create a stream session first (the studio keeps its token), or pass "
                "the token from an earlier create.",
            )
        return headers

    async def _on_session(self, model: type[M], method: str, path: str) -> M:
        headers = self._headers(required=True)
        try:
            return await self.call(model, method, path, headers=headers)
        except (BasefmUnauthorized, BasefmNotSessionOwner):
            if SESSION_HEADER in headers:
                self.forget_session()
            raise

    # -- calls -----------------------------------------------------------------------
    async def live(self) -> LiveResponse:
        """Live DJs, station availability and distribution (no authentication)."""
        return await self.call(LiveResponse, "GET", "/api/basefm/live")

    async def create_stream(
        self,
        wallet: str,
        name: str | None = None,
        city: str | None = None,
        tx_hash: str | None = None,
    ) -> CreateStreamResponse:
        """Create (arm) a Mux stream for a DJ session, or take back the one this studio
        already owns (``reconnected``).

        Being safe with a $5 payment: the request is sent once. If no reply comes, the
        studio asks ``GET /api/basefm/streams`` with the token it holds whether the
        session exists, and returns it if so. If it holds no token (a first session) it
        cannot ask, and raises ``BasefmCreateUncertain``: never pay again then; repeat
        the same call with the same txHash (baseFM accepts a payment once and a second
        session for the wallet not at all).
        """
        request = create_stream_request(wallet, name, city, tx_hash)
        await self._refuse_a_second_wallet(request.wallet)
        self.create_uncertain = None
        task = asyncio.ensure_future(self._create(request))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            await self._settle_cancelled_create(task, request.wallet, request.txHash is not None)
            raise

    async def _settle_cancelled_create(
        self, task: asyncio.Future[CreateStreamResponse], wallet: str, paid: bool
    ) -> None:
        """The caller stopped (SIGINT, SIGTERM) while a create was in flight: the payment
        may be spent already, so wait for the answer (at most ``create_timeout``) and
        keep its token; without an answer, ask ``GET /streams``; failing that, say so
        (``create_uncertain``) instead of pretending nothing happened."""
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await asyncio.wait_for(asyncio.shield(task), self._create_timeout)
        if task.done() and not task.cancelled() and task.exception() is None:
            return  # answered: ``_create`` kept the token
        task.cancel()
        with contextlib.suppress(Exception, asyncio.CancelledError):
            await task
        with contextlib.suppress(Exception, asyncio.CancelledError):
            if await self._recover_for(wallet) is not None:
                return
        failure = None if task.cancelled() else task.exception()
        if isinstance(failure, PlatformError) and not isinstance(failure, BasefmUnreachable):
            return  # baseFM answered no (402, 400, …): nothing was created
        self.create_uncertain = BasefmCreateUncertain(
            "the studio stopped while baseFM was creating the stream and got no answer; "
            "baseFM may have created it" + (" and used the payment" if paid else ""),
            wallet=wallet,
            paid=paid,
            platform=PLATFORM,
            fix="Do not pay again. Go live again with the same wallet and the same "
            "--tx-hash: if the stream was not created it is created now with that payment.",
        )

    async def _create(self, request: Any) -> CreateStreamResponse:
        headers = self._headers(required=False)
        try:
            response = await self.request(
                "POST",
                STREAMS,
                json=request.body(),
                headers=headers,
                idempotent=False,
                timeout=httpx.Timeout(self._create_timeout),
            )
        except BasefmUnreachable as exc:
            if not exc.may_have_arrived:
                raise
            recovered = await self._recover_for(request.wallet)
            if recovered is not None:
                return recovered
            raise BasefmCreateUncertain(
                "the request to create the stream got no reply; baseFM may have created "
                "it" + (" and used the payment" if request.txHash else ""),
                wallet=request.wallet,
                paid=request.txHash is not None,
                platform=PLATFORM,
                fix="Do not pay again. Repeat the same request with the same txHash: if "
                "the stream was not created it is created now with that payment; if it "
                "was, baseFM answers active_session_exists and the session ends by itself "
                "within 2 hours.",
            ) from None
        except BasefmActiveSessionExists:
            recovered = await self._recover_for(request.wallet)
            if recovered is not None:
                return recovered
            raise
        self._keep_raw(response, request.wallet)
        try:
            reply = self.parse(CreateStreamResponse, response)
        except PlatformError as unreadable:
            # the token is held: the session's controls can be read back over GET /streams
            try:
                recovered = await self._recover_for(request.wallet)
            except PlatformError:
                recovered = None
            if recovered is not None:
                return recovered
            raise unreadable from None
        self._keep(reply)
        return reply

    async def _refuse_a_second_wallet(self, wallet: str) -> None:
        """One studio holds one baseFM session: creating one for another wallet would
        drop the token of a session that is still running (and paid for)."""
        held = self._held
        if held is None or not held.wallet or held.wallet.lower() == wallet.lower():
            return
        try:
            current = await self.session()
        except (BasefmUnauthorized, BasefmNotSessionOwner):
            return
        if current.active:
            raise BasefmSessionHeld(
                f"this studio holds a running baseFM session for wallet {held.wallet}; "
                f"a session for {wallet} would lose its controls",
                platform=PLATFORM,
                fix="End the running session first (it cannot be resumed after that), "
                "or go live with the same wallet.",
            )

    async def _recover_for(self, wallet: str) -> CreateStreamResponse | None:
        """The held session's controls, if it is current and for ``wallet``."""
        if self._held is None:
            return None
        try:
            current = await self.session()
        except (BasefmUnauthorized, BasefmNotSessionOwner):
            return None
        if not current.active or current.stream is None or current.session is None:
            return None
        owner = current.session.wallet or current.stream.wallet or ""
        if owner.lower() != wallet.lower():
            return None
        return self._recovered(current)

    def _recovered(self, current: SessionResponse) -> CreateStreamResponse:
        assert current.stream is not None and current.session is not None and self._held
        details = current.session
        session = CreatedSession(
            id=details.id,
            wallet=details.wallet,
            maxDuration=MAX_SESSION_SECONDS,
            remaining=details.remaining,
            expiresAt=details.expiresAt,
            accessToken=self._held.session_token,
        )
        return CreateStreamResponse(
            success=True,
            reconnected=True,
            stream=current.stream,
            session=session,
            ffmpeg=current.ffmpeg or current.stream.ffmpeg,
        )

    async def session(self) -> SessionResponse:
        """The held session's controls and remaining time (``active: false`` once over;
        the stored token is dropped then)."""
        reply = await self._on_session(SessionResponse, "GET", STREAMS)
        if reply.active:
            self._refresh(reply)
        elif self._held is not None:
            self.forget_session()
        return reply

    def _refresh(self, reply: SessionResponse) -> None:
        if self._held is None or reply.session is None:
            return
        expires_at = reply.session.expires_at
        update: dict[str, Any] = {
            "session_id": reply.session.id,
            "wallet": reply.session.wallet or self._held.wallet,
            "stream_id": reply.stream.id if reply.stream else self._held.stream_id,
        }
        if expires_at is not None:
            update["expires_at"] = expires_at
            if self._held.token_expires_at is None:
                update["token_expires_at"] = expires_at + TOKEN_GRACE_SECONDS
        held = self._held.model_copy(update=update)
        if held != self._held:
            self._hold(held)

    async def recover_session(self) -> SessionResponse | None:
        """Take back the session a previous run created, if baseFM still has it current.

        Call this before ``create_stream`` when the studio starts: it is a safe GET."""
        if self._held is None and self.load_session() is None:
            return None
        try:
            reply = await self.session()
        except (BasefmUnauthorized, BasefmNotSessionOwner):
            return None
        return reply if reply.active else None

    async def end_session(self) -> EndSessionResponse:
        """End the session and retire its stream; the stored token is dropped.

        "No session" is success too: there is nothing left to end."""
        try:
            headers = self._headers(required=True)
        except BasefmNoSession:
            return EndSessionResponse(success=True, message="No session")
        try:
            reply = await self.call(EndSessionResponse, "DELETE", STREAMS, headers=headers)
        except (BasefmUnauthorized, BasefmNotSessionOwner):
            self.forget_session()
            raise
        self.forget_session()
        return reply

    async def stream_status(self) -> StreamStatusResponse:
        """Mux ingest state, stream health, and whether a sync is recommended."""
        return await self._on_session(StreamStatusResponse, "GET", STATUS)

    async def sync_status(self) -> SyncStatusResponse:
        """Move the session to live once Mux sees the ingest."""
        return await self._on_session(SyncStatusResponse, "POST", STATUS)

    async def distribution(self) -> Distribution:
        reply = await self.call(DistributionResponse, "GET", "/api/basefm/distribution")
        return reply.distribution

    async def relays(self) -> list[Relay]:
        reply = await self.call(RelaysResponse, "GET", "/api/basefm/relays")
        return reply.relays

    async def upsert_relay(self, body: RelayUpsertRequest | Mapping[str, Any]) -> RelayRecord:
        """Create or update a relay destination (admin session needed)."""
        request = check(RelayUpsertRequest, body, what="baseFM relay")
        reply = await self.call(
            UpsertRelayResponse,
            "POST",
            "/api/basefm/relays",
            json=request.body(),
            headers=self._headers(required=False),
        )
        return reply.relay

    async def probe_relay(self, key: str) -> ProbeRelayResponse:
        """Health-check a relay against its probe URL (admin session needed)."""
        relay_key = check_relay_key(key)
        return await self.call(
            ProbeRelayResponse,
            "POST",
            f"/api/basefm/relays/{relay_key}/probe",
            headers=self._headers(required=False),
        )


def _secret(value: str | SecretStr | None) -> SecretStr | None:
    if isinstance(value, str):
        value = SecretStr(value) if value else None
    register(value)
    return value
