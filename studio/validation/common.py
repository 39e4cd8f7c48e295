"""Field rules that more than one platform uses."""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$")


def https_url_on(value: str, domains: Iterable[str], what: str) -> str:
    """``value`` must be an https URL whose host is exactly one of ``domains``."""
    allowed = tuple(domains)
    parts = urlsplit(value)
    if parts.scheme != "https":
        raise ValueError(f"must be an https:// URL ({what})")
    host = (parts.hostname or "").lower()
    if host not in allowed:
        raise ValueError(
            f"host {host or '(none)'} is not allowed; {what} must be on {', '.join(allowed)}"
        )
    if parts.username or parts.password:
        raise ValueError("must not carry a user name or password")
    return value


def web_url(value: str) -> str:
    """An absolute http(s) URL with a host."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an absolute http:// or https:// URL")
    return value


def hex_colour(value: str) -> str:
    if not HEX_COLOUR.match(value):
        raise ValueError("must be a hex colour such as #1a0a2e or #fff")
    return value


def not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    return value
