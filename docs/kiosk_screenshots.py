"""Screenshots of every kiosk scene from a real Xvfb display, for docs/kiosk.md.

Run from the project root: ``.venv/bin/python docs/kiosk_screenshots.py``. It starts
Xvfb and xterm the way the broadcast does (160x45 cells of 8x16 pixels), runs
``studio kiosk run`` inside, drives it with ``studio kiosk send`` and grabs each scene
with FFmpeg's x11grab as the broadcast does. Pictures come from the kiosk's image cache, seeded
with local files, because there is no network here.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402

from studio.broadcast import xauth  # noqa: E402
from studio.broadcast.terminal import BACKGROUND, ON_AIR_GRIDS, xterm_argv  # noqa: E402
from studio.broadcast.thumbnails import TitleBand  # noqa: E402
from studio.children import die_with_parent  # noqa: E402
from tests.kiosk.kiosk_helpers import make_pictures  # noqa: E402
from tests.kiosk.test_kiosk_snapshots import AGENT_LOG, SLIDES  # noqa: E402

WAIT = {"build": 9.0, "build_preview_image": 16.0}
"""Seconds into a build slide for its picture: mid-reveal, and with the preview shown."""
DISPLAY = os.environ.get("KIOSK_DISPLAY", ":57")
STUDIO = str(ROOT / ".venv" / "bin" / "studio")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="kiosk-shots-"))
    # The display admits only holders of its cookie, as the broadcast's does; granting
    # it sets XAUTHORITY for this script and everything it starts.
    cookie = xauth.new_cookie()
    server_authority = asyncio.run(xauth.server_authority(cookie))
    asyncio.run(xauth.grant(DISPLAY, cookie))
    sock, log = work / "kiosk.sock", work / "stream.log"
    env = dict(
        os.environ, XDG_CACHE_HOME=str(work / "cache"), COLORTERM="truecolor", DISPLAY=DISPLAY
    )
    cache = work / "cache" / "studio" / "kiosk-images"
    cache.mkdir(parents=True)
    for url, path in make_pictures(work / "pictures").items():
        shutil.copy(path, cache / hashlib.sha256(url.encode()).hexdigest())
    log.write_text("")  # nothing from the agent yet: the opening card is on air

    started: list[subprocess.Popen[bytes]] = []
    try:
        started.append(
            subprocess.Popen(
                [
                    "Xvfb",
                    DISPLAY,
                    "-screen",
                    "0",
                    "1280x720x24",
                    "-auth",
                    str(server_authority),
                    "-nolisten",
                    "tcp",
                    "-nocursor",
                ],
                preexec_fn=die_with_parent(),
            )
        )
        time.sleep(1.0)
        kiosk = [STUDIO, "kiosk", "run", "--socket", str(sock), "--log", str(log), "--idle", "0"]
        kiosk += ["--name", "agent_smith", "--title", "Fixing the parser live, come watch"]
        kiosk += ["--platform", "retake", "--platform", "clawcast"]
        kiosk += ["--link", "https://retake.tv/agent_smith"]
        started.append(
            subprocess.Popen(xterm_argv(DISPLAY, kiosk), env=env, preexec_fn=die_with_parent())
        )
        for _ in range(100):
            if sock.exists():
                break
            time.sleep(0.1)

        def send(*args: str) -> None:
            subprocess.run(
                [STUDIO, "kiosk", "send", "--socket", str(sock), *args],
                check=True,
                env=env,
                stdout=subprocess.DEVNULL,
            )

        def shot(name: str, settle: float = 1.0) -> None:
            time.sleep(settle)
            # Like /work/shared/tools/look, but without the X pointer, as the broadcast's
            # own capture (-draw_mouse 0) sees the frame.
            out = ROOT / "docs" / f"kiosk-{name}.png"
            grab = ["ffmpeg", "-loglevel", "error", "-y", "-f", "x11grab", "-draw_mouse", "0"]
            grab += ["-video_size", "1280x720", "-i", DISPLAY, "-frames:v", "1", str(out)]
            subprocess.run(grab, check=True)
            print("docs/kiosk-" + name + ".png")

        send(
            "ticker",
            "--live",
            "--name",
            "agent_smith",
            "--viewers",
            "1284",
            "--uptime",
            "3725",
            "--token",
            "SMITH",
            "--market-cap",
            "2340000",
        )
        shot("opening", 3.0)
        opening = Image.open(ROOT / "docs" / "kiosk-opening.png")
        band = TitleBand("agent_smith", "Fixing the parser live, come watch")
        band.draw(opening).save(ROOT / "docs" / "thumbnail.png")  # lossless for the docs
        print("docs/thumbnail.png")
        with log.open("a") as out:
            out.write("".join(line + "\n" for line in AGENT_LOG))
        shot("terminal", 2.0)
        for author, text, first in (
            ("satoshi_fan", "gm! what are you building today?", True),
            ("devrel_dan", "the parser fix looks clean", False),
            ("quant_queen", "can you show the test output again? the unicode one failed", True),
        ):
            send("chat", author, text, *(["--first-time"] if first else []))
        send("alert", "follow", "night_owl")
        send("alert", "trade", "whale_42", "--amount", "250K $SMITH")
        send("alert", "tip", "satoshi_fan", "--amount", "0.5 SOL", "--detail", "for the parser fix")
        send("scene", "chat")
        shot("chat")
        send("message", "Poll results in two minutes — vote in the chat!")
        send("scene", "terminal")
        shot("message")
        send("message", "")
        for name, slide in SLIDES.items():
            if name in ("text_long_headline", "image_missing"):
                continue
            path = work / f"{name}.json"
            path.write_text(json.dumps(slide))
            send("slide", str(path))
            if name == "poll":
                send("poll-results", "12", "30", "4", "9")
            shot(f"slide-{name.replace('_', '-')}", WAIT.get(name, 1.5))
        send("scene", "filler")
        shot("filler")
        send("quit")
        time.sleep(0.5)
        for grid in ("128x36", "90x25"):
            started.append(phone_grid(grid, work, env, kiosk))
    finally:
        for process in reversed(started):
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()


def phone_grid(
    name: str, work: Path, env: dict[str, str], kiosk: list[str]
) -> subprocess.Popen[bytes]:
    """The opening card and the chat scene at a bigger-text grid, as the broadcast's
    xterm draws them (``studio golive --grid``)."""
    grid = ON_AIR_GRIDS[name]
    sock, log = work / f"kiosk-{name}.sock", work / f"stream-{name}.log"
    log.write_text("")
    argv = [*kiosk]
    argv[argv.index("--socket") + 1], argv[argv.index("--log") + 1] = str(sock), str(log)
    process = subprocess.Popen(
        xterm_argv(
            DISPLAY,
            argv,
            grid=grid.size,
            pixel_size=grid.pixel_size,
            border=grid.border,
            background=BACKGROUND,
        ),
        env=env,
    )
    for _ in range(100):
        if sock.exists():
            break
        time.sleep(0.1)

    def send(*args: str) -> None:
        subprocess.run(
            [STUDIO, "kiosk", "send", "--socket", str(sock), *args],
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )

    def shot(picture: str, settle: float) -> None:
        time.sleep(settle)
        out = ROOT / "docs" / f"kiosk-{name}-{picture}.png"
        grab = ["ffmpeg", "-loglevel", "error", "-y", "-f", "x11grab", "-draw_mouse", "0"]
        grab += ["-video_size", "1280x720", "-i", DISPLAY, "-frames:v", "1", str(out)]
        subprocess.run(grab, check=True)
        print(out.relative_to(ROOT))

    send("ticker", "--live", "--name", "agent_smith", "--viewers", "1284", "--uptime", "3725")
    shot("opening", 2.0)
    with log.open("a") as out:
        out.write("".join(line + "\n" for line in AGENT_LOG))
    send("chat", "satoshi_fan", "gm! what are you building today?", "--first-time")
    send("alert", "tip", "satoshi_fan", "--amount", "0.5 SOL")
    send("scene", "chat")
    shot("chat", 1.5)
    send("quit")
    time.sleep(0.5)
    return process


if __name__ == "__main__":
    main()
