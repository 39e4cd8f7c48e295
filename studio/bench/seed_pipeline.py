"""The baseline: the seed's bare pipeline (retake-tv-skill.txt, "Full Setup").

Xvfb, an xterm running ``tail -f`` on the log, and FFmpeg with the seed's exact
settings pushing to the local RTMP receiver, started by one shell script the way the
seed writes it, so the whole tree hangs under one process. Two departures, both
named in the report: the display number is a free one instead of ``:99``, and the
log is a temporary file instead of ``/tmp/stream.log``. The seed's ``openbox`` is
left out (it is not installed here, and it would only add to the baseline's cost).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
from pathlib import Path

SEED_FFMPEG = [
    "ffmpeg", "-thread_queue_size", "512",
    "-f", "x11grab", "-video_size", "1280x720", "-framerate", "30", "-i", "{display}",
    "-f", "lavfi", "-i", "anullsrc=channel_layout=stereo:sample_rate=44100",
    "-c:v", "libx264", "-preset", "veryfast", "-tune", "zerolatency",
    "-b:v", "1500k", "-maxrate", "1500k", "-bufsize", "3000k",
    "-pix_fmt", "yuv420p", "-g", "60",
    "-c:a", "aac", "-b:a", "128k",
    "-f", "flv", "{url}",
]  # fmt: skip


def free_display() -> str:
    for number in range(140, 400):
        if (
            not Path(f"/tmp/.X11-unix/X{number}").exists()
            and not Path(f"/tmp/.X{number}-lock").exists()
        ):
            return f":{number}"
    raise RuntimeError("no free X display number between :140 and :399")


def script(display: str, log: Path, url: str) -> str:
    ffmpeg = " ".join(shlex.quote(a.format(display=display, url=url)) for a in SEED_FFMPEG[1:])
    return (
        f"Xvfb {display} -screen 0 1280x720x24 -ac &\n"
        f"export DISPLAY={display}\n"
        "for i in $(seq 100); do xdpyinfo >/dev/null 2>&1 && break; sleep 0.05; done\n"
        "xterm -fa Monospace -fs 12 -bg black -fg '#00ff00' "
        f"-geometry 160x45+0+0 -e {shlex.quote('tail -f ' + shlex.quote(str(log)))} &\n"
        f"exec ffmpeg -nostdin -loglevel error {ffmpeg}\n"
    )


class SeedPipeline:
    """The seed's script as a child in its own session; ``pid`` is the tree's root."""

    def __init__(self, log: Path, url: str) -> None:
        self.log = log
        self.url = url
        self.display = free_display()
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int:
        assert self.process is not None
        return self.process.pid

    async def start(self) -> None:
        self.log.touch()
        self.process = await asyncio.create_subprocess_exec(
            "bash",
            "-c",
            script(self.display, self.log, self.url),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )

    async def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            await asyncio.wait_for(self.process.wait(), 10)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            await self.process.wait()
        # Xvfb and xterm were started in the same session: end them too
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)

    async def __aenter__(self) -> SeedPipeline:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()
