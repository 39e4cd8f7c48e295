"""Verbs for agents and scripts, every one a client of the running broadcast's API:
``studio status``, ``events``, ``stop``, ``reconnect``, ``answer``, ``chat send``,
``scene``, ``banner``, ``batch``, ``book``, ``vote``, ``poll``, ``duet …``, ``queue`` and ``call``
(any API command by name, with JSON arguments).

Data comes back as JSON on standard output; a refused command prints the studio's
reason (naming the field and the rule) and exits 1.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from studio.errors import Problem, ValidationFailed

T = TypeVar("T")


def run_client(work: Callable[[Any], Awaitable[T]], *, events: list[str] | None = None) -> T:
    """Attach to the running broadcast, do ``work`` with the client, detach."""
    from studio.control.client import ControlClient

    async def main() -> T:
        client = await ControlClient.connect(events=events or [], client="studio cli")
        try:
            return await work(client)
        finally:
            await client.close()

    return asyncio.run(main())


def _print(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, ensure_ascii=False))


def _call(command: str, **args: Any) -> Any:
    return run_client(lambda client: client.call(command, **args))


# -- the broadcast ----------------------------------------------------------------------


@click.command()
@click.option("--json", "as_json", is_flag=True, help="The whole state as JSON.")
def status(as_json: bool) -> None:
    """The running broadcast: state, platforms, destinations, viewers, waiting steps."""
    snapshot = run_client(lambda client: client.status())
    if as_json:
        _print(snapshot)
        return
    service = snapshot.get("service", {})
    click.echo(
        f"broadcast: {snapshot.get('state')} (session {snapshot.get('session_id')}, "
        f"pid {service.get('pid')}, display {snapshot.get('display') or '–'})"
    )
    for name, leg in snapshot.get("legs", {}).items():
        mark = "● live" if leg.get("live") else "○"
        steps = leg.get("steps") or []
        last = f"{steps[-1]['step']} {steps[-1]['state']}" if steps else "–"
        viewers = f", {leg['viewers']} viewers" if leg.get("viewers") is not None else ""
        click.echo(f"  {name}: {mark}{viewers}; last step {last}")
    for name, dest in snapshot.get("destinations", {}).items():
        click.echo(f"  destination {name}: {dest.get('state')} {dest.get('reason') or ''}".rstrip())
    encoder = next(
        (s for name, s in snapshot.get("encoder", {}).items() if not name.startswith("relay:")),
        None,
    )
    if encoder:
        click.echo(
            f"  encoder: {encoder.get('fps')} fps, {encoder.get('bitrate_kbps')} kbit/s, "
            f"speed {encoder.get('speed')}, dropped {encoder.get('drop_frames')}"
        )
    for step in snapshot.get("pending", []):
        click.echo(f"  waiting for you: {step['id']} ({step['platform']} {step['need']})")
        if step["need"] == "cooldown":
            click.echo(f"    {cooldown_line(step.get('data') or {}, time.time())}")
            click.echo(f"    answer with: studio answer {step['id']} retry  (or: give up)")
            continue
        click.echo(f"    answer with: studio answer {step['id']} VALUE")


def cooldown_line(data: dict[str, Any], now: float) -> str:
    """baseFM's 429 as the CLI shows it: the time left, counted from ``now``."""
    until = data.get("until")
    if not isinstance(until, int | float):
        return "baseFM cooldown (429): retried by itself when it ends"
    left = max(0, int(until - now))
    at = time.strftime("%H:%M:%S UTC", time.gmtime(until))
    return (
        f"baseFM cooldown (429): retried by itself in {left // 3600}:{left // 60 % 60:02d}:"
        f"{left % 60:02d} (at {at}); the other platforms stay live"
    )


@click.command()
@click.option(
    "--kinds",
    default="*",
    show_default=True,
    help="Comma-separated event kinds: golive.live, prefixes like chat.*, or *.",
)
@click.option("--no-snapshot", is_flag=True, help="Start with the next event, not the state.")
def events(kinds: str, no_snapshot: bool) -> None:
    """Follow the broadcast as JSON lines: the state first, then every event."""
    from studio.cli.attach import follow
    from studio.control.client import ControlClient

    wanted = [k.strip() for k in kinds.split(",") if k.strip()]

    async def main() -> None:
        client = await ControlClient.connect(events=wanted, client="studio events")
        await follow(client, json_lines=True, snapshot_first=not no_snapshot)

    asyncio.run(main())


