"""The studio's own sound server: a private PulseAudio with one virtual sink.

Everything the stream should hear (speech, music, alert sounds) plays into the null
sink ``studio``; the encoder records the sink's monitor. The server is the studio's
child like Xvfb: its socket, cookie and state live in a 0700 folder of its own, no
system-wide daemon is touched, and it stops with the broadcast. Running as root is
allowed (PulseAudio only warns) because ``--system=no`` with a private runtime folder
never reaches another user's session.

The sink also ducks: while a ``speech`` stream plays, every ``music`` stream is
lowered by ``DUCK_DB`` (PulseAudio's ``module-role-ducking``) and comes back after it.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from pathlib import Path

from studio.broadcast.processes import LineHandler, ManagedProcess, ProcessFailed, run_capture

SINK = "studio"
RATE = 44100
CHANNELS = 2
DUCK_DB = -20
ROLES = ("speech", "music", "sound")
"""``media.role`` of what plays into the sink: speech ducks music."""

PROGRAMS = {"pulseaudio": "pulseaudio", "pactl": "pulseaudio-utils", "paplay": "pulseaudio-utils"}


def server_config(socket: Path) -> str:
    """The PulseAudio script (``-F``): the sink, our socket, ducking, nothing else."""
    return "\n".join(
        [
            f"load-module module-null-sink sink_name={SINK} rate={RATE} channels={CHANNELS}"
            f" sink_properties=device.description={SINK}",
            f"load-module module-native-protocol-unix auth-anonymous=1 socket={socket}",
            "load-module module-role-ducking trigger_roles=speech ducking_roles=music"
            f" volume={DUCK_DB}dB",
            f"set-default-sink {SINK}",
            "",
        ]
    )


def server_argv(config: Path) -> list[str]:
    return [
        "pulseaudio",
        "--system=no",
        "--daemonize=no",
        "--exit-idle-time=-1",
        "--use-pid-file=no",
        "--disable-shm=yes",
        "--realtime=no",
        "--high-priority=no",
        "--disallow-module-loading",
        "--log-target=stderr",
        "--log-level=warning",
        "-n",
        "-F",
        str(config),
    ]


def missing_programs() -> list[str]:
    """The sound programs this machine lacks, as ``program (package)``."""
    return [f"{p} ({pkg})" for p, pkg in PROGRAMS.items() if shutil.which(p) is None]


async def ffmpeg_reads_pulse(ffmpeg: str = "ffmpeg") -> bool:
    """Whether this FFmpeg has the PulseAudio input device (Debian's full build does)."""
    code, out, _ = await run_capture([ffmpeg, "-hide_banner", "-devices"], limit=10)
    return code == 0 and any(line.split()[1:2] == ["pulse"] for line in out.splitlines())


class SoundServer:
    """PulseAudio in a private folder; ``server`` is what clients connect to."""

    def __init__(self, *, on_stderr: LineHandler | None = None) -> None:
        self._on_stderr = on_stderr
        self.folder: Path | None = None
        self.process: ManagedProcess | None = None

    @property
    def socket(self) -> Path | None:
        return self.folder / "native" if self.folder else None

    @property
    def server(self) -> str:
        """The server address for ``PULSE_SERVER``, ``pactl -s`` and FFmpeg's ``-server``."""
        if self.socket is None:
            raise RuntimeError("the sound server was never started")
        return f"unix:{self.socket}"

    @property
    def monitor(self) -> str:
        return f"{SINK}.monitor"

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.running

    @property
    def env(self) -> dict[str, str]:
        """What a client process needs to reach this server and nothing else."""
        return {"PULSE_SERVER": self.server, "PULSE_SINK": SINK}

    async def start(self, limit: float = 10.0, *, ffmpeg: str = "ffmpeg") -> None:
        """Start PulseAudio and wait until its sink answers; raises ``ProcessFailed``."""
        if self.running:
            return
        missing = missing_programs()
        if missing:
            raise ProcessFailed(
                f"There is no sound server: {', '.join(missing)} missing.",
                fix="Run scripts/install (it installs pulseaudio and pulseaudio-utils).",
            )
        if not await ffmpeg_reads_pulse(ffmpeg):
            raise ProcessFailed(
                "This FFmpeg cannot record from PulseAudio (it has no pulse input device).",
                fix="Install Debian's full build: sudo apt-get install ffmpeg.",
            )
        if self.folder is None:
            # short, private (0700) and ours: the socket path must fit in 107 bytes
            self.folder = Path(tempfile.mkdtemp(prefix="studio-audio-"))
        config = self.folder / "studio.pa"
        config.write_text(server_config(self.folder / "native"))
        home = str(self.folder)
        self.process = ManagedProcess(
            "pulseaudio",
            server_argv(config),
            env={
                "HOME": home,
                "XDG_RUNTIME_DIR": home,
                "XDG_CONFIG_HOME": home,
                "XDG_STATE_HOME": home,
                "PULSE_RUNTIME_PATH": home,
                "PULSE_STATE_PATH": home,
                "DISPLAY": "",
            },
            on_stderr=self._on_stderr or (lambda _line: None),
        )
        await self.process.start()
        if not await self._answers(limit):
            tail = " / ".join(self.process.stderr_tail[-3:])
            await self.stop()
            raise ProcessFailed(
                f"The sound server (PulseAudio) did not start within {limit:.0f} s. {tail}".strip(),
                fix="Run `studio doctor`; the stream stays on air with a silent audio track.",
            )

    async def _answers(self, limit: float) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + limit
        while loop.time() < deadline and self.running:
            if self.socket is not None and self.socket.exists():
                code, out, _ = await self.pactl("list", "short", "sinks")
                if code == 0 and SINK in out.split():
                    return True
            await asyncio.sleep(0.1)
        return False

    async def pactl(self, *args: str, limit: float = 5.0) -> tuple[int, str, str]:
        return await run_capture(["pactl", "-s", self.server, *args], limit=limit)

    async def wait(self) -> int:
        if self.process is None:
            raise RuntimeError("the sound server was never started")
        return await self.process.wait()

    async def stop(self) -> None:
        """Stop the server and remove its folder. Bounded; safe to call twice."""
        if self.process is not None:
            await self.process.stop()
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    async def __aenter__(self) -> SoundServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        with contextlib.suppress(Exception):
            await self.stop()
