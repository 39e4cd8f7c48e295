"""``studio golive``: go live on retake.tv, baseFM and ClawCast at once."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any

import click

from studio.errors import Problem, ValidationFailed


@click.command()
@click.option(
    "--headless", is_flag=True, help="One JSON event per line; human steps via stdin or flags."
)
@click.option(
    "--retake", is_flag=True, help="Go live on retake.tv (the default when no platform is chosen)."
)
@click.option("--basefm", is_flag=True, help="Go live on baseFM (needs --basefm-wallet).")
@click.option(
    "--clawcast", is_flag=True, help="Book a ClawCast slot and mirror the terminal to it."
)
@click.option(
    "--duration", type=float, help="Seconds on air, then a clean stop (default: until Ctrl-C)."
)
@click.option(
    "--rtmp",
    "rtmp",
    multiple=True,
    help="An extra RTMP destination (rtmp://host/app/key); repeatable.",
)
@click.option(
    "--log",
    "log",
    type=click.Path(path_type=Path),
    default=Path("/tmp/stream.log"),
    show_default=True,
    help="The file the agent writes; shown on air.",
)
@click.option("--opening", "opening_message", help="The first chat message once live.")
@click.option(
    "--thumbnail-every",
    type=float,
    default=180.0,
    show_default=True,
    help="Seconds between thumbnails (120-300).",
)
@click.option(
    "--title", help="The stream's title or hook (100 characters at most): opening card, thumbnails."
)
@click.option(
    "--grid",
    default="160x45",
    show_default=True,
    help="On-air grid: 160x45, 128x36 or 90x25 (bigger text, for phones).",
)
@click.option("--tweet-url", help="The verification tweet, if retake.tv asks for one.")
@click.option("--tx-hash", help="The $5 USDC payment's transaction hash, if baseFM asks for one.")
@click.option(
    "--basefm-wallet", envvar="BASEFM_WALLET", help="The DJ's wallet on Base (0x + 40 hex)."
)
@click.option("--basefm-name", help="The DJ name on baseFM.")
@click.option("--basefm-city", help="City shown on baseFM (80 characters at most).")
@click.option("--clawcast-name", help="ClawCast streamer name (default: the retake.tv agent name).")
@click.option("--clawcast-url", help="Link shown on ClawCast (default: the retake.tv stream URL).")
@click.option(
    "--clawcast-minutes", type=int, default=1, show_default=True, help="Slot length, 1-3."
)
@click.option(
    "--slides",
    "slides_file",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="A ClawCast playlist (JSON) to book with the slot instead of mirroring the terminal.",
)
@click.option("--no-kiosk", is_flag=True, help="Show a plain tail of --log instead of the kiosk.")
@click.option(
    "--x264",
    type=click.Choice(["terminal", "seed"]),
    default="terminal",
    show_default=True,
    help="Encoder settings: tuned for terminal content, or the seed's (preset veryfast).",
)
@click.option(
    "--all-or-nothing",
    is_flag=True,
    help="End everything when one platform fails to get ready or live "
    "(by default that platform is dropped and the others go on).",
)
@click.option(
    "--music",
    type=click.Path(path_type=Path),
    help="Play an audio file, or a folder's audio files in name order, on air (a DJ set).",
)
@click.option("--loop", is_flag=True, help="Play --music again and again until the end.")
@click.option("--tip-sound", type=click.Path(path_type=Path), help="A short sound played on a tip.")
@click.option(
    "--follow-sound", type=click.Path(path_type=Path), help="A short sound played on a follow."
)
@click.option("--voice", help="The espeak-ng voice `studio say` speaks with (default en-us).")
@click.option(
    "--voice-model",
    type=click.Path(path_type=Path),
    help="Speak with piper and this voice model (.onnx) instead of espeak-ng.",
)
@click.option("--no-captions", is_flag=True, help="Do not caption speech on the kiosk.")
@click.option(
    "--notify-command",
    envvar="STUDIO_NOTIFY_COMMAND",
    help="Program that gets each message for your builder on its standard input; split "
    "like a shell command line (quotes group words) but run without a shell.",
)
@click.option(
    "--heartbeat-hours",
    type=float,
    default=4.0,
    show_default=True,
    help="Hours between heartbeat summaries to your builder (4 or more).",
)
@click.option(
    "--low-viewers",
    type=int,
    default=3,
    show_default=True,
    help="Remind your builder to share the link when retake.tv viewers stay below this.",
)
@click.option(
    "--large-tip", type=float, default=10.0, show_default=True, help="A tip this large is news."
)
@click.option(
    "--quiet-after",
    type=float,
    default=120.0,
    show_default=True,
    help="Seconds of quiet chat before the agent is told (a chat.quiet event).",
)
@click.option(
    "--dead-air-lines",
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="A file of chat lines (one per line) the studio sends in turn when chat is quiet.",
)
@click.option(
    "--dead-air-every",
    type=float,
    default=300.0,
    show_default=True,
    help="At most one --dead-air-lines line this often, in seconds (60 or more).",
)
@click.option(
    "--resume/--stop-open",
    "resume",
    default=None,
    help="What to do with a session a crashed studio left open (default: ask).",
)
@click.option(
    "--detach",
    is_flag=True,
    help="Run the broadcast as a background service (no terminal); return once it listens.",
)
@click.option("--service-plan", type=click.Path(path_type=Path), hidden=True)
def golive(**options: Any) -> None:
    """Go live: credentials, verification, fresh keys, one encode to every platform,
    confirmation, thumbnail, chat, and a clean stop at the end, on Ctrl-C or `studio stop`.

    The broadcast is a service with a control API: the console, `studio events`,
    `studio chat send`, `studio stop` and the other verbs attach to it. In a terminal it
    runs in this process (closing the terminal does not end it); with --detach it runs
    in the background, its output in golive.log in the studio's state folder."""
    from studio.golive.plan import Plan
    from studio.validation import check
    from studio.validation.playlist_file import playlist_slides

    service_plan = options.pop("service_plan")
    detach = options.pop("detach")
    if service_plan is not None:
        from studio.control.service import read_plan

        plan = read_plan(service_plan)
        service_plan.unlink(missing_ok=True)
        sys.exit(asyncio.run(_service(plan)))
    slides_file = options.pop("slides_file")
    options["kiosk"] = not options.pop("no_kiosk")
    options["captions"] = not options.pop("no_captions")
    if options["opening_message"] is None:
        options.pop("opening_message")
    options["rtmp"] = list(options["rtmp"])
    try:
        if slides_file is not None:  # read and checked as the console's Go live form does
            options["slides"] = playlist_slides(slides_file, field="slides")
        plan = check(
            Plan, {k: v for k, v in options.items() if v is not None}, what="go-live options"
        )
        if problems := plan.problems():
            raise ValidationFailed(problems, what="go-live options")
        if detach and plan.headless:
            raise ValidationFailed(
                [
                    Problem(
                        "detach", "cannot be combined with --headless (attach with `studio events`)"
                    )
                ],
                what="go-live options",
            )
    except ValidationFailed as exc:
        raise ValidationFailed(
            [Problem(_flag(p.field), p.rule) for p in exc.problems], what="go-live options"
        ) from None
    if detach:
        _detach(plan)
        return
    code = asyncio.run(_foreground(plan))
    sys.exit(code)


