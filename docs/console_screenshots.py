"""Screenshots of the operator console for the README and docs/console.md, taken from a
real terminal attached to a real broadcast.

Run from the project root: ``.venv/bin/python docs/console_screenshots.py``. It starts a
rehearsal world on loopback (the sandbox of the three platforms and nginx-rtmp), a
detached broadcast on it (``studio golive --detach --retake --clawcast --basefm``, with
the kiosk on its own Xvfb), viewers who chat, tip and vote through the sandbox; then for
each picture a private Xvfb (the studio's own ``VirtualDisplay``) with xterm running
``studio console`` on the broadcast's control socket, keys typed with xdotool, and the
terminal's window captured with mss. At 80x24 and 200x50. Needs what scripts/install
installs (Xvfb, xterm, xdotool, FFmpeg, nginx-rtmp, JetBrains Mono).
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import mss
from PIL import Image, ImageChops

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from studio.broadcast.display import VirtualDisplay  # noqa: E402
from studio.broadcast.terminal import xterm_argv  # noqa: E402
from studio.config import Paths  # noqa: E402
from studio.platforms.retake import RetakeClient  # noqa: E402
from studio.platforms.retake_credentials import (  # noqa: E402
    credentials_from_registration,
    save_credentials,
)
from studio.sandbox.rehearsal import rehearsal_world  # noqa: E402

AGENT = "agent_smith"
WALLET = "0x" + "ab" * 20
TX_HASH = "0x" + "cd" * 32
FONT, PIXEL_SIZE = "JetBrains Mono", 15
TITLE = "studio console"
SMALL, LARGE = (80, 24), (200, 50)
PLAYLIST = {
    "slides": [
        {"type": "poll", "duration_seconds": 30,
         "content": {"question": "What should I build next?",
                     "options": ["Web scraper", "Chess engine", "Weather bot", "Music generator"]}},
        {"type": "text", "duration_seconds": 20,
         "content": {"headline": "Hello ClawCast!", "body": "Live from the studio"}},
        {"type": "data", "duration_seconds": 20,
         "content": {"rows": [{"label": "Build", "value": "green", "change": "+3 tests"}]}},
    ]
}  # fmt: skip
TABS = {"viewer": 4, "queue": 11, "slides": 19, "operator": 28}
"""The column of each tab's label on the console's second row (clicked with the mouse:
in xterm at 200 columns the function keys did not reach the console, at 80 they do)."""
SHOTS: list[tuple[str, tuple[int, int], list[str]]] = [
    # (file, terminal size, keys or tab:NAME clicks), in the order the show allows
    ("console-slides", LARGE, ["tab:slides", "ctrl+o"]),
    ("console-viewer", LARGE, ["tab:viewer"]),
    ("console-queue", LARGE, ["tab:queue"]),
    ("console-operator", LARGE, ["tab:operator"]),
    ("console-chat", SMALL, ["F2"]),
]


def studio(args: list[str], env: dict[str, str], timeout: float = 120) -> str:
    done = subprocess.run([sys.executable, "-m", "studio", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"studio {' '.join(args)}: {done.stderr.strip()}")
    return done.stdout


def wait_for(what: str, condition: Callable[[], Any], within: float = 120.0) -> Any:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.5)
    raise SystemExit(f"gave up waiting for {what}")


def status(env: dict[str, str]) -> dict[str, Any]:
    return json.loads(studio(["status", "--json"], env))


async def register(origin: str, credentials: Path) -> str:
    async with RetakeClient(origin) as client:
        reply = await client.register({
            "agent_name": AGENT, "agent_description": "Builds things live, in a terminal",
            "image_url": "https://example.com/avatar.png",
            "wallet_address": "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV", "ticker": "SMITH",
        })  # fmt: skip
    save_credentials(Paths(credentials, credentials.parent),
                     credentials_from_registration(reply, agent_name=AGENT, ticker="SMITH",
                                                   origin=origin))  # fmt: skip
    async with httpx.AsyncClient(base_url=origin) as control:
        await control.post("/_sandbox/retake/verified", json={"agent": AGENT})
    return reply.user_db_id


def drawn(picture: Image.Image) -> bool:
    colours = picture.getcolors(maxcolors=4096)
    return colours is None or len(colours) > 12


class Terminal:
    """xterm on a private Xvfb running ``studio console``; keys in, pictures out."""

    def __init__(self, size: tuple[int, int], env: dict[str, str], cwd: Path) -> None:
        self.size, self.env, self.cwd = size, env, cwd
        self.display = VirtualDisplay(1920, 1200)
        self.xterm: subprocess.Popen[bytes] | None = None
        self.window = ""

    async def __aenter__(self) -> Terminal:
        name = await self.display.start()
        cols, rows = self.size
        env = {**self.env, "DISPLAY": name, "XAUTHORITY": os.environ["XAUTHORITY"],
               "TERM": "xterm-256color", "COLORTERM": "truecolor"}  # fmt: skip
        # the studio's own on-air terminal settings (direct colour, no escapes that
        # change the window), at the console's size
        argv = xterm_argv(name, [sys.executable, "-m", "studio", "console"], grid=(cols, rows),
                          font=FONT, pixel_size=PIXEL_SIZE, title=TITLE, background="#0b1020")  # fmt: skip
        self.xterm = subprocess.Popen(argv, env=env, cwd=self.cwd)  # noqa: ASYNC220
        self.window = await asyncio.to_thread(
            wait_for, "the xterm window", lambda: self._xdotool("search", "--pid",
                                                                str(self.xterm.pid)).split()[:1],
            30,
        )  # fmt: skip
        self.window = self.window[0]
        return self

    def _xdotool(self, *args: str) -> str:
        env = {**os.environ, "DISPLAY": self.display.name or ""}
        done = subprocess.run(["xdotool", *args], env=env, capture_output=True, text=True)
        return done.stdout

    def keys(self, *keys: str) -> None:
        """Typed as a person would (XTEST into the focused window; xterm ignores the
        synthetic events ``--window`` sends)."""
        self._xdotool("windowfocus", self.window)
        for key in keys:
            if key.startswith("tab:"):
                self.click(TABS[key.removeprefix("tab:")], 1)
            else:
                self._xdotool("key", key)
            time.sleep(0.6)  # let the console draw what the key did

    def click(self, col: int, row: int) -> None:
        geometry = self._xdotool("getwindowgeometry", "--shell", self.window)
        values = dict(line.split("=", 1) for line in geometry.split())
        cell_w = int(values["WIDTH"]) / self.size[0]
        cell_h = int(values["HEIGHT"]) / self.size[1]
        x, y = int((col + 0.5) * cell_w), int((row + 0.5) * cell_h)
        self._xdotool("mousemove", "--window", self.window, str(x), str(y))
        self._xdotool("click", "1")

    def grab(self) -> Image.Image:
        geometry = self._xdotool("getwindowgeometry", "--shell", self.window)
        values = dict(line.split("=", 1) for line in geometry.split())
        x, y = int(values["X"]), int(values["Y"])
        width, height = int(values["WIDTH"]), int(values["HEIGHT"])
        with (
            mss.MSS(display=self.display.name)
            if hasattr(mss, "MSS")
            else mss.mss(display=self.display.name) as screen
        ):
            shot = screen.grab({"left": x, "top": y, "width": width, "height": height})
        return Image.frombytes("RGB", shot.size, shot.bgra, "raw", "BGRX")

    def settled(self, within: float = 30.0) -> Image.Image:
        """A picture once the console has drawn (more than a blank terminal's few colours)
        and holds still: two grabs a second apart that differ in less than a quarter of
        the window (the on-air frame keeps moving), or the last one."""
        deadline = time.monotonic() + within
        last = self.grab()
        while not drawn(last) and time.monotonic() < deadline:
            time.sleep(0.5)
            last = self.grab()
        while time.monotonic() < deadline:
            time.sleep(1.0)
            now = self.grab()
            box = ImageChops.difference(last, now).getbbox()
            if box is None or (box[2] - box[0]) * (box[3] - box[1]) < now.width * now.height // 4:
                return now
            last = now
        return last

    async def __aexit__(self, *exc: object) -> None:
        if self.xterm is not None:
            self.xterm.terminate()
            try:
                self.xterm.wait(10)
            except subprocess.TimeoutExpired:
                self.xterm.kill()
        await self.display.stop()


async def shoot(name: str, size: tuple[int, int], keys: list[str], env: dict[str, str],
                cwd: Path, before: Callable[[], None] | None = None) -> Path:  # fmt: skip
    async with Terminal(size, env, cwd) as terminal:
        await asyncio.to_thread(terminal.settled)
        if before is not None:
            before()
        await asyncio.to_thread(terminal.keys, *keys)
        picture = await asyncio.to_thread(terminal.settled)
    path = ROOT / "docs" / f"{name}.png"
    picture.save(path, optimize=True)
    print(path, picture.size)
    return path


async def main() -> None:
    for tool in ("Xvfb", "xterm", "xdotool", "ffmpeg", "nginx"):
        if shutil.which(tool) is None:
            raise SystemExit(f"{tool} is missing: run scripts/install")
    work = Path(tempfile.mkdtemp(prefix="console-shots-"))
    (work / "playlist.json").write_text(json.dumps(PLAYLIST, indent=2))
    with rehearsal_world(work / "rec") as world:
        origin = world.origin
        credentials = work / "retake" / "credentials.json"
        me = await register(origin, credentials)
        env = {**os.environ, **world.env(), "HOME": str(work), "STUDIO_STATE_DIR": str(work / "state"),
               "STUDIO_RETAKE_CREDENTIALS": str(credentials)}  # fmt: skip
        for name in ("RETAKE_ACCESS_TOKEN", "STUDIO_NOTIFY_COMMAND"):
            env.pop(name, None)
        (work / "agent.log").write_text("$ pnpm test\n✓ 128 tests passed\n$ git push\n")
        studio(["golive", "--detach", "--retake", "--clawcast", "--basefm", "--basefm-wallet",
                WALLET, "--log", str(work / "agent.log"), "--title", "Building a chess engine",
                "--slides", str(work / "playlist.json"), "--clawcast-minutes", "2"], env)  # fmt: skip
        try:
            await run_the_show(world, me, env, work)
        finally:
            studio(["stop"], env, timeout=120)


async def run_the_show(world: Any, me: str, env: dict[str, str], work: Path) -> None:  # noqa: ANN401
    async with httpx.AsyncClient(base_url=world.origin) as http:
        await the_show(http, me, env, work)


async def the_show(http: httpx.AsyncClient, me: str, env: dict[str, str], work: Path) -> None:
    # the payment step waits for the operator: the first picture (80x24)
    wait_for("the baseFM payment step",
             lambda: any(p["need"] == "tx_hash" for p in status(env)["pending"]))  # fmt: skip
    await shoot("console-payment", SMALL, [], env, work)
    studio(["answer", "tx_hash", TX_HASH], env)
    wait_for("every platform live", lambda: all(
        (leg := status(env)["legs"].get(p)) and leg.get("live") for p in ("retake", "basefm", "clawcast")))  # fmt: skip
    # viewers: chat, a tip, a trade, a follow; votes on the poll on air
    for user, text in [("alice", "gm! first time here"), ("bob", "what are you building today?"),
                       ("alice", "that tip though"), ("carol", "chess engine please")]:  # fmt: skip
        await http.post(
            "/_sandbox/retake/chat", json={"streamer_id": me, "text": text, "username": user}
        )
    await http.post(
        "/_sandbox/retake/tip", json={"streamer_id": me, "username": "whale", "amount": 5}
    )
    studio(["chat", "send", "thanks for the tip, whale!"], env)
    studio(["chat", "send", "--clawcast", "the poll is open: vote!"], env)
    for option, count in ((1, 12), (0, 5), (2, 3)):
        await http.post("/_sandbox/clawcast/votes",
                  json={"option_index": option, "count": count, "viewer_id": f"v{option}"})  # fmt: skip
    for name, size, keys in SHOTS:
        await shoot(name, size, keys, env, work)


if __name__ == "__main__":
    asyncio.run(main())
