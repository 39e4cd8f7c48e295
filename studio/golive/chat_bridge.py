"""From the retake.tv feed to the journal's transcript and the kiosk's chat overlay.

Every chat line, tip, trade and follow is written to the journal as it arrives (once:
the journal ignores a repeated id) and shown on air: chat in the overlay (a viewer's
first line marked), tips, trades and follows as alerts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

from studio.events import Event
from studio.golive.leg import LegContext, Timing
from studio.onair.protocol import Alert, ChatMessage
from studio.platforms.retake_live import (
    PollIntervals,
    RetakeChat,
    RetakeFollow,
    RetakeLive,
    RetakeTip,
    RetakeTrade,
)


def _amount(value: Any, prefix: str = "") -> str | None:
    if value is None:
        return None
    try:
        return f"{prefix}{float(value):,.2f}"
    except (TypeError, ValueError):
        return str(value)[:40]


class ChatBridge:
    def __init__(self, ctx: LegContext, *, platform: str, streamer: str | None = None) -> None:
        self.ctx = ctx
        self.platform = platform
        # the streamer's own lines are never a first-time viewer's
        self.seen_authors: set[str] = {streamer} if streamer else set()

    def __call__(self, event: Event) -> None:
        if isinstance(event, RetakeChat):
            self._chat(event)
        elif isinstance(event, RetakeTip):
            who = event.sender_username or "someone"
            self._line("tip", None, who, None, event.model_dump(mode="json"))
            self._alert("tip", who, _amount(event.amount), None)
        elif isinstance(event, RetakeTrade):
            who = event.token_ticker or "a trader"
            self._line("trade", None, who, event.action, event.model_dump(mode="json"))
            self._alert("trade", who, _amount(event.usd_amount, "$"), event.action)
        elif isinstance(event, RetakeFollow):
            who = event.username or "someone"
            self._line("follow", None, who, None, event.model_dump(mode="json"))
            self._alert("follow", who, None, None)

    def _chat(self, event: RetakeChat) -> None:
        author = event.author or "anonymous"
        kind = event.type if event.type in ("tip", "trade") else "chat"
        self._line(kind, event.id, author, event.text, event.model_dump(mode="json"))
        if kind == "tip":
            self._alert("tip", author, _amount((event.tip_data or {}).get("amount")), event.text)
            return
        if kind == "trade":
            data = event.trade_data or {}
            self._alert("trade", author, _amount(data.get("amount")), data.get("type"))
            return
        first_time = author not in self.seen_authors
        self.seen_authors.add(author)
        if self.ctx.kiosk is not None and event.text:
            self.ctx.kiosk.send(
                ChatMessage(author=author[:80], text=event.text[:2000], first_time=first_time)
            )

    def _line(
        self, kind: str, external_id: str | None, author: str | None, text: str | None, data: Any
    ) -> None:
        at = data.get("at") if isinstance(data, dict) else None
        key = external_id or f"{kind}:{at}:{author}"
        self.ctx.record(
            lambda j, sid: j.transcript(
                sid,
                platform=self.platform,
                kind=kind,
                external_id=key,
                author=author,
                text=text,
                data=data,
                at=at,
            )
        )

    def _alert(
        self,
        kind: Literal["tip", "trade", "follow"],
        who: str,
        amount: str | None,
        detail: str | None,
    ) -> None:
        if self.ctx.kiosk is not None:
            self.ctx.kiosk.send(
                Alert(
                    kind=kind, who=who[:80], amount=amount, detail=(detail or None) and detail[:200]
                )
            )


def chat_feed(timing: Timing) -> Callable[[Any, str, Callable[[Event], None]], RetakeLive]:
    """The retake.tv chat feed: Socket.IO with REST backfill, REST polling behind it."""
    intervals = PollIntervals(active=sum(timing.chat_active) / 2, quiet=sum(timing.chat_quiet) / 2)

    def build(client: Any, user_db_id: str, on_event: Callable[[Event], None]) -> RetakeLive:
        return RetakeLive(client, user_db_id, on_event, intervals=intervals)

    return build
