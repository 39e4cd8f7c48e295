"""Building a kiosk for tests: fake clock, local pictures, and the screen as text."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

from PIL import Image, ImageDraw
from rich.console import Console
from textual.pilot import Pilot

from studio.kiosk.app import KioskApp
from studio.kiosk.config import KioskConfig
from studio.kiosk.images.fetcher import LocalImageFetcher
from studio.kiosk.on_air_state import Storefront
from studio.sandbox.clock import FakeClock

ON_AIR = (160, 45)
GRIDS = {"160x45": (160, 45), "128x36": (128, 36), "90x25": (90, 25)}
"""The on-air grids (``studio.broadcast.terminal.ON_AIR_GRIDS``)."""
STOREFRONT = Storefront(
    name="agent_smith",
    title="Fixing the parser live, come watch",
    platforms=("retake", "clawcast"),
    link="https://retake.tv/agent_smith",
)
GIF_URL = "https://media.giphy.com/media/test/giphy.gif"
IMAGE_URL = "https://i.imgur.com/chart.png"
MISSING_URL = "https://i.imgur.com/gone.png"


def make_pictures(folder: Path) -> dict[str, Path]:
    """A two-frame GIF (sky with a sun) and a PNG chart, drawn the same way every time."""
    folder.mkdir(parents=True, exist_ok=True)
    frames = []
    for shift in (0, 6):
        frame = Image.new("RGB", (120, 68), (30, 60, 140))
        draw = ImageDraw.Draw(frame)
        for y in range(68):
            draw.line([(0, y), (120, y)], fill=(30 + y, 60 + y, 140 + y // 2))
        draw.ellipse((20 + shift, 10, 50 + shift, 40), fill=(255, 200, 40))
        draw.rectangle((0, 52, 120, 68), fill=(40, 120, 60))
        frames.append(frame)
    gif = folder / "sky.gif"
    frames[0].save(gif, save_all=True, append_images=frames[1:], duration=200, loop=0)
    chart = Image.new("RGB", (160, 90), (245, 245, 240))
    draw = ImageDraw.Draw(chart)
    for i, height in enumerate((20, 45, 30, 70, 55, 80)):
        draw.rectangle(
            (12 + i * 24, 85 - height, 28 + i * 24, 85), fill=(40 + i * 30, 110, 200 - i * 20)
        )
    draw.line((8, 85, 152, 85), fill=(20, 20, 20), width=2)
    png = folder / "chart.png"
    chart.save(png)
    return {GIF_URL: gif, IMAGE_URL: png}


def make_app(
    tmp_path: Path,
    clock: FakeClock,
    *,
    socket: bool = False,
    log_lines: list[str] | None = None,
    log_path: Path | None = None,
    idle_seconds: float = 0,
    theme: str = "onair",
    frozen: bool = True,
    storefront: Storefront | None = None,
    await_secrets: bool = False,
) -> KioskApp:
    if log_path is None and log_lines is not None:
        log_path = tmp_path / "stream.log"
        log_path.write_text("".join(line + "\n" for line in log_lines), encoding="utf-8")
    config = KioskConfig(
        socket_path=tmp_path / "kiosk.sock" if socket else None,
        log_path=log_path,
        theme=theme,
        idle_seconds=idle_seconds,
        frozen=frozen,
        clock=clock,
        fetcher=LocalImageFetcher(make_pictures(tmp_path / "pictures")),
        storefront=storefront or Storefront(),
        await_secrets=await_secrets,
    )
    return KioskApp(config)


async def settle(
    pilot: Pilot, until: Callable[[], bool] = lambda: True, *, rounds: int = 100
) -> None:
    """Let workers and messages run until ``until()`` holds (bounded)."""
    for _ in range(rounds):
        pictures = [w for w in pilot.app.workers if w.group == "slide-picture"]
        if pictures:
            await pilot.app.workers.wait_for_complete(pictures)
        await pilot.pause()
        if until():
            return
        await pilot.pause(0.02)
    raise AssertionError("the kiosk did not reach the expected state")


def screen_text(app: KioskApp) -> str:
    """What is on air, as plain text, line by line."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False
    )
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text()


def shows(app: KioskApp, *texts: str) -> bool:
    """Whether every one of ``texts`` is on air now: a condition for ``settle``, since a
    model that holds the new state is not yet a screen that draws it."""
    text = screen_text(app)
    return all(t in text for t in texts)
