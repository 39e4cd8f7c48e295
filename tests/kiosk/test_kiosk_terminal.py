"""The terminal scene follows a file or a FIFO the agent writes, colours kept."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

from rich.style import Style

from studio.sandbox.clock import FakeClock
from tests.kiosk.kiosk_helpers import ON_AIR, make_app, screen_text, settle, shows

GREEN, RED, BLUE = 2, 1, 4


def _colours_of(app, word: str) -> set[int | None]:  # noqa: ANN001
    """ANSI colour numbers of the spans covering exactly ``word``."""
    found = set()
    for line in app.terminal.lines:
        for span in line.spans:
            if line.plain[span.start : span.end] == word:
                colour = Style.parse(str(span.style)).color
                found.add(colour.number if colour else None)
    return found


async def test_follows_appends_to_a_file_with_ansi_colours(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(tmp_path, clock, log_lines=["$ starting agent", "old line"])
    log = tmp_path / "stream.log"
    async with app.run_test(size=ON_AIR) as pilot:
        await settle(pilot, lambda: len(app.terminal.lines) == 2)
        with log.open("a") as handle:
            handle.write("\x1b[32mPASSED\x1b[0m tests/test_x.py\n\x1b[1;31mFAILED\x1b[0m half a li")
        await settle(pilot, lambda: len(app.terminal.lines) == 3)
        assert _colours_of(app, "PASSED") == {GREEN}
        with log.open("a") as handle:
            handle.write("ne\n")
        await settle(
            pilot, lambda: len(app.terminal.lines) == 4 and shows(app, "FAILED half a line")
        )
        assert app.terminal.lines[-1].plain == "FAILED half a line"
        assert _colours_of(app, "FAILED") == {RED}
        text = screen_text(app)
        assert "PASSED tests/test_x.py" in text and "\x1b" not in text


async def test_starts_before_the_file_exists_and_survives_truncation(
    tmp_path: Path, clock: FakeClock
) -> None:
    log = tmp_path / "later.log"
    app = make_app(tmp_path, clock, log_path=log)
    async with app.run_test(size=ON_AIR) as pilot:
        log.write_text("first\n")
        await settle(pilot, lambda: [t.plain for t in app.terminal.lines] == ["first"])
        log.write_text("")
        await pilot.pause(0.15)
        log.write_text("after truncation\n")
        await settle(pilot, lambda: app.terminal.lines[-1].plain == "after truncation")


async def test_follows_a_fifo_across_writers(tmp_path: Path, clock: FakeClock) -> None:
    fifo = tmp_path / "stream.fifo"
    os.mkfifo(fifo)
    app = make_app(tmp_path, clock, log_path=fifo)

    def write(text: str) -> None:
        with open(fifo, "w") as handle:
            handle.write(text)

    async with app.run_test(size=ON_AIR) as pilot:
        await pilot.pause(0.1)
        await asyncio.to_thread(write, "\x1b[34mblue\x1b[0m from writer one\n")
        await settle(pilot, lambda: len(app.terminal.lines) == 1)
        await asyncio.to_thread(write, "writer two\n")
        await settle(pilot, lambda: shows(app, "writer two"))
        assert _colours_of(app, "blue") == {BLUE}


async def test_history_is_bounded_and_the_newest_line_is_at_the_bottom(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(tmp_path, clock, log_lines=[f"line {i}" for i in range(5000)])
    app.config.max_lines = 300
    async with app.run_test(size=ON_AIR) as pilot:
        await settle(pilot, lambda: shows(app, "line 4999"))
        assert len(app.terminal.lines) <= 300
        rows = [row for row in screen_text(app).splitlines() if row.strip()]
        assert "line 4999" in rows[-2]
