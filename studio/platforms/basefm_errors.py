"""baseFM's error replies, turned into errors the operator can act on.

The same status means different things on different calls (a 403 on create is a
community pass used with the wrong wallet; on a session call it is a token that does
not match the session's owner; on a relay call it is a missing admin session), so the
mapping looks at the method and path as well as the status. Each error carries the
data the body gives (fee, expected wallet, remaining cooldown, …) as attributes.
"""

from __future__ import annotations

from typing import Any

import httpx

from studio.platforms._http import PlatformError, PlatformUnreachable, error_text
from studio.platforms._timestamps import epoch_or_none

PLATFORM = "baseFM"
STREAMS = "/api/basefm/streams"
STATUS = "/api/basefm/streams/status"
SESSION_CALLS = frozenset({STREAMS, STATUS})
RELAYS = "/api/basefm/relays"

PAY_FIX = (
    "Pay the $5 USDC session fee on Base from this wallet to the platform wallet and "
    "give the transaction hash (txHash)."
)


class BasefmError(PlatformError):
    """Base of the baseFM errors."""


class BasefmBadRequest(BasefmError):
    """400: the platform refused the body (for example: wallet address required)."""


class BasefmPaymentRequired(BasefmError):
    """402: the wallet holds too few BASEFM tokens, has no guest pass, and no txHash was sent."""

    def __init__(self, message: str, *, fee: float | None, said: str, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.fee = fee
        self.said = said


class BasefmPaymentRejected(BasefmError):
    """400 on create: the txHash did not verify (wrong amount, wrong recipient, used, …)."""

    def __init__(self, message: str, *, reason: str, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.reason = reason


class BasefmWrongWallet(BasefmError):
    """403 on create: a community guest pass works only with the claimed Agentbot wallet."""

    def __init__(self, message: str, *, expected: str | None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.expected = expected


class BasefmAccessDenied(BasefmError):
    """403 on create without a pass mismatch: the platform refused access to streaming."""


class BasefmNotSessionOwner(BasefmError):
    """403 on a session call: the session token does not match the session's owner."""


class BasefmAdminRequired(BasefmError):
    """403 on a relay call: an admin session is needed."""


class BasefmUnauthorized(BasefmError):
    """401: no valid session token (missing, tampered with or past its validity)."""


class BasefmActiveSessionExists(BasefmError):
    """409 ``active_session_exists``: another caller owns a current session for this wallet."""

    def __init__(self, message: str, *, remaining: int | None, session_id: Any, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.remaining = remaining
        self.session_id = session_id


class BasefmCooldownActive(BasefmError):
    """429 ``cooldown_active``: the wallet ended a session less than 24 hours ago."""

    def __init__(
        self, message: str, *, remaining: int | None, available_at: float | None, **kw: Any
    ) -> None:
        super().__init__(message, **kw)
        self.remaining = remaining
        self.available_at = available_at


class BasefmNoActiveSession(BasefmError):
    """404 on sync: there is no active stream session to sync."""


class BasefmRelayNotFound(BasefmError):
    """404 on probe: no relay has this key."""


class BasefmMuxUnavailable(BasefmError):
    """500: Mux is not configured on the platform, or stream creation/reading failed."""


class BasefmRelayMigrationMissing(BasefmError):
    """503 on a relay call: the platform's relay database migration is not applied."""


class BasefmUnavailable(BasefmError):
    """Any other failure on baseFM's side."""


class BasefmNoSession(BasefmError):
    """A session call without a session token: nothing was sent."""


class BasefmSessionHeld(BasefmError):
    """Create for another wallet while this studio holds a running session: nothing sent."""


class BasefmCreateUncertain(PlatformUnreachable):
    """The request that creates a (possibly paid) stream got no reply, and the studio
    could not find out whether baseFM created the stream. Nothing was resent."""

    def __init__(self, message: str, *, wallet: str, paid: bool, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.wallet = wallet
        self.paid = paid


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if isinstance(value, str):
        try:
            return int(float(value))
        except ValueError:
            return None
    return None


def _get(body: Any, *keys: str) -> Any:
    if isinstance(body, dict):
        for key in keys:
            if body.get(key) is not None:
                return body[key]
    return None


def _duration(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    minutes = rest // 60
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min" if minutes else f"{seconds} s"


def map_basefm_error(response: httpx.Response, body: Any) -> PlatformError:
    status = response.status_code
    method = response.request.method.upper()
    path = response.request.url.path
    said = error_text(body, "message", "error", "reason", "detail") or response.reason_phrase
    common: dict[str, Any] = {"platform": PLATFORM, "status": status, "payload": body}
    creating = path == STREAMS and method == "POST"

    if status == 402:
        fee = _get(body, "fee")
        fee_value = (
            float(fee) if isinstance(fee, (int, float)) and not isinstance(fee, bool) else None
        )
        amount = f"${fee_value:g} USDC" if fee_value is not None else "the USDC session fee"
        return BasefmPaymentRequired(
            f"payment required: this wallet holds too few BASEFM tokens and has no guest "
            f"pass, so the session costs {amount} ({said})",
            fee=fee_value,
            said=str(said),
            fix=PAY_FIX,
            **common,
        )
    if creating and status == 400:
        text = " ".join(
            str(v) for v in (_get(body, "error"), _get(body, "message"), _get(body, "reason")) if v
        )
        if "payment" in text.lower() or "transaction" in text.lower() or _get(body, "reason"):
            reason = str(_get(body, "reason") or said)
            return BasefmPaymentRejected(
                f"payment verification failed: {reason}",
                reason=reason,
                fix="Check the txHash: it must be a confirmed $5 USDC transfer on Base from "
                "this wallet to the platform wallet, used for no other session. A hash "
                "that was already used cannot pay again.",
                **common,
            )
    if creating and status == 403:
        expected = _get(body, "expected", "wallet", "expectedWallet", "claimedWallet")
        if expected is not None or "pass" in str(said).lower():
            return BasefmWrongWallet(
                f"the community guest pass works only with the claimed Agentbot wallet "
                f"{expected or '(not given)'} ({said})",
                expected=str(expected) if expected is not None else None,
                fix="Create the stream with the claimed Agentbot wallet, or pay the $5 USDC "
                "session fee from this one.",
                **common,
            )
        return BasefmAccessDenied(
            f"baseFM refused stream access ({said})",
            fix="Hold 2,500,000 BASEFM tokens on Base in this wallet, use a community guest "
            "pass, or pay the $5 USDC session fee.",
            **common,
        )
    if creating and status == 409:
        remaining = _int(_get(body, "remaining"))
        left = f"; it ends by itself in {_duration(remaining)}" if remaining is not None else ""
        return BasefmActiveSessionExists(
            f"another caller owns the current session for this wallet{left} ({said})",
            remaining=remaining,
            session_id=_get(body, "sessionId"),
            fix="Use the studio that started it (it holds the session token), end it "
            "there, or wait until it expires; do not pay again.",
            **common,
        )
    if creating and status == 429:
        remaining = _int(_get(body, "cooldownRemaining", "remaining", "retryAfter"))
        if remaining is None:
            remaining = _int(response.headers.get("retry-after"))
        available_at = epoch_or_none(_get(body, "availableAt"))
        when = f" (in {_duration(remaining)})" if remaining is not None else ""
        return BasefmCooldownActive(
            f"this wallet ended a session less than 24 hours ago{when} ({said})",
            remaining=remaining,
            available_at=available_at,
            fix="baseFM allows one session a day per wallet; start the next one after "
            f"the cooldown{when}.",
            **common,
        )
    if status == 401:
        return BasefmUnauthorized(
            f"no valid session token ({said})",
            fix="The session token is missing, invalid or past its validity (the session "
            "plus one hour); start a new stream session.",
            **common,
        )
    if path in SESSION_CALLS and status == 403:
        return BasefmNotSessionOwner(
            f"the session token does not match the session's owner ({said})",
            fix="Use the token baseFM returned when this session was created; the stored "
            "token was dropped.",
            **common,
        )
    if path.startswith(RELAYS) and status == 403:
        return BasefmAdminRequired(
            f"an admin session is required ({said})",
            fix="Relay destinations are managed by baseFM admins; sign in with an admin "
            "account's session.",
            **common,
        )
    if path == STATUS and status == 404:
        return BasefmNoActiveSession(
            f"no active stream session to sync ({said})",
            fix="Create a stream session first, or recover the one this studio started.",
            **common,
        )
    if path.startswith(RELAYS) and status == 404:
        return BasefmRelayNotFound(
            f"relay not found ({said})",
            fix="List the relays (GET /api/basefm/relays) and use an existing key.",
            **common,
        )
    if path.startswith(RELAYS) and status == 503:
        return BasefmRelayMigrationMissing(
            f"relay persistence is unavailable ({said})",
            fix="baseFM's relay database migration is not applied; an admin of the "
            "platform must apply it. Nothing to do in the studio.",
            **common,
        )
    if status == 500 and "mux" in str(said).lower():
        return BasefmMuxUnavailable(
            f"Mux is unavailable on baseFM ({said})",
            fix="This is on baseFM's side (Mux not configured or not answering); try again later.",
            **common,
        )
    if 400 <= status < 500:
        return BasefmBadRequest(
            str(said),
            fix="Correct the request as the message says.",
            **common,
        )
    return BasefmUnavailable(
        f"baseFM failed ({said})",
        fix="This is on baseFM's side; try again in a minute.",
        **common,
    )
