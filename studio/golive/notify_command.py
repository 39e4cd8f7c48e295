"""The operator's notify command: every ``BuilderNotification`` reaches the human builder
through a program the operator chose (a chat bot, ``mail``, a webhook script).

* The command is split into words by POSIX shell rules (``shlex.split``: quotes group
  words, backslashes escape) and run **without a shell**: no pipes, redirections or
  variables; wrap those in a script of your own.
* The message is the program's standard input (UTF-8, redacted). Its environment also
  has ``STUDIO_NOTIFY_REASON`` (live, heartbeat, low_viewers, shutdown_warning) and
  ``STUDIO_NOTIFY_URGENT`` (1 or 0), and none of the studio's credentials
  (``RETAKE_ACCESS_TOKEN``, ``RETAKE_PRIVY_JWT``, ``CLAWCAST_API_KEY``).
* One at a time, in order, each bounded to ``timeout`` seconds (then its process group
  is killed); at most ``max_pending`` wait, the oldest non-urgent one dropped first.
* A failure (missing program, non-zero exit, timeout) is a ``golive.notice`` warning,
  never fatal.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import shutil
import signal
from collections import deque
from collections.abc import Callable, Sequence

from studio.errors import Problem, ValidationFailed
from studio.events import Event
from studio.golive.events import BuilderNotification, Notice
from studio.redaction import redact

ENV_COMMAND = "STUDIO_NOTIFY_COMMAND"
DEFAULT_TIMEOUT = 15.0
MAX_PENDING = 20
STDERR_TAIL = 300
SECRET_ENV = frozenset({"RETAKE_ACCESS_TOKEN", "RETAKE_PRIVY_JWT", "CLAWCAST_API_KEY"})
"""The studio's own credentials are not passed on to the notify command."""


def parse_notify_command(command: str, *, flag: str = "--notify-command") -> list[str]:
    """The command's words; ``ValidationFailed`` naming ``flag`` when it cannot run."""
    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ValidationFailed(
            [Problem(flag, f"is not valid shell-style quoting ({exc})")], what="notify command"
        ) from None
    if not argv:
        raise ValidationFailed([Problem(flag, "must name a program")], what="notify command")
    if shutil.which(argv[0]) is None:
        raise ValidationFailed(
            [Problem(flag, f"{argv[0]!r} is not an executable program (no shell is used)")],
            what="notify command",
        )
    return argv


class NotifyCommand:
    """A bus listener that runs the operator's command for each builder notification."""

    def __init__(
        self,
        argv: Sequence[str],
        publish: Callable[[Event], None],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        max_pending: int = MAX_PENDING,
    ) -> None:
        self.argv = list(argv)
        self.publish = publish
        self.timeout = timeout
        self.max_pending = max_pending
        self.delivered = 0
        self.failed = 0
        self._pending: deque[BuilderNotification] = deque()
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._busy = False

    def __call__(self, event: Event) -> None:
        if not isinstance(event, BuilderNotification):
            return
        if len(self._pending) >= self.max_pending:
            dropped = next((n for n in self._pending if not n.urgent), self._pending[0])
            self._pending.remove(dropped)
            self._warn(f"too many notifications waiting; the {dropped.reason} one was dropped")
        self._pending.append(event)
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._worker(), name="notify")

    async def _worker(self) -> None:
        while True:
            while self._pending:
                note = self._pending.popleft()
                self._busy = True
                try:
                    await self.run_one(note)
                finally:
                    self._busy = False
            self._wake.clear()
            await self._wake.wait()

    async def run_one(self, note: BuilderNotification) -> int | None:
        """Run the command once; its exit code, or ``None`` if it never ran or timed out."""
        env = {
            **{k: v for k, v in os.environ.items() if k not in SECRET_ENV},
            "STUDIO_NOTIFY_REASON": note.reason,
            "STUDIO_NOTIFY_URGENT": "1" if note.urgent else "0",
        }
        name = os.path.basename(self.argv[0])
        try:
            process = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE,
                env=env,
                start_new_session=True,
            )
        except OSError as exc:
            self.failed += 1
            self._warn(f"the notify command {name} could not start ({exc.strerror or exc})")
            return None
        try:
            _, err = await asyncio.wait_for(
                process.communicate(redact(note.text).encode() + b"\n"), self.timeout
            )
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(Exception):
                await process.wait()
            self.failed += 1
            self._warn(
                f"the notify command {name} took longer than {self.timeout:g} s and was stopped"
            )
            return None
        if process.returncode != 0:
            self.failed += 1
            tail = redact(err.decode(errors="replace").strip())[-STDERR_TAIL:]
            self._warn(
                f"the notify command {name} failed (exit {process.returncode})"
                + (f": {tail}" if tail else "")
            )
        else:
            self.delivered += 1
        return process.returncode

    def _warn(self, text: str) -> None:
        self.publish(Notice(platform="studio", level="warning", text=text))

    async def drain(self, within: float) -> bool:
        """Wait (at most ``within`` seconds) for every waiting notification to be run."""

        async def idle() -> None:
            while self._pending or self._busy:  # noqa: ASYNC110
                await asyncio.sleep(0.05)

        try:
            await asyncio.wait_for(idle(), within)
            return True
        except TimeoutError:
            return False

    async def aclose(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
