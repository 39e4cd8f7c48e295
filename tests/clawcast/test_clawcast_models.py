"""Request rules that only the models show, and replies parsed permissively."""

from __future__ import annotations

import pytest

from studio.errors import ValidationFailed
from studio.platforms.clawcast_models import (
    BookSlotResponse,
    PollResultsResponse,
    QueueResponse,
    epoch_seconds,
)
from studio.redaction import MASK, redact, reveal
from studio.validation import check
from studio.validation.clawcast import (
    DEFAULT_DURATION,
    PublishBatchRequest,
    PublishFrameRequest,
    total_seconds,
)

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzbG90X2lkIjoicyJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"


def problems(model: type, data: object) -> list[str]:
    with pytest.raises(ValidationFailed) as info:
        check(model, data)
    return [str(p) for p in info.value.problems]


def test_default_durations_follow_the_document() -> None:
    assert DEFAULT_DURATION == {
        "text": 5,
        "data": 6,
        "terminal": 10,
        "image": 8,
        "poll": 15,
        "build": 15,
    }
    batch = check(
        PublishBatchRequest,
        {
            "slides": [
                {"type": kind, "content": content}
                for kind, content in [
                    ("text", {"headline": "h"}),
                    ("data", {"rows": [{"label": "l", "value": "v"}]}),
                    ("terminal", {"screen": "$"}),
                    ("image", {"image_url": "https://i.imgur.com/a.png"}),
                    ("poll", {"question": "q", "options": ["a", "b"]}),
                    ("build", {"steps": [{"type": "log", "content": "x"}]}),
                ]
            ]
            + [{"type": "text", "content": {"headline": "set"}, "duration_seconds": 30}]
        },
    )
    assert [s.seconds for s in batch.slides] == [5, 6, 10, 8, 15, 15, 30]
    assert total_seconds(batch.slides) == 89


def test_frames_take_every_slide_type_and_delta() -> None:
    frame = check(
        PublishFrameRequest, {"type": "terminal", "content": {"screen": "x"}, "delta": True}
    )
    assert frame.root.delta is True
    check(
        PublishFrameRequest, {"type": "poll", "content": {"question": "q", "options": ["a", "b"]}}
    )
    assert problems(
        PublishFrameRequest, {"type": "terminal", "content": {"screen": "x"}, "duration_seconds": 5}
    ) == ["duration_seconds: is not a field the platform accepts"]
    assert problems(PublishFrameRequest, {"type": "chart", "content": {}}) == [
        "(body): type must be one of text, data, terminal, image, poll, build"
    ]


def test_a_field_named_like_a_slide_type_keeps_its_name() -> None:
    # "text" and "data" are slide types as well as field names: errors must still say which.
    assert problems(
        PublishBatchRequest, {"slides": [{"type": "data", "content": {"rows": []}}]}
    ) == ["slides[0].content.rows: List should have at least 1 item after validation, not 0"]


def test_build_preview_steps_and_step_content() -> None:
    check(
        PublishBatchRequest,
        {
            "slides": [
                {
                    "type": "build",
                    "content": {
                        "steps": [{"type": "preview", "content": "https://i.imgur.com/a.png"}]
                    },
                }
            ]
        },
    )
    assert problems(
        PublishBatchRequest,
        {"slides": [{"type": "build", "content": {"steps": [{"type": "log", "content": " "}]}}]},
    ) == ["slides[0].content.steps[0].content: must not be blank"]


# -- replies ---------------------------------------------------------------------------


def test_book_slot_reply_accepts_the_live_services_names() -> None:
    reply = BookSlotResponse.model_validate(
        {
            "ok": True,
            "slot_jwt": JWT,
            "position_in_queue": 2,
            "scheduled_start": "2026-09-21T14:13:20.000Z",
            "slot_end": "2026-09-21T14:14:20.000Z",
            "free": True,
        }
    )
    assert reply.starts_at == 1_790_000_000.0 and reply.ends_at == 1_790_000_060.0
    assert not reply.live_now
    assert JWT not in repr(reply) and reveal(reply.slot_jwt) == JWT
    assert redact(f"token {JWT}") == f"token {MASK}"


@pytest.mark.parametrize(
    "timing",
    [
        {"starts_at": 1_790_000_000, "ends_at": 1_790_000_060},
        {"start_time": 1_790_000_000_000, "end_time": 1_790_000_060_000},
        {"starts_at": "2026-09-21T16:13:20+02:00", "ends_at": "1790000060"},
    ],
)
def test_book_slot_reply_timing_in_other_shapes(timing: dict[str, object]) -> None:
    reply = BookSlotResponse.model_validate({"jwt": JWT, "position": 0, **timing})
    assert (reply.starts_at, reply.ends_at) == (1_790_000_000.0, 1_790_000_060.0)
    assert reply.live_now


def test_a_time_without_a_zone_is_refused() -> None:
    with pytest.raises(ValueError):
        epoch_seconds("2026-09-21T14:13:20")


@pytest.mark.parametrize(
    "reply",
    [
        {"live": {"streamer_name": "me"}, "queue": []},
        {"live": {"name": "me"}, "queue": None},
        {"live": True, "streamer_name": "me"},
        {"live": "me"},
        {"live": False, "queue": [{"streamer_name": "other"}, {"name": "me", "position": 2}]},
        {"live": None, "queue": ["other", "me"]},
    ],
)
def test_every_reading_of_the_queue_finds_the_name(reply: dict[str, object]) -> None:
    queue = QueueResponse.model_validate(reply)
    assert queue.holds("me") and not queue.holds("nobody")


def test_queue_and_poll_replies_tolerate_nobody_and_no_poll() -> None:
    assert QueueResponse.model_validate({"live": False, "queue": []}).live is None
    assert QueueResponse.model_validate({"live": None, "queue": []}).holds("x") is False
    empty = PollResultsResponse.model_validate({"ok": True, "active": False})
    assert empty.poll_id is None and empty.results == []
    assert PollResultsResponse.model_validate(
        {"poll_id": "p", "options": ["a"], "results": [1]}
    ).active
