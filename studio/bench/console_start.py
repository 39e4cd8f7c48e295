"""Row 9: ``studio console`` from start to its first painted screen, locally and over a
loopback SSH session, and reattaching to a live broadcast until its state is drawn.

The studio goes live (``studio golive --headless``: the broadcast service with its
control API); a viewer's chat line goes through the sandbox so the state has chat. The
console runs in a pseudo-terminal (120x40) the bench reads; the output, stripped of its
escape sequences, is searched as it arrives:

- first paint: the footer's ``Quit`` key (the last line of the first full screen);
- state drawn: ``LIVE`` in the header (the legs); the viewer's chat line sent before the
  console started is looked for too, and every start that does not draw it within
  ``CHAT_GRACE`` seconds after the legs is counted in the notes.

Reattach: the console quits (Ctrl+Q) and starts again against the same broadcast.
Over SSH: a private ``sshd`` on a loopback port (its own config, host key and
authorized key in a temporary folder, nothing of the system's touched) and
``ssh -tt`` from the pseudo-terminal: with the session open, the console's command line
is typed into it, and timed from that line until its picture has come back through
``sshd`` and ``ssh`` (as an operator starts it from the shell of an SSH session).
Opening the session is timed on its own, for reference."""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import pty
import re
import shlex
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import httpx

from studio.bench.context import Context
from studio.bench.figures import Row
from studio.bench.stage import GoLiveProcess, post_chat
from studio.sandbox.rtmp_receiver import free_port

COLUMNS, LINES = 120, 40
ESCAPES = re.compile(rb"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[@-Z\\-_])")
PAINTED = b"Quit"
SESSION = ("sh", "-c", 'echo "session-$((6 * 7))"; read -r line; exec sh -c "$line"')
"""The remote side of an open SSH session: it says it is ready, then runs the line typed."""
SESSION_READY = b"session-42"  # computed remotely: the echoed command line does not match it
CHAT_GRACE = 5.0
LIVE = b"LIVE"
ENV_KEYS = ("STUDIO_STATE_DIR", "STUDIO_RETAKE_CREDENTIALS", "STUDIO_RETAKE_URL",
            "STUDIO_CLAWCAST_URL", "STUDIO_BASEFM_URL", "HOME", "PATH")  # fmt: skip


class Terminal:
    """A program on a pseudo-terminal; its screen text (escapes removed) as it arrives."""

    def __init__(self, argv: Sequence[str], env: dict[str, str]) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", LINES, COLUMNS, 0, 0))
        self.started = time.perf_counter()
        self.process = subprocess.Popen(
            list(argv), stdin=slave, stdout=slave, stderr=slave, env=env,
            start_new_session=True, close_fds=True,
        )  # fmt: skip
        os.close(slave)
        self.master = master
        os.set_blocking(master, False)
        self.text = b""

    def _read(self) -> None:
        with contextlib.suppress(BlockingIOError, OSError):
            while chunk := os.read(self.master, 65536):
                self.text += ESCAPES.sub(b"", chunk)

    def type_line(self, line: str) -> None:
        """Type ``line`` and Enter; the clock and the screen text start again from here."""
        self._read()
        self.text = b""
        self.started = time.perf_counter()
        os.write(self.master, line.encode() + b"\n")

    async def until(self, *needles: bytes, limit: float = 120.0) -> float:
        """Seconds from the start until every one of ``needles`` has been shown."""
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            self._read()
            if all(n in self.text for n in needles):
                return time.perf_counter() - self.started
            if self.process.poll() is not None:
                self._read()
                break
            await asyncio.sleep(0.002)
        missing = b", ".join(n for n in needles if n not in self.text).decode()
        shown = " ".join(self.text.decode(errors="replace").split())[-300:]
        raise RuntimeError(f"{missing} not shown within {limit:g} s; the screen ends {shown!r}")

    async def quit(self, limit: float = 15.0) -> None:
        with contextlib.suppress(OSError):
            os.write(self.master, b"\x11")  # Ctrl+Q
        deadline = time.monotonic() + limit
        while self.process.poll() is None and time.monotonic() < deadline:
            self._read()
            await asyncio.sleep(0.02)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        os.close(self.master)


def console_command(env: dict[str, str]) -> list[str]:
    assignments = [f"{k}={env[k]}" for k in ENV_KEYS if k in env]
    return ["env", *assignments, "TERM=xterm-256color", sys.executable, "-m", "studio", "console"]


