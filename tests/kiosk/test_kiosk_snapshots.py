"""Pictures of every scene and slide type at each on-air grid (160x45, 128x36, 90x25),
frozen in time."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from studio.onair import (
    Alert,
    Caption,
    ChatMessage,
    PollResults,
    ShowMessage,
    SwitchScene,
    TickerUpdate,
    decode,
)
from studio.sandbox.clock import FakeClock
from tests.kiosk.kiosk_helpers import (
    GIF_URL,
    GRIDS,
    IMAGE_URL,
    MISSING_URL,
    STOREFRONT,
    make_app,
    settle,
)

AGENT_LOG = [
    "\x1b[1;36m▶ agent\x1b[0m planning the next step",
    "$ pytest -q tests/",
    "\x1b[32m........................................\x1b[0m [ 80%]",
    "\x1b[32m..........\x1b[0m\x1b[31mF\x1b[0m [100%]",
    "\x1b[31mFAILED\x1b[0m tests/test_parser.py::test_unicode - AssertionError",
    "\x1b[33mwarning:\x1b[0m retrying with a smaller batch",
    "$ git commit -m 'parser: handle combining marks'",
    "[main 4f2a9c1] parser: handle combining marks",
    " 2 files changed, 31 insertions(+), 4 deletions(-)",
    "\x1b[1;32m✓ all green\x1b[0m — deploying",
]
TICKER = TickerUpdate(
    live=True,
    name="agent_smith",
    viewers=1284,
    uptime_seconds=3725,
    token_ticker="SMITH",
    market_cap=2_340_000,
)

SLIDES: dict[str, dict[str, Any]] = {
    "text_plain": {
        "type": "text",
        "content": {
            "headline": "Hello ClawCast!",
            "body": "First time on air",
            "meta": "agent_smith · live from a terminal",
        },
    },
    "text_colours": {
        "type": "text",
        "content": {
            "headline": "Custom",
            "body": "Your colors, layered on the slide",
            "bg_color": "#1a0a2e",
            "text_color": "#ff6b6b",
            "accent_color": "#c9a0dc",
        },
    },
    "text_long_headline": {
        "type": "text",
        "content": {
            "headline": "A headline far too long to be drawn in big letters across the frame",
            "body": "so it is set in bold capitals instead, and the body wraps under it like this.",
        },
    },
    "text_gif": {
        "type": "text",
        "content": {"headline": "Wow", "body": "GIF background", "gif_url": GIF_URL},
    },
    "meme": {
        "type": "text",
        "content": {
            "headline": "One does not simply",
            "body": "stream from a terminal",
            "theme": "meme",
            "gif_url": GIF_URL,
        },
    },
    "data": {
        "type": "data",
        "content": {
            "rows": [
                {"label": "Score", "value": "99", "change": "+12%"},
                {"label": "Latency", "value": "38 ms", "change": "-4 ms"},
                {"label": "Mood", "value": "Great", "change": "0"},
                {"label": "Uptime", "value": "1:02:05"},
            ]
        },
    },
    "poll": {
        "type": "poll",
        "content": {
            "question": "What should I build next?",
            "options": ["Web scraper", "Chess engine", "Weather bot", "Music generator"],
        },
    },
    "build": {
        "type": "build",
        "duration_seconds": 15,
        "content": {
            "steps": [
                {"type": "log", "content": "$ npx create-next-app my-app --ts"},
                {"type": "log", "content": "Installing dependencies..."},
                {"type": "milestone", "content": "Project scaffolded ✓"},
                {"type": "log", "content": "Writing src/components/App.tsx..."},
                {"type": "milestone", "content": "Component built ✓"},
                {
                    "type": "preview",
                    "content": "export default function App() { return <h1>hi</h1> }",
                },
            ]
        },
    },
    "build_preview_image": {
        "type": "build",
        "content": {
            "steps": [
                {"type": "log", "content": "$ python plot.py --last 6h"},
                {"type": "milestone", "content": "Chart rendered ✓"},
                {"type": "preview", "content": IMAGE_URL},
            ]
        },
    },
    "image": {
        "type": "image",
        "content": {"image_url": IMAGE_URL, "caption": "Requests per minute, last six hours"},
    },
    "image_missing": {
        "type": "image",
        "content": {"image_url": MISSING_URL, "caption": "This picture could not be fetched"},
    },
    "terminal": {
        "type": "terminal",
        "content": {
            "screen": "$ deploying to production...\n\x1b[32m✓\x1b[0m build 1.2s\n\x1b[32m✓\x1b[0m upload 0.4s\n\x1b[1;32mlive at https://example.dev\x1b[0m\n"
        },
    },
}

Step = Callable[[Pilot, Any, FakeClock], Awaitable[None]]


async def _ticker(pilot: Pilot, app: Any, clock: FakeClock) -> None:
    await app.apply(TICKER)


@pytest.fixture(params=list(GRIDS))
def grid(request: pytest.FixtureRequest) -> tuple[int, int]:
    """Every picture at every on-air grid."""
    return GRIDS[request.param]


def _take(
    snap_compare: Any,
    tmp_path: Path,
    clock: FakeClock,
    step: Step,
    grid: tuple[int, int],
    **app_options: Any,
) -> bool:
    app = make_app(tmp_path, clock, storefront=STOREFRONT, **app_options)

    async def run_before(pilot: Pilot) -> None:
        await _ticker(pilot, app, clock)
        await step(pilot, app, clock)
        await settle(pilot)

    return snap_compare(app, terminal_size=grid, run_before=run_before)


@pytest.mark.parametrize("name", list(SLIDES))
def test_slide(
    name: str, snap_compare: Any, tmp_path: Path, clock: FakeClock, grid: tuple[int, int]
) -> None:
    async def step(pilot: Pilot, app: Any, clock: FakeClock) -> None:
        await app.apply(_slides(SLIDES[name]))
        await settle(pilot, lambda: app.deck.view is not None)
        if name == "poll":
            await app.apply(PollResults(results=[12, 30, 4, 9]))
        if name == "build":
            clock.advance(8)  # 6 steps over 15 s: the fourth step is on screen
            app.deck.view.refresh()
        if name == "build_preview_image":
            clock.advance(15)  # every step, the picture last
            app.deck.view.refresh()
        await settle(pilot, lambda: getattr(app.deck.view, "fetched", True))

    assert _take(snap_compare, tmp_path, clock, step, grid)


def _slides(slide: dict[str, Any]) -> Any:
    return decode(json.dumps({"cmd": "slides", "slides": [slide]}))


async def _wait_for_log(pilot: Pilot, app: Any, clock: FakeClock) -> None:
    await settle(pilot, lambda: len(app.terminal.lines) == len(AGENT_LOG))


def test_scene_terminal(
    snap_compare: Any, tmp_path: Path, clock: FakeClock, grid: tuple[int, int]
) -> None:
    assert _take(snap_compare, tmp_path, clock, _wait_for_log, grid, log_lines=AGENT_LOG)


def test_scene_terminal_high_contrast(
    snap_compare: Any, tmp_path: Path, clock: FakeClock, grid: tuple[int, int]
) -> None:
    assert _take(
        snap_compare,
        tmp_path,
        clock,
        _wait_for_log,
        grid,
        log_lines=AGENT_LOG,
        theme="high-contrast",
    )


def test_scene_chat_with_alerts(
    snap_compare: Any, tmp_path: Path, clock: FakeClock, grid: tuple[int, int]
) -> None:
    async def step(pilot: Pilot, app: Any, clock: FakeClock) -> None:
        await _wait_for_log(pilot, app, clock)
        await app.apply(SwitchScene(scene="chat"))
        await app.apply(
            ChatMessage(
                author="satoshi_fan", text="gm! what are you building today?", first_time=True
            )
        )
        await app.apply(ChatMessage(author="devrel_dan", text="the parser fix looks clean"))
        await app.apply(Alert(kind="follow", who="night_owl"))
        await app.apply(
            ChatMessage(
                author="quant_queen",
                text="can you show the test output again? the unicode one failed",
                first_time=True,
            )
        )
        await app.apply(Alert(kind="trade", who="whale_42", amount="250K $SMITH"))
        await app.apply(
            Alert(kind="tip", who="satoshi_fan", amount="0.5 SOL", detail="for the parser fix")
        )

    assert _take(snap_compare, tmp_path, clock, step, grid, log_lines=AGENT_LOG)


def test_scene_message_banner(
    snap_compare: Any, tmp_path: Path, clock: FakeClock, grid: tuple[int, int]
) -> None:
    async def step(pilot: Pilot, app: Any, clock: FakeClock) -> None:
        await _wait_for_log(pilot, app, clock)
        await app.apply(ShowMessage(text="Poll results in two minutes — vote in the chat!"))

    assert _take(snap_compare, tmp_path, clock, step, grid, log_lines=AGENT_LOG)


def test_scene_speech_caption(
    snap_compare: Any, tmp_path: Path, clock: FakeClock, grid: tuple[int, int]
) -> None:
    async def step(pilot: Pilot, app: Any, clock: FakeClock) -> None:
        await _wait_for_log(pilot, app, clock)
        await app.apply(Caption(text="The parser fix is in. Next up: the deploy, live."))

    assert _take(snap_compare, tmp_path, clock, step, grid, log_lines=AGENT_LOG)


@pytest.mark.parametrize("card", ["brb", "stats"])
def test_scene_filler(
    card: str, snap_compare: Any, tmp_path: Path, clock: FakeClock, grid: tuple[int, int]
) -> None:
    async def step(pilot: Pilot, app: Any, clock: FakeClock) -> None:
        for i in range(17):
            await app.apply(ChatMessage(author=f"viewer{i}", text="hi"))
        await app.apply(SwitchScene(scene="filler"))
        if card == "stats":
            await app.filler.rotate()

    assert _take(snap_compare, tmp_path, clock, step, grid)


def test_scene_opening(
    snap_compare: Any, tmp_path: Path, clock: FakeClock, grid: tuple[int, int]
) -> None:
    """Before the agent's first line: the opening card, not an empty terminal."""

    async def step(pilot: Pilot, app: Any, clock: FakeClock) -> None:
        await app.apply(SwitchScene(scene="chat"))  # as the studio does once live

    assert _take(snap_compare, tmp_path, clock, step, grid)
