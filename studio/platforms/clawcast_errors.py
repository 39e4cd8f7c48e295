"""ClawCast's error replies, turned into errors the operator can act on.

The same status means different things on different calls (a 403 on bookSlot is a
wrong API key; on a slot-JWT call it is a slot that is not on air), so the mapping
looks at the path as well as the status.
"""

from __future__ import annotations

from typing import Any

import httpx

from studio.platforms._http import PlatformError, error_text

PLATFORM = "ClawCast"

JWT_CALLS = frozenset(
    {"/api/publishFrame", "/api/publishBatch", "/api/endSlot", "/api/pollResults"}
)


class ClawcastError(PlatformError):
    """Base of the ClawCast errors."""


class ClawcastNameClaimed(ClawcastError):
    """401 on bookSlot: the name is claimed and no API key was sent."""


class ClawcastWrongApiKey(ClawcastError):
    """403 on bookSlot: the API key does not belong to this claimed name."""


class ClawcastAlreadyBooked(ClawcastError):
    """409 on bookSlot: this name already has a slot on air or in the queue."""


class ClawcastBatchPlaying(ClawcastError):
    """409 on publishFrame: a batch of slides is playing; one mode at a time."""


class ClawcastBatchUsed(ClawcastError):
    """409 on publishBatch: the slot already had its one batch."""


class ClawcastSlotExpired(ClawcastError):
    """401 on a slot-JWT call: the JWT is missing, invalid or past its expiry."""


class ClawcastSlotNotLive(ClawcastError):
    """403 on a slot-JWT call: the slot is still queued or has already ended."""


class ClawcastAlreadyVoted(ClawcastError):
    """409 on vote: this viewer_id has voted in this poll."""


class ClawcastNotFound(ClawcastError):
    """404: the poll, duet request or pending duet does not exist (any more)."""


class ClawcastBadRequest(ClawcastError):
    """400: the platform rejected the body; its message says which field."""


class ClawcastRateLimited(ClawcastError):
    """429: too many calls; ``retry_after`` says how long to wait, when known."""

    retry_after: float | None = None


class ClawcastNoSlot(ClawcastError):
    """A slot-JWT call without a booked slot: nothing was sent."""


class ClawcastUnavailable(ClawcastError):
    """5xx: ClawCast itself failed."""


def map_clawcast_error(response: httpx.Response, body: Any) -> PlatformError:
    status = response.status_code
    path = response.request.url.path
    said = error_text(body) or response.reason_phrase or "request failed"
    common: dict[str, Any] = {"platform": PLATFORM, "status": status, "payload": body}

    if path == "/api/bookSlot" and status == 401:
        return ClawcastNameClaimed(
            f"this streamer name is claimed on the ClawCast dashboard ({said})",
            fix="Pass the name's API key (tvt_…) from tvterminal.com/dashboard; "
            "the studio sends it as the x-api-key header.",
            **common,
        )
    if path == "/api/bookSlot" and status == 403:
        return ClawcastWrongApiKey(
            f"the API key is wrong for this claimed name ({said})",
            fix="Copy the key for this exact name from tvterminal.com/dashboard, or "
            "regenerate it there (a key is shown only once).",
            **common,
        )
    if path == "/api/bookSlot" and status == 409:
        return ClawcastAlreadyBooked(
            f"this name already has a slot on air or in the queue ({said})",
            fix="Let the studio recover the existing slot, or end it before booking again.",
            **common,
        )
    if path == "/api/publishFrame" and status == 409:
        return ClawcastBatchPlaying(
            f"a batch of slides is playing, so frames are refused ({said})",
            fix="One mode at a time: wait for the batch to finish, or put this content "
            "in the batch (publishBatch) instead of pushing frames.",
            **common,
        )
    if path == "/api/publishBatch" and status == 409:
        return ClawcastBatchUsed(
            f"this slot already had its batch ({said})",
            fix="One batch per slot: push frames after the batch ends, or book a new "
            "slot with the slides.",
            **common,
        )
    if path in JWT_CALLS and status == 401:
        return ClawcastSlotExpired(
            f"the slot JWT was refused: missing, invalid or expired ({said})",
            fix="A slot JWT stops working about 60 s after its slot ends; book a new slot.",
            **common,
        )
    if path in JWT_CALLS and status == 403:
        return ClawcastSlotNotLive(
            f"the slot is not on air ({said})",
            fix="Frames, batches and polls work only while the slot is live: wait for "
            "its turn (see getQueue), or book a new slot if it has ended.",
            **common,
        )
    if path == "/api/vote" and status == 409:
        return ClawcastAlreadyVoted(
            f"this viewer has already voted in this poll ({said})",
            fix="Each viewer_id votes once per poll; nothing to do.",
            **common,
        )
    if status == 404:
        return ClawcastNotFound(
            f"not found: {said}",
            fix="It may have expired or been taken by someone else; list it again "
            "(duetRequests, pollResults) and use a current id.",
            **common,
        )
    if status == 429:
        retry_after = _retry_after(response)
        wait = f"wait {retry_after:g} s" if retry_after is not None else "wait a little"
        error = ClawcastRateLimited(
            f"too many requests ({said})",
            fix=f"ClawCast limits how often one client may call; {wait} and try again.",
            **common,
        )
        error.retry_after = retry_after
        return error
    if status == 400 or 400 <= status < 500:
        return ClawcastBadRequest(
            said,
            fix="Correct the request as the message says (`studio slides validate` "
            "checks a playlist before it is sent).",
            **common,
        )
    return ClawcastUnavailable(
        f"ClawCast failed ({said})",
        fix="This is on ClawCast's side; try again in a minute.",
        **common,
    )


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None
