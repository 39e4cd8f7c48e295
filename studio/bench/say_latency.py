"""Row 7: ``studio say`` until the voice is audible in the outgoing stream.

The studio goes live (``studio golive --headless`` against the sandbox, its one FFmpeg
pushing to the local nginx-rtmp receiver). The bench plays that stream live from the
receiver (a second FFmpeg reading ``rtmp://…/retake/KEY``, decoding the audio to 8 kHz
mono PCM on a pipe, every packet flushed) and takes the level of each 25 ms as it
arrives, stamped with the wall clock. One utterance: the bench sends ``say`` over the
control API (``ControlClient``, the client every verb uses) and times until the stream
it reads turns loud; then it waits for silence before the next. The same through the
CLI verb (``studio say``, a new Python process each time) is a second figure.

What is measured includes the receiver's relay and the reading FFmpeg's own buffering,
so it is an upper bound of what leaves the studio's encoder."""

from __future__ import annotations

import array
import asyncio
import contextlib
import math
import sys
import time
from collections.abc import Callable

from studio.bench.context import Context
from studio.bench.figures import Row, percentile
from studio.bench.stage import GoLiveProcess

RATE = 8000
WINDOW = 0.025
LOUD_DB = -35.0
"""A window this loud (RMS, dBFS) is speech; the studio's silence is digital zero."""
QUIET_SECONDS = 0.6
UTTERANCES = 20
QUICK_UTTERANCES = 3
CLI_EVERY = 4
"""One utterance in this many is also sent through the CLI verb."""


class LiveLevels:
    """The outgoing stream's audio level, window by window, as it arrives."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.windows: list[tuple[float, float]] = []
        """(arrival time, RMS dBFS) of each window."""
        self.process: asyncio.subprocess.Process | None = None
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LiveLevels:
        self.process = await asyncio.create_subprocess_exec(
            "ffmpeg", "-nostdin", "-loglevel", "error",
            "-fflags", "nobuffer", "-flags", "low_delay", "-probesize", "32768",
            "-analyzeduration", "0", "-i", self.url,
            "-vn", "-ac", "1", "-ar", str(RATE), "-f", "s16le", "-flush_packets", "1", "pipe:1",
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        self._task = asyncio.create_task(self._read())
        return self

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        size = int(RATE * WINDOW) * 2
        while True:
            try:
                chunk = await self.process.stdout.readexactly(size)
            except asyncio.IncompleteReadError:
                return
            samples = array.array("h", chunk)
            rms = math.sqrt(sum(s * s for s in samples) / len(samples)) / 32768
            self.windows.append((time.time(), 20 * math.log10(rms) if rms > 0 else -120.0))

    async def __aexit__(self, *exc: object) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 5)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def wait(self, test: Callable[[float, float], bool], after: float, limit: float) -> float:
        """The arrival time of the first window after ``after`` that passes ``test``."""
        deadline = time.monotonic() + limit
        index = 0
        while time.monotonic() < deadline:
            while index < len(self.windows):
                at, level = self.windows[index]
                index += 1
                if at >= after and test(at, level):
                    return at
            if self.process is not None and self.process.returncode is not None:
                raise RuntimeError("the stream's reader ended")
            await asyncio.sleep(0.005)
        raise RuntimeError(f"the stream did not change as expected within {limit:g} s")

    async def loud(self, after: float, limit: float = 15.0) -> float:
        return await self.wait(lambda _at, level: level > LOUD_DB, after, limit)

    async def quiet(self, after: float, limit: float = 30.0) -> float:
        """When the stream has been quiet for ``QUIET_SECONDS`` (after ``after``)."""
        since: list[float] = []

        def test(at: float, level: float) -> bool:
            if level > LOUD_DB:
                since.clear()
                return False
            if not since:
                since.append(at)
            return at - since[0] >= QUIET_SECONDS

        return await self.wait(test, after, limit)


def stream_url(ctx: Context) -> str:
    """The retake.tv stream the receiver is recording now (its key names the file)."""
    receiver = ctx.stage.world.receiver
    recordings = receiver.recordings("retake")
    if not recordings:
        raise RuntimeError("the receiver records no retake.tv stream")
    key = recordings[-1].name.rsplit("-", 1)[0]
    return f"{receiver.url('retake').rstrip('/')}/{key}"


async def say_by_cli(ctx: Context, text: str) -> None:
    done = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "studio", "say", text, env=ctx.stage.env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, err = await done.communicate()
    if done.returncode != 0:
        raise RuntimeError(f"studio say failed: {err.decode()[-300:]}")


async def measure(ctx: Context) -> Row:
    from studio.control.client import ControlClient
    from studio.control.endpoint import find_socket

    row = Row(
        7, "`studio say` until the voice is audible in the outgoing stream", "p95 1 s or less"
    )
    api_p95, api_median = (
        row.figure("control API: p95", "s"),
        row.figure("control API: median", "s"),
    )
    cli_median = row.figure("CLI `studio say` (process start included): median", "s")
    count = QUICK_UTTERANCES if ctx.quick else UTTERANCES
    heard: list[int] = []
    for run in range(ctx.runs):
        log = ctx.work / f"say-{run}.log"
        async with GoLiveProcess(ctx.stage, log) as golive:
            await golive.wait_live(120)
            socket_path = find_socket(env=ctx.stage.env)
            async with LiveLevels(stream_url(ctx)) as stream:
                await stream.quiet(time.time(), limit=30)
                api: list[float] = []
                cli: list[float] = []
                control = await ControlClient.connect(socket_path, events=[], client="bench")
                try:
                    for n in range(count + count // CLI_EVERY):
                        text = f"Line {n + 1}: hello, viewers."
                        sent = time.time()
                        if n >= count:
                            await say_by_cli(ctx, text)
                        else:
                            await control.call("say", text=text)
                        at = await stream.loud(sent)
                        (cli if n >= count else api).append(at - sent)
                        await stream.quiet(at)
                finally:
                    await control.close()
        api_p95.add(percentile(api, 95))
        api_median.add(sorted(api)[len(api) // 2])
        if cli:
            cli_median.add(sorted(cli)[len(cli) // 2])
        heard.append(len(api) + len(cli))
    row.notes += [
        f"{count} utterances a run through the control API and {count // CLI_EVERY} through "
        f"the CLI, {ctx.runs} run(s); every one was heard: {heard}.",
        "Read live from the RTMP receiver by a second FFmpeg (8 kHz mono PCM, 25 ms windows, "
        f"loud above {LOUD_DB:g} dBFS RMS), so the figure includes the receiver's relay and "
        "the reader's buffering: an upper bound of the studio's own latency.",
    ]
    row.judge(api_p95.median <= 1.0, f"p95 {api_p95.median:.2f} s (median over runs)")
    return row
