"""The chat log alone: lines kept as data, measured as Rich wraps them, rendered only when
on screen; the scrollback bound, following the tail, and wrapping again on a resize."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich._wrap import divide_line
from rich.console import Console
from rich.segment import Segment
from rich.text import Text
from textual.app import App, ComposeResult

from studio.console.model import TimelineEntry
from studio.console.panes.chat import chat_log
from studio.console.panes.chat.chat_log import ChatLog, plain_text, rows_of
from tests.console.console_helpers import T0, settle, shown_rows

BOUND = 50
WIDE = "ｗｉｄｅ" * 9  # two cells a character


def line(n: int, text: str | None = None, **kw: object) -> TimelineEntry:
    words = text if text is not None else f"message {n} " + "with a few words more " * (n % 4)
    return TimelineEntry(
        at=T0 + n, platform="retake", kind="chat", author=f"viewer{n % 7}", text=words, **kw
    )  # type: ignore[arg-type]


class LogApp(App[None]):
    CSS_PATH = str(Path(chat_log.__file__).with_name("chat.tcss"))

    def compose(self) -> ComposeResult:
        yield ChatLog(max_lines=BOUND, id="chat-log")


@pytest.mark.parametrize("width", [1, 7, 20, 33, 80])
@pytest.mark.parametrize(
    "text",
    ["", "gm", "word " * 40, "x" * 130, WIDE, f"{WIDE} and {WIDE}", "a\tb\tc", "two\nlines here"],
)
def test_rows_are_the_rows_rich_renders(text: str, width: int) -> None:
    entry = line(3, text, first_time=True, amount="5.00")
    plain = plain_text(entry)
    console = Console(width=width, file=io.StringIO())
    rendered = Text(plain)
    rendered.expand_tabs()
    rows = list(Segment.split_lines(console.render(rendered, console.options)))
    assert rows_of(plain, width) == len(rows)


async def test_lines_are_taken_as_data_and_only_the_rows_on_screen_are_rendered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = LogApp()
    rendered: list[str] = []
    real = ChatLog.render_chat_line

    def counting(log: ChatLog, entry: TimelineEntry, colours: object = None) -> Text:
        rendered.append(entry.text)
        return real(log, entry, colours)  # type: ignore[arg-type]

    monkeypatch.setattr(ChatLog, "render_chat_line", counting)
    async with app.run_test(size=(40, 12)) as pilot:
        log = app.query_one(ChatLog)
        for first in range(0, 1000, 100):  # a flood, in batches
            log.add(line(n) for n in range(first, first + 100))
        await pilot.pause()
        assert log.line_count == BOUND and log.kept[-1] == line(999)
        width = log.scrollable_content_region.width
        rows = sum(rows_of(plain_text(entry), width) for entry in log.kept)
        assert log.virtual_size.height == rows
        assert log.scroll_y == log.max_scroll_y > 0 and not log.paused  # following the tail
        height = log.scrollable_content_region.height
        assert 0 < len(rendered) <= height  # the lines on screen, not the 1,000 taken
        last = plain_text(line(999))
        shown = shown_rows(log)[-rows_of(last, width) :]  # the newest line, at the bottom
        assert " ".join(shown).split() == last.split()


async def test_the_scrollback_keeps_the_newest_lines_in_order() -> None:
    app = LogApp()
    async with app.run_test(size=(40, 12)) as pilot:
        log = app.query_one(ChatLog)
        for n in range(BOUND * 7 + 3):  # one at a time: the front is cut again and again
            log.add([line(n)])
        await pilot.pause()
        newest = BOUND * 7 + 3
        assert log.kept == [line(n) for n in range(newest - BOUND, newest)]
        await pilot.press("home")  # the oldest line kept is the top row
        await settle(pilot, lambda: log.scroll_y == 0)
        assert f"message {newest - BOUND}" in shown_rows(log)[0]
        log.clear()
        await pilot.pause()
        assert log.line_count == 0 and log.virtual_size.height == 0 and shown_rows(log) == []


async def test_scrolling_up_pauses_and_keeps_the_view_while_lines_arrive() -> None:
    app = LogApp()
    async with app.run_test(size=(40, 12)) as pilot:
        log = app.query_one(ChatLog)
        log.add(line(n) for n in range(BOUND))
        await pilot.pause()
        log.focus()
        await pilot.press("pageup")
        await settle(pilot, lambda: log.paused)
        top = shown_rows(log)
        log.add(line(n) for n in range(BOUND, BOUND + 5))  # cuts 5 lines from the top
        await pilot.pause()
        assert log.paused and log.unseen == 5
        assert shown_rows(log) == top  # the operator's view stays on the same lines
        await pilot.press("end")
        await settle(pilot, lambda: not log.paused and log.scroll_y == log.max_scroll_y)
        assert log.unseen == 0
        assert f"message {BOUND + 4}" in "".join(shown_rows(log))


async def test_a_resize_wraps_the_lines_again_and_keeps_following() -> None:
    app = LogApp()
    long = "a line long enough to wrap in a narrow pane but not in a wide one"
    async with app.run_test(size=(40, 12)) as pilot:
        log = app.query_one(ChatLog)
        log.add(line(n, f"{long} {n}") for n in range(20))
        await pilot.pause()
        narrow = log.virtual_size.height
        assert narrow >= 40  # two rows a line or more
        await pilot.resize_terminal(120, 12)
        await settle(pilot, lambda: log.virtual_size.height == 20)  # one row a line
        assert log.scroll_y == log.max_scroll_y and not log.paused
        assert shown_rows(log)[-1].endswith(f"{long} 19")
        assert all(len(row) <= log.scrollable_content_region.width for row in shown_rows(log))


async def test_a_resize_keeps_a_paused_view_on_its_top_line() -> None:
    app = LogApp()
    async with app.run_test(size=(40, 12)) as pilot:
        log = app.query_one(ChatLog)
        log.add(line(n, f"line {n} " + "wrapping words " * 4) for n in range(BOUND))
        await pilot.pause()
        width = log.scrollable_content_region.width
        row = sum(rows_of(plain_text(entry), width) for entry in log.kept[:20])
        log.scroll_to(y=row, animate=False)  # line 20 at the top
        await settle(pilot, lambda: log.paused)
        assert "line 20 " in shown_rows(log)[0]
        await pilot.resize_terminal(100, 12)
        await settle(pilot, lambda: log.virtual_size.height < BOUND * 2)
        assert log.paused and "line 20 " in shown_rows(log)[0]


WORDS = st.lists(
    st.tuples(st.text(alphabet="abZx.-", min_size=1, max_size=25), st.sampled_from([" ", "  "])),
    max_size=12,
).map(lambda words: "".join(word + gap for word, gap in words))
"""Chat-like text: words of any length (folded when longer than the width), one or two
spaces apart."""


@settings(max_examples=500, deadline=None)
@given(
    text=WORDS | st.text(alphabet=st.sampled_from("ab  Zx.-ｗé"), max_size=90),
    width=st.integers(min_value=1, max_value=40),
)
def test_rows_are_the_rows_rich_divides_for_any_text(text: str, width: int) -> None:
    """The ASCII fast path and the general one count the breaks Rich's own wrap makes."""
    assert rows_of(text, width) == len(divide_line(text, width, fold=True)) + 1
