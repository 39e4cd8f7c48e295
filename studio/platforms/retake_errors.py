"""retake.tv error replies, per the document's Errors table and verification errors."""

from __future__ import annotations

from typing import Any

import httpx

from studio.platforms._http import PlatformError, error_text

PLATFORM = "retake.tv"
CREDENTIALS_FIX = "Re-check credentials: RETAKE_ACCESS_TOKEN or ~/.config/retake/credentials.json"


class RetakeError(PlatformError):
    """Base of the retake.tv errors."""


class RetakeBadInput(RetakeError):
    """400: bad input, or the agent name is taken."""


class RetakeNameTaken(RetakeBadInput):
    """400 on register: another agent has this name."""


class RetakeAuthError(RetakeError):
    """401: the access token is invalid or missing."""


class RetakeNotVerified(RetakeError):
    """403 on stream start: the agent has not finished Twitter/X verification."""


class RetakeNotFound(RetakeError):
    """404: a userDbId, session_id or user_id that retake.tv does not know."""


class RetakeNoActiveSession(RetakeError):
    """409: there is no active stream session."""


class RetakeVerificationError(RetakeError):
    """The Twitter/X verification was refused; ``reason`` says which documented cause."""

    reason: str = "unknown"


class RetakeServerError(RetakeError):
    """5xx: retake.tv itself failed."""


class RetakeNoCredentials(RetakeError):
    """An authenticated call without an access token: nothing was sent."""


def _verification(said: str, common: dict[str, Any]) -> RetakeVerificationError:
    low = said.lower()
    if "prepare" in low or "no verification" in low or "message yet" in low:
        reason, fix = (
            "no_message",
            "Call prepare-verify first (`studio retake verify` does), then tweet its message.",
        )
    elif "url" in low:
        reason, fix = (
            "invalid_url",
            "Use a real Twitter/X status URL, such as https://x.com/<user>/status/<digits>.",
        )
    elif "code" in low or "contain" in low or "match" in low:
        reason, fix = (
            "code_missing",
            "Ask the human to post the exact verification_message in a tweet, then retry "
            "with that tweet's URL.",
        )
    else:
        reason, fix = (
            "unknown",
            "Call prepare-verify, have the human tweet the exact message, and pass that "
            "tweet's status URL.",
        )
    error = RetakeVerificationError(f"verification refused: {said}", fix=fix, **common)
    error.reason = reason
    return error


def map_retake_error(response: httpx.Response, body: Any) -> PlatformError:
    status = response.status_code
    path = response.request.url.path
    said = error_text(body) or response.reason_phrase or "request failed"
    common: dict[str, Any] = {"platform": PLATFORM, "status": status, "payload": body}

    if status == 401:
        return RetakeAuthError(
            f"Invalid or missing access_token ({said})", fix=CREDENTIALS_FIX, **common
        )
    if path.endswith("/agent/verify") and status in (400, 403, 422):
        return _verification(said, common)
    if status == 400:
        if path.endswith("/agent/register") and (
            "taken" in said.lower() or "exists" in said.lower()
        ):
            return RetakeNameTaken(
                f"the agent name is taken ({said})",
                fix="Change the name: choose another agent_name.",
                **common,
            )
        return RetakeBadInput(f"bad input ({said})", fix="Check fields, change name.", **common)
    if status == 403 and path.endswith("/agent/stream/start"):
        return RetakeNotVerified(
            f"the agent is not verified ({said})",
            fix="Finish Twitter/X verification first: `studio retake verify`.",
            **common,
        )
    if status == 404:
        return RetakeNotFound(
            f"ID not found ({said})",
            fix="Verify the userDbId, session_id or user_id (look it up with "
            "/users/search/<name> or /users/streamer/<name>).",
            **common,
        )
    if status == 409:
        return RetakeNoActiveSession(
            f"No active session ({said})",
            fix="Call /agent/stream/start first (the studio's go-live does this).",
            **common,
        )
    if status >= 500:
        return RetakeServerError(
            f"retake.tv failed ({said})",
            fix="Retry; report it to retake.tv if it persists.",
            **common,
        )
    return RetakeError(
        said, fix="Check the request against the retake.tv skill document.", **common
    )


# -- section 6: the account, with a Privy user JWT --------------------------------------

JWT_FIX = (
    "Get a fresh Privy user JWT for the agent's retake.tv user and set RETAKE_PRIVY_JWT "
    "(or `studio retake jwt save`); the agent's access_token does not work here."
)


class RetakeJwtRejected(RetakeAuthError):
    """401 on a section-6 call: the Privy user JWT is invalid, expired or missing."""


class RetakeNotOwner(RetakeError):
    """403 on a session-owner control: the session belongs to someone else."""


class RetakeSessionConflict(RetakeError):
    """409 on a session-owner control: no active session, or one is already active."""


def map_account_error(response: httpx.Response, body: Any) -> PlatformError:
    status = response.status_code
    said = error_text(body) or response.reason_phrase or "request failed"
    common: dict[str, Any] = {"platform": PLATFORM, "status": status, "payload": body}
    if status == 401:
        return RetakeJwtRejected(f"the Privy user JWT was refused ({said})", fix=JWT_FIX, **common)
    if status == 403:
        return RetakeNotOwner(
            f"not allowed ({said})",
            fix="Only the session's owner can end, update, delete it or list its muted users; "
            "use the JWT of the user who started it.",
            **common,
        )
    if status == 409:
        return RetakeSessionConflict(
            f"session conflict ({said})",
            fix="End the active session first, or start one (`studio retake session start`).",
            **common,
        )
    if status == 400:
        return RetakeBadInput(
            f"bad input ({said})",
            fix="Check the fields; a username must not be taken by another agent.",
            **common,
        )
    return map_retake_error(response, body)
