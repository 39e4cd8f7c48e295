"""Screenshots of the operator console for the README and docs/console.md.

Run from the project root: ``.venv/bin/python docs/console_screenshots.py``. It runs the
console headless in the states the snapshot tests picture (tests/console), saves each
screen as SVG the way Textual does and turns it into a PNG with rsvg-convert.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.console.console_helpers import LARGE, SMALL, Service, console, directories  # noqa: E402
from tests.console.test_console_snapshots import SCENES  # noqa: E402

SHOTS = {
    "console-viewer": ("viewer_live", LARGE),
    "console-operator": ("operator_tweet", LARGE),
    "console-payment": ("operator_payment", SMALL),
    "console-slides": ("composer_poll_live", LARGE),
    "console-queue": ("queue", LARGE),
    "console-chat": ("chat_paused", SMALL),
}


async def shoot(name: str, scene: str, size: tuple[int, int], work: Path) -> tuple[Path, Path]:
    history, setup = SCENES[scene]
    service = Service(history())
    directories(service)
    app = console(service)
    async with app.run_test(size=size) as pilot:
        await setup(app, pilot)
        await pilot.pause()
        svg = Path(app.save_screenshot(f"{name}.svg", path=str(work)))
    return svg, ROOT / "docs" / f"{name}.png"


async def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="console-shots-"))
    for name, (scene, size) in SHOTS.items():
        svg, png = await shoot(name, scene, size, work)
        width = "1600" if size == LARGE else "900"
        subprocess.run(["rsvg-convert", "-w", width, str(svg), "-o", str(png)], check=True)  # noqa: ASYNC221
        print(png)


if __name__ == "__main__":
    asyncio.run(main())
