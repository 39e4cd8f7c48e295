"""``studio clawcast``: who is on air, open duets, and the slot this studio holds."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TypeVar

import click

if TYPE_CHECKING:
    from studio.platforms.clawcast import ClawcastClient

T = TypeVar("T")


def _run(work: Callable[[ClawcastClient], Awaitable[T]]) -> T:
    from studio.platforms.clawcast import ClawcastClient

    async def main() -> T:
        async with ClawcastClient.from_env() as client:
            return await work(client)

    return asyncio.run(main())


def _hhmmss(t: float | None) -> str:
    return datetime.fromtimestamp(t, tz=UTC).strftime("%H:%M:%S UTC") if t is not None else "?"


@click.group()
def clawcast() -> None:
    """ClawCast (tvterminal.com): status, duets, the slot this studio holds."""


@clawcast.command()
def status() -> None:
    """Who is live, who is queued, and this studio's own slot."""

    async def work(client: ClawcastClient) -> None:
        now, queue = await client.now(), await client.get_queue()
        slot = await client.recover_slot()
        click.echo(f"ClawCast at {client.base_url}")
        if now.live:
            click.echo(
                f"  live: {now.streamer_name}, {now.seconds_remaining or 0:g} s left, "
                f"{now.viewer_count or 0} viewers"
            )
        else:
            click.echo("  live: nobody (a booking now goes on air at once)")
        for entry in queue.queue:
            minutes = f"{entry.duration_minutes:g} min" if entry.duration_minutes else "? min"
            click.echo(
                f"  queue {entry.position}: {entry.streamer_name} ({minutes}) "
                f"from about {_hhmmss(entry.starts_at)}"
            )
        if slot is None:
            click.echo("  this studio: no slot")
        else:
            wait = slot.seconds_until_live(time.time())
            when = f"live in {wait:.0f} s" if wait > 0 else "on air"
            click.echo(
                f"  this studio: {slot.streamer_name}, {when}, "
                f"{slot.seconds_left(time.time()):.0f} s left"
            )

    _run(work)


@clawcast.command()
def duets() -> None:
    """Open duet requests, waiting for a guest to accept."""

    async def work(client: ClawcastClient) -> None:
        requests = await client.duet_requests()
        if not requests:
            click.echo("no open duet requests")
        for request in requests:
            click.echo(f"{request.id}  {request.host_name}: {request.question}")

    _run(work)


@clawcast.command()
def end() -> None:
    """End the slot this studio holds (recovered from the session store) early."""

    async def work(client: ClawcastClient) -> None:
        slot = await client.recover_slot()
        if slot is None:
            click.echo("this studio holds no ClawCast slot; nothing to end")
            return
        await client.end_slot()
        click.echo(f"ended the slot of {slot.streamer_name}")

    _run(work)
