"""The three platforms' queues and directories as tables, with live countdowns.

The data is what the service answers to the ``queue`` command: the platforms' own
replies (``QueueResponse``, ``LiveResponse``, top and trending tokens), as JSON, with
``fetched_at`` so countdowns keep running between refreshes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text


def clock(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = max(0, int(seconds))
    hours, rest = divmod(seconds, 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def _grid(*columns: str) -> Table:
    table = Table(box=None, padding=(0, 1), show_edge=False, expand=True, header_style="bold")
    for name in columns:
        table.add_column(name, no_wrap=True, overflow="ellipsis")
    return table


def clawcast(
    data: Mapping[str, Any] | None,
    now: float,
    colours: Mapping[str, str],
    slot: Mapping[str, Any] | None = None,
) -> RenderableType:
    """ClawCast's now-playing and queue; ``slot`` is the one this studio holds (the
    service's ``clawcast.slot`` event): its row is marked and its countdown shown."""
    muted = colours.get("text-muted", "")
    me = str(slot["streamer_name"]) if slot and slot.get("streamer_name") else None
    parts: list[RenderableType] = []
    entries: list[Mapping[str, Any]] = []
    live: Mapping[str, Any] = {}
    if not data:
        parts.append(Text("No ClawCast queue yet", style=muted))
    else:
        elapsed = now - float(data.get("fetched_at") or now)
        queue_reply = data.get("queue") or {}
        entries = list(queue_reply.get("queue") or [])
        live = (
            (data.get("now") or {})
            if (data.get("now") or {}).get("live")
            else queue_reply.get("live") or {}
        )
        if live:
            left = live.get("seconds_remaining")
            left = None if left is None else float(left) - elapsed
            parts.append(Text.assemble(("▶ Now playing ", "bold"), (str(live.get("streamer_name")), f"bold {colours.get('accent', '')}"),
                                       f"  {clock(left)} left"))  # fmt: skip
        else:
            parts.append(Text("Nobody on air", style=muted))
        table = _grid("#", "streamer", "starts in", "min")
        for i, entry in enumerate(entries, start=1):
            starts = entry.get("starts_at")
            wait = None if starts is None else float(starts) - now
            name = str(entry.get("streamer_name"))
            style = f"bold {colours.get('success', '')}" if name == me else ""
            table.add_row(str(entry.get("position") or i), Text(name, style=style), clock(wait),
                          str(entry.get("duration_minutes") or "—"))  # fmt: skip
        parts.append(table)
    if me and slot:
        parts.append(Text(f"You ({me}): {_your_slot(me, slot, entries, live, now)}", style="bold"))
    return Group(*parts)


def _your_slot(
    me: str,
    slot: Mapping[str, Any],
    entries: list[Mapping[str, Any]],
    live: Mapping[str, Any],
    now: float,
) -> str:
    starts, ends = slot.get("starts_at"), slot.get("ends_at")
    if ends is not None and float(ends) <= now:
        return "your slot is over"
    if live.get("streamer_name") == me or (starts is not None and float(starts) <= now):
        return "on air now" + (f", {clock(float(ends) - now)} left" if ends is not None else "")
    found = next(
        ((i, e) for i, e in enumerate(entries, start=1) if e.get("streamer_name") == me), None
    )
    if found is not None:
        position, wait = found[1].get("position") or found[0], found[1].get("starts_at")
    else:  # not in the fetched queue (yet): what the booking said
        position, wait = slot.get("position_in_queue"), starts
    where = f"position {position}" if position else "queued"
    return where + (f", on in {clock(float(wait) - now)}" if wait is not None else "")


def basefm(data: Mapping[str, Any] | None, colours: Mapping[str, str]) -> RenderableType:
    muted = colours.get("text-muted", "")
    if not data:
        return Text("No baseFM directory yet", style=muted)
    parts: list[RenderableType] = [Text(f"Availability: {data.get('availability', '—')}")]
    djs = _grid("live DJ", "status")
    for dj in data.get("djs") or []:
        djs.add_row(str(dj.get("name") or dj.get("id")), str(dj.get("status") or "live"))
    parts.append(djs)
    dist = data.get("distribution") or {}
    if dist:
        origin = dist.get("origin") or {}
        good = origin.get("status") in ("healthy", "ok", "live")
        parts.append(Text.assemble("Distribution origin: ",
                                   (str(origin.get("status")), colours.get("success" if good else "warning", ""))))  # fmt: skip
        relays = _grid("relay", "type", "status")
        for relay in dist.get("relays") or []:
            relays.add_row(str(relay.get("name") or relay.get("key")), str(relay.get("type") or "—"),
                           str(relay.get("status") or ("enabled" if relay.get("enabled", True) else "off")))  # fmt: skip
        parts.append(relays)
    return Group(*parts)


def retake(data: Mapping[str, Any] | None, colours: Mapping[str, str]) -> RenderableType:
    muted = colours.get("text-muted", "")
    if not data:
        return Text("No retake.tv directory yet", style=muted)
    live = _grid("live agent", "viewers")
    for agent in data.get("live") or []:
        live.add_row(
            str(agent.get("username") or agent.get("name")),
            str(agent.get("viewers") or agent.get("viewer_count") or "—"),
        )
    top = _grid("top token", "mcap")
    for token in data.get("top") or []:
        cap = token.get("current_market_cap")
        top.add_row(f"${token.get('ticker')}", "—" if cap is None else f"${float(cap):,.0f}")
    trending = _grid("trending", "24h")
    for token in data.get("trending") or []:
        growth = token.get("growth_24h")
        trending.add_row(
            f"${token.get('ticker')}", "—" if growth is None else f"{float(growth):+.1f}%"
        )
    return Group(live, top, trending)
