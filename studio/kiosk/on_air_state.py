"""What the ticker and the stats card show, kept apart from the widgets that draw it."""

from __future__ import annotations

from dataclasses import dataclass

from studio.onair.protocol import TickerUpdate

PLATFORM_NAMES = {"retake": "retake.tv", "clawcast": "ClawCast", "basefm": "baseFM"}


@dataclass(frozen=True)
class Storefront:
    """What the opening card (and the filler) show about the stream."""

    name: str = ""
    title: str = ""
    platforms: tuple[str, ...] = ()
    link: str = ""

    def lines(self) -> list[str]:
        lines = [self.title or "Live from the terminal", ""]
        if self.platforms:
            names = "  ·  ".join(PLATFORM_NAMES.get(p, p) for p in self.platforms)
            lines.append(f"watch on  {names}")
        if self.link:
            lines.append(self.link)
        return lines


@dataclass
class TickerState:
    live: bool = False
    name: str = ""
    viewers: int | None = None
    started_at: float | None = None
    token_ticker: str = ""
    market_cap: float | None = None
    chat_messages: int = 0

    def apply(self, update: TickerUpdate, now: float) -> None:
        if update.live is not None:
            self.live = update.live
        if update.name is not None:
            self.name = update.name
        if update.viewers is not None:
            self.viewers = update.viewers
        if update.uptime_started_at is not None:
            self.started_at = update.uptime_started_at
        if update.uptime_seconds is not None:
            self.started_at = now - update.uptime_seconds
        if update.token_ticker is not None:
            self.token_ticker = update.token_ticker.lstrip("$").upper()
        if update.market_cap is not None:
            self.market_cap = update.market_cap

    def uptime(self, now: float) -> float | None:
        return None if self.started_at is None else max(0.0, now - self.started_at)


def format_uptime(seconds: float | None) -> str:
    if seconds is None:
        return "--:--"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02}:{secs:02}" if hours else f"{minutes:02}:{secs:02}"


def format_money(value: float | None) -> str:
    if value is None:
        return "—"
    for limit, suffix in ((1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= limit:
            return f"${value / limit:.2f}{suffix}"
    return f"${value:,.0f}"


def format_count(value: int | None) -> str:
    if value is None:
        return "—"
    if value >= 10_000:
        return f"{value / 1000:.1f}K"
    return f"{value:,}"
