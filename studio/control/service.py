"""The broadcast as a service: one go-live behind the control API, owned by no terminal.

``serve`` starts the control server first (so every client, including the one in the
same process, sees every event), then settles a session a crashed studio left open,
builds the go-live and runs it. SIGHUP is ignored (a dropped SSH connection or a
closed console never ends the show); SIGINT and SIGTERM stop it cleanly; SIGUSR1
reconnects now. ``spawn_detached`` starts the same service in a new session (setsid)
with its output in a log file in the state folder, and returns once it listens.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from studio.broadcast.xauth import client_authority
from studio.config import Paths, PlatformUrls
from studio.control.endpoint import (
    ServiceInfo,
    alive,
    choose_socket,
    read_service_file,
    remove_service_file,
    write_service_file,
)
from studio.control.operator import ControlOperator
from studio.control.runtime import Runtime
from studio.control.server import ControlServer
from studio.control.state import BroadcastState
from studio.errors import StudioError
from studio.events import EventBus
from studio.golive.events import Failed, SessionEnded
from studio.golive.operator import GivenAnswers
from studio.golive.sequence import Outcome


class AlreadyRunning(StudioError):
    pass


def check_not_running(paths: Paths) -> None:
    info = read_service_file(paths)
    if info is not None and info.pid != os.getpid() and alive(info.pid):
        raise AlreadyRunning(
            f"a broadcast is already running (pid {info.pid}, socket {info.socket})",
            fix="Attach to it (`studio events`, `studio status`), or end it with `studio stop`.",
        )


async def serve(
    plan: Any,
    *,
    paths: Paths | None = None,
    urls: PlatformUrls | None = None,
    transport: Any = None,
    log_file: Path | None = None,
    on_ready: Callable[[ControlServer], Awaitable[Any]] | None = None,
    build_options: dict[str, Any] | None = None,
    install_signals: bool = True,
) -> Outcome:
    """Run one broadcast behind the control API until it ends."""
    from studio.golive.assemble import build, close_kiosk_link
    from studio.golive.resume import settle_open_sessions

    paths = paths or Paths.from_env()
    urls = urls or PlatformUrls.from_env()
    paths.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(paths.state_dir, 0o700)
    check_not_running(paths)
    bus = EventBus()
    notifier = None
    if plan.notify_command:  # the builder's notifications, to the operator's command
        from studio.golive.notify_command import NotifyCommand, parse_notify_command

        notifier = NotifyCommand(parse_notify_command(plan.notify_command), bus.publish)
        bus.add_listener(notifier)
    operator = ControlOperator(bus)
    socket_path = choose_socket(paths)
    state = BroadcastState()
    runtime = Runtime(bus, operator, state, urls=urls, paths=paths, transport=transport)
    server = ControlServer(runtime, socket_path)
    await server.start()
    info = write_service_file(paths, socket_path, log_file)
    state.service = {
        "pid": info.pid,
        "socket": info.socket,
        "log": info.log,
        "started_at": info.started_at,
        "platforms": plan.platforms + [f"rtmp-{i + 1}" for i in range(len(plan.rtmp))],
        "duration": plan.duration,
        "kiosk": plan.kiosk,
        "agent_log": str(plan.log),
        # where the cookie of the broadcast's display is (a 0600 file in a 0700 folder):
        # the console's Viewer, run by the same user, grabs the on-air frame with it
        "xauthority": str(client_authority()),
    }
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    if install_signals:
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # inherited by FFmpeg, Xvfb, xterm too
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, runtime.request_stop, f"stopped by {sig.name}")
            handled.append(sig)
        loop.add_signal_handler(signal.SIGUSR1, _reconnect, runtime)
        handled.append(signal.SIGUSR1)
    golive = None
    outcome = Outcome(False, "not started", None)
    try:
        if on_ready is not None:
            await on_ready(server)
        given = GivenAnswers({"tweet_url": plan.tweet_url, "tx_hash": plan.tx_hash}, then=operator)
        try:
            resume = await _unless(
                runtime.stopped,
                settle_open_sessions(
                    plan, bus=bus, operator=given, paths=paths, urls=urls, transport=transport
                ),
            )
            if not runtime.stopped.is_set():
                golive = build(
                    plan,
                    bus=bus,
                    operator=given,
                    urls=urls,
                    paths=paths,
                    transport=transport,
                    resume_session=resume,
                    **(build_options or {}),
                )
                runtime.golive = golive
        except StudioError as exc:
            bus.publish(Failed(platform="studio", error=exc.message, fix=exc.fix))
            outcome = Outcome(False, exc.message, None, errors=[str(exc)])
        if golive is None and not outcome.errors:
            reason = runtime.stop_reason or "stopped"
            bus.publish(SessionEnded(session_id=None, ok=True, reason=reason))
            outcome = Outcome(True, reason, None)
        if golive is not None:
            outcome = await golive.run()
    finally:
        if golive is not None:
            await close_kiosk_link(golive)
        if notifier is not None:  # what is waiting still reaches the builder, within bounds
            await notifier.drain(notifier.timeout * 2)
            await notifier.aclose()
        for sig in handled:
            loop.remove_signal_handler(sig)
        await server.close(reason=f"the broadcast ended: {outcome.reason}")
        await runtime.aclose()
        remove_service_file(paths, info)
    return outcome


def _reconnect(runtime: Runtime) -> None:
    if runtime.golive is not None:
        runtime.golive.reconnect_now()


async def _unless(stopped: asyncio.Event, work: Awaitable[Any]) -> Any:
    """``work``'s result, or None when a stop comes first (``work`` is cancelled)."""
    task = asyncio.ensure_future(work)
    waiter = asyncio.ensure_future(stopped.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        return None
    return task.result()


# -- detached --------------------------------------------------------------------------


def log_path(paths: Paths) -> Path:
    return paths.state_dir / "golive.log"


def spawn_detached(
    plan: Any,
    *,
    paths: Paths | None = None,
    socket_path: Path | None = None,
    within: float = 60.0,
) -> ServiceInfo:
    """Start the service in its own session (no terminal), return once it listens:
    at ``socket_path`` when given (a console's ``--socket``), else where
    ``choose_socket`` says."""
    from studio.secure_file import write_private

    paths = paths or Paths.from_env()
    env = dict(os.environ)
    if socket_path is not None:
        env["STUDIO_CONTROL_SOCKET"] = str(socket_path.absolute())
        choose_socket(paths, env)  # a path no socket can have: said here, nothing started
    paths.state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    check_not_running(paths)
    plan_file = paths.state_dir / "golive-plan.json"
    write_private(plan_file, plan.model_dump_json().encode())
    log = log_path(paths)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        child = subprocess.Popen(
            [sys.executable, "-m", "studio", "golive", "--service-plan", str(plan_file)],
            stdin=subprocess.DEVNULL,
            stdout=fd,
            stderr=fd,
            start_new_session=True,  # setsid: no controlling terminal, its own process group
            close_fds=True,
            env=env,
        )
    finally:
        os.close(fd)
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        info = read_service_file(paths)
        if info is not None and info.pid == child.pid and Path(info.socket).exists():
            failure = asyncio.run(_started(Path(info.socket), deadline - time.monotonic()))
            if failure is None:
                return info
            if not failure:  # it went away before saying why: its log says
                child.wait(10)
                failure = _tail(log)
            raise StudioError(
                f"the broadcast ended at once: {failure}",
                fix=f"Read {log} for the whole story.",
            )
        if child.poll() is not None:
            raise StudioError(
                f"the broadcast service ended at once (exit {child.returncode}): " + _tail(log),
                fix=f"Read {log} for the whole story.",
            )
        time.sleep(0.05)
    raise StudioError(
        f"the broadcast service (pid {child.pid}) did not start listening within {within:g} s",
        fix=f"Read {log}; end it with `kill {child.pid}` if it hangs.",
    )


async def _started(socket_path: Path, within: float) -> str | None:
    """Attach and wait until the go-live runs or waits for the operator (None), or the
    service ends before that: why, from its failure ("" when it did not say)."""
    from studio.control.client import ControlClient
    from studio.control.endpoint import NoBroadcast

    try:
        client = await ControlClient.connect(
            socket_path,
            events=["golive.state", "golive.failed", "operator.needed"],
            client="golive --detach",
        )
    except NoBroadcast:
        return ""
    failure = ""
    try:
        snapshot = client.snapshot
        if snapshot.get("state") not in (None, "idle") or snapshot.get("pending"):
            return None
        async with asyncio.timeout(max(1.0, within)):
            async for event in client.events():
                if event["event"] == "golive.failed":
                    failure = str(event.get("error"))
                    if event.get("fix"):
                        failure += f" Fix: {event['fix']}"
                else:
                    return None
    except TimeoutError:
        return None  # still preparing: it runs; `studio status` follows it
    finally:
        await client.close()
    return failure


def read_plan(path: Path) -> Any:
    from studio.golive.plan import Plan

    return Plan.model_validate(json.loads(path.read_text()))


def _tail(log: Path, lines: int = 5) -> str:
    try:
        text = log.read_text(errors="replace").strip().splitlines()
    except OSError:
        return "(no log)"
    return " | ".join(text[-lines:]) or "(empty log)"
