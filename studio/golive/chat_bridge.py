"""From the retake.tv feed to the journal's transcript and the kiosk's chat overlay.

Every chat line, tip, trade and follow is written to the journal as it arrives (once:
the journal ignores a repeated id) and shown on air: chat in the overlay (a viewer's
first line marked), tips, trades and follows as alerts.
"""

from __future__ import annotations

from collections import OrderedDict
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

SAME_MONEY_WINDOW = 30.0


def _keys(kind: str, event_id: str, who: str, amount: str | None) -> list[tuple[str, ...]]:
    """How one tip or trade is recognised again: by its id, else by who and how much."""
    keys = [(kind, event_id)] if event_id else []
    return keys + [(kind, "", who, amount or "")]


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
        # A tip or trade arrives twice: as a chat ``message`` of that type and as its
        # own event (``tip_received``, ``newtrade``). It is shown and journaled once.
        self._money: OrderedDict[tuple[str, ...], tuple[float, bool]] = OrderedDict()

    def __call__(self, event: Event) -> None:
        if isinstance(event, RetakeChat):
            self._chat(event)
        elif isinstance(event, RetakeTip):
            who = event.sender_username or "someone"
            keys = _keys("tip", str(event.data.get("_id") or ""), who, _amount(event.amount))
            if self._first(keys):
                self._line("tip", keys[0][1] or None, who, None, event.model_dump(mode="json"))
                self._alert("tip", who, _amount(event.amount), None)
        elif isinstance(event, RetakeTrade):
            who = str(event.data.get("username") or event.token_ticker or "a trader")
            keys = _keys(
                "trade",
                str(event.data.get("id") or ""),
                event.action or "",
                _amount(event.usd_amount),
            )
            if self._first(keys):
                self._line(
                    "trade", keys[0][1] or None, who, event.action, event.model_dump(mode="json")
                )
                self._alert("trade", who, _amount(event.usd_amount, "$"), event.action)
        elif isinstance(event, RetakeFollow):
            who = event.username or "someone"
            self._line("follow", None, who, None, event.model_dump(mode="json"))
            self._alert("follow", who, None, None)

    def _first(self, keys: list[tuple[str, ...]]) -> bool:
        """Whether this tip or trade is new; remembers it (the newest 1000).

        The id decides when both sides have one. Otherwise the same person and amount
        within ``SAME_MONEY_WINDOW`` seconds is the same tip seen twice."""
        now = self.ctx.clock()
        has_id = len(keys) == 2
        if has_id and keys[0] in self._money:
            return False
        fallback = keys[-1]
        seen = self._money.get(fallback)
        if seen is not None and now - seen[0] <= SAME_MONEY_WINDOW and not (has_id and seen[1]):
            return False
        for key in keys:
            self._money[key] = (now, has_id)
            self._money.move_to_end(key)
        while len(self._money) > 1000:
            self._money.popitem(last=False)
        return True

    def _chat(self, event: RetakeChat) -> None:
        author = event.author or "anonymous"
        if event.type == "tip":
            amount = _amount((event.tip_data or {}).get("amount"))
            if self._first(_keys("tip", event.id or "", author, amount)):
                self._line("tip", event.id, author, event.text, event.model_dump(mode="json"))
                self._alert("tip", author, amount, event.text)
            return
        if event.type == "trade":
            data = event.trade_data or {}
            amount = _amount(data.get("amount"))
            if self._first(_keys("trade", event.id or "", str(data.get("type") or ""), amount)):
                self._line("trade", event.id, author, event.text, event.model_dump(mode="json"))
                self._alert("trade", author, amount, data.get("type"))
            return
        self._line("chat", event.id, author, event.text, event.model_dump(mode="json"))
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
