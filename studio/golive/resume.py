"""A studio that crashed or was killed left its session open: offer to resume or stop it.

First, whatever the dead studio's own processes left running (an FFmpeg still pushing
to the old Mux key, say: the parent-death signal covers almost every case, but not a
studio whose children were started from a thread that is still alive elsewhere) is
ended, each one only if its pid, start time and command still match the journal's
record: a pid the system gave to another program since is never touched.

Resuming reuses the journal's session and recovers each platform's session from what
was kept (the baseFM session token, the ClawCast slot JWT; retake.tv gets fresh keys
and a new stream/start, as its crash procedure says). Stopping ends every platform
session that can still be ended and closes the journal's session.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from studio.children import end_leftover
from studio.config import Paths, PlatformUrls
from studio.errors import Problem, StudioError, ValidationFailed
from studio.events import EventBus
from studio.golive.events import Notice
from studio.golive.operator import Need, Operator
from studio.journal import Journal, SessionRecord


def _studio_alive(pid: int | None) -> bool:
    if not pid or pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True
    # empty while the process is between two execs: when in doubt, leave it alone
    return not cmdline or b"studio" in cmdline


def _choice(value: str) -> str:
    answer = value.strip().lower()
    if answer in ("resume", "r", "yes", "y"):
        return "resume"
    if answer in ("stop", "s", "no", "n"):
        return "stop"
    raise ValidationFailed([Problem("open_session", "answer resume or stop")])


async def settle_open_sessions(
    plan: Any,
    *,
    bus: EventBus,
    operator: Operator,
    paths: Paths | None = None,
    urls: PlatformUrls | None = None,
    transport: Any = None,
) -> int | None:
    """The journal session to resume, or None to start a new one."""
    paths = paths or Paths.from_env()
    journal = Journal(paths.journal)
    try:
        sessions = journal.open_sessions()
        running = [s for s in sessions if _studio_alive(s.pid)]
        if running:
            s = running[-1]
            raise StudioError(
                f"another studio is live (session {s.id}, process {s.pid})",
                fix=f"Stop it first (kill -INT {s.pid}), or wait for it to end.",
            )
        if not sessions:
            return None
        for record in sessions:
            ended = await end_leftovers(journal, record.id)
            if ended:
                bus.publish(
                    Notice(
                        platform="studio",
                        level="warning",
                        text=f"ended what session {record.id} left running: {', '.join(ended)}",
                    )
                )
        *older, latest = sessions
        for record in older:
            journal.close_session(record.id, status="abandoned")
        decision: str
        if plan.resume is not None:
            decision = "resume" if plan.resume else "stop"
        else:
            decision = await operator.answer(
                Need(
                    platform="studio",
                    need="open_session",
                    prompt=(
                        f"A studio that stopped unexpectedly left session {latest.id} open "
                        f"({', '.join(latest.platforms)}). Resume it, or stop it? [resume/stop]"
                    ),
                    validate=_choice,
                    data={"session_id": latest.id, "platforms": latest.platforms},
                    flags="--resume or --stop-open",
                )
            )
        if decision == "resume":
            bus.publish(Notice(platform="studio", text=f"resuming session {latest.id}"))
            return latest.id
        summary = await stop_platform_sessions(latest, paths=paths, urls=urls, transport=transport)
        journal.close_session(latest.id, status="stopped after a crash", summary=summary)
        bus.publish(Notice(platform="studio", text=f"session {latest.id} stopped: {summary}"))
        return None
    finally:
        journal.close()


async def end_leftovers(journal: Journal, session_id: int) -> list[str]:
    """End the processes of ``session_id`` that outlived their studio; their names."""
    ended: list[str] = []
    for name, identity in journal.children_of(session_id):
        if await asyncio.to_thread(end_leftover, identity):
            ended.append(f"{name} (pid {identity.pid})")
    return ended


async def stop_platform_sessions(
    record: SessionRecord, *, paths: Paths, urls: PlatformUrls | None = None, transport: Any = None
) -> dict[str, Any]:
    """End whatever the crashed session left running on each platform."""
    from studio.session_store import SessionStore

    urls = urls or PlatformUrls.from_env()
    store = SessionStore(paths.sessions_file)
    summary: dict[str, Any] = {}
    if "retake" in record.platforms:
        from studio.platforms.retake import RetakeClient
        from studio.platforms.retake_credentials import load_credentials

        creds = load_credentials(paths)
        if creds is not None and creds.access_token is not None:
            try:
                token = creds.token_for(urls.retake)
            except StudioError as exc:
                summary["retake"] = f"not ended: {exc.message}"
            else:
                async with RetakeClient(
                    urls.retake, access_token=token, transport=transport
                ) as client:
                    summary["retake"] = await _attempt(client.stream_stop())
    if "basefm" in record.platforms:
        from studio.platforms.basefm import BasefmClient

        async with BasefmClient(urls.basefm, transport=transport, store=store) as basefm:
            summary["basefm"] = await _attempt(basefm.end_session())
    if "clawcast" in record.platforms:
        from studio.platforms.clawcast import ClawcastClient

        async with ClawcastClient(urls.clawcast, transport=transport, store=store) as clawcast:
            if clawcast.load_slot() is not None:
                summary["clawcast"] = await _attempt(clawcast.end_slot())
    return summary


async def _attempt(call: Any) -> str:
    try:
        reply = await call
    except StudioError as exc:
        return f"not ended: {exc.message}"
    return "ended" if reply is not None else "nothing to end"
