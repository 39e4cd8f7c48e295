"""``studio golive``: go live on retake.tv, baseFM and ClawCast at once."""

from __future__ import annotations

import asyncio
import json
import signal
import sys
from pathlib import Path
from typing import Any

import click

from studio.errors import Problem, StudioError, ValidationFailed


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
    "--all-or-nothing",
    is_flag=True,
    help="End everything when one platform fails to get ready or live "
    "(by default that platform is dropped and the others go on).",
)
@click.option(
    "--resume/--stop-open",
    "resume",
    default=None,
    help="What to do with a session a crashed studio left open (default: ask).",
)
def golive(**options: Any) -> None:
    """Go live: credentials, verification, fresh keys, one encode to every platform,
    confirmation, thumbnail, chat, and a clean stop at the end or on Ctrl-C."""
    from studio.golive.plan import Plan
    from studio.validation import check

    slides_file = options.pop("slides_file")
    options["kiosk"] = not options.pop("no_kiosk")
    if options["opening_message"] is None:
        options.pop("opening_message")
    options["rtmp"] = list(options["rtmp"])
    if slides_file is not None:
        options["slides"] = _read_slides(slides_file)
    try:
        plan = check(
            Plan, {k: v for k, v in options.items() if v is not None}, what="go-live options"
        )
        if problems := plan.problems():
            raise ValidationFailed(problems, what="go-live options")
    except ValidationFailed as exc:
        raise ValidationFailed(
            [Problem(_flag(p.field), p.rule) for p in exc.problems], what="go-live options"
        ) from None
    code = asyncio.run(_run(plan))
    sys.exit(code)


def _flag(field: str) -> str:
    """``basefm_city`` → ``--basefm-city``: name the option the operator typed."""
    head, dot, rest = field.partition(".")
    head, bracket, index = head.partition("[")
    return "--" + head.replace("_", "-") + bracket + index + dot + rest


def _read_slides(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text())
    except ValueError as exc:
        raise ValidationFailed([Problem("--slides", f"{path} is not JSON ({exc})")]) from None
    slides = data.get("slides") if isinstance(data, dict) else data
    if not isinstance(slides, list):
        raise ValidationFailed(
            [Problem("--slides", 'needs a JSON array of slides or {"slides": [...]}')]
        )
    return slides


async def _run(plan: Any) -> int:
    from studio.events import EventBus
    from studio.golive.assemble import build, close_kiosk_link, print_json_events
    from studio.golive.human_output import HumanOutput
    from studio.golive.operator import GivenAnswers, LineOperator
    from studio.golive.resume import settle_open_sessions

    bus = EventBus()
    if plan.headless:
        bus.add_listener(print_json_events)
        line_operator = LineOperator(bus)
    else:
        bus.add_listener(HumanOutput())
        line_operator = LineOperator(bus, timeout=3600)
    operator = GivenAnswers(
        {"tweet_url": plan.tweet_url, "tx_hash": plan.tx_hash}, then=line_operator
    )
    try:
        resume_session = await settle_open_sessions(plan, bus=bus, operator=operator)
        golive = build(plan, bus=bus, operator=operator, resume_session=resume_session)
    except StudioError as exc:
        _report(plan, bus, exc)
        return 1
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, golive.request_stop, f"stopped by {signal.Signals(sig).name}")
    # `kill -USR1 <pid>`: reconnect now instead of waiting out the backoff
    loop.add_signal_handler(signal.SIGUSR1, golive.reconnect_now)
    try:
        outcome = await golive.run()
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGUSR1):
            loop.remove_signal_handler(sig)
        await close_kiosk_link(golive)
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


def _report(plan: Any, bus: Any, exc: StudioError) -> None:
    from studio.golive.events import Failed

    if plan.headless:
        bus.publish(Failed(platform="studio", error=exc.message, fix=exc.fix))
    else:
        click.secho(f"error: {exc}", fg="red", err=True)
