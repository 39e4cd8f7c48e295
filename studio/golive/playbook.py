"""The streamer playbook's notifications to the human builder, as typed events.

A bus listener: it reads what the legs and the pipeline publish and, on the studio's
own clock (``LegContext.clock`` and ``sleep``), publishes ``BuilderNotification``s:

* ``live``: once live, every platform's link (retake.tv's stream URL, ClawCast's,
  baseFM's listen URL), the viewers, stream ideas and the share prompt; sent when every
  platform of the plan has its link, or ``builder_wait`` seconds after going live;
* ``heartbeat``: every ``heartbeat_every`` seconds (4 hours or more), a summary of what
  happened since the last one: technical issues, large tips, unusual activity,
  milestones;
* ``low_viewers``: when retake.tv's viewers stay under ``low_viewers`` for
  ``low_viewers_grace`` seconds, a reminder with the link, at most once every
  ``low_viewers_every``;
* ``shutdown_warning``: at once, urgent, when retake.tv warns of a shutdown.

It sends nothing itself: the notify command and the console are listeners too.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from studio.broadcast.events import DestinationStateChanged, ProcessExited, RecoveryScheduled
from studio.events import Event, ListenerFailed
from studio.golive.events import (
    AudienceAlert,
    BuilderNotification,
    ChatLine,
    Failed,
    Notice,
    PlatformLive,
    StateChanged,
    StreamHealth,
    Viewers,
)
from studio.golive.leg import LegContext
from studio.golive.notify import DEFAULT_IDEAS, builder_notification, low_viewers_reminder
from studio.golive.tick_loop import TickLoop
from studio.platforms.retake_events import RetakeFeedState, RetakeShutdownWarning

log = logging.getLogger(__name__)

HOUR = 3600.0
MIN_HEARTBEAT = 4 * HOUR
VIEWER_MILESTONES = (10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000)
FOLLOWER_MILESTONES = (1, 10, 25, 50, 100, 250, 500, 1000)
PLATFORM_NAMES = {"retake": "retake.tv", "clawcast": "ClawCast", "basefm": "baseFM"}


@dataclass(frozen=True)
class PlaybookSettings:
    heartbeat_every: float = MIN_HEARTBEAT
    low_viewers: int = 3
    """Fewer retake.tv viewers than this is low."""
    low_viewers_grace: float = 600.0
    low_viewers_every: float = 1800.0
    large_tip: float = 10.0
    builder_wait: float = 60.0
    unusual_factor: float = 3.0
    """A burst is this many times the period's average in one ``burst_window``, or a
    period with this many times the previous one's total."""
    unusual_minimum: int = 20
    """Fewer than this many in a window (or a period) is never unusual."""
    burst_window: float = 300.0
    tick: float = 15.0
    ideas: Sequence[str] = DEFAULT_IDEAS

    def __post_init__(self) -> None:
        if self.heartbeat_every < MIN_HEARTBEAT:
            raise ValueError("heartbeat_every must be 4 hours (14400 s) or more")


@dataclass
class _Period:
    """What happened since the last heartbeat."""

    issues: list[str] = field(default_factory=list)
    large_tips: list[str] = field(default_factory=list)
    milestones: list[str] = field(default_factory=list)
    chat: int = 0
    tips: int = 0
    tip_total: float = 0.0
    trades: int = 0
    trade_volume: float = 0.0
    follows: int = 0
    buckets: dict[str, dict[int, int]] = field(default_factory=dict)
    """Per kind (chat, trades), counts per ``burst_window``."""


