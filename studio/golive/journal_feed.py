"""The session journal follows the bus: each event written once, where it belongs.

* chat lines, tips, trades and follows (``ChatLine``, ``AudienceAlert``) go to the
  transcript (the journal ignores a repeated id);
* viewers and stream health go to the ``viewers`` samples, encoder stats to the
  ``encoder`` samples every ``stats_every`` seconds, destination changes to the
  destinations table;
* every other studio event (steps, notices, live, thumbnails, the pipeline's crashes
  and recoveries, the session's start and end) goes to the events table. The raw
  platform feed (its cleaned lines are in the transcript) and process output are not;
* every child process started (``ProcessStarted``) is also recorded with its pid,
  start time and command digest, so a studio resumed after a ``kill -9`` can end
  leftovers (``studio.children``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from studio.broadcast.events import (
    DestinationStateChanged,
    EncoderStats,
    ProcessOutput,
    ProcessStarted,
)
from studio.children import identify
from studio.events import Event
from studio.golive.events import AudienceAlert, ChatLine, StreamHealth, Viewers
from studio.golive.leg import LegContext
from studio.journal import Journal
from studio.platforms.retake_events import (
    RetakeChat,
    RetakeFeedState,
    RetakeFollow,
    RetakeRawTrade,
    RetakeTip,
    RetakeTrade,
)

NOT_EVENTS: tuple[type[Event], ...] = (
    ProcessOutput,
    RetakeChat,
    RetakeTip,
    RetakeTrade,
    RetakeRawTrade,
    RetakeFollow,
    RetakeFeedState,
)
"""Kept out of the events table: the raw feed and process chatter."""


class JournalFeed:
    def __init__(
        self,
        ctx: LegContext,
        *,
        stats_every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ctx = ctx
        self.stats_every = stats_every
        self._clock = clock
        self._last_stats: dict[str, float] = {}

    def __call__(self, event: Event) -> None:
        data = event.to_dict()
        if isinstance(event, ProcessStarted) and event.pid:
            self._child(event.process, event.pid)
        if isinstance(event, ChatLine):
            self._transcript(event, "chat", event.id, event.author, event.text, data)
        elif isinstance(event, AudienceAlert):
            self._transcript(event, event.alert, event.id, event.who, event.text, event.data)
        elif isinstance(event, Viewers):
            sample: dict[str, Any] = {event.platform: event.viewers}
            if event.live is not None:
                sample["is_live"] = event.live
            if event.market_cap is not None or event.live is not None:
                sample["market_cap"] = event.market_cap
            self._sample("viewers", sample, event.at)
        elif isinstance(event, StreamHealth):
            self._sample("viewers", {f"{event.platform}_health": event.health}, event.at)
        elif isinstance(event, DestinationStateChanged):
            name, state = event.destination, event.state
            detail = {k: data.get(k) for k in ("reason", "attempt", "retry_in") if data.get(k)}
            self.ctx.record(lambda j, sid: j.destination(sid, name, state, detail or None))
        elif isinstance(event, EncoderStats):
            now = self._clock()
            last = self._last_stats.get(event.source, float("-inf"))
            if now - last < self.stats_every and not event.ended:
                return
            self._last_stats[event.source] = now
            self._sample("encoder", data, event.at)
        elif not isinstance(event, NOT_EVENTS):
            kind = event.kind
            self.ctx.record(lambda j, sid: j.event(sid, kind, data, data.get("at")))

    def _child(self, name: str, pid: int) -> None:
        identity = identify(pid)  # read /proc now, while the pid is surely this child
        if identity is not None:
            self.ctx.record(lambda j, sid: j.child(sid, name, identity))

    def _sample(self, kind: str, data: dict[str, Any], at: float) -> None:
        self.ctx.record(lambda j, sid: j.sample(sid, kind, data, at))

    def _transcript(
        self,
        event: ChatLine | AudienceAlert,
        kind: str,
        external_id: str | None,
        author: str | None,
        text: str | None,
        data: dict[str, Any],
    ) -> None:
        platform, at = event.platform, event.at
        key = external_id or f"{kind}:{at}:{author}"

        def write(journal: Journal, sid: int) -> None:
            journal.transcript(
                sid,
                platform=platform,
                kind=kind,
                external_id=key,
                author=author,
                text=text,
                data=data,
                at=at,
            )

        self.ctx.record(write)
