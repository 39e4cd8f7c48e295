"""The account form's fields, checked as typed by the shared rules (``studio.validation``):
the very models ``RetakeAccount`` checks before it sends anything."""

from __future__ import annotations

import re
from collections.abc import Mapping

from studio.console.field_check import problems_by_field
from studio.validation.retake import (
    BannerRequest,
    BioRequest,
    SessionStartRequest,
    SessionUpdateRequest,
    TokenNameRequest,
    UsernameRequest,
)

PROFILE_FIELDS = {
    "bio": "Bio (at most 500 characters)",
    "username": "Username (also the stream URL's path)",
    "token_name": "Token name (1-32 characters)",
    "picture": "Profile picture: a JPEG or PNG file, as the studio sees it",
    "banner": "Banner: a JPEG or PNG file, as the studio sees it",
    "banner_url": "Banner link (https)",
}
SESSION_FIELDS = {
    "session_id": "Session id (empty: the active session)",
    "title": "Title (1-140 characters)",
    "category": "Category (1-50 characters)",
    "tags": "Tags, comma-separated (up to 10, 1-30 characters each)",
}


def profile_problems(values: Mapping[str, str]) -> dict[str, str]:
    """``{field: rule}`` for each typed profile field that breaks its rule."""
    found: dict[str, str] = {}
    for name, model, data in (
        ("bio", BioRequest, {"bio": values.get("bio")}),
        ("username", UsernameRequest, {"username": values.get("username")}),
        ("token_name", TokenNameRequest, {"token_name": values.get("token_name")}),
        ("banner_url", BannerRequest, {"url": values.get("banner_url"), "has_image": True}),
    ):
        if values.get(name):
            for rule in problems_by_field(model, data).values():
                found.setdefault(name, rule)
    return found


def tags_of(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def session_problems(values: Mapping[str, str], *, start: bool) -> dict[str, str]:
    """The rules a session start (or update) breaks, by form field."""
    data: dict[str, object] = {
        "title": values.get("title") or None,
        "category": values.get("category") or None,
        "tags": tags_of(values.get("tags", "")) if values.get("tags") else None,
    }
    if start:
        data["tags"] = data["tags"] or []
        found = problems_by_field(SessionStartRequest, data)
    else:
        found = problems_by_field(SessionUpdateRequest, data)
    by_field: dict[str, str] = {}
    for path, rule in found.items():
        by_field.setdefault(re.split(r"[.\[]", path, maxsplit=1)[0], rule)
    return by_field
