"""The pure parts of the pipeline: progress parsing, command lines, destinations,
the retry timer, xwininfo parsing and blank-picture detection."""

from __future__ import annotations

import asyncio
import io
import os
import random

import pytest
from PIL import Image, ImageDraw

from studio.backoff import Backoff
from studio.broadcast.destinations import Destination
from studio.broadcast.events import EncoderStats
from studio.broadcast.feed_pump import FeedPump
from studio.broadcast.ffmpeg_command import FeedPipe, encoder_argv, relay_argv, tee_slaves
from studio.broadcast.progress import ProgressParser
from studio.broadcast.terminal import grid_for, parse_xwininfo, xterm_argv
from studio.broadcast.thumbnails import (
    LIVE_RED,
    TitleBand,
    band_jpeg,
    changed_share,
    encode,
    is_blank,
    is_empty_frame,
)
from studio.broadcast.watchdog import RetryTimer
from studio.redaction import redact
from studio.validation.retake import check_image_upload

PROGRESS = """\
frame=61
fps=30.02
stream_0_0_q=24.0
bitrate=1502.3kbits/s
total_size=382000
out_time_us=2033333
out_time_ms=2033333
out_time=00:00:02.033333
dup_frames=1
drop_frames=3
speed=1.01x
progress=continue
frame=91
fps=29.97
bitrate=N/A
total_size=N/A
out_time_us=3033333
dup_frames=1
drop_frames=4
speed=N/A
progress=end
"""


def test_progress_blocks_become_stats() -> None:
    seen: list[EncoderStats] = []
    parser = ProgressParser(seen.append)
    for line in PROGRESS.splitlines():
        parser.feed(line)
    first, last = seen
    assert (first.frame, first.fps, first.bitrate_kbps, first.total_size) == (
        61,
        30.02,
        1502.3,
        382000,
    )
    assert first.out_time == pytest.approx(2.033333)
    assert (first.dup_frames, first.drop_frames, first.speed, first.ended) == (1, 3, 1.01, False)
    assert (last.frame, last.drop_frames, last.bitrate_kbps, last.speed, last.ended) == (
        91,
        4,
        None,
        None,
        True,
    )
    assert parser.last == last
    assert first.to_dict()["event"] == "encoder.stats"


def test_encoder_command_follows_the_seed_and_tees_every_destination() -> None:
    a = Destination.from_parts("retake", "rtmp://127.0.0.1:1935/retake", "keyalpha0001")
    b = Destination.from_parts("basefm", "rtmp://127.0.0.1:1935/basefm", "keybravo0001")
    feeds = [FeedPipe("retake", 11), FeedPipe("basefm", 12)]
    argv = encoder_argv(":7", [a, b], feeds)
    joined = " ".join(argv)
    # -thread_queue_size comes before -f x11grab
    assert argv.index("-thread_queue_size") < argv.index("x11grab")
    for part in (
        "-f x11grab -video_size 1280x720 -framerate 30 -draw_mouse 0 -i :7",
        "anullsrc=channel_layout=stereo:sample_rate=44100",
        "-c:v libx264 -b:v 1500k -maxrate 1500k -bufsize 3000k",
        "-pix_fmt yuv420p -g 60",
        "-c:a aac -b:a 128k -ar 44100 -ac 2",
        "-map 0:v -map 1:a",
        "-progress pipe:1",
    ):
        assert part in joined
    assert argv.count("-f") == 3 and argv[-2] == "tee"
    slaves = argv[-1].split("|")
    assert len(slaves) == 4
    assert slaves[0].startswith("[f=flv:onfail=ignore") and slaves[0].endswith(
        "/retake/keyalpha0001'"
    )
    assert slaves[1].endswith("/basefm/keybravo0001'")
    assert slaves[2] == "[f=mpegts:onfail=ignore:bsfs/v=dump_extra]'pipe:11'"
    assert slaves[3] == "[f=mpegts:onfail=ignore:bsfs/v=dump_extra]'pipe:12'"


