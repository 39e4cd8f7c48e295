"""FFmpeg command lines: the one encode, and the per-destination relays.

The encoder captures the display once, encodes once (x264 tuned for terminal
content, or the seed's settings: ``X264``), and
writes the same packets through the tee muxer to every destination (FLV over RTMP)
and to one private MPEG-TS feed: a pipe to the studio, never a loopback port
another local user could read or write (``feed_pump.py``). A destination that fails
is dropped from the tee (``onfail=ignore``) and is then served by its own small
``-c copy`` relay reading that feed (passed on by the studio) on standard input, so the
encode never stops for it; a destination that joins while the encode runs (baseFM after
its cooldown) is served the same way, so the encode never restarts for it either. One feed serves every relay: the tee's extra work is one
FLV mux per destination and one MPEG-TS mux in all.

The command lines contain stream keys: never log them unredacted
(``ManagedProcess.command_line`` is the redacted form).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from studio.broadcast.destinations import Destination

FRAMERATE = 30
VIDEO_SIZE = "1280x720"
CAPTURE_QUEUE = 8
"""Captured frames that may wait for the encoder (x11grab's ``-thread_queue_size``).

Each frame x11grab captures lives in a MIT-SHM segment that the X server attaches as
well, so a waiting frame (1280x720x4, about 3.5 MiB) counts in Xvfb's RSS, not
FFmpeg's, and FFmpeg's buffer pool keeps every segment it ever needed attached until
it exits. With 512 waiting frames an encoder that fell behind on a loaded machine
grew Xvfb by 1.3 GiB in the two-minute soak (about 1.8 GiB at most). A live capture
gains nothing from a deep queue: frames are stamped with the wall clock, so one that
waited only arrives late; with FFmpeg's own default of 8 a late encoder makes x11grab
skip frames instead, and the capture costs Xvfb about 40 MiB whatever the load."""
IO_TIMEOUT_US = 5_000_000
"""A destination that accepts no data for 5 s fails (instead of stalling the encode)."""

COMMON = [
    "-hide_banner",
    "-nostdin",
    "-loglevel",
    "warning",
    "-nostats",
    "-progress",
    "pipe:1",
    "-stats_period",
    "1",
]

X264: dict[str, list[str]] = {
    "terminal": [
        "-preset", "ultrafast", "-tune", "zerolatency", "-x264-params", "aq-mode=0",
        "-threads", "1",
    ],
    "seed": ["-preset", "veryfast", "-tune", "zerolatency"],
}  # fmt: skip
"""x264 settings by name. ``terminal`` (the default) is tuned for what a terminal
picture is: large flat areas, sharp glyphs, little motion (docs/BENCHMARKS.md, row 2).
``seed`` is the retake.tv document's own (``studio golive --x264 seed``)."""
DEFAULT_X264 = "terminal"

SILENCE = ["-f", "lavfi", "-i", "anullsrc=channel_layout=stereo:sample_rate=44100"]
"""The audio input when there is no sound server: a silent track (players need one)."""


def pulse_input(server: str, source: str) -> list[str]:
    """The audio input from a PulseAudio source (the studio sink's monitor)."""
    return [
        "-thread_queue_size", "1024",
        "-f", "pulse", "-server", server, "-name", "studio-encoder",
        "-sample_rate", "44100", "-channels", "2", "-fragment_size", "4096",
        "-i", source,
    ]  # fmt: skip


ENCODE = [
    "-map", "0:v", "-map", "1:a",
    # a continuous, monotonic audio track whatever the sound server's timing
    "-af", "aresample=async=1",
    "-c:v", "libx264",
    "-b:v", "1500k", "-maxrate", "1500k", "-bufsize", "3000k",
    "-pix_fmt", "yuv420p", "-g", "60", "-r", str(FRAMERATE),
    "-c:a", "aac", "-b:a", "128k", "-ar", "44100", "-ac", "2",
]  # fmt: skip


@dataclass(frozen=True)
class FeedPipe:
    """The write end of the pipe the encoder sends the relays' copy into (MPEG-TS).

    ``fd`` is passed to the encoder as is (``pass_fds``), so it has the same number there."""

    destination: str
    fd: int

    @property
    def write_url(self) -> str:
        return f"pipe:{self.fd}"


RELAY_INPUT = "pipe:0"
"""A relay reads the feed on its standard input."""


def video_options(x264: str = DEFAULT_X264) -> list[str]:
    """The x264 settings named ``x264`` (a key of ``X264``)."""
    try:
        return list(X264[x264])
    except KeyError:
        raise ValueError(f"unknown x264 settings {x264!r}: one of {', '.join(X264)}") from None


def tee_quote(target: str) -> str:
    """``target`` as one literal tee slave name, whatever characters it holds.

    The tee muxer splits its argument with ``av_get_token`` (ffmpeg-utils, "Quoting
    and escaping"): ``|`` separates slaves, ``\\`` escapes, text between ``'`` is taken
    literally, and leading and trailing blanks are dropped. The slave's own ``[...]``
    options come before it, and everything after their ``]`` is the name as is. So the
    name is wrapped in single quotes, and a ``'`` in it closes the quote, is escaped,
    and opens a new one: ``'it'\\''s'``. Nothing in a URL or key can then end the
    name, start another slave or change the options."""
    return "'" + target.replace("'", "'\\''") + "'"


def tee_slaves(destinations: Sequence[Destination], feeds: Sequence[FeedPipe]) -> str:
    """The tee target: destinations first (slave #i is ``destinations[i]``), then feeds.

    Each destination writes through its own fifo thread that drops packets rather than
    wait, so a destination that stalls (a handshake that never completes, a full
    socket) never holds up the encode or the others; after ``IO_TIMEOUT_US`` it fails
    and its relay takes over."""
    slaves = [
        f"[f=flv:onfail=ignore:use_fifo=1:fifo_options=drop_pkts_on_overflow=1"
        f":flvflags=no_duration_filesize:rw_timeout={IO_TIMEOUT_US}]{tee_quote(d.secret_url)}"
        for d in destinations
    ]
    # dump_extra repeats SPS/PPS on keyframes, so a relay can join mid-stream
    slaves += [
        f"[f=mpegts:onfail=ignore:bsfs/v=dump_extra]{tee_quote(feed.write_url)}" for feed in feeds
    ]
    return "|".join(slaves)


def encoder_argv(
    display: str,
    destinations: Sequence[Destination],
    feeds: Sequence[FeedPipe] = (),
    *,
    audio: Sequence[str] = SILENCE,
    ffmpeg: str = "ffmpeg",
    video_size: str = VIDEO_SIZE,
    framerate: int = FRAMERATE,
    x264: str = DEFAULT_X264,
) -> list[str]:
    if not destinations and not feeds:
        raise ValueError("an encoder needs at least one destination")
    return [
        ffmpeg,
        *COMMON,
        "-thread_queue_size", str(CAPTURE_QUEUE),
        "-f", "x11grab", "-video_size", video_size, "-framerate", str(framerate),
        "-draw_mouse", "0", "-i", display,
        *audio,
        *ENCODE,
        *video_options(x264),
        "-flags", "+global_header",
        "-f", "tee", tee_slaves(destinations, feeds),
    ]  # fmt: skip


def relay_argv(destination: Destination, *, ffmpeg: str = "ffmpeg") -> list[str]:
    """A copy of the encoded stream on standard input to ``destination``, no re-encode."""
    return [
        ffmpeg,
        *COMMON,
        "-analyzeduration", "3000000", "-f", "mpegts", "-i", RELAY_INPUT,
        "-map", "0", "-c", "copy",
        "-rw_timeout", str(IO_TIMEOUT_US),
        "-f", "flv", "-flvflags", "no_duration_filesize",
        destination.secret_url,
    ]  # fmt: skip