class Playbook:
    def __init__(
        self,
        ctx: LegContext,
        settings: PlaybookSettings | None = None,
        *,
        platforms: Sequence[str] = ("retake",),
    ) -> None:
        self.ctx = ctx
        self.settings = settings or PlaybookSettings()
        self.platforms = list(platforms)
        self.links: dict[str, str | None] = {}
        self.viewers: int | None = None
        self.peak_viewers = 0
        self.followers = 0
        self.live_since: float | None = None
        self.builder_sent = False
        self.last_heartbeat: float | None = None
        self.last_low_reminder: float | None = None
        self.low_since: float | None = None
        self.sent: list[BuilderNotification] = []
        self._period = _Period()
        self._previous: _Period | None = None
        self._loop = TickLoop("playbook", self.tick, self.settings.tick, ctx.sleep)

    # -- the bus ----------------------------------------------------------------------
    def __call__(self, event: Event) -> None:
        if isinstance(event, BuilderNotification):
            return
        if isinstance(event, StateChanged):
            self._state(event.state)
        elif isinstance(event, PlatformLive):
            self.links[event.platform] = event.url
            if event.platform == "retake" and event.viewers is not None:
                self._viewers(event.viewers)
            self._maybe_builder(force=False)
        elif isinstance(event, Viewers) and event.platform == "retake":
            self._viewers(event.viewers)
        elif isinstance(event, RetakeShutdownWarning):
            self._shutdown_warning(event)
        elif isinstance(event, ChatLine):
            self._period.chat += 1
            self._count("chat")
        elif isinstance(event, AudienceAlert):
            self._alert(event)
        else:
            self._issue(event)

    def _state(self, state: str) -> None:
        if state == "live" and self.live_since is None:
            self.live_since = self.last_heartbeat = self.ctx.clock()
            self._maybe_builder(force=False)
            self.start()
        elif state in ("stopping", "ended"):
            self.stop()

    def _viewers(self, viewers: int) -> None:
        self.viewers = viewers
        if viewers >= self.settings.low_viewers:
            self.low_since = None
        elif self.low_since is None:
            self.low_since = self.ctx.clock()
        for mark in VIEWER_MILESTONES:
            if self.peak_viewers < mark <= viewers:
                self._period.milestones.append(f"{mark} viewers at once for the first time")
        self.peak_viewers = max(self.peak_viewers, viewers)

    def _count(self, kind: str) -> None:
        bucket = int(self.ctx.clock() // self.settings.burst_window)
        counts = self._period.buckets.setdefault(kind, {})
        counts[bucket] = counts.get(bucket, 0) + 1

    def _alert(self, event: AudienceAlert) -> None:
        """A tip, trade or follow, once however the platform reported it."""
        amount = _money(event.amount)
        if event.alert == "tip":
            self._period.tips += 1
            self._period.tip_total += amount or 0.0
            if amount is not None and amount >= self.settings.large_tip:
                self._period.large_tips.append(f"{event.who} tipped {amount:g}")
        elif event.alert == "trade":
            self._period.trades += 1
            self._period.trade_volume += amount or 0.0
            self._count("trades")
        else:
            self._follow()

    def _follow(self) -> None:
        self._period.follows += 1
        self.followers += 1
        if self.followers in FOLLOWER_MILESTONES:
            word = "follower" if self.followers == 1 else "followers"
            self._period.milestones.append(f"{self.followers} new {word} this stream")

    def _issue(self, event: Event) -> None:
        text: str | None = None
        if isinstance(event, Failed):
            text = f"{event.platform}: {event.error}"
        elif isinstance(event, Notice) and event.level in ("warning", "error"):
            text = f"{event.platform}: {event.text}"
        elif isinstance(event, ProcessExited):
            text = f"{event.process} exited (code {event.returncode})"
        elif isinstance(event, RecoveryScheduled):
            text = f"recovery: {event.reason}"
        elif isinstance(event, DestinationStateChanged) and event.state in (
            "failed",
            "reconnecting",
        ):
            text = f"{event.destination} {event.state}" + (
                f" ({event.reason})" if event.reason else ""
            )
        elif isinstance(event, RetakeFeedState) and event.state == "disconnected":
            text = "retake.tv chat socket dropped (REST polling covered it)"
        elif isinstance(event, StreamHealth) and event.health == "bad":
            text = f"{event.platform} reports its stream health as bad"
        elif isinstance(event, ListenerFailed):
            text = f"the studio's {event.listener} failed on {event.failed_on}: {event.error}"
        if text is not None:
            self._period.issues.append(text[:300])

    # -- notifications ------------------------------------------------------------------
    def _notify(self, reason: Any, text: str, *, urgent: bool = False) -> BuilderNotification:
        links = [url for url in self.links.values() if url]
        note = BuilderNotification(reason=reason, text=text, urgent=urgent, links=links)
        self.sent.append(note)
        self.ctx.publish(note)
        return note

    def _ordered_links(self) -> list[str]:
        out = []
        for platform in [*self.platforms, *self.links]:
            url = self.links.get(platform)
            if url and url not in out:
                out.append(url)
        return out

    def _maybe_builder(self, *, force: bool) -> None:
        if self.builder_sent or self.live_since is None:
            return
        every = all(self.links.get(p) for p in self.platforms)
        if not (every or force):
            return
        self.builder_sent = True
        missing = [PLATFORM_NAMES.get(p, p) for p in self.platforms if not self.links.get(p)]
        text = builder_notification(
            watch_urls=self._ordered_links(), viewers=self.viewers, ideas=self.settings.ideas
        )
        if missing:
            text += f"\n(No link yet from {', '.join(missing)}.)"
        self._notify("live", text)

    def _shutdown_warning(self, event: RetakeShutdownWarning) -> None:
        said = event.text or "(no reason given)"
        link = self.links.get("retake") or ""
        text = (
            "CRISIS: retake.tv sent a shutdown warning for the stream.\n"
            f"It said: {said}\n"
            f"Viewers now: {self.viewers if self.viewers is not None else 'unknown'}; "
            f"link: {link or '(unknown)'}\n"
            "Low-effort streams get shut down. Change something now: a new format, a new "
            "hook, or end this stream cleanly. Please reply with a direction."
        )
        self._period.issues.append(f"shutdown warning: {said}"[:300])
        self._notify("shutdown_warning", text, urgent=True)

    def heartbeat_text(self, now: float) -> str:
        p, since = self._period, self.last_heartbeat or now
        hours = (now - since) / HOUR
        lines = [f"Heartbeat: the last {hours:.1f} hours on stream."]
        link = self._ordered_links()
        if link:
            lines.append(f"Live at {link[0]}" + "".join(f", {u}" for u in link[1:]))
        lines.append(
            f"Viewers now: {self.viewers if self.viewers is not None else 'unknown'} "
            f"(peak {self.peak_viewers})"
        )
        lines.append("Technical issues: " + (_listed(p.issues) if p.issues else "none"))
        lines.append("Large tips: " + (_listed(p.large_tips) if p.large_tips else "none"))
        lines.append("Unusual activity: " + (_listed(self._unusual(now)) or "none"))
        lines.append("Milestones: " + (_listed(p.milestones) if p.milestones else "none"))
        lines.append(
            f"Chat {p.chat} messages, {p.tips} tips ({p.tip_total:g}), "
            f"{p.trades} trades (${p.trade_volume:,.2f}), {p.follows} follows."
        )
        lines.append("Any creative direction for the next hours?")
        return "\n".join(lines)

    def _unusual(self, now: float) -> list[str]:
        """Bursts within the period, and totals far above the previous period's."""
        p, prev, s = self._period, self._previous, self.settings
        since = self.last_heartbeat if self.last_heartbeat is not None else now
        windows = max(1.0, (now - since) / s.burst_window)
        minutes = s.burst_window / 60
        found = []
        for label, total, before in (
            ("chat", p.chat, prev.chat if prev else None),
            ("trades", p.trades, prev.trades if prev else None),
        ):
            counts = p.buckets.get(label, {})
            peak = max(counts.values(), default=0)
            average = total / windows
            if peak >= s.unusual_minimum and peak >= s.unusual_factor * average:
                found.append(
                    f"a burst of {peak} {label} in {minutes:g} minutes "
                    f"(average {average:.1f} per {minutes:g} minutes)"
                )
            elif (
                before is not None
                and total >= s.unusual_minimum
                and total >= s.unusual_factor * max(before, 1)
            ):
                found.append(f"{label} rose to {total} from {before} the period before")
        return found

    # -- the clock ----------------------------------------------------------------------
    def tick(self) -> None:
        """Everything that is due now (the loop calls it; tests may too)."""
        if self.live_since is None:
            return
        now, s = self.ctx.clock(), self.settings
        if not self.builder_sent and now - self.live_since >= s.builder_wait:
            self._maybe_builder(force=True)
        if self.last_heartbeat is not None and now - self.last_heartbeat >= s.heartbeat_every:
            self._notify("heartbeat", self.heartbeat_text(now))
            self.last_heartbeat = now
            self._previous, self._period = self._period, _Period()
        self._check_low_viewers(now)

    def _check_low_viewers(self, now: float) -> None:
        s = self.settings
        link = self.links.get("retake")
        if self.viewers is None or not link or self.live_since is None:
            return
        if self.low_since is None or self.viewers >= s.low_viewers:
            return
        if now - self.low_since < s.low_viewers_grace:
            return  # low for a moment is not low yet
        if (
            self.last_low_reminder is not None
            and now - self.last_low_reminder < s.low_viewers_every
        ):
            return
        self.last_low_reminder = now
        self._notify("low_viewers", low_viewers_reminder(link, self.viewers))

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        self._loop.stop()

    async def aclose(self) -> None:
        await self._loop.aclose()


def _listed(items: Sequence[str], limit: int = 5) -> str:
    shown = list(items[:limit])
    more = len(items) - len(shown)
    return "; ".join(shown) + (f"; and {more} more" if more > 0 else "")


def _money(value: str | None) -> float | None:
    """``AudienceAlert.amount`` (``"5.00"``, ``"$1,250.00"``) as a number."""
    if value is None:
        return None
    try:
        return float(value.replace("$", "").replace(",", ""))
    except ValueError:
        return None
