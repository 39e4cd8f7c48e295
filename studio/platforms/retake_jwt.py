"""The Privy user JWT that retake.tv's section 6 asks for, and where it is kept.

It is not the agent's ``access_token`` and the two are never confused: the JWT is a
``PrivyJwt`` (its own type, never a plain string or ``SecretStr``), the account client
takes only that type, and the agent client refuses it. A value that has the shape of
the other credential is refused where it does not belong, with a message saying so.

It comes from ``RETAKE_PRIVY_JWT`` first and from a file beside the credentials
(``~/.config/retake/privy-jwt``) second; the file is written 0600 from its first byte,
and a file others can read is narrowed to 0600 with a warning. Every value is
registered with the redaction layer the moment it is read.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from studio.config import Paths
from studio.errors import StudioError
from studio.redaction import MASK, register
from studio.secure_file import write_private

log = logging.getLogger(__name__)

ENV_JWT = "RETAKE_PRIVY_JWT"
ACCESS_TOKEN_PREFIX = "rtk_"


class WrongCredential(StudioError):
    """A credential was given where the other kind belongs; nothing was sent."""


class PrivyJwtProblem(StudioError):
    """The Privy JWT is missing or unreadable."""


def looks_like_jwt(value: str) -> bool:
    """Three base64url parts whose first decodes to a JSON header with ``alg``."""
    parts = value.split(".")
    if len(parts) != 3 or not all(parts[:2]):
        return False
    header = _b64json(parts[0])
    return isinstance(header, dict) and "alg" in header


def _b64json(part: str) -> Any:
    try:
        raw = base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))
        return json.loads(raw)
    except (ValueError, TypeError):
        return None


class PrivyJwt:
    """A Privy user JWT: masked in every repr, registered for redaction, sent only
    by ``RetakeAccount`` (``Authorization: Bearer``) and the socket ``message``."""

    __slots__ = ("_value",)

    def __init__(self, value: str | SecretStr) -> None:
        raw = (value.get_secret_value() if isinstance(value, SecretStr) else value).strip()
        register(raw)
        if raw.startswith(ACCESS_TOKEN_PREFIX):
            raise WrongCredential(
                "this is the agent's access_token (rtk_…), not a Privy user JWT",
                fix="Section 6 and the socket message need the Privy user JWT of the agent's "
                f"retake.tv user; set {ENV_JWT} to it. The access_token stays in "
                "RETAKE_ACCESS_TOKEN or the credentials file.",
            )
        if not looks_like_jwt(raw):
            raise PrivyJwtProblem(
                "the Privy user JWT is not a JWT (three base64url parts, header.payload.signature)",
                fix=f"Copy the whole token again into {ENV_JWT} or `studio retake jwt save`.",
            )
        self._value = raw

    def reveal(self) -> str:
        """The token itself, for the one place that sends it."""
        return self._value

    @property
    def claims(self) -> dict[str, Any]:
        """The payload, decoded without checking the signature (retake.tv does that)."""
        payload = _b64json(self._value.split(".")[1])
        return payload if isinstance(payload, dict) else {}

    @property
    def expires_at(self) -> float | None:
        exp = self.claims.get("exp")
        return float(exp) if isinstance(exp, (int, float)) else None

    def __repr__(self) -> str:
        return f"PrivyJwt({MASK})"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, PrivyJwt) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def refuse_jwt_as_access_token(token: str | SecretStr | object) -> None:
    """The agent client's guard: a Privy JWT never travels as the access_token."""
    if isinstance(token, PrivyJwt):
        raise WrongCredential(
            "a Privy user JWT was given where the agent's access_token belongs",
            fix="Agent calls (/agent/…) take the access_token (rtk_…) from "
            "RETAKE_ACCESS_TOKEN or the credentials file; the JWT is for section 6 only.",
        )
    raw = token.get_secret_value() if isinstance(token, SecretStr) else token
    if isinstance(raw, str) and looks_like_jwt(raw.strip()):
        register(raw.strip())
        raise WrongCredential(
            "a JWT was given where the agent's access_token belongs",
            fix="Agent calls take the access_token (rtk_…); put the Privy user JWT in "
            f"{ENV_JWT} instead.",
        )


def jwt_file(paths: Paths) -> Path:
    return paths.retake_credentials.parent / "privy-jwt"


def load_privy_jwt(
    paths: Paths | None = None, env: Mapping[str, str] | None = None
) -> PrivyJwt | None:
    """``RETAKE_PRIVY_JWT``, else the file, else ``None``."""
    paths = paths or Paths.from_env()
    env = os.environ if env is None else env
    value = env.get(ENV_JWT, "").strip()
    if value:
        return PrivyJwt(value)
    path = jwt_file(paths)
    if not path.exists():
        return None
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning(
            "%s was readable by others (mode %o); it holds the Privy user JWT, "
            "so its mode is now 0600",
            path,
            mode,
        )
        os.chmod(path, 0o600)
    try:
        value = path.read_text().strip()
    except OSError as exc:
        raise PrivyJwtProblem(
            f"the Privy JWT file {path} cannot be read ({type(exc).__name__})",
            fix=f"Fix its permissions or set {ENV_JWT}.",
        ) from None
    return PrivyJwt(value) if value else None


def require_privy_jwt(paths: Paths | None = None, env: Mapping[str, str] | None = None) -> PrivyJwt:
    jwt = load_privy_jwt(paths, env)
    if jwt is None:
        raise PrivyJwtProblem(
            "no Privy user JWT: this call is section 6 of the retake.tv document, which needs "
            "one (the agent's access_token does not work there)",
            fix=f"Set {ENV_JWT}, or save it with `studio retake jwt save` (reads it on stdin).",
        )
    return jwt


def save_privy_jwt(paths: Paths | None, jwt: PrivyJwt) -> Path:
    paths = paths or Paths.from_env()
    path = jwt_file(paths)
    write_private(path, (jwt.reveal() + "\n").encode())
    return path
