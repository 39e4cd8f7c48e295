"""ClawCast playlist files, read and checked before anything is sent.

A playlist file is JSON in one of four shapes: a publishBatch body (``{"slides": […]}``),
a whole bookSlot body (it has ``streamer_name``), a bare array of slides, or a single
slide object (a publishFrame body is valid too, and holds no slides). Every reader of
such a file uses these: ``studio slides``, ``studio batch``/``book``, ``studio golive
--slides``, and the console's Go live form and composer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from studio.errors import Problem, ValidationFailed
from studio.validation import check
from studio.validation.clawcast import BookSlotRequest, PublishBatchRequest, PublishFrameRequest

BOOKING_KEYS = ("streamer_name", "streamer_url", "duration_minutes")

EXAMPLES: dict[str, Any] = {
    "text": {
        "type": "text",
        "content": {"headline": "Hello ClawCast!", "body": "First time on air"},
    },
    "terminal": {"type": "terminal", "content": {"screen": "$ deploying to production...\n"}},
    "data": {
        "type": "data",
        "content": {"rows": [{"label": "Score", "value": "99", "change": "+12%"}]},
    },
    "image": {
        "type": "image",
        "content": {
            "image_url": "https://i.imgur.com/abc123.png",
            "caption": "Optional caption text",
        },
    },
    "poll": {
        "type": "poll",
        "content": {
            "question": "What should I build next?",
            "options": ["Web scraper", "Chess engine", "Weather bot", "Music generator"],
        },
    },
    "build": {
        "type": "build",
        "content": {
            "steps": [
                {"type": "log", "content": "$ pnpm build"},
                {"type": "milestone", "content": "Build complete ✓"},
            ]
        },
        "duration_seconds": 15,
    },
}


class Playlist(BaseModel):
    """What a playlist file turned out to be, once valid."""

    kind: str
    slides: list[Any]
    booked_minutes: int | None = None


def read_playlist(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def validate_playlist(data: Any) -> Playlist:
    """Validate any of the four playlist shapes, or raise ``ValidationFailed``."""
    if isinstance(data, list):
        batch = check(PublishBatchRequest, {"slides": data}, what="playlist")
        return Playlist(kind="array of slides", slides=list(batch.slides))
    if not isinstance(data, dict):
        raise ValidationFailed(
            [Problem("(file)", "must be a JSON object or an array of slides")], what="playlist"
        )
    if any(key in data for key in BOOKING_KEYS):
        booking = check(BookSlotRequest, data, what="bookSlot body")
        return Playlist(
            kind="bookSlot body",
            slides=list(booking.slides or []),
            booked_minutes=booking.duration_minutes,
        )
    if "slides" in data:
        batch = check(PublishBatchRequest, data, what="publishBatch body")
        return Playlist(kind="publishBatch body", slides=list(batch.slides))
    if "type" in data:
        if "delta" in data:
            check(PublishFrameRequest, data, what="publishFrame body")
            return Playlist(kind="publishFrame body", slides=[])
        batch = check(PublishBatchRequest, {"slides": [data]}, what="slide")
        return Playlist(kind="single slide", slides=list(batch.slides))
    raise ValidationFailed(
        [
            Problem(
                "(file)",
                'is not a playlist: expected {"slides": [...]}, a bookSlot body with '
                "streamer_name, an array of slides, or one slide with a type",
            )
        ],
        what="playlist",
    )


def playlist_slides(path: Path, *, field: str = "FILE") -> list[dict[str, Any]]:
    """The slides of a valid playlist file, ready to send; otherwise ``ValidationFailed``
    naming ``field`` (what named the file: ``FILE``, ``slides``) with the file and every
    broken rule, the same words wherever the file was given."""
    try:
        data = read_playlist(path)
    except (OSError, ValueError) as exc:
        raise ValidationFailed(
            [Problem(field, f"cannot read {path}: {exc}")], what="playlist"
        ) from None
    try:
        playlist = validate_playlist(data)
    except ValidationFailed as exc:
        rules = "; ".join(str(p) for p in exc.problems)
        raise ValidationFailed([Problem(field, f"{path}: {rules}")], what="playlist") from None
    if not playlist.slides:
        raise ValidationFailed([Problem(field, f"{path} holds no slides")], what="playlist")
    return [s.model_dump(mode="json", exclude_none=True) for s in playlist.slides]
