"""Events of the go-live sequence, one JSON line each in ``studio golive --headless``."""

from __future__ import annotations

from typing import Any, ClassVar

from studio.events import Event


class StepChanged(Event):
    """A leg entered a step of its state machine (``state`` is ``started``, ``done`` or ``failed``)."""

    kind: ClassVar[str] = "golive.step"
    platform: str
    step: str
    state: str = "started"
    detail: str | None = None


class OperatorNeeded(Event):
    """The sequence waits for a human: ``need`` names what (``tweet_url``, ``tx_hash``)."""

    kind: ClassVar[str] = "operator.needed"
    platform: str
    need: str
    prompt: str
    data: dict[str, Any] = {}


class OperatorAnswered(Event):
    kind: ClassVar[str] = "operator.answered"
    platform: str
    need: str


class Notice(Event):
    """Something the operator should read: the builder notification, a warning, a tip."""

    kind: ClassVar[str] = "golive.notice"
    platform: str
    level: str = "info"
    text: str


class PlatformLive(Event):
    kind: ClassVar[str] = "golive.live"
    platform: str
    url: str | None = None
    viewers: int | None = None


class Viewers(Event):
    kind: ClassVar[str] = "golive.viewers"
    platform: str
    viewers: int
    uptime_seconds: int | None = None


class ThumbnailUploaded(Event):
    kind: ClassVar[str] = "golive.thumbnail"
    platform: str
    bytes: int
    url: str | None = None


class ChatSent(Event):
    kind: ClassVar[str] = "golive.chat_sent"
    platform: str
    text: str


class PlatformStopped(Event):
    kind: ClassVar[str] = "golive.stopped"
    platform: str
    stats: dict[str, Any] = {}


class SessionStarted(Event):
    kind: ClassVar[str] = "golive.session"
    session_id: int
    platforms: list[str]


class SessionEnded(Event):
    kind: ClassVar[str] = "golive.ended"
    session_id: int | None
    ok: bool
    reason: str
    summary: dict[str, Any] = {}


class Failed(Event):
    kind: ClassVar[str] = "golive.failed"
    platform: str
    error: str
    fix: str | None = None