@contextlib.contextmanager
def private_sshd(folder: Path) -> Iterator[tuple[int, Path]]:
    """An sshd on 127.0.0.1 with its own keys and config; yields (port, client key)."""
    sshd = shutil.which("sshd") or "/usr/sbin/sshd"
    if not Path(sshd).exists() or not shutil.which("ssh"):
        raise RuntimeError("sshd or ssh is missing: run scripts/install (openssh-server)")
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    host_key, user_key = folder / "host_key", folder / "user_key"
    for key in (host_key, user_key):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    (folder / "authorized_keys").write_text(Path(f"{user_key}.pub").read_text())
    os.chmod(folder / "authorized_keys", 0o600)
    port = free_port()
    config = folder / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {host_key}\n"
        f"AuthorizedKeysFile {folder / 'authorized_keys'}\nPidFile {folder / 'sshd.pid'}\n"
        "PermitRootLogin prohibit-password\nPasswordAuthentication no\n"
        "KbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\nLogLevel ERROR\n"
        "PrintMotd no\nPrintLastLog no\nUseDNS no\n"
    )
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)  # sshd's privilege separation folder
    process = subprocess.Popen(
        [sshd, "-D", "-e", "-f", str(config)], stdout=subprocess.DEVNULL,
        stderr=open(folder / "sshd.log", "wb"), start_new_session=True,  # noqa: SIM115
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 10
        while not _listening(port):
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"sshd did not start: {(folder / 'sshd.log').read_text()}")
            time.sleep(0.05)
        yield port, user_key
    finally:
        process.terminate()
        try:
            process.wait(5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _listening(port: int) -> bool:
    from studio.sandbox.rtmp_receiver import port_open

    return port_open("127.0.0.1", port)


def ssh_command(port: int, key: Path, remote: list[str]) -> list[str]:
    return [
        "ssh", "-tt", "-p", str(port), "-i", str(key),
        "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR",
        "root@127.0.0.1", shlex.join(remote),
    ]  # fmt: skip


async def measure(ctx: Context) -> Row:
    row = Row(
        9,
        "console start to first paint, local and over loopback SSH; reattach until drawn",
        "1 s or less each",
    )
    f = row.figure
    local_paint, local_state = f("local: first paint", "s"), f("local: state drawn", "s")
    reattach = f("reattach (quit, start again): state drawn", "s")
    ssh_paint, ssh_state = f("over SSH: first paint", "s"), f("over SSH: state drawn", "s")
    ssh_connect = f("SSH connect alone, to the session's prompt (for reference)", "s")
    env = {**ctx.stage.env, "TERM": "xterm-256color"}
    marker = "benchmarker9"  # one word: a chat column never wraps it
    async with GoLiveProcess(ctx.stage, ctx.work / "console-start.log") as golive:
        await golive.wait_live(120)
        async with httpx.AsyncClient(base_url=ctx.stage.world.origin, timeout=10) as control:
            await post_chat(control, ctx.stage.user_db_id, marker)
        await golive.wait_for(lambda e: e.get("event") == "chat.line", 30)
        drawn = (LIVE,)
        chat_missing: list[str] = []

        async def chat_drawn(terminal: Terminal, where: str) -> None:
            try:
                await terminal.until(marker.encode(), limit=CHAT_GRACE)
            except RuntimeError:
                chat_missing.append(where)

        command = console_command(env)
        for _ in range(ctx.runs):
            first = Terminal(command, env)
            try:
                local_paint.add(await first.until(PAINTED))
                local_state.add(await first.until(PAINTED, *drawn))
                await chat_drawn(first, "local")
            finally:
                await first.quit()
            again = Terminal(command, env)
            try:
                reattach.add(await again.until(PAINTED, *drawn))
                await chat_drawn(again, "reattach")
            finally:
                await again.quit()
        with private_sshd(ctx.work / "sshd") as (port, key):
            for _ in range(ctx.runs):
                remote = Terminal(ssh_command(port, key, list(SESSION)), env)
                try:
                    ssh_connect.add(await remote.until(SESSION_READY))
                    remote.type_line(shlex.join(command))
                    ssh_paint.add(await remote.until(PAINTED))
                    ssh_state.add(await remote.until(PAINTED, *drawn))
                    await chat_drawn(remote, "SSH")
                finally:
                    await remote.quit()
    row.notes += [
        f"{ctx.runs} run(s) each, console in a {COLUMNS}x{LINES} pseudo-terminal; first paint "
        "is the footer's Quit key on screen, state drawn is LIVE in the header (the legs). "
        "Times include Python's start and imports.",
        "The viewer's chat line sent before each start was "
        + (
            f"not drawn within {CHAT_GRACE:g} s after the legs in: {', '.join(chat_missing)}"
            if chat_missing
            else "drawn every time"
        )
        + ".",
        "Over SSH: a private sshd on 127.0.0.1 (own config and keys) and `ssh -tt`; the operator's "
        "session is open, the command is typed into it, and the console is timed from that "
        "line to its picture coming back through sshd and ssh. Opening the session (the "
        "handshake) is timed on its own, for reference.",
    ]
    worst = max(fig.median for fig in row.figures if fig is not ssh_connect)
    row.judge(worst <= 1.0, f"slowest median {worst:.2f} s")
    return row
