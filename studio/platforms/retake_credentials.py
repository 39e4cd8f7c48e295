"""The retake.tv credentials file (``~/.config/retake/credentials.json``).

The access token comes from ``RETAKE_ACCESS_TOKEN`` first and from the file second;
the file gives everything else. It is written 0600 from its first byte and
atomically; a file that group or others can read is narrowed to 0600 with a warning.
"""

from __future__ import annotations

import json
import logging
import os
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from studio.config import RETAKE_DEFAULT, Paths, same_origin
from studio.errors import StudioError
from studio.redaction import SecretValue, reveal
from studio.secure_file import write_private_json

log = logging.getLogger(__name__)

ENV_TOKEN = "RETAKE_ACCESS_TOKEN"


class RetakeCredentials(BaseModel):
    """The file's shape, per the document (``userDbId`` keeps its camel case on disk)."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    access_token: SecretValue | None = None
    agent_name: str | None = None
    agent_id: str | None = None
    user_db_id: str | None = Field(None, alias="userDbId")
    wallet_address: str | None = None
    ticker: str | None = None
    token_address: str | None = ""
    token_ticker: str | None = ""
    origin: str | None = None
    """The retake.tv origin that issued the token (recorded at registration)."""
    token_from_env: bool = Field(False, exclude=True)

    @property
    def issued_by(self) -> str:
        """Where the token came from; a token with no recorded origin (an env token,
        or a file written before origins were recorded) counts as the real retake.tv's."""
        if self.token_from_env or not self.origin:
            return RETAKE_DEFAULT
        return self.origin

    def token_for(self, origin: str) -> SecretStr | None:
        """The access token, only for the origin that issued it.

        A leftover ``STUDIO_RETAKE_URL`` must not send the real token to a sandbox or
        anywhere else, nor a sandbox token to retake.tv."""
        if self.access_token is None or same_origin(origin, self.issued_by):
            return self.access_token
        source = ENV_TOKEN if self.token_from_env else "the credentials file"
        raise CredentialsProblem(
            f"the retake.tv access token from {source} was issued by {self.issued_by}, "
            f"but STUDIO_RETAKE_URL points at {origin}; the token was not sent",
            fix=f"Unset STUDIO_RETAKE_URL to use {self.issued_by}, or register an agent at "
            f"{origin} (`studio retake register` with STUDIO_RETAKE_URL set; `studio rehearse` "
            "keeps its own credentials).",
        )

    def to_file(self) -> dict[str, Any]:
        data = self.model_dump(by_alias=True, exclude={"access_token", "token_from_env"})
        data = {"access_token": reveal(self.access_token) if self.access_token else None, **data}
        if data.get("origin") is None:
            data.pop("origin", None)
        return {k: ("" if v is None and k.startswith("token_") else v) for k, v in data.items()}


class CredentialsProblem(StudioError):
    """The credentials file exists but cannot be used."""


def _narrow_mode(path: Path) -> None:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        log.warning(
            "%s was readable by others (mode %o); it holds the retake.tv access token, "
            "so its mode is now 0600",
            path,
            mode,
        )
        os.chmod(path, 0o600)


def load_credentials(
    paths: Paths | None = None, env: Mapping[str, str] | None = None
) -> RetakeCredentials | None:
    """The credentials to use, or ``None`` when neither the env nor the file has any."""
    paths = paths or Paths.from_env()
    env = os.environ if env is None else env
    path = paths.retake_credentials
    data: dict[str, Any] = {}
    if path.exists():
        _narrow_mode(path)
        try:
            raw = json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise CredentialsProblem(
                f"the retake.tv credentials file {path} is not valid JSON ({type(exc).__name__})",
                fix="Repair it (see the retake.tv skill document for its shape) or move it "
                "aside and run `studio retake register` again.",
            ) from None
        if not isinstance(raw, dict):
            raise CredentialsProblem(
                f"the retake.tv credentials file {path} is not a JSON object",
                fix="Repair it or move it aside and run `studio retake register` again.",
            )
        data = raw
    token = env.get(ENV_TOKEN)
    if token:
        data = {**data, "access_token": token, "token_from_env": True}
    elif not data.get("access_token"):
        data.pop("access_token", None)
    if not data:
        return None
    try:
        return RetakeCredentials.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors())
        raise CredentialsProblem(
            f"the retake.tv credentials file {path} has fields of the wrong type ({fields})",
            fix="Repair those fields or run `studio retake register` again.",
        ) from None


def require_credentials(
    paths: Paths | None = None, env: Mapping[str, str] | None = None
) -> RetakeCredentials:
    """Like ``load_credentials`` but an access token is required."""
    creds = load_credentials(paths, env)
    if creds is None or creds.access_token is None:
        raise CredentialsProblem(
            "no retake.tv access token: RETAKE_ACCESS_TOKEN is not set and "
            "~/.config/retake/credentials.json has none",
            fix="Register once with `studio retake register`, or set RETAKE_ACCESS_TOKEN.",
        )
    return creds


def save_credentials(paths: Paths | None, creds: RetakeCredentials) -> Path:
    """Write the file 0600, atomically. A token that came from RETAKE_ACCESS_TOKEN is
    never copied into the file; the file keeps its own token, if it has one."""
    paths = paths or Paths.from_env()
    path = paths.retake_credentials
    data = creds.to_file()
    if creds.token_from_env:
        existing = _read_existing(path)
        data["access_token"] = existing.get("access_token")
    if not data["access_token"]:
        data.pop("access_token")
    write_private_json(path, data)
    return path


def _read_existing(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def update_token_info(
    paths: Paths | None, *, token_address: str | None, ticker: str | None
) -> RetakeCredentials:
    """Save the token address and ticker the first stream start returned.

    Only the file is read and rewritten (an env token is never copied into it).
    """
    paths = paths or Paths.from_env()
    existing = _read_existing(paths.retake_credentials)
    if token_address:
        existing["token_address"] = token_address
    if ticker:
        existing["token_ticker"] = ticker
    write_private_json(paths.retake_credentials, existing)
    return RetakeCredentials.model_validate(existing)


def credentials_from_registration(
    registration: Any, *, agent_name: str, ticker: str, origin: str
) -> RetakeCredentials:
    """The file contents right after ``register`` at ``origin``."""
    token: SecretStr = registration.access_token
    return RetakeCredentials(
        access_token=token,
        agent_name=agent_name,
        agent_id=registration.agent_id,
        user_db_id=registration.user_db_id,
        wallet_address=registration.wallet_address,
        ticker=ticker,
        token_address=registration.token_address or "",
        token_ticker=registration.token_ticker or "",
        origin=origin,
    )