@click.command()
@click.option("--reason", default="stopped by the operator", show_default=True)
def stop(reason: str) -> None:
    """End the broadcast cleanly (stream/stop, DELETE, endSlot, then the encoder)."""
    from studio.control.client import ControlClient

    async def work(client: ControlClient) -> str:
        await client.stop(reason)
        async for _ in client.messages():
            pass  # until the service says goodbye
        return client.closed_reason or "the broadcast ended"

    click.echo(run_client(work, events=["golive.ended"]))


@click.command()
def reconnect() -> None:
    """Skip the watchdog's wait: reconnect every destination now."""
    _call("reconnect")
    click.echo("reconnecting now")


@click.command()
@click.argument("need")
@click.argument("value")
def answer(need: str, value: str) -> None:
    """Answer an operator step: NEED is its id (tx_hash-1) or its need (tx_hash, tweet_url)."""
    data = _call("answer", need=need, value=value)
    click.echo(f"answered {data['id']}")


# -- chat and the kiosk --------------------------------------------------------------------


@click.group()
def chat() -> None:
    """Chat from the running broadcast."""


@chat.command("send")
@click.argument("text")
@click.option(
    "--to",
    "to",
    metavar="USER_DB_ID",
    help="Another agent's retake.tv room, by its userDbId (`studio call retake.live`).",
)
@click.option("--clawcast", is_flag=True, help="ClawCast's chat instead of retake.tv.")
def chat_send(text: str, to: str | None, clawcast: bool) -> None:
    """Send TEXT (1-2000 characters; 500 on ClawCast) to your retake.tv chat, another
    agent's room (--to) or ClawCast's chat (--clawcast, as your ClawCast name)."""
    args: dict[str, Any] = {"text": text}
    if to:
        args["to"] = to
    if clawcast:
        args["clawcast"] = True
    run_client(lambda client: client.call("chat.send", **args))
    click.echo("sent")


@click.command()
@click.argument("name", type=click.Choice(["terminal", "slides", "chat", "filler"]))
def scene(name: str) -> None:
    """Switch what viewers see."""
    _call("kiosk.scene", scene=name)
    click.echo(f"on air: {name}")


@click.command()
@click.argument("text")
@click.option("--seconds", type=float, help="Take it down after this many seconds.")
def banner(text: str, seconds: float | None) -> None:
    """Show TEXT across the bottom of the picture ("" takes it down)."""
    _call("kiosk.message", text=text, **({"seconds": seconds} if seconds else {}))
    click.echo("banner shown" if text else "banner removed")


# -- sound ---------------------------------------------------------------------------------


@click.command()
@click.argument("text")
def say(text: str) -> None:
    """Speak TEXT into the live stream (queued after anything still being said)."""
    data = _call("say", text=text)
    click.echo(f"queued: utterance {data['utterance']}")


@click.command()
@click.argument("action", type=click.Choice(["play", "stop", "skip"]))
@click.argument("path", required=False, type=click.Path(path_type=Path))
@click.option("--loop", is_flag=True, help="Play PATH again and again.")
def music(action: str, path: Path | None, loop: bool) -> None:
    """Play PATH (a file, or a folder's audio files) into the stream, skip a track, or stop."""
    args: dict[str, Any] = {"action": action, "loop": loop}
    if path is not None:
        args["path"] = str(path.resolve())  # the service may run elsewhere in the tree
    data = _call("music", **args)
    click.echo(f"playing {data['tracks']} track(s)" if action == "play" else f"music: {action}")


@click.command()
@click.argument("percent", type=int)
@click.option(
    "--target",
    type=click.Choice(["master", "speech", "music", "sound"]),
    default="master",
    show_default=True,
)
def volume(percent: int, target: str) -> None:
    """Set the volume of the whole stream (or one --target) to PERCENT (0-150)."""
    _call("volume", target=target, percent=percent)
    click.echo(f"{target} at {percent} %")


@click.command()
@click.option("--off", is_flag=True, help="Unmute.")
def mute(off: bool) -> None:
    """Mute the stream's sound (the track carries silence); --off to unmute."""
    _call("mute", muted=not off)
    click.echo("unmuted" if off else "muted")


# -- ClawCast ------------------------------------------------------------------------------


