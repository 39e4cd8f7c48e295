"""HS256 JSON Web Tokens for the ClawCast sandbox's slot JWTs, without a library."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


_HEADER = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())


def sign(payload: dict[str, Any], secret: bytes) -> str:
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    signing_input = f"{_HEADER}.{body}".encode()
    return f"{_HEADER}.{body}.{_b64(hmac.new(secret, signing_input, hashlib.sha256).digest())}"


def verify(token: str, secret: bytes) -> dict[str, Any] | None:
    """The payload of a token signed with ``secret``, or ``None`` (expiry is the caller's)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    header, body, signature = parts
    expected = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    try:
        if not hmac.compare_digest(_unb64(signature), expected):
            return None
        if json.loads(_unb64(header)).get("alg") != "HS256":
            return None
        payload = json.loads(_unb64(body))
    except (ValueError, UnicodeDecodeError):
        return None
    return payload if isinstance(payload, dict) else None
