"""Where a running broadcast listens, and how a client finds it.

The service writes ``control.json`` (0600) in the studio's state folder (0700): its
pid, its socket, its log file and when it started. The socket is ``control.sock``
beside it, unless that path is too long for a Unix socket (107 bytes); then it lives
in a short private folder under the temporary directory and ``control.json`` says
where. ``$STUDIO_CONTROL_SOCKET`` names the socket for both sides: the service listens
there (``studio console --socket PATH`` starts its broadcast with it) and clients look
there first.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from studio.config import Paths
from studio.errors import StudioError
from studio.secure_file import write_private
from studio.unix_socket import socket_path_problem

START_HINT = "studio golive --detach --retake"


class NoBroadcast(StudioError):
    def __init__(self, detail: str = "") -> None:
        super().__init__(
            "no broadcast is running" + (f" ({detail})" if detail else ""),
            fix=f"start one with `{START_HINT}` (or `studio golive` in a terminal), "
            "then run this again",
        )


@dataclass(frozen=True)
class ServiceInfo:
    pid: int
    socket: str
    log: str | None
    started_at: float


def service_file(paths: Paths) -> Path:
    return paths.state_dir / "control.json"


def choose_socket(paths: Paths, env: dict[str, str] | None = None) -> Path:
    """Where the service listens: ``$STUDIO_CONTROL_SOCKET``, else beside ``control.json``."""
    env = dict(os.environ) if env is None else env
    if env.get("STUDIO_CONTROL_SOCKET"):
        chosen = Path(env["STUDIO_CONTROL_SOCKET"]).absolute()
        if problem := socket_path_problem(chosen):
            raise StudioError(
                f"STUDIO_CONTROL_SOCKET: {problem}",
                fix="Choose a shorter path for the control socket (or none: the state folder's).",
            )
        return chosen
    candidate = paths.state_dir / "control.sock"
    if socket_path_problem(candidate) is None:
        return candidate
    return Path(tempfile.mkdtemp(prefix="studio-control-")) / "control.sock"


def write_service_file(paths: Paths, socket_path: Path, log: Path | None) -> ServiceInfo:
    info = ServiceInfo(
        pid=os.getpid(),
        socket=str(socket_path),
        log=str(log) if log else None,
        started_at=time.time(),
    )
    write_private(service_file(paths), json.dumps(asdict(info)).encode())
    return info


def read_service_file(paths: Paths) -> ServiceInfo | None:
    try:
        data = json.loads(service_file(paths).read_text())
        return ServiceInfo(**data)
    except (OSError, ValueError, TypeError):
        return None


def remove_service_file(paths: Paths, info: ServiceInfo) -> None:
    """Remove ``control.json`` if it is still ours (a newer service may have replaced it)."""
    current = read_service_file(paths)
    if current is not None and current.pid == info.pid:
        with contextlib.suppress(FileNotFoundError):
            service_file(paths).unlink()
    socket_dir = Path(info.socket).parent
    if socket_dir.name.startswith("studio-control-"):
        with contextlib.suppress(OSError):
            socket_dir.rmdir()


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def find_socket(paths: Paths | None = None, env: dict[str, str] | None = None) -> Path:
    """The running broadcast's socket, or ``NoBroadcast``."""
    env = dict(os.environ) if env is None else env
    if env.get("STUDIO_CONTROL_SOCKET"):
        return Path(env["STUDIO_CONTROL_SOCKET"])
    paths = paths or Paths.from_env(env)
    info = read_service_file(paths)
    if info is None:
        raise NoBroadcast()
    if not alive(info.pid):
        raise NoBroadcast(f"the service that was pid {info.pid} is gone")
    return Path(info.socket)
