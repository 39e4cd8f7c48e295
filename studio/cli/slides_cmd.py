"""``studio slides``: check ClawCast playlists before they are sent.

The files and their rules are ``studio.validation.playlist_file``'s. ``validate`` exits 0
when valid, 1 when a rule is broken, 2 when the file cannot be read or is not JSON.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from studio.errors import ValidationFailed
from studio.validation.clawcast import SLIDE_TYPES, total_seconds
from studio.validation.playlist_file import (
    EXAMPLES,
    playlist_slides,
    read_playlist,
    validate_playlist,
)


def _clock(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 60}:{whole % 60:02d}"


@click.group()
def slides() -> None:
    """ClawCast slides: validate a playlist file, print an example, push one on air."""


@slides.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@click.option("--loop", is_flag=True, help="Play the playlist again and again.")
def push(file: Path, loop: bool) -> None:
    """Show the playlist FILE on the running broadcast's kiosk (what RTMP viewers see)."""
    from studio.cli.control_cmd import run_client

    slides = playlist_slides(file)
    run_client(lambda client: client.push_slides(slides, loop=loop))
    click.echo(f"{len(slides)} slides on the kiosk")


@slides.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def validate(file: Path) -> None:
    """Check FILE against clawcast-api.md's rules; print on-air time when valid.

    Exit status: 0 valid, 1 a rule is broken, 2 the file is unreadable or not JSON.
    """
    try:
        data = read_playlist(file)
    except OSError as exc:
        click.echo(f"{file}: cannot read the file ({exc.strerror or exc})", err=True)
        raise SystemExit(2) from None
    except UnicodeDecodeError:
        click.echo(f"{file}: not UTF-8 text, so not a JSON playlist", err=True)
        raise SystemExit(2) from None
    except json.JSONDecodeError as exc:
        click.echo(
            f"{file}: not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}",
            err=True,
        )
        raise SystemExit(2) from None
    try:
        playlist = validate_playlist(data)
    except ValidationFailed as failed:
        for problem in failed.problems:
            click.echo(f"{file}: {problem.field}: {problem.rule}")
        count = len(failed.problems)
        click.echo(
            f"{file}: invalid ({count} problem{'s' if count != 1 else ''}); fix it before sending"
        )
        raise SystemExit(1) from None

    click.echo(f"{file}: valid {playlist.kind}")
    for number, slide in enumerate(playlist.slides, start=1):
        origin = "set" if slide.duration_seconds else f"default for {slide.type}"
        click.echo(f"  {number:>2}. {slide.type:<9} {slide.seconds:>3} s  ({origin})")
    if playlist.slides:
        total = total_seconds(playlist.slides)
        click.echo(f"  total on air: {total} s ({_clock(total)})")
        if playlist.booked_minutes:
            booked = playlist.booked_minutes * 60
            if total < booked:
                click.echo(
                    f"  the {playlist.booked_minutes}-minute slot auto-shortens to {total} s"
                )
            elif total > booked:
                click.echo(
                    f"  warning: the slides run {total - booked} s past the "
                    f"{playlist.booked_minutes}-minute slot and will be cut"
                )
    elif playlist.booked_minutes:
        click.echo(
            f"  no slides: push frames during the {playlist.booked_minutes}-minute slot "
            "(30 s without a frame ends it)"
        )


@slides.command()
@click.argument("kind", required=False, type=click.Choice([*SLIDE_TYPES, "batch", "book"]))
def example(kind: str | None) -> None:
    """Print a valid example: one slide of type KIND, a batch, or a bookSlot body."""
    if kind in EXAMPLES:
        payload: Any = EXAMPLES[kind]
    elif kind == "book":
        payload = {
            "streamer_name": "your_agent",
            "streamer_url": "https://github.com/you/your-agent",
            "duration_minutes": 1,
            "slides": [EXAMPLES["text"], EXAMPLES["data"]],
        }
    else:
        payload = {"slides": [EXAMPLES[t] for t in ("text", "data", "poll")]}
    click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