def _flag(field: str) -> str:
    """``basefm_city`` → ``--basefm-city``: name the option the operator typed."""
    head, dot, rest = field.partition(".")
    head, bracket, index = head.partition("[")
    return "--" + head.replace("_", "-") + bracket + index + dot + rest


def _detach(plan: Any) -> None:
    from studio.control.service import spawn_detached

    info = spawn_detached(plan)
    click.echo(f"broadcast service started: pid {info.pid}")
    click.echo(f"  control socket: {info.socket}")
    click.echo(f"  log: {info.log}")
    click.echo("  follow it with `studio events` (or `studio console`); end it with `studio stop`.")


async def _service(plan: Any) -> int:
    """The detached service itself: no terminal, its output in the log file."""
    from studio.config import Paths
    from studio.control.service import log_path, serve
    from studio.golive.human_output import HumanOutput

    async def on_ready(server: Any) -> None:
        server.runtime.bus.add_listener(HumanOutput())

    outcome = await serve(plan, log_file=log_path(Paths.from_env()), on_ready=on_ready)
    click.echo(f"Session {outcome.session_id} ended: {outcome.reason}")
    return exit_code(outcome)


async def _foreground(plan: Any) -> int:
    """Run the service in this process and attach to it as a client that prints every
    event (JSON lines with --headless) and forwards standard input as answers."""
    from studio.cli.attach import follow
    from studio.control.client import ControlClient
    from studio.control.service import serve

    attached: list[asyncio.Task[None]] = []

    async def on_ready(server: Any) -> None:
        name = "golive --headless" if plan.headless else "golive"
        client = await ControlClient.connect(server.socket_path, client=name)
        attached.append(asyncio.create_task(follow(client, json_lines=plan.headless, stdin=True)))

    outcome = await serve(plan, on_ready=on_ready)
    if attached:
        done, _ = await asyncio.wait(attached, timeout=10)
        if not done:
            attached[0].cancel()
    if not plan.headless:
        verdict = (
            "ended cleanly"
            if outcome.ok
            else "ended with some platforms failed"
            if outcome.partial
            else "ended with errors"
        )
        click.echo(f"\nSession {outcome.session_id} {verdict}: {outcome.reason}")
        for platform, why in outcome.failed_legs.items():
            click.echo(f"  ✗ {platform}: {why}", err=True)
        for error in outcome.errors:
            click.echo(f"  ✗ {error}", err=True)
    return exit_code(outcome)


EXIT_PARTIAL = 3
"""Some platforms failed and ended alone while the others stayed on air to the end."""


def exit_code(outcome: Any) -> int:
    """0 when everything went as planned, ``EXIT_PARTIAL`` when some platforms failed
    alone while others stayed on air, 1 otherwise."""
    if outcome.ok:
        return 0
    return EXIT_PARTIAL if outcome.partial and not outcome.errors else 1
