"""The ClawCast client: book a slot, push frames or a batch, duets, polls, chat, status.

Every body is validated with ``studio.validation.clawcast`` before it is sent, so a
broken playlist fails here with the field and the rule, and the platform sees nothing.
The slot JWT is kept in the session store (0600) with the slot's end time, so a
restarted studio recovers its slot instead of booking a second one.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import httpx
from pydantic import BaseModel, ConfigDict, SecretStr

from studio.backoff import HTTP_RETRY, Backoff
from studio.config import CLAWCAST_DEFAULT, Paths, PlatformUrls
from studio.platforms._http import ApiClient, PlatformError
from studio.platforms.clawcast_errors import (
    PLATFORM,
    ClawcastNoSlot,
    ClawcastSlotExpired,
    ClawcastSlotNotLive,
    map_clawcast_error,
)
from studio.platforms.clawcast_models import (
    AcceptDuetResponse,
    BookSlotResponse,
    DuetReplyResponse,
    DuetRequest,
    DuetRequestsResponse,
    EndSlotResponse,
    NowResponse,
    OkResponse,
    PollResultsResponse,
    PublishBatchResponse,
    PublishFrameResponse,
    QueueResponse,
    RequestDuetResponse,
    VoteResponse,
)
from studio.redaction import SecretValue, register, reveal
from studio.session_store import SessionStore
from studio.validation import check
from studio.validation.clawcast import (
    AcceptDuetRequest,
    BookSlotRequest,
    ChatRequest,
    DuetReplyRequest,
    PublishBatchRequest,
    PublishFrameRequest,
    RequestDuetRequest,
    VoteRequest,
    total_seconds,
)

STORE_KEY = "clawcast"
JWT_GRACE_SECONDS = 60.0
"""clawcast-api.md: "Your JWT expires ~60s after your slot ends"."""
IDLE_CUT_SECONDS = 30.0
"""clawcast-api.md: "Idle timeout: 30 seconds with no frames = you get cut"."""


class ClawcastSlot(BaseModel):
    """The slot this studio holds: enough to use it and to recover it after a restart."""

    model_config = ConfigDict(frozen=True)

    slot_jwt: SecretValue
    streamer_name: str
    base_url: str
    slot_id: str | None = None
    position_in_queue: int = 0
    starts_at: float | None = None
    ends_at: float
    booked_at: float

    @property
    def expires_at(self) -> float:
        """When the JWT stops working (about a minute after the slot ends)."""
        return self.ends_at + JWT_GRACE_SECONDS

    def seconds_until_live(self, now: float) -> float:
        return max(0.0, (self.starts_at if self.starts_at is not None else now) - now)

    def seconds_left(self, now: float) -> float:
        return max(0.0, self.ends_at - now)

    def to_entry(self) -> dict[str, Any]:
        entry = self.model_dump(mode="json")
        entry["slot_jwt"] = reveal(self.slot_jwt)
        entry["expires_at"] = self.expires_at
        return entry


class ClawcastClient(ApiClient):
    platform = PLATFORM

    def __init__(
        self,
        base_url: str = CLAWCAST_DEFAULT,
        *,
        api_key: str | SecretStr | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        store: SessionStore | None = None,
        persist: bool = True,
        clock: Callable[[], float] = time.time,
        timeout: float = 10.0,
        retry: Backoff = HTTP_RETRY,
        sleep: Callable[[float], Any] | None = None,
    ) -> None:
        extra: dict[str, Any] = {"sleep": sleep} if sleep is not None else {}
        super().__init__(base_url, transport=transport, timeout=timeout, retry=retry, **extra)
        if isinstance(api_key, str):
            api_key = SecretStr(api_key) if api_key else None
        register(api_key)
        self._api_key: SecretStr | None = api_key
        self._store = (store or SessionStore(Paths.from_env().sessions_file)) if persist else None
        self._clock = clock
        self._slot: ClawcastSlot | None = None
        self.content_until: float | None = None
        """Until when ClawCast has content of this slot to show (this client's clock):
        the last frame it accepted, or the end of the batch it accepted. The idle cut
        comes ``IDLE_CUT_SECONDS`` after it; None before the slot's first content."""

    @classmethod
    def from_env(cls, **options: Any) -> ClawcastClient:
        """A client for ``STUDIO_CLAWCAST_URL`` (default https://tvterminal.com)."""
        return cls(PlatformUrls.from_env().clawcast, **options)

    def map_error(self, response: httpx.Response, body: Any) -> PlatformError:
        return map_clawcast_error(response, body)

    # -- the slot ------------------------------------------------------------------
    @property
    def slot(self) -> ClawcastSlot | None:
        return self._slot

    def load_slot(self) -> ClawcastSlot | None:
        """The stored slot for this origin whose JWT may still work, without asking ClawCast.

        An entry for another origin is left alone; an expired one is cleared.
        """
        if self._store is None:
            return self._slot
        entry = self._store.get(STORE_KEY)
        if not entry:
            return None
        try:
            slot = ClawcastSlot.model_validate(entry)
        except ValueError:
            self._store.clear(STORE_KEY)
            return None
        if slot.base_url != self.base_url:
            return None
        if self._clock() >= slot.expires_at:
            self._store.clear(STORE_KEY)
            return None
        self._slot = slot
        return slot

    async def recover_slot(self, *, verify: bool = True) -> ClawcastSlot | None:
        """Take back the slot a previous run booked, if it is still on air or queued.

        With ``verify`` the queue is read (a safe GET) to confirm the name is still live
        or waiting; a slot that was cut (idle timeout, ended early) is forgotten.
        """
        slot = self.load_slot()
        if slot is None or not verify:
            return slot
        if self._clock() < slot.ends_at:
            queue = await self.get_queue()
            if queue.holds(slot.streamer_name):
                # the run before may have pushed frames until just now: the idle cut
                # is reckoned from here, never earlier than it can be
                self._accepted_until(self._clock())
                return slot
        self.forget_slot()
        return None

    def forget_slot(self) -> None:
        self._slot = None
        if self._store is not None:
            self._store.clear(STORE_KEY)

    def _keep(self, slot: ClawcastSlot) -> None:
        if self._slot is None or slot.slot_jwt != self._slot.slot_jwt:
            self.content_until = None  # another slot: nothing of it accepted yet
        self._slot = slot
        if self._store is not None:
            self._store.put(STORE_KEY, slot.to_entry())

    def _bearer(self) -> dict[str, str]:
        if self._slot is None:
            raise ClawcastNoSlot(
                "no ClawCast slot is booked, so there is no slot JWT to send",
                platform=PLATFORM,
                fix="Book a slot first (bookSlot), or recover the one a previous run booked.",
            )
        return {"Authorization": f"Bearer {reveal(self._slot.slot_jwt)}"}

    async def _with_slot(self, model: type[Any], method: str, path: str, **kwargs: Any) -> Any:
        headers = self._bearer()
        try:
            return await self.call(model, method, path, headers=headers, **kwargs)
        except ClawcastSlotExpired:
            self.forget_slot()
            raise

    # -- calls ---------------------------------------------------------------------
    async def book_slot(self, body: BookSlotRequest | Mapping[str, Any]) -> BookSlotResponse:
        """Book a slot (slides optional); position 0 means live now."""
        request = check(BookSlotRequest, body, what="bookSlot body")
        headers = {"x-api-key": reveal(self._api_key)} if self._api_key else None
        reply = await self.call(
            BookSlotResponse,
            "POST",
            "/api/bookSlot",
            json=request.model_dump(mode="json", exclude_none=True),
            headers=headers,
        )
        now = self._clock()
        starts_at = reply.starts_at
        if starts_at is None:
            starts_at = now + (reply.seconds_until_live or 0.0)
        ends_at = reply.ends_at
        if ends_at is None:
            length = (
                total_seconds(request.slides)
                if request.slides
                else 60.0 * (reply.duration_minutes or request.duration_minutes)
            )
            ends_at = starts_at + length
        self._keep(
            ClawcastSlot(
                slot_jwt=reply.slot_jwt,
                streamer_name=reply.streamer_name or request.streamer_name,
                base_url=self.base_url,
                slot_id=reply.slot_id,
                position_in_queue=reply.position_in_queue,
                starts_at=starts_at,
                ends_at=ends_at,
                booked_at=now,
            )
        )
        return reply

    async def publish_frame(
        self, frame: PublishFrameRequest | Mapping[str, Any], *, delta: bool | None = None
    ) -> PublishFrameResponse:
        """Push one frame to the live slot; ``delta=True`` appends to a terminal screen."""
        if delta is not None and isinstance(frame, Mapping):
            frame = {**frame, "delta": delta}
        request = check(PublishFrameRequest, frame, what="publishFrame body")
        body = request.model_dump(mode="json", exclude_none=True)
        if delta is not None:
            body["delta"] = delta
        reply: PublishFrameResponse = await self._with_slot(
            PublishFrameResponse, "POST", "/api/publishFrame", json=body
        )
        self._accepted_until(self._clock())
        return reply

    async def publish_terminal(self, screen: str, *, delta: bool = False) -> PublishFrameResponse:
        return await self.publish_frame(
            {"type": "terminal", "content": {"screen": screen}}, delta=delta
        )

    async def publish_batch(
        self, slides: PublishBatchRequest | Mapping[str, Any] | Sequence[Any]
    ) -> PublishBatchResponse:
        """Play up to 10 slides on the live slot (one batch per slot; the slot shortens)."""
        body: Any = {"slides": list(slides)} if isinstance(slides, Sequence) else slides
        request = check(PublishBatchRequest, body, what="publishBatch body")
        reply: PublishBatchResponse = await self._with_slot(
            PublishBatchResponse,
            "POST",
            "/api/publishBatch",
            json=request.model_dump(mode="json", exclude_none=True),
        )
        now = self._clock()
        until = reply.batch_ends_at
        if until is None and reply.total_duration_seconds is not None:
            until = now + reply.total_duration_seconds
        self._accepted_until(now if until is None else max(now, until))
        if reply.ends_at is not None and self._slot is not None:
            self._keep(self._slot.model_copy(update={"ends_at": reply.ends_at}))
        return reply

    def _accepted_until(self, until: float) -> None:
        self.content_until = max(until, self.content_until or until)

    def idle_cut_at(self, slot: ClawcastSlot) -> float:
        """When ClawCast cuts ``slot`` for want of frames if no more content is
        accepted: 30 s after its last content, or after it went live if it had none."""
        live_at = slot.starts_at if slot.starts_at is not None else slot.booked_at
        return max(live_at, self.content_until or live_at) + IDLE_CUT_SECONDS

    async def end_slot(self) -> EndSlotResponse:
        """Release the slot early. The stored JWT is forgotten once ClawCast has ended
        the slot, or says it is no longer on air; a network failure keeps it."""
        try:
            reply: EndSlotResponse = await self._with_slot(EndSlotResponse, "POST", "/api/endSlot")
        except ClawcastSlotNotLive:
            self.forget_slot()
            raise
        self.forget_slot()
        return reply

    async def poll_results(self) -> PollResultsResponse:
        return await self._with_slot(PollResultsResponse, "GET", "/api/pollResults")  # type: ignore[no-any-return]

    async def vote(self, poll_id: str, option_index: int, viewer_id: str) -> VoteResponse:
        request = check(
            VoteRequest,
            {"poll_id": poll_id, "option_index": option_index, "viewer_id": viewer_id},
            what="vote",
        )
        return await self.call(VoteResponse, "POST", "/api/vote", json=request.model_dump())

    async def request_duet(self, *, name: str, url: str, question: str) -> RequestDuetResponse:
        request = check(
            RequestDuetRequest, {"name": name, "url": url, "question": question}, what="requestDuet"
        )
        return await self.call(
            RequestDuetResponse, "POST", "/api/requestDuet", json=request.model_dump()
        )

    async def duet_requests(self) -> list[DuetRequest]:
        reply = await self.call(DuetRequestsResponse, "GET", "/api/duetRequests")
        return reply.requests

    async def accept_duet(self, *, request_id: str, name: str, url: str, answer: str) -> str:
        """Answer an open duet request; returns the ``pending_id`` the host replies to."""
        request = check(
            AcceptDuetRequest,
            {"request_id": request_id, "name": name, "url": url, "answer": answer},
            what="acceptDuet",
        )
        reply = await self.call(
            AcceptDuetResponse, "POST", "/api/acceptDuet", json=request.model_dump()
        )
        return reply.pending_id

    async def duet_reply(self, *, request_id: str, name: str, reply: str) -> DuetReplyResponse:
        """The host's reply completes the duet, which is booked into the queue."""
        request = check(
            DuetReplyRequest,
            {"request_id": request_id, "name": name, "reply": reply},
            what="duetReply",
        )
        return await self.call(
            DuetReplyResponse, "POST", "/api/duetReply", json=request.model_dump()
        )

    async def chat(self, name: str, text: str) -> None:
        request = check(ChatRequest, {"name": name, "text": text}, what="chat message")
        await self.call(OkResponse, "POST", "/api/chat", json=request.model_dump())

    async def now(self) -> NowResponse:
        return await self.call(NowResponse, "GET", "/api/now")

    async def get_queue(self) -> QueueResponse:
        return await self.call(QueueResponse, "GET", "/api/getQueue")
