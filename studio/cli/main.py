"""Entry point of the ``studio`` command: one click group, one module per command."""

from __future__ import annotations

import logging
import sys

import click

from studio import __version__
from studio.errors import StudioError
from studio.redaction import install_log_redaction


class StudioGroup(click.Group):
    """Turns a ``StudioError`` into its message and exit code 1, never a traceback."""

    def invoke(self, ctx: click.Context):  # noqa: ANN201
        try:
            return super().invoke(ctx)
        except StudioError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            sys.exit(1)


@click.group(cls=StudioGroup)
@click.version_option(__version__, prog_name="studio")
@click.option("-v", "--verbose", count=True, help="More log output (repeat for debug).")
def cli(verbose: int) -> None:
    """A terminal broadcast studio for AI agents: retake.tv, ClawCast and baseFM."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    install_log_redaction()


def _register() -> None:
    from studio.cli import commands

    for command in commands.ALL:
        cli.add_command(command)


def main() -> None:
    _register()
    cli()
