"""``studio journal``: the sessions the studio has run, and what happened in each."""

from __future__ import annotations

import json
import time

import click

from studio.config import Paths
from studio.inert_text import inert, inert_data
from studio.journal import Journal, SessionRecord


def _when(t: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(t)) if t else "—"


def _line(record: SessionRecord) -> str:
    length = f"{(record.ended_at or time.time()) - record.started_at:7.0f} s"
    return f"{record.id:>5}  {_when(record.started_at)}  {length}  {record.status:<22} {', '.join(record.platforms)}"


@click.command()
@click.argument("session", type=int, required=False)
@click.option(
    "--limit",
    type=click.IntRange(1, 1000),
    default=20,
    show_default=True,
    help="How many recent sessions to list.",
)
@click.option("--json", "as_json", is_flag=True, help="The session's transcript as JSON lines.")
def journal(session: int | None, limit: int, as_json: bool) -> None:
    """List recent sessions, or show one SESSION: its destinations, samples and transcript."""
    paths = Paths.from_env()
    if not paths.journal.exists():
        click.echo(f"No sessions yet (the journal will be {paths.journal}).")
        return
    book = Journal(paths.journal)
    if session is None:
        click.echo("   id  started              length  status                 platforms")
        for record in book.recent_sessions(limit):
            click.echo(_line(record))
        return
    found = book.session(session)
    if found is None:
        raise click.BadParameter(f"there is no session {session}", param_hint="SESSION")
    lines = book.transcript_of(session)
    if as_json:
        for line in lines:
            click.echo(json.dumps(inert_data(line), ensure_ascii=False))
        return
    click.echo(_line(found))
    if found.summary:
        click.echo(f"  summary: {json.dumps(found.summary)}")
    for d in book.destinations_of(session):
        click.echo(f"  {_when(d['at'])}  destination {d['name']}: {d['state']}")
    viewers = book.samples_of(session, "viewers")
    if viewers:
        peak = max((v.get("retake") or 0) for v in viewers)
        click.echo(f"  viewers: {len(viewers)} samples, peak {peak} on retake.tv")
    encoder = book.samples_of(session, "encoder")
    if encoder:
        dropped = max(e.get("drop_frames", 0) for e in encoder)
        click.echo(f"  encoder: {len(encoder)} samples, {dropped} frames dropped")
    for line in lines:
        # A journal written before viewer text was cleaned on entry may still hold escapes.
        who = inert(line["author"]) or "?"
        text = inert(line["text"]) or inert(json.dumps(line["data"], ensure_ascii=False))[:80]
        click.echo(f"  {_when(line['at'])}  [{line['kind']}] {who}: {text}")
