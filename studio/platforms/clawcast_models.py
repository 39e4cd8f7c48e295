"""ClawCast replies, parsed permissively.

clawcast-api.md names only some reply fields ("timing info" for bookSlot). The models
accept the names the live service uses (``scheduled_start``/``slot_end`` as ISO 8601)
and a few plausible alternatives, keep unknown fields, and turn every time into epoch
seconds so the studio can compare it with its own clock.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from studio.inert_text import ViewerText
from studio.platforms._timestamps import epoch_seconds
from studio.redaction import SecretValue

Count = Annotated[int, Field(ge=0)]
"""Viewers and votes: never negative, so a reply that says so is refused where it enters."""


Epoch = Annotated[float | None, BeforeValidator(epoch_seconds)]


class _Permissive(BaseModel):
    """A reply model that keeps unknown fields and reads each field's other names.

    ``ALIASES`` maps a field to the other names a deployment may use for it; the first
    one present fills the field when the field itself is absent."""

    model_config = ConfigDict(extra="allow", frozen=True)
    ALIASES: ClassVar[dict[str, tuple[str, ...]]] = {}

    @model_validator(mode="before")
    @classmethod
    def _aliases(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not cls.ALIASES:
            return data
        data = dict(data)
        for target, aliases in cls.ALIASES.items():
            if data.get(target) is None:
                found = next((data[a] for a in aliases if data.get(a) is not None), None)
                if found is not None:
                    data[target] = found
        return data


class _Reply(_Permissive):
    ok: bool = True


class BookSlotResponse(_Reply):
    """The reply to bookSlot. ``starts_at``/``ends_at`` are epoch seconds."""

    slot_jwt: SecretValue
    position_in_queue: int = Field(ge=0)
    streamer_name: ViewerText | None = None
    slot_id: str | None = None
    starts_at: Epoch = None
    ends_at: Epoch = None
    duration_minutes: int | None = None
    seconds_until_live: float | None = None
    slide_count: int | None = None
    total_duration_seconds: float | None = None
    batch_ends_at: Epoch = None

    ALIASES: ClassVar[dict[str, tuple[str, ...]]] = {
        "slot_jwt": (
            "jwt",
            "token",
        ),
        "position_in_queue": (
            "position",
            "queue_position",
        ),
        "starts_at": (
            "scheduled_start",
            "start_time",
            "starts",
            "start",
        ),
        "ends_at": (
            "slot_end",
            "end_time",
            "ends",
            "end",
        ),
        "seconds_until_live": (
            "starts_in",
            "wait_seconds",
            "seconds_until_start",
        ),
    }

    @property
    def live_now(self) -> bool:
        return self.position_in_queue == 0


class PublishFrameResponse(_Reply):
    frame_count: int | None = None
    viewer_count: Count | None = None
    seconds_remaining: float | None = None


class PublishBatchResponse(_Reply):
    slide_count: int | None = None
    total_duration_seconds: float | None = None
    viewer_count: Count | None = None
    batch_ends_at: Epoch = None
    ends_at: Epoch = None

    ALIASES: ClassVar[dict[str, tuple[str, ...]]] = {
        "ends_at": ("slot_end",),
    }


class DuetRequest(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)

    id: str
    host_name: ViewerText
    host_url: str | None = None
    question: ViewerText
    created_at: Epoch = None


class DuetRequestsResponse(_Reply):
    requests: list[DuetRequest] = []


class RequestDuetResponse(_Reply):
    request_id: str | None = None
    expires_in: float | None = None

    ALIASES: ClassVar[dict[str, tuple[str, ...]]] = {
        "request_id": ("id",),
    }


class AcceptDuetResponse(_Reply):
    pending_id: str
    host_name: ViewerText | None = None
    question: ViewerText | None = None


class DuetReplyResponse(_Reply):
    """The duet is complete and booked: where it sits in the queue, if the reply says."""

    slot_id: str | None = None
    position_in_queue: int | None = None
    starts_at: Epoch = None
    ends_at: Epoch = None

    ALIASES: ClassVar[dict[str, tuple[str, ...]]] = {
        "position_in_queue": ("position",),
        "starts_at": ("scheduled_start",),
        "ends_at": ("slot_end",),
    }


class NowResponse(_Permissive):
    live: bool
    streamer_name: ViewerText | None = None
    seconds_remaining: float | None = None
    viewer_count: Count | None = None
    type: str | None = None


class QueueLive(_Permissive):
    streamer_name: ViewerText
    seconds_remaining: float | None = None
    ends_at: Epoch = None

    ALIASES: ClassVar[dict[str, tuple[str, ...]]] = {
        "streamer_name": ("name",),
        "ends_at": ("slot_end",),
    }


class QueueEntry(_Permissive):
    streamer_name: ViewerText
    position: int | None = None
    starts_at: Epoch = None
    duration_minutes: float | None = None

    ALIASES: ClassVar[dict[str, tuple[str, ...]]] = {
        "streamer_name": ("name",),
        "starts_at": ("scheduled_start",),
    }

    @model_validator(mode="before")
    @classmethod
    def _bare_name(cls, data: Any) -> Any:
        # a queue listed as bare names
        return {"streamer_name": data} if isinstance(data, str) else data


class QueueResponse(_Permissive):
    live: QueueLive | None = None
    queue: list[QueueEntry] = []

    @model_validator(mode="before")
    @classmethod
    def _live_flag(cls, data: Any) -> Any:
        # ``live`` is an object when someone is on air; tolerate ``false``/``null`` for
        # nobody, and a flag with the name beside it, as /api/now answers
        if not isinstance(data, dict):
            return data
        live = data.get("live")
        if live is False:
            data = {**data, "live": None}
        elif live is True:
            name = data.get("streamer_name")
            data = {**data, "live": {"streamer_name": name} if name else None}
        elif isinstance(live, str):
            data = {**data, "live": {"streamer_name": live}}
        if data.get("queue") is None:
            data = {**data, "queue": []}
        return data

    def holds(self, streamer_name: str) -> bool:
        """Whether ``streamer_name`` is on air or waiting in the queue."""
        if self.live and self.live.streamer_name == streamer_name:
            return True
        return any(entry.streamer_name == streamer_name for entry in self.queue)


class PollResultsResponse(_Reply):
    """``active`` is false (and the rest empty) when no poll has played yet."""

    active: bool = False
    poll_id: str | None = None
    question: ViewerText | None = None
    options: list[ViewerText] = []
    results: list[Count] = []
    total_votes: int = 0

    @model_validator(mode="before")
    @classmethod
    def _active(cls, data: Any) -> Any:
        if isinstance(data, dict) and "active" not in data:
            data = {**data, "active": data.get("poll_id") is not None}
        return data


class VoteResponse(_Reply):
    results: list[Count] = []


class EndSlotResponse(_Reply):
    message: str | None = None


class OkResponse(_Reply):
    pass
