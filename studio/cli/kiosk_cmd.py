"""``studio kiosk``: run the on-air kiosk, or send it a command from another shell."""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

import click
from pydantic import BaseModel

from studio.errors import StudioError
from studio.onair.client import request
from studio.onair.protocol import (
    SCENES,
    Alert,
    ChatMessage,
    PollResults,
    Quit,
    ScreenRequest,
    ShowMessage,
    SwitchScene,
    TickerUpdate,
    decode,
)

CAPTURE_FPS = 30
SOCKET_HELP = "The kiosk's control socket (default: $STUDIO_KIOSK_SOCKET or the user runtime dir)."


@click.group()
def kiosk() -> None:
    """The on-air picture: scenes, slides, chat and ticker, for a 1280x720 capture."""


@kiosk.command("run")
@click.option("--socket", "socket_path", type=click.Path(path_type=Path), help=SOCKET_HELP)
@click.option(
    "--log",
    "log_path",
    type=click.Path(path_type=Path),
    default=Path("/tmp/stream.log"),
    show_default=True,
    help="File or FIFO the agent writes; the terminal scene follows it.",
)
@click.option(
    "--theme",
    default="onair",
    show_default=True,
    help="Theme name (studio/themes/ or ~/.config/studio/themes/).",
)
@click.option(
    "--idle",
    "idle_seconds",
    type=click.FloatRange(min=0),
    default=60.0,
    show_default=True,
    help="Seconds of quiet terminal and chat before the filler takes the air (0: never).",
)
@click.option(
    "--colours",
    type=click.Choice(["truecolor", "256", "auto"]),
    default="truecolor",
    show_default=True,
    help="Colour depth. The on-air xterm draws 24-bit colour but does not advertise it.",
)
@click.option("--name", default="", help="The agent's name, on the opening card.")
@click.option("--title", default="", help="The stream's title or hook, on the opening card.")
@click.option(
    "--platform",
    "platforms",
    multiple=True,
    help="Where the stream can be watched (retake, clawcast, basefm); repeatable.",
)
@click.option("--link", default="", help="The stream's link: shown, and drawn as a QR code.")
@click.option(
    "--await-secrets",
    is_flag=True,
    help="Show none of --log until the studio has sent the secrets' fingerprints "
    "(set by `studio golive`).",
)
def run_cmd(
    socket_path: Path | None,
    log_path: Path,
    theme: str,
    idle_seconds: float,
    colours: str,
    name: str,
    title: str,
    platforms: tuple[str, ...],
    link: str,
    await_secrets: bool,
) -> None:
    """Run the kiosk in this terminal (the one the virtual display captures).

    The opening card (--name, --title, --platform, --link) is on air until the agent
    writes its first line."""
    # The kiosk fills its own terminal: a COLUMNS or LINES inherited from whoever started
    # it (a shell, a test runner) would win over the terminal's real size in Textual.
    for variable in ("COLUMNS", "LINES"):
        os.environ.pop(variable, None)
    # Textual reads these once, when it is first imported (below).
    if colours != "auto":
        os.environ["TEXTUAL_COLOR_SYSTEM"] = colours
    os.environ.setdefault("TEXTUAL_FPS", str(CAPTURE_FPS))  # no redraw the capture cannot see
    from studio.kiosk.app import run
    from studio.kiosk.config import KioskConfig
    from studio.kiosk.on_air_state import Storefront

    storefront = Storefront(name=name, title=title, platforms=platforms, link=link)
    config = KioskConfig(
        log_path=log_path,
        theme=theme,
        idle_seconds=idle_seconds,
        storefront=storefront,
        await_secrets=await_secrets,
    )
    if socket_path is not None:
        config.socket_path = socket_path
    run(config)


def _send(ctx: click.Context, command: BaseModel) -> None:
    reply = asyncio.run(request(command, ctx.obj))
    if not reply.ok:
        raise StudioError(f"The kiosk refused the command: {reply.error}")
    click.echo("ok")


@kiosk.group("send")
@click.option("--socket", "socket_path", type=click.Path(path_type=Path), help=SOCKET_HELP)
@click.pass_context
def send(ctx: click.Context, socket_path: Path | None) -> None:
    """Send one command to a running kiosk."""
    ctx.obj = socket_path


