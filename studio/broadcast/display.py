"""The virtual display the broadcast is captured from: Xvfb on a free display number.

Xvfb picks the number itself (``-displayfd``) and writes it to a pipe once it accepts
clients, so two studios (or two tests) never fight over ``:99``. It admits only
clients holding its cookie (``studio.broadcast.xauth``): ``XAUTHORITY`` of this process
and its children, never any local user. Its screen lives in a file on tmpfs (``-fbdir``)
that this process maps and then deletes (``studio.broadcast.framebuffer``): thumbnails
read the picture there, without asking the X server for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
from pathlib import Path

from studio.broadcast import framebuffer, xauth
from studio.broadcast.processes import LineHandler, ManagedProcess, ProcessFailed

FRAME = (1280, 720)
DEPTH = 24


def xvfb_argv(
    displayfd: int,
    width: int = FRAME[0],
    height: int = FRAME[1],
    depth: int = DEPTH,
    *,
    authority: Path,
    fbdir: Path,
) -> list[str]:
    return [
        "Xvfb",
        "-displayfd",
        str(displayfd),
        "-screen",
        "0",
        f"{width}x{height}x{depth}",
        "-auth",
        str(authority),
        "-nolisten",
        "tcp",
        "-nocursor",
        "-noreset",
        "-fbdir",
        str(fbdir),
    ]


class VirtualDisplay:
    """Xvfb at ``width``x``height``x``depth``; ``name`` (``":N"``) once started."""

    def __init__(
        self,
        width: int = FRAME[0],
        height: int = FRAME[1],
        depth: int = DEPTH,
        *,
        on_stderr: LineHandler | None = None,
    ) -> None:
        self.size = (width, height)
        self.depth = depth
        self.name: str | None = None
        self._on_stderr = on_stderr
        self.process: ManagedProcess | None = None
        self._server_authority: Path | None = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    async def start(self, limit: float = 10.0) -> str:
        """Start Xvfb and wait until it accepts clients; the display name."""
        if self.running and self.name:
            return self.name
        cookie = xauth.new_cookie()
        self._server_authority = await xauth.server_authority(cookie)
        fbdir = framebuffer.folder()
        try:
            number = await self._start_xvfb(fbdir, limit)
        finally:
            shutil.rmtree(fbdir, ignore_errors=True)  # mapped, failed or cancelled: gone
        await xauth.grant(f":{number}", cookie)
        self.name = f":{number}"
        return self.name

    async def _start_xvfb(self, fbdir: Path, limit: float) -> int:
        """Xvfb, once it accepts clients, with its screen mapped; its display number."""
        assert self._server_authority is not None
        read_fd, write_fd = os.pipe()
        self.process = ManagedProcess(
            "Xvfb",
            xvfb_argv(
                write_fd, *self.size, self.depth, authority=self._server_authority, fbdir=fbdir
            ),
            pass_fds=(write_fd,),
            on_stderr=self._on_stderr or (lambda _line: None),
        )
        try:
            await self.process.start()
        finally:
            os.close(write_fd)
        try:
            number = await asyncio.wait_for(self._read_number(read_fd), limit)
        except (TimeoutError, ValueError):
            tail = " / ".join(self.process.stderr_tail[-3:])
            await self.process.stop()
            raise ProcessFailed(
                f"The virtual display (Xvfb) did not start within {limit:.0f} s. {tail}".strip(),
                fix="Run `studio doctor`; check that Xvfb is installed (scripts/install).",
            ) from None
        finally:
            os.close(read_fd)
        process = self.process
        try:
            framebuffer.attach(f":{number}", fbdir, lambda: process.running)
        except framebuffer.FramebufferUnreadable:
            await process.stop()
            raise
        return number

    @staticmethod
    async def _read_number(fd: int) -> int:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader()
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(os.dup(fd), "rb", 0)
        )
        try:
            line = await reader.readline()
        finally:
            transport.close()
        return int(line.decode().strip())

    async def wait(self) -> int:
        if self.process is None:
            raise RuntimeError("the display was never started")
        return await self.process.wait()

    async def stop(self) -> None:
        if self.name is not None:
            framebuffer.detach(self.name)
        if self.process is not None:
            await self.process.stop()
        if self.name is not None:
            with contextlib.suppress(ProcessFailed):
                await xauth.revoke(self.name)
        if self._server_authority is not None:
            self._server_authority.unlink(missing_ok=True)
            self._server_authority = None
        self.name = None

    async def __aenter__(self) -> VirtualDisplay:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            await self.stop()
