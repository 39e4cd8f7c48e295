"""retake.tv's live feed as typed studio events: chat, tips, trades, follows, session
and pinned events, and the feed's own state and trouble.

Kept apart from the feed (``studio.platforms.retake_live``) so that a listener (the
console, the control API's clients) knows the types without loading Socket.IO.
"""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from pydantic import model_validator

from studio.events import Event
from studio.inert_text import inert_data


class _FromViewers(Event):
    """An event carrying what viewers wrote: every string in it is made inert on the
    way in, the payload kept in ``data`` included (``studio.inert_text``)."""

    @model_validator(mode="before")
    @classmethod
    def _inert(cls, values: Any) -> Any:
        return inert_data(values)


class RetakeChat(_FromViewers):
    """A chat message, tip or trade in a stream's chat (``type`` says which)."""

    kind: ClassVar[str] = "retake.chat"
    id: str | None = None
    type: str = "message"
    streamer_id: str | None = None
    author: str | None = None
    wallet_address: str | None = None
    text: str | None = None
    timestamp: str | None = None
    tip_data: dict[str, Any] | None = None
    trade_data: dict[str, Any] | None = None
    source: Literal["socket", "rest"] = "socket"

    @property
    def key(self) -> str:
        """What dedupes a message between the socket and REST."""
        return self.id or f"{self.author}|{self.text}|{self.timestamp}"


class RetakeTip(_FromViewers):
    kind: ClassVar[str] = "retake.tip"
    receiver_id: str | None = None
    sender_username: str | None = None
    amount: float | None = None
    data: dict[str, Any] = {}


class RetakeTrade(_FromViewers):
    kind: ClassVar[str] = "retake.trade"
    address: str | None = None
    action: str | None = None
    usd_amount: float | None = None
    token_ticker: str | None = None
    data: dict[str, Any] = {}


class RetakeRawTrade(_FromViewers):
    kind: ClassVar[str] = "retake.rawtrade"
    data: dict[str, Any] = {}


class RetakeFollow(_FromViewers):
    kind: ClassVar[str] = "retake.follow"
    streamer_id: str | None = None
    username: str | None = None
    data: dict[str, Any] = {}


class RetakeSessionStarted(_FromViewers):
    kind: ClassVar[str] = "retake.session_started"
    streamer_id: str | None = None
    session_id: str | None = None
    data: dict[str, Any] = {}


class RetakePinned(_FromViewers):
    kind: ClassVar[str] = "retake.pinned"
    data: dict[str, Any] = {}


class RetakeFeedTrouble(Event):
    """Something went wrong in the feed (``where``: ``poller`` or ``socket``); it goes on
    and tries again in ``retry_in`` seconds."""

    kind: ClassVar[str] = "retake.feed_trouble"
    where: Literal["poller", "socket"]
    error: str
    retry_in: float


class RetakeShutdownWarning(_FromViewers):
    """retake.tv warned that the stream may be shut down (the playbook: a crisis).

    The document names no channel for it, so every reasonable one is read: a
    ``shutdown_warning`` or ``warning`` socket event, and a chat ``message`` whose type
    is ``warning`` or ``shutdown_warning`` (a plain ``system`` line is not a crisis)."""

    kind: ClassVar[str] = "retake.shutdown_warning"
    text: str | None = None
    source: str = "socket"
    data: dict[str, Any] = {}


class RetakeFeedState(Event):
    """The feed's own state, for the console: connected, disconnected, polling, stopped."""

    kind: ClassVar[str] = "retake.feed"
    state: Literal["connected", "disconnected", "polling", "stopped"]
    reconnects: int = 0
    detail: str = ""