@send.command("scene")
@click.argument("name", type=click.Choice(SCENES))
@click.pass_context
def send_scene(ctx: click.Context, name: str) -> None:
    """Switch the scene on air."""
    _send(ctx, SwitchScene(scene=name))  # type: ignore[arg-type]


def _slides_from(data: Any) -> list[Any]:
    if isinstance(data, list):
        return data
    if isinstance(data, dict) and isinstance(data.get("slides"), list):
        return data["slides"]
    return [data]


@send.command("slide")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--loop", is_flag=True, help="Start again after the last slide.")
@click.option("--no-show", is_flag=True, help="Load the slides without switching to them.")
@click.pass_context
def send_slide(ctx: click.Context, file: Path, loop: bool, no_show: bool) -> None:
    """Push FILE: one slide, a list of slides, or a booking/batch body with "slides"."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StudioError(f"{file} is not readable JSON ({exc}).", fix="Check the file.") from None
    command = decode(
        json.dumps(
            {"cmd": "slides", "slides": _slides_from(data), "loop": loop, "show": not no_show}
        )
    )
    _send(ctx, command)


@send.command("message")
@click.argument("text")
@click.option("--seconds", type=click.FloatRange(min=0.1), help="Take it down after this long.")
@click.pass_context
def send_message(ctx: click.Context, text: str, seconds: float | None) -> None:
    """Show TEXT in a banner (an empty TEXT takes the banner down)."""
    _send(ctx, ShowMessage(text=text, seconds=seconds))


@send.command("poll-results")
@click.argument("counts", nargs=-1, type=click.IntRange(min=0), required=True)
@click.pass_context
def send_poll_results(ctx: click.Context, counts: tuple[int, ...]) -> None:
    """Vote counts for the poll on air, in option order (e.g. 12 30 4)."""
    _send(ctx, PollResults(results=list(counts)))


@send.command("chat")
@click.argument("author")
@click.argument("text")
@click.option("--first-time", is_flag=True, help="Mark the author as a first-time viewer.")
@click.pass_context
def send_chat(ctx: click.Context, author: str, text: str, first_time: bool) -> None:
    """Add a chat message to the overlay."""
    _send(ctx, ChatMessage(author=author, text=text, first_time=first_time))


@send.command("alert")
@click.argument("kind", type=click.Choice(["tip", "trade", "follow"]))
@click.argument("who")
@click.option("--amount", help='For tips and trades, e.g. "5 SOL".')
@click.option("--detail", help="One more line of context.")
@click.pass_context
def send_alert(
    ctx: click.Context, kind: str, who: str, amount: str | None, detail: str | None
) -> None:
    """Announce a tip, a trade or a new follower."""
    _send(ctx, Alert(kind=kind, who=who, amount=amount, detail=detail))  # type: ignore[arg-type]


@send.command("ticker")
@click.option("--live/--off-air", default=None)
@click.option("--name")
@click.option("--viewers", type=click.IntRange(min=0))
@click.option(
    "--uptime", "uptime_seconds", type=click.FloatRange(min=0), help="Seconds on air so far."
)
@click.option("--token", "token_ticker", help="Token ticker, e.g. AGX.")
@click.option("--market-cap", type=click.FloatRange(min=0))
@click.pass_context
def send_ticker(ctx: click.Context, **fields: Any) -> None:
    """Update the ticker; options left out keep their values."""
    _send(ctx, TickerUpdate(**{k: v for k, v in fields.items() if v is not None}))


@send.command("quit")
@click.pass_context
def send_quit(ctx: click.Context) -> None:
    """Close the kiosk."""
    _send(ctx, Quit())


@kiosk.command("screen")
@click.option("--socket", "socket_path", type=click.Path(path_type=Path), help=SOCKET_HELP)
def screen_cmd(socket_path: Path | None) -> None:
    """Print what is on air now as plain text (what ClawCast's frames mirror)."""
    reply = asyncio.run(request(ScreenRequest(), socket_path))
    if not reply.ok:
        raise StudioError(f"The kiosk did not show its picture: {reply.error}")
    click.echo(reply.screen or "", nl=False)
