"""From the retake.tv feed's raw events to the studio's own: ``ChatLine`` and
``AudienceAlert``.

The feed reports a tip or trade twice (as a chat ``message`` of that type and as its
own event); the bridge turns them into one alert. It marks a viewer's first line of
the session (never the streamer's own). Its events go on the bus, where the kiosk
shows them and the journal writes them to the transcript, each once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any, Literal

from studio.events import Event
from studio.golive.events import AudienceAlert, ChatLine
from studio.golive.leg import Timing
from studio.platforms.retake_events import RetakeChat, RetakeFollow, RetakeTip, RetakeTrade
from studio.platforms.retake_live import PollIntervals, RetakeLive

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


MAX_AUTHOR = 80
MAX_TEXT = 2000


class ChatBridge:
    """Translates the retake.tv feed's events into ``ChatLine`` and ``AudienceAlert``."""

    def __init__(
        self,
        *,
        platform: str,
        streamer: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.platform = platform
        self.clock = clock
        # the streamer's own lines are never a first-time viewer's
        self.seen_authors: set[str] = {streamer} if streamer else set()
        self._money: OrderedDict[tuple[str, ...], tuple[float, bool]] = OrderedDict()

    def __call__(self, event: Event) -> list[Event]:
        if isinstance(event, RetakeChat):
            return self._chat(event)
        if isinstance(event, RetakeTip):
            who = event.sender_username or "someone"
            amount = _amount(event.amount)
            keys = _keys("tip", str(event.data.get("_id") or ""), who, amount)
            if self._first(keys):
                return [self._alert("tip", keys[0][1] or None, who, amount, None, None, event)]
        elif isinstance(event, RetakeTrade):
            who = str(event.data.get("username") or event.token_ticker or "a trader")
            amount = _amount(event.usd_amount)
            keys = _keys("trade", str(event.data.get("id") or ""), event.action or "", amount)
            if self._first(keys):
                return [
                    self._alert(
                        "trade",
                        keys[0][1] or None,
                        who,
                        _amount(event.usd_amount, "$"),
                        event.action,
                        None,
                        event,
                    )
                ]
        elif isinstance(event, RetakeFollow):
            who = event.username or "someone"
            return [self._alert("follow", None, who, None, None, None, event)]
        return []

    def _first(self, keys: list[tuple[str, ...]]) -> bool:
        """Whether this tip or trade is new; remembers it (the newest 1000).

        The id decides when both sides have one. Otherwise the same person and amount
        within ``SAME_MONEY_WINDOW`` seconds is the same tip seen twice."""
        now = self.clock()
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

    def _chat(self, event: RetakeChat) -> list[Event]:
        author = event.author or "anonymous"
        if event.type == "tip":
            amount = _amount((event.tip_data or {}).get("amount"))
            if self._first(_keys("tip", event.id or "", author, amount)):
                return [self._alert("tip", event.id, author, amount, event.text, event.text, event)]
            return []
        if event.type == "trade":
            data = event.trade_data or {}
            amount = _amount(data.get("amount"))
            if self._first(_keys("trade", event.id or "", str(data.get("type") or ""), amount)):
                detail = data.get("type")
                return [
                    self._alert(
                        "trade", event.id, author, amount, detail and str(detail), event.text, event
                    )
                ]
            return []
        if not event.text:
            return []
        first_time = author not in self.seen_authors
        self.seen_authors.add(author)
        return [
            ChatLine(
                platform=self.platform,
                id=event.id,
                author=author[:MAX_AUTHOR],
                text=event.text[:MAX_TEXT],
                first_time=first_time,
            )
        ]

    def _alert(
        self,
        kind: Literal["tip", "trade", "follow"],
        external_id: str | None,
        who: str,
        amount: str | None,
        detail: str | None,
        text: str | None,
        raw: Event,
    ) -> AudienceAlert:
        return AudienceAlert(
            platform=self.platform,
            alert=kind,
            id=external_id,
            who=who[:MAX_AUTHOR],
            amount=amount,
            detail=(detail or None) and detail[:200],
            text=text and text[:MAX_TEXT],
            data=raw.model_dump(mode="json"),
        )


def chat_feed(timing: Timing) -> Callable[[Any, str, Callable[[Event], None]], RetakeLive]:
    """The retake.tv chat feed: Socket.IO with REST backfill, REST polling behind it."""
    intervals = PollIntervals(active=sum(timing.chat_active) / 2, quiet=sum(timing.chat_quiet) / 2)

    def build(client: Any, user_db_id: str, on_event: Callable[[Event], None]) -> RetakeLive:
        return RetakeLive(client, user_db_id, on_event, intervals=intervals)

    return build