@click.command()
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
def batch(file: Path) -> None:
    """Publish a playlist FILE (up to 10 slides) on your live ClawCast slot."""
    from studio.validation.playlist_file import playlist_slides

    _print(_call("clawcast.batch", slides=playlist_slides(file)))


@click.command()
@click.argument("file", type=click.Path(path_type=Path, exists=True, dir_okay=False))
@click.option(
    "--minutes",
    type=click.IntRange(1, 3),
    help="Slot length, 1-3 (default: the file's duration_minutes, else the broadcast's).",
)
def book(file: Path, minutes: int | None) -> None:
    """Book another ClawCast slot that plays the playlist FILE (slides, polls) once the
    broadcast's own slot is over (one slot at a time; `studio clawcast end` ends it early).
    Prints the position in the queue and when it goes on air."""
    from studio.validation.playlist_file import playlist_slides, read_playlist, validate_playlist

    slides = playlist_slides(file)
    minutes = minutes or validate_playlist(read_playlist(file)).booked_minutes
    _print(
        _call("clawcast.book", slides=slides, **({"duration_minutes": minutes} if minutes else {}))
    )


@click.command()
@click.argument("poll_id")
@click.argument("option", type=int)
@click.option("--viewer", "viewer_id", required=True, help="The voter's id.")
def vote(poll_id: str, option: int, viewer_id: str) -> None:
    """Vote for OPTION (0-5, counted from 0) in the ClawCast poll POLL_ID (`studio poll`
    shows the id of the poll on your slot) as the viewer --viewer; one vote a viewer."""
    _print(_call("clawcast.vote", poll_id=poll_id, option_index=option, viewer_id=viewer_id))


@click.command()
def poll() -> None:
    """The live results of the poll on your ClawCast slot."""
    _print(_call("clawcast.poll_results"))


@click.command()
def queue() -> None:
    """ClawCast's now-playing and queue."""
    _print(_call("clawcast.queue"))


@click.group()
def duet() -> None:
    """ClawCast duets: request one, list the open ones, accept, reply as host."""


@duet.command("request")
@click.argument("question")
def duet_request(question: str) -> None:
    """Ask for a duet partner with QUESTION (as your ClawCast name); prints the
    request_id guests accept."""
    _print(_call("clawcast.duet.request", question=question))


@duet.command("list")
def duet_list() -> None:
    """Open duet requests."""
    _print(_call("clawcast.duets"))


@duet.command("accept")
@click.argument("request_id")
@click.argument("answer_text", metavar="ANSWER")
def duet_accept(request_id: str, answer_text: str) -> None:
    """Accept another streamer's open duet REQUEST_ID (`studio duet list`) with your
    ANSWER; prints the pending_id the host replies to."""
    _print(_call("clawcast.duet.accept", request_id=request_id, answer=answer_text))


@duet.command("reply")
@click.argument("request_id")
@click.argument("reply")
def duet_reply(request_id: str, reply: str) -> None:
    """Reply as the host to a duet a guest accepted: REQUEST_ID is the pending_id the
    guest got from accepting. The duet is booked as a slot in ClawCast's queue."""
    _print(_call("clawcast.duet.reply", request_id=request_id, reply=reply))


# -- anything else ---------------------------------------------------------------------------


@click.command()
@click.argument("command", required=False)
@click.argument("args", required=False)
@click.option("--list", "listing", is_flag=True, help="Every command and its arguments.")
def call(command: str | None, args: str | None, listing: bool) -> None:
    """Send any API COMMAND with ARGS as a JSON object, e.g.
    `studio call retake.token '{"address": "..."}'` or `studio call basefm.live`."""
    if listing or command is None:
        from studio.control.commands import describe

        for item in describe():
            fields = ", ".join(item["args"].get("properties", {})) or "no arguments"
            click.echo(f"{item['command']:<24} {item['help']}  ({fields})")
        return
    try:
        parsed = json.loads(args) if args else {}
    except ValueError as exc:
        raise ValidationFailed([Problem("ARGS", f"is not JSON ({exc})")]) from None
    if not isinstance(parsed, dict):
        raise ValidationFailed([Problem("ARGS", "must be a JSON object")])
    _print(_call(command, **parsed))


VERBS: list[click.Command] = [
    status,
    events,
    stop,
    reconnect,
    answer,
    chat,
    scene,
    banner,
    say,
    music,
    volume,
    mute,
    batch,
    book,
    vote,
    poll,
    duet,
    queue,
    call,
]
