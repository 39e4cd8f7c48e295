"""Following a running broadcast at a terminal or in a pipe: ``studio golive`` in the
foreground, ``--headless`` and ``studio events`` are all this loop over a
``ControlClient``.

Events are printed off the event loop, so a terminal or pipe that blocks holds up
only this client (the server then drops its backlog and resyncs it), never the
broadcast. A terminal that goes away (EIO, a closed pipe) ends the printing, not the
show. Lines on standard input answer the newest operator step: a bare value, or
``{"need": "tx_hash", "value": "0x…"}`` (the need or the step's id). A reader that
falls behind (2,000 events unread) gets one line ``{"event": "control.resync",
"dropped": n, "seq": …}`` in place of what it missed (with ``studio events``' snapshot
option, the fresh snapshot instead). A line
``{"command": "say", "args": {"text": "…"}}`` is any control API command instead
(``say``, ``music``, ``volume``, ``mute``, ``chat.send``, …); a refusal is reported on
standard error.
"""

from __future__ import annotations

import asyncio
import json
import sys
import threading
from typing import Any

from studio.control.client import ControlClient, parse_event
from studio.control.state import BroadcastState
from studio.errors import StudioError


def _write(text: str) -> None:
    sys.stdout.write(text)
    sys.stdout.flush()


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


class Pending:
    """The operator steps waiting now, newest last: the broadcast's own fold
    (``BroadcastState``) of the snapshot and the events."""

    def __init__(self, snapshot: dict[str, Any]) -> None:
        self.state = BroadcastState.from_snapshot(snapshot)

    def reset(self, snapshot: dict[str, Any]) -> None:
        self.state = BroadcastState.from_snapshot(snapshot)

    def apply(self, event: dict[str, Any]) -> None:
        typed = parse_event(event)
        if typed is not None:
            self.state.apply(typed)

    def target(self, line: str) -> tuple[str | None, str]:
        """Which step a line answers, and the value."""
        text = line.strip()
        if text.startswith("{"):
            try:
                payload = json.loads(text)
            except ValueError:
                payload = None
            if isinstance(payload, dict) and "value" in payload:
                need = payload.get("need") or payload.get("id")
                return (str(need) if need else self.newest), str(payload["value"])
        return self.newest, text

    @property
    def newest(self) -> str | None:
        """The id of the step asked last (the ``answer`` command names steps by id)."""
        return next((s.id for s in reversed(self.state.pending.values()) if s.id), None)


def command_of(line: str) -> tuple[str, dict[str, Any]] | None:
    """``{"command": NAME, "args": {…}}`` on a line: the command and its arguments."""
    text = line.strip()
    if not text.startswith("{"):
        return None
    try:
        payload = json.loads(text)
    except ValueError:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("command"), str):
        return None
    args = payload.get("args") or {}
    return (payload["command"], args) if isinstance(args, dict) else None


def _stdin_lines(loop: asyncio.AbstractEventLoop, queue: asyncio.Queue[str | None]) -> None:
    """Read standard input on a daemon thread (it never holds up the process's exit)."""

    def run() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=run, name="stdin-answers", daemon=True).start()


async def follow(
    client: ControlClient,
    *,
    json_lines: bool,
    stdin: bool = False,
    snapshot_first: bool = False,
) -> None:
    """Print every message until the broadcast says goodbye or the connection closes."""
    from studio.golive.human_output import HumanOutput

    human = None if json_lines else HumanOutput()
    pending = Pending(client.snapshot)
    answers: asyncio.Task[None] | None = None
    if stdin:
        answers = asyncio.create_task(_forward_answers(client, pending))
    alive = True

    async def show(text: str) -> None:
        nonlocal alive
        if not alive:
            return
        try:
            await asyncio.to_thread(_write, text)
        except (OSError, ValueError):  # the terminal is gone: stop printing, keep the show
            alive = False

    try:
        if snapshot_first:
            await show(_json({"event": "snapshot", "seq": client.seq, **client.snapshot}) + "\n")
        async for message in client.messages():
            op = message.get("op")
            if op == "event":
                event = message["event"]
                pending.apply(event)
                if human is None:
                    await show(_json(event) + "\n")
                elif alive:
                    try:
                        await asyncio.to_thread(human, event)
                    except (OSError, ValueError):
                        alive = False
            elif op == "resync":
                pending.reset(message.get("snapshot") or {})
                if json_lines:  # what was missed is said, never silently skipped
                    seq, dropped = message.get("seq"), message.get("dropped")
                    whole = message.get("snapshot") or {} if snapshot_first else {}
                    kind = "snapshot" if snapshot_first else "control.resync"
                    await show(
                        _json({"event": kind, "seq": seq, "dropped": dropped, **whole}) + "\n"
                    )
            elif op == "bye":
                break
    finally:
        if answers is not None:
            answers.cancel()
        await client.close()


async def _forward_answers(client: ControlClient, pending: Pending) -> None:
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    _stdin_lines(asyncio.get_running_loop(), queue)
    while (line := await queue.get()) is not None:
        if not line.strip():
            continue
        if (command := command_of(line)) is not None:
            try:
                response = await client.request(command[0], **command[1])
            except StudioError:  # the broadcast ended meanwhile
                return
            if not response.ok:
                sys.stderr.write(f"{command[0]}: {response.code} {response.comment}\n")
            continue
        step, value = pending.target(line)
        if step is None:
            sys.stderr.write("no operator step is waiting for an answer; line ignored\n")
            continue
        # a wrong answer comes back as a warning notice and the step asked again
        try:
            await client.request("answer", need=step, value=value)
        except StudioError:  # the broadcast ended meanwhile
            return
    if pending.newest is not None:
        sys.stderr.write(
            f"standard input closed while {pending.newest} waits for an answer: "
            f"answer it with `studio answer {pending.newest} VALUE`\n"
        )
