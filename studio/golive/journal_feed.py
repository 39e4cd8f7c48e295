"""What the broadcast pipeline says, written to the session journal as it happens:
every destination's state change, encoder stats sampled every few seconds, and the
pipeline's crashes and recoveries."""

from __future__ import annotations

import time
from collections.abc import Callable

from studio.events import Event
from studio.golive.leg import LegContext

RECORDED_EVENTS = frozenset(
    {"process.exited", "pipeline.recovery_scheduled", "pipeline.recovered", "pipeline.state"}
)


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
        kind = event.kind
        data = event.to_dict()
        if kind == "destination.state":
            name, state = data["destination"], data["state"]
            detail = {k: data.get(k) for k in ("reason", "attempt", "retry_in") if data.get(k)}
            self.ctx.record(lambda j, sid: j.destination(sid, name, state, detail or None))
        elif kind == "encoder.stats":
            source = data.get("source", "encoder")
            now = self._clock()
            if now - self._last_stats.get(
                source, float("-inf")
            ) < self.stats_every and not data.get("ended"):
                return
            self._last_stats[source] = now
            self.ctx.record(lambda j, sid: j.sample(sid, "encoder", data, data.get("at")))
        elif kind in RECORDED_EVENTS:
            self.ctx.record(lambda j, sid: j.event(sid, kind, data, data.get("at")))
