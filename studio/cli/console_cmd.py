"""``studio console``: the operator console, attached to the running broadcast."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("console")
@click.option("--socket", "socket_path", type=click.Path(path_type=Path), default=None,
              help="The broadcast's control socket (default: the one the running studio wrote); "
                   "a broadcast started here with F9 listens there.")  # fmt: skip
@click.option("--theme", default=None,
              help="onair (default), light, high-contrast, retake, clawcast, basefm, or your own.")  # fmt: skip
def console(socket_path: Path | None, theme: str | None) -> None:
    """Watch and run the broadcast: chat, on-air frame, queue, slides, operator steps.

    Closing the console (or losing the SSH connection) never ends the broadcast;
    run it again to come back to the same show.
    """
    from studio.console.app import ConsoleApp
    from studio.console.config import ConsoleConfig
    from studio.console.service_client import ServiceClient

    config = ConsoleConfig(theme=theme) if theme else ConsoleConfig()
    ConsoleApp(ServiceClient(socket_path), config).run()
