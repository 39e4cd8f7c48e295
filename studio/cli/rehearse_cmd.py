"""``studio rehearse``: go live on all three platforms against the local sandbox.

Nothing leaves the machine: the sandbox of retake.tv, ClawCast and baseFM and a real
RTMP receiver (nginx) run on loopback. The rehearsal has its own credentials and state
folder, so it never touches (or sends) the real ones. It walks through registration,
verification and payment as the platforms would, goes live with a demo agent and a
simulated audience, and ends by showing the recordings the receiver wrote.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import platformdirs

from studio.errors import StudioError
from studio.secure_file import private_dir

REHEARSAL_TWEET = "https://x.com/rehearsal_human/status/1790000000000000000"
REHEARSAL_TX = "0x" + "5eed" * 16
REHEARSAL_WALLET = "0x" + "5eed" * 10
REHEARSAL_SOLANA = "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV"


@click.command()
@click.option(
    "--duration",
    type=click.FloatRange(5, 3600),
    default=60.0,
    show_default=True,
    help="Seconds on air before the clean stop (Ctrl-C stops earlier).",
)
@click.option(
    "--platforms",
    default="retake,basefm,clawcast",
    show_default=True,
    help="Comma-separated: retake, basefm, clawcast.",
)
@click.option(
    "--auto/--ask",
    "auto",
    default=None,
    help="Answer the human steps with rehearsal values, or ask you (default: ask at a terminal).",
)
@click.option(
    "--dir",
    "folder",
    type=click.Path(path_type=Path, file_okay=False),
    default=lambda: Path(platformdirs.user_state_dir("studio", appauthor=False)) / "rehearsal",
    show_default="the studio's state folder/rehearsal",
    help="Where the rehearsal keeps its files.",
)
def rehearse(duration: float, platforms: str, auto: bool | None, folder: Path) -> None:
    """Rehearse going live on retake.tv, baseFM and ClawCast, all on this machine."""
    chosen = {p.strip() for p in platforms.split(",") if p.strip()}
    unknown = chosen - {"retake", "basefm", "clawcast"}
    if unknown or not chosen:
        raise click.BadParameter(
            f"unknown platform(s): {', '.join(sorted(unknown)) or '(none)'}",
            param_hint="--platforms",
        )
    if auto is None:
        auto = not sys.stdin.isatty()
    sys.exit(asyncio.run(_rehearse(duration, chosen, auto, folder)))


def _isolate(folder: Path) -> None:
    """The rehearsal's own credentials and state; a real token is never sent to it."""
    private_dir(folder)
    os.environ["STUDIO_RETAKE_CREDENTIALS"] = str(folder / "retake-credentials.json")
    os.environ["STUDIO_STATE_DIR"] = str(folder / "state")
    os.environ.pop("RETAKE_ACCESS_TOKEN", None)
    os.environ.pop("CLAWCAST_API_KEY", None)


async def _register(origin: str, paths: Any, auto: bool) -> None:
    from studio.config import same_origin
    from studio.platforms.retake import RetakeClient
    from studio.platforms.retake_credentials import (
        credentials_from_registration,
        load_credentials,
        save_credentials,
    )

    before = load_credentials(paths)
    if before is not None and same_origin(before.issued_by, origin):
        click.echo("✓ retake: using the rehearsal agent registered before")
        return
    # A token issued by an earlier rehearsal's sandbox is never sent to this one.
    click.echo("retake.tv: first, register the agent (run once; the credentials persist).")
    answers = {
        "agent_name": "rehearsal_bot",
        "agent_description": "An AI agent rehearsing its stream in the studio",
        "image_url": "https://i.imgur.com/rehearsal.png",
        "wallet_address": REHEARSAL_SOLANA,
        "ticker": "REHRS",
    }
    if not auto:
        for field in answers:
            answers[field] = click.prompt(f"  {field}", default=answers[field])
    async with RetakeClient(origin) as client:
        reply = await client.register(answers)
    creds = credentials_from_registration(
        reply, agent_name=answers["agent_name"], ticker=answers["ticker"], origin=origin
    )
    path = save_credentials(paths, creds)
    click.echo(f"✓ retake: registered {answers['agent_name']}; credentials saved (0600) in {path}")