def test_tee_escapes_separators_and_relay_copies() -> None:
    odd = Destination(name="x", url="rtmp://h/app/a|b[c]")
    assert tee_slaves([odd], []).endswith("]'rtmp://h/app/a|b[c]'")
    relay = relay_argv(odd)
    assert relay[relay.index("-c") + 1] == "copy" and relay[-1] == "rtmp://h/app/a|b[c]"
    assert relay[relay.index("-i") + 1] == "pipe:0"
    with pytest.raises(ValueError):
        encoder_argv(":1", [], [])


def test_destination_url_is_a_registered_secret() -> None:
    destination = Destination.from_parts("basefm", "rtmp://ingest.example/app", "mysterykey42")
    assert "mysterykey42" not in repr(destination) and "mysterykey42" not in str(
        destination.model_dump()
    )
    assert destination.secret_url == "rtmp://ingest.example/app/mysterykey42"
    assert redact("Error opening rtmp://ingest.example/app/mysterykey42: refused") == (
        "Error opening [REDACTED]: refused"
    )
    assert redact("publishing mysterykey42") == "publishing [REDACTED]"
    with pytest.raises(ValueError):
        Destination(name="web", url="https://example.com/live")


async def test_retry_timer_backs_off_like_obs_and_reconnect_now_skips_the_wait() -> None:
    timer = RetryTimer(Backoff(first=2.0, factor=1.5, cap=60.0, jitter=0.0, attempts=None))
    assert [timer.next_delay() for _ in range(4)] == [2.0, 3.0, 4.5, 6.75]
    timer.reset()
    assert timer.next_delay() == 2.0
    jittered = RetryTimer(
        Backoff(first=2.0, factor=1.5, cap=60.0, jitter=0.2, attempts=None), random.Random(1)
    )
    assert 1.6 <= jittered.next_delay() <= 2.4
    loop = asyncio.get_running_loop()
    loop.call_soon(timer.reconnect_now)
    started = loop.time()
    assert await timer.wait(30) is True
    assert loop.time() - started < 5
    assert await timer.wait(0.01) is False  # the wake-up is used once


def test_xwininfo_and_grid() -> None:
    text = """
xwininfo: Window id: 0x200008 "studio-on-air"

  Absolute upper-left X:  0
  Absolute upper-left Y:  0
  Width: 1280
  Height: 720
  Map State: IsViewable
  -geometry 160x45+0+0
"""
    geometry = parse_xwininfo(text)
    assert (geometry.width, geometry.height, geometry.cols, geometry.rows) == (1280, 720, 160, 45)
    assert geometry.cell == (8.0, 16.0)
    assert grid_for((8, 16)) == (160, 45)
    assert grid_for((9, 17)) == (142, 42)
    argv = xterm_argv(":3", ["kiosk", "--on-air"])
    assert argv[-3:] == ["-e", "kiosk", "--on-air"]
    assert "160x45+0+0" in argv and "*directColor: true" in argv
    assert (
        argv[argv.index("-b") + 1] == "0" and argv[argv.index("-bw") + 1] == "0" and "+sb" in argv
    )


def test_blank_pictures_and_thumbnail_interval() -> None:
    assert is_blank(Image.new("RGB", (64, 36), (0, 0, 0)))
    picture = Image.new("RGB", (64, 36), (0, 0, 0))
    picture.putpixel((10, 10), (255, 200, 0))
    assert not is_blank(picture)
    assert is_blank(picture, tolerance=255)


def test_an_xterm_with_only_its_cursor_is_an_empty_frame() -> None:
    frame = Image.new("RGB", (1280, 720), (11, 16, 32))
    frame.paste((255, 255, 255), (10, 10, 24, 38))  # the cursor before the kiosk draws
    assert is_empty_frame(frame) and not is_blank(frame)
    before = frame.copy()
    frame.paste((255, 180, 70), (40, 200, 940, 360))  # the opening card's name
    assert not is_empty_frame(frame)
    assert changed_share(frame, frame.copy()) == 0
    assert 0.1 < changed_share(before, frame) < 0.2  # 900x160 of 1280x720 pixels


