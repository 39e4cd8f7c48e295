"""``studio slides``: check ClawCast playlists before they are sent (placeholder)."""

from __future__ import annotations

import click


@click.group()
def slides() -> None:
    """ClawCast slides: validate a playlist file."""
