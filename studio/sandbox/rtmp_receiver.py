"""A real RTMP receiver for rehearsals and tests: nginx with its RTMP module.

nginx runs as a non-daemon child with a generated config in its own state folder
(no system config, loopback only, its own pid, log and temp paths). Applications
``retake``, ``basefm`` and ``extra`` record every publish to ``record_dir/<app>/``.
When ``callback_origin`` is given, nginx asks the sandbox before accepting a publish
(``/_sandbox/rtmp/on_publish``), so a stale or unknown key is refused the way the
real platforms refuse it; ``extra`` accepts any key.
"""

from __future__ import annotations

import asyncio
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

from studio.children import die_with_parent
from studio.errors import StudioError

RTMP_MODULE = Path("/usr/lib/nginx/modules/ngx_rtmp_module.so")
APPLICATIONS = ("retake", "basefm", "extra")


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def port_open(host: str, port: int, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _worker_user() -> str:
    """Workers run as whoever starts nginx, so they can write the record folder."""
    return pwd.getpwuid(os.geteuid()).pw_name


def render_config(
    *,
    port: int,
    record_dir: Path,
    state_dir: Path,
    callback_origin: str | None,
    module: Path = RTMP_MODULE,
    host: str = "127.0.0.1",
) -> str:
    apps = []
    for app in APPLICATIONS:
        callbacks = ""
        if callback_origin and app != "extra":
            origin = callback_origin.rstrip("/")
            callbacks = (
                f"            on_publish {origin}/_sandbox/rtmp/on_publish;\n"
                f"            on_publish_done {origin}/_sandbox/rtmp/on_publish_done;\n"
            )
        apps.append(
            f"        application {app} {{\n"
            "            live on;\n"
            "            record all;\n"
            "            record_unique on;\n"
            f"            record_path {record_dir / app};\n"
            f"{callbacks}"
            "        }\n"
        )
    user = f"user {_worker_user()};\n" if os.geteuid() == 0 else ""
    return (
        f"load_module {module};\n"
        f"{user}"
        "worker_processes 1;\n"
        "daemon off;\n"
        "master_process on;\n"
        f"pid {state_dir / 'nginx.pid'};\n"
        f"error_log {state_dir / 'error.log'} warn;\n"
        "events { worker_connections 256; }\n"
        "rtmp {\n"
        f"    access_log {state_dir / 'access.log'};\n"
        "    server {\n"
        f"        listen {host}:{port};\n"
        "        chunk_size 4096;\n"
        "        drop_idle_publisher 10s;\n"
        "        notify_method post;\n"
        f"{''.join(apps)}"
        "    }\n"
        "}\n"
    )


class RtmpReceiver:
    """nginx-rtmp on ``127.0.0.1:port``, recording into ``record_dir``.

    Use as a context manager (``with`` or ``async with``), or call ``start``/``stop``. ``url(app)`` is the base
    URL an encoder publishes to (``rtmp://127.0.0.1:port/<app>/<key>``).
    """

    def __init__(
        self,
        port: int = 0,
        record_dir: Path | str | None = None,
        callback_origin: str | None = None,
        *,
        nginx: str = "nginx",
        module: Path = RTMP_MODULE,
    ) -> None:
        self.port = port or free_port()
        self.callback_origin = callback_origin
        self._own_record_dir = record_dir is None
        self.record_dir = (
            Path(record_dir) if record_dir else Path(tempfile.mkdtemp(prefix="studio-rec-"))
        )
        self.nginx = nginx
        self.module = module
        self.state_dir: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"rtmp://127.0.0.1:{self.port}"

    def url(self, app: str) -> str:
        return f"{self.base_url}/{app}"

    def recordings(self, app: str | None = None) -> list[Path]:
        """Recorded files, oldest first (``record_unique`` names them ``<key>-<time>.flv``)."""
        folders = [self.record_dir / app] if app else [self.record_dir / a for a in APPLICATIONS]
        files = [f for folder in folders if folder.is_dir() for f in folder.glob("*.flv")]
        return sorted(files, key=lambda f: (f.stat().st_mtime, f.name))

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 10.0) -> RtmpReceiver:
        if self.running:
            return self
        self._spawn()
        self._wait_listening(timeout)
        return self

    def _spawn(self) -> None:
        """Start nginx. Call from the thread that owns the receiver: nginx gets a
        parent-death signal, which fires when that thread ends (``studio.children``)."""
        binary = shutil.which(self.nginx)
        if binary is None:
            raise StudioError(
                "nginx is not installed, so there is no RTMP receiver for rehearsals.",
                fix="Run scripts/install (it installs nginx and libnginx-mod-rtmp).",
            )
        if not self.module.exists():
            raise StudioError(
                f"The nginx RTMP module is missing ({self.module}).",
                fix="Install it: sudo apt-get install libnginx-mod-rtmp",
            )
        self.state_dir = Path(tempfile.mkdtemp(prefix="studio-nginx-"))
        for app in APPLICATIONS:
            (self.record_dir / app).mkdir(parents=True, exist_ok=True)
        conf = self.state_dir / "nginx.conf"
        conf.write_text(
            render_config(
                port=self.port,
                record_dir=self.record_dir.resolve(),
                state_dir=self.state_dir,
                callback_origin=self.callback_origin,
                module=self.module,
            )
        )
        self._process = subprocess.Popen(
            [
                binary,
                "-p",
                str(self.state_dir),
                "-c",
                str(conf),
                "-e",
                str(self.state_dir / "error.log"),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=die_with_parent(),
        )

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None else None

    def _wait_listening(self, timeout: float) -> None:
        assert self._process is not None
        deadline = time.monotonic() + timeout
        while not port_open("127.0.0.1", self.port):
            if self._process.poll() is not None:
                err = (self._process.stderr.read() if self._process.stderr else b"").decode(
                    errors="replace"
                )
                self._process = None
                raise StudioError(
                    f"The RTMP receiver (nginx) stopped at start: {err.strip() or 'no message'}",
                    fix=f"Check that port {self.port} is free, or choose another with --rtmp-port.",
                )
            if time.monotonic() > deadline:
                self.stop()
                raise StudioError(
                    f"The RTMP receiver did not listen on port {self.port} within {timeout:.0f} s.",
                    fix="Look at the nginx error log, or choose another port with --rtmp-port.",
                )
            time.sleep(0.05)

    def stop(self, timeout: float = 5.0) -> None:
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            # SIGTERM is nginx's fast shutdown: it closes publishers and their recordings
            # at once (SIGQUIT would wait for every publisher to leave).
            for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, timeout)):
                try:
                    os.killpg(process.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    process.wait(wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        if process is not None and process.stderr:
            process.stderr.close()
        if self.state_dir is not None:
            shutil.rmtree(self.state_dir, ignore_errors=True)
            self.state_dir = None

    def error_log(self) -> str:
        if self.state_dir is None:
            return ""
        path = self.state_dir / "error.log"
        return path.read_text(errors="replace") if path.exists() else ""

    async def __aenter__(self) -> RtmpReceiver:
        """As ``with``, but the wait for nginx and its stop run in a worker thread.

        nginx itself is started from the event loop's thread, so its parent-death
        signal is tied to the loop, not to a pool thread that may end first."""
        if not self.running:
            self._spawn()
            await asyncio.to_thread(self._wait_listening, 10.0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.to_thread(self.stop)

    def __enter__(self) -> RtmpReceiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