def test_thumbnails_are_scaled_jpegs_that_keep_glyph_colours() -> None:
    frame = Image.new("RGB", (1280, 720), (20, 40, 60))
    ImageDraw.Draw(frame).text((40, 40), "LIVE chat", fill=(230, 40, 70))
    data = encode(frame, max_width=640)
    assert check_image_upload(data) == "JPEG"
    assert Image.open(io.BytesIO(data)).size == (640, 360)
    full = Image.open(io.BytesIO(encode(frame)))
    assert full.size == (1280, 720)
    # no chroma subsampling: a red glyph stays red, and the flat background stays flat
    assert full.getpixel((400, 400)) == pytest.approx((20, 40, 60), abs=2)
    glyphs = full.crop((40, 40, 120, 60))
    reds = [c for _, c in glyphs.getcolors(80 * 20) or [] if c[0] > 150 and c[1] < 90]
    assert len(reds) >= 20  # with 4:2:0 subsampling, 4 of them are left


def test_title_band_says_live_the_agent_and_the_title_and_masks_secrets() -> None:
    frame = Image.new("RGB", (1280, 720), (11, 16, 32))
    shown = TitleBand("agent_smith", "Fixing the parser live").draw(frame)
    assert shown.size == (1280, 720)
    # above the band the picture is untouched; the band is drawn over the bottom 22 %
    assert shown.crop((0, 0, 1280, 560)).tobytes() == frame.crop((0, 0, 1280, 560)).tobytes()
    band = shown.crop((0, 562, 1280, 720))
    colours = {colour for _, colour in band.getcolors(1280 * 158) or []}
    assert LIVE_RED in colours and (255, 255, 255) in colours
    # no LIVE badge off air, and a token in a title never reaches the picture
    off_air = TitleBand("agent_smith", live=False).draw(frame).crop((0, 570, 400, 720))
    assert LIVE_RED not in {c for _, c in off_air.getcolors(400 * 150) or []}
    token = "rtk_" + "a1b2c3d4" * 4
    masked = TitleBand("agent_smith", f"key {token}").draw(frame)
    plain = TitleBand("agent_smith", f"key {redact(token)}").draw(frame)
    assert masked.tobytes() == plain.tobytes()
    data = band_jpeg(frame, TitleBand("agent_smith"))
    assert check_image_upload(data) == "JPEG"
    # the thumbnail draws over the capture it is handed, the very picture draw() copies
    capture = Image.new("RGB", (1280, 720), (11, 16, 32))
    band = TitleBand("agent_smith", "Fixing the parser live")
    assert band_jpeg(capture, band) == encode(shown)
    assert capture.tobytes() == shown.tobytes()


async def test_one_feed_serves_every_relay_and_ends_with_the_encoder() -> None:
    """The encoder writes one copy; each relay attached gets all of it, a relay that
    detaches sees its input end, and the encoder's exit ends every relay's input."""
    pump = FeedPump()
    encoder_end = pump.open().fd
    writer = os.dup(encoder_end)  # what the encoder holds
    pump.encoder_started()
    first, second = pump.tap("retake"), pump.tap("basefm")
    a, b = first.attach(), second.attach()
    packet = bytes(range(188)) * 10  # ten MPEG-TS sized packets
    os.write(writer, packet)

    async def read(fd: int, size: int) -> bytes:
        got = b""
        loop = asyncio.get_running_loop()
        while len(got) < size:
            chunk = await loop.run_in_executor(None, os.read, fd, size - len(got))
            if not chunk:
                break
            got += chunk
        return got

    assert await read(a, len(packet)) == packet
    assert await read(b, len(packet)) == packet
    assert pump.passed == {"retake": len(packet), "basefm": len(packet)}
    second.detach()
    assert await read(b, 1) == b""  # its relay sees the end of its input
    os.write(writer, b"more")
    assert await read(a, 4) == b"more"
    os.close(writer)  # the encoder exits
    assert await read(a, 1) == b""
    pump.close()
    os.close(a)
    os.close(b)
