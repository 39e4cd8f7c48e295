"""Entry point of the ``studio`` command: one click group, one module per command."""

from __future__ import annotations

import logging
import sys

import click

from studio import __version__
from studio.cli import commands
from studio.errors import StudioError
from studio.redaction import install_log_redaction


class StudioGroup(click.Group):
    """Turns a ``StudioError`` into its message and exit code 1, never a traceback, and
    imports a command's module only when that command is asked for (``commands.WHERE``)."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *commands.WHERE})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        return self.commands.get(cmd_name) or commands.load(cmd_name)

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


def main() -> None:
    cli()