async def _rehearse(duration: float, chosen: set[str], auto: bool, folder: Path) -> int:
    from studio.cli.attach import follow
    from studio.config import Paths
    from studio.control.client import ControlClient
    from studio.control.service import serve
    from studio.golive.plan import Plan
    from studio.golive.rehearsal_cast import agent_writer, audience
    from studio.platforms.retake_credentials import load_credentials
    from studio.sandbox.rehearsal import rehearsal_world

    _isolate(folder)
    paths = Paths.from_env()
    log = folder / "stream.log"
    log.write_text("")
    with rehearsal_world(folder / "recordings") as world:
        os.environ.update(world.env())
        click.echo(
            f"sandbox: retake.tv, ClawCast and baseFM on {world.origin}; RTMP receiver on "
            f"{world.receiver.base_url}, recording to {world.receiver.record_dir}"
        )
        try:
            if "retake" in chosen:
                await _register(world.origin, paths, auto)
        except StudioError as exc:
            click.secho(f"error: {exc}", fg="red", err=True)
            return 1
        creds = load_credentials(paths)
        if auto:
            click.echo("(rehearsal: the human steps are answered with rehearsal values)")
        else:
            click.echo(
                "(rehearsal: when asked, any x.com status URL and any 0x + 64 hex txHash is accepted,"
                f" e.g. {REHEARSAL_TWEET} and {REHEARSAL_TX})"
            )
        plan = Plan(
            retake="retake" in chosen,
            basefm="basefm" in chosen,
            clawcast="clawcast" in chosen,
            duration=duration,
            log=log,
            basefm_wallet=REHEARSAL_WALLET if "basefm" in chosen else None,
            basefm_name="Rehearsal DJ",
            clawcast_name=None if "retake" in chosen else "rehearsal_bot",
            clawcast_url=None if "retake" in chosen else "https://github.com/",
            tweet_url=REHEARSAL_TWEET if auto else None,
            tx_hash=REHEARSAL_TX if auto else None,
        )
        cast: list[asyncio.Task[None]] = []
        screenshot = folder / "on-air.jpg"
        attached: list[asyncio.Task[None]] = []

        async def on_ready(server: Any) -> None:
            runtime = server.runtime

            def on_event(event: Any) -> None:
                if event.kind == "golive.live" and not cast:
                    loop = asyncio.get_running_loop()
                    cast.append(loop.create_task(agent_writer(log)))
                    if creds is not None and creds.user_db_id:
                        cast.append(loop.create_task(audience(world.origin, creds.user_db_id)))
                    cast.append(loop.create_task(_screenshot_later(runtime, screenshot)))

            runtime.bus.add_listener(on_event)
            client = await ControlClient.connect(server.socket_path, client="rehearse")
            attached.append(asyncio.create_task(follow(client, json_lines=False, stdin=not auto)))

        try:
            outcome = await serve(plan, paths=paths, urls=world.urls, on_ready=on_ready)
        finally:
            for task in cast:
                task.cancel()
        if attached:
            await asyncio.wait(attached, timeout=10)
        _report(world, outcome, screenshot, paths)
        return 0 if outcome.ok else 1


async def _screenshot_later(runtime: Any, path: Path, delay: float = 8.0) -> None:
    await asyncio.sleep(delay)
    golive = runtime.golive
    pipeline = golive.pipeline if golive is not None else None
    if pipeline is not None and hasattr(pipeline, "thumbnail_jpeg"):
        try:  # the display itself, without the thumbnails' title band
            image = await pipeline.thumbnail_jpeg()
            await asyncio.to_thread(path.write_bytes, image)
        except StudioError:
            pass


def _probe(path: Path) -> str:
    try:
        out = subprocess.run(
            [
                "ffprobe",
                "-v",
                "error",
                "-show_entries",
                "stream=codec_name,width,height,pix_fmt,r_frame_rate,channels,sample_rate:format=duration",
                "-of",
                "json",
                str(path),
            ],
            capture_output=True,
            text=True,
            timeout=20,
            check=True,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return "unreadable"
    info = json.loads(out)
    parts = []
    for s in info.get("streams", []):
        if s.get("width"):
            parts.append(
                f"{s['codec_name']} {s['width']}x{s['height']} {s.get('pix_fmt')} {s.get('r_frame_rate')} fps"
            )
        else:
            parts.append(f"{s['codec_name']} {s.get('channels')} ch {s.get('sample_rate')} Hz")
    duration = float(info.get("format", {}).get("duration", 0) or 0)
    return f"{duration:5.1f} s  " + ", ".join(parts)


def _without_key(path: Path) -> Path:
    """nginx names a recording after its stream key; the key must not reach the screen."""
    from studio.redaction import redact

    name = redact(path.name)
    if name == path.name:
        return path
    clean = path.with_name(name.replace("[REDACTED]", path.parent.name))
    path.rename(clean)
    return clean


def _report(world: Any, outcome: Any, screenshot: Path, paths: Any) -> None:
    from studio.journal import Journal

    click.echo("")
    click.echo(
        f"Rehearsal {'ended cleanly' if outcome.ok else 'ended with errors'}: {outcome.reason}"
    )
    for error in outcome.errors:
        click.secho(f"  ✗ {error}", fg="red")
    click.echo("Recordings written by the RTMP receiver:")
    files = [_without_key(path) for path in world.receiver.recordings()]
    for path in sorted(files):
        click.echo(f"  {path}  {_probe(path)}")
    if not files:
        click.echo("  (none)")
    if outcome.session_id is not None:
        journal = Journal(paths.journal)
        lines = journal.transcript_of(outcome.session_id)
        kinds: dict[str, int] = {}
        for line in lines:
            kinds[line["kind"]] = kinds.get(line["kind"], 0) + 1
        click.echo(
            f"Journal {paths.journal}: session {outcome.session_id}, transcript {kinds or 'empty'}"
        )
    if screenshot.exists():
        click.echo(f"What viewers saw (a screenshot of the virtual display): {screenshot}")
