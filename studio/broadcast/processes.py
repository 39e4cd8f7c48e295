"""Supervised asyncio child processes: bounded start and stop, redacted output lines.

Every child runs in its own process group, so ``stop`` (SIGTERM, then SIGKILL after a
bounded wait) also ends whatever it started (xterm's shell, say), and gets a
parent-death signal, so it also ends when the studio is killed (``studio.children``). Output lines pass
through ``studio.redaction.redact`` before any callback sees them: FFmpeg prints its
output URLs, and those contain stream keys.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
from collections.abc import Callable, Mapping, Sequence

from studio.children import die_with_parent
from studio.errors import StudioError
from studio.redaction import redact

log = logging.getLogger(__name__)

LineHandler = Callable[[str], None]


class ProcessFailed(StudioError):
    """A child process could not be started or stopped at start."""


class ManagedProcess:
    """One child process. ``argv`` may hold secrets: it is never logged unredacted."""

    def __init__(
        self,
        name: str,
        argv: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        on_stdout: LineHandler | None = None,
        on_stderr: LineHandler | None = None,
        pass_fds: Sequence[int] = (),
        stdin: int | None = None,
        keep_stderr_lines: int = 40,
    ) -> None:
        self.name = name
        self._argv = list(argv)
        self._env = dict(env) if env is not None else None
        self._on_stdout = on_stdout
        self._on_stderr = on_stderr
        self._pass_fds = tuple(pass_fds)
        self._stdin = stdin
        self._keep = keep_stderr_lines
        self.stderr_tail: list[str] = []
        self._proc: asyncio.subprocess.Process | None = None
        self._readers: list[asyncio.Task[None]] = []
        self._stopping = False

    def __repr__(self) -> str:
        return f"ManagedProcess({self.name!r}, pid={self.pid}, returncode={self.returncode})"

    @property
    def command_line(self) -> str:
        """The command, redacted, for logs and error messages."""
        return redact(" ".join(self._argv))

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def returncode(self) -> int | None:
        return self._proc.returncode if self._proc else None

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    @property
    def stopping(self) -> bool:
        """True once ``stop`` was called: an exit after that is not a crash."""
        return self._stopping

    async def start(self) -> None:
        if self.running:
            return
        self._stopping = False
        self.stderr_tail = []
        env = None
        if self._env is not None:
            env = {**os.environ, **self._env}
        try:
            self._proc = await asyncio.create_subprocess_exec(
                *self._argv,
                stdin=self._stdin if self._stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE if self._on_stdout else asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                pass_fds=self._pass_fds,
                start_new_session=True,
                preexec_fn=die_with_parent(),
            )
        except OSError as exc:
            raise ProcessFailed(
                f"Could not start {self.name} ({self._argv[0]}): {exc.strerror or exc}.",
                fix="Run `studio doctor` to see which program is missing, then scripts/install.",
            ) from None
        log.debug("started %s (pid %s): %s", self.name, self.pid, self.command_line)
        self._readers = []
        if self._on_stdout and self._proc.stdout:
            self._readers.append(
                asyncio.create_task(self._read(self._proc.stdout, self._on_stdout))
            )
        if self._proc.stderr:
            self._readers.append(
                asyncio.create_task(self._read(self._proc.stderr, self._stderr_line))
            )

    def _stderr_line(self, line: str) -> None:
        self.stderr_tail.append(line)
        del self.stderr_tail[: -self._keep]
        if self._on_stderr:
            self._on_stderr(line)
        else:
            log.debug("%s: %s", self.name, line)

    @staticmethod
    async def _read(stream: asyncio.StreamReader, handler: LineHandler) -> None:
        while True:
            try:
                raw = await stream.readline()
            except (ValueError, asyncio.LimitOverrunError):
                continue  # an over-long line: skip it, keep reading
            if not raw:
                return
            line = redact(raw.decode(errors="replace").rstrip("\r\n"))
            try:
                handler(line)
            except Exception:  # a broken listener must not stop the reader
                log.exception("output handler failed")

    async def wait(self) -> int:
        """Until the process exits and its output is read; its exit code."""
        if self._proc is None:
            raise RuntimeError(f"{self.name} was never started")
        code = await self._proc.wait()
        if self._readers:
            # asyncio.wait, not gather: cancelling this wait must not cancel the readers
            await asyncio.wait(self._readers, timeout=2.0)
        return code

    def signal(self, sig: int) -> None:
        """Send ``sig`` to the process group (tests use SIGKILL to simulate a crash)."""
        if self._proc is None or self._proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self._proc.pid, sig)

    async def stop(self, grace: float = 3.0) -> int | None:
        """SIGTERM, then SIGKILL after ``grace`` seconds. Bounded; idempotent."""
        self._stopping = True
        proc = self._proc
        if proc is None:
            return None
        if proc.returncode is None:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                self.signal(sig)
                try:
                    await asyncio.wait_for(proc.wait(), grace)
                    break
                except TimeoutError:
                    continue
        for reader in self._readers:
            reader.cancel()
        for reader in self._readers:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await reader
        self._readers = []
        return proc.returncode


async def run_capture(
    argv: Sequence[str],
    limit: float = 10.0,
    env: Mapping[str, str] | None = None,
    *,
    input: bytes | None = None,
) -> tuple[int, str, str]:
    """Run a short command to completion: (exit code, stdout, stderr). Bounded by ``limit`` seconds.

    ``input`` goes to its standard input (the place for secrets: never the command line)."""
    proc = await asyncio.create_subprocess_exec(
        *argv,
        stdin=asyncio.subprocess.PIPE if input is not None else asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **env} if env is not None else None,
        start_new_session=True,
        preexec_fn=die_with_parent(),
    )
    try:
        out, err = await asyncio.wait_for(proc.communicate(input), limit)
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        return -9, "", f"timed out after {limit:.0f} s"
    return proc.returncode or 0, out.decode(errors="replace"), err.decode(errors="replace")
