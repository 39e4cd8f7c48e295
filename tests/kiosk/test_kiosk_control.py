"""The kiosk follows commands sent over its real Unix socket."""

from __future__ import annotations

import asyncio
import json
import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner

from studio.cli.main import cli
from studio.kiosk.on_air_state import Storefront
from studio.kiosk.scenes.banners.banners import TimedBanner
from studio.kiosk.scenes.slides.slide_cards import PollSlideView
from studio.onair import (
    Caption,
    ChatMessage,
    KioskLink,
    KioskUnreachable,
    PollResults,
    ShowMessage,
    SwitchScene,
    decode,
    request,
)
from studio.sandbox.clock import FakeClock
from tests.kiosk.kiosk_helpers import GIF_URL, ON_AIR, make_app, screen_text, settle, shows

POLL = '{"cmd":"slides","slides":[{"type":"poll","content":{"question":"Build what next?","options":["Web scraper","Chess engine","Weather bot"]}}]}'


async def test_commands_over_the_socket_change_what_is_on_air(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(tmp_path, clock, socket=True, log_lines=["$ agent ready"])
    sock = tmp_path / "kiosk.sock"
    async with app.run_test(size=ON_AIR) as pilot:
        await settle(pilot, lambda: sock.exists() and app.terminal_shown)
        assert stat.S_IMODE(sock.stat().st_mode) == 0o600

        assert (await request(SwitchScene(scene="chat"), sock)).ok
        await settle(pilot, lambda: app.scene == "chat")
        assert not app.chat.has_class("hidden")

        assert (await request(decode(POLL), sock)).ok
        await settle(
            pilot,
            lambda: isinstance(app.deck.view, PollSlideView) and shows(app, "Build what next?"),
        )
        assert app.scene == "slides"
        assert "Build what next?" in screen_text(app)

        assert (await request(PollResults(results=[3, 12, 5]), sock)).ok
        await settle(pilot, lambda: shows(app, "60%  12"))
        text = screen_text(app)
        assert "60%  12" in text and "20 votes" in text

        assert (await request(ShowMessage(text="Back in five"), sock)).ok
        await settle(pilot, lambda: "Back in five" in screen_text(app))
        assert (await request(ShowMessage(text=""), sock)).ok
        await settle(pilot, lambda: app.query_one("#message", TimedBanner).has_class("hidden"))

        assert (await request(Caption(text="Hello viewers, welcome in"), sock)).ok
        await settle(pilot, lambda: "SAYS   Hello viewers, welcome in" in screen_text(app))
        assert (await request(Caption(text=""), sock)).ok
        await settle(pilot, lambda: app.query_one("#caption", TimedBanner).has_class("hidden"))


async def test_a_broken_command_is_refused_with_the_rule_it_broke(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(tmp_path, clock, socket=True)
    sock = tmp_path / "kiosk.sock"
    async with app.run_test(size=ON_AIR) as pilot:
        await settle(pilot, sock.exists)
        reader, writer = await asyncio.open_unix_connection(str(sock))
        writer.write(
            b'{"cmd":"slides","slides":[{"type":"image","content":{"image_url":"http://evil.example/x.png"}}]}\n'
        )
        writer.write(b"not json\n")
        await writer.drain()
        first, second = await reader.readline(), await reader.readline()
        writer.close()
        assert b'"ok":false' in first and b"slides[0].content.image_url" in first
        assert b'"ok":false' in second and b"JSON" in second
        assert app.scene == "opening"


async def test_kiosk_link_never_blocks_and_delivers_once_the_kiosk_is_up(
    tmp_path: Path, clock: FakeClock
) -> None:
    sock = tmp_path / "kiosk.sock"
    link = KioskLink(sock, buffer=3, retry_seconds=0.05)
    for i in range(5):
        link.send(ChatMessage(author=f"viewer{i}", text=f"hello {i}"))
    assert link.pending == 3 and link.dropped == 2
    app = make_app(tmp_path, clock, socket=True)
    async with app.run_test(size=ON_AIR) as pilot:
        assert await link.flush(within=5)
        await settle(pilot, lambda: len(app.chat.entries) == 3)
        assert [e.author for e in app.chat.entries] == ["viewer2", "viewer3", "viewer4"]
    link.send(ChatMessage(author="late", text="sent while the kiosk restarts"))
    again = make_app(tmp_path, clock, socket=True)
    async with again.run_test(size=ON_AIR) as pilot:
        assert await link.flush(within=5)
        await settle(pilot, lambda: [e.author for e in again.chat.entries] == ["late"])
    await link.close()


async def test_a_second_kiosk_on_the_same_socket_says_so(tmp_path: Path, clock: FakeClock) -> None:
    first = make_app(tmp_path, clock, socket=True)
    second = make_app(tmp_path, clock, socket=True)
    async with first.run_test(size=ON_AIR) as pilot:
        await settle(pilot, (tmp_path / "kiosk.sock").exists)
        async with second.run_test(size=ON_AIR) as other:
            await settle(other, lambda: bool(second.errors))
            assert "Another kiosk is already listening" in second.errors[0]
        assert (await request(SwitchScene(scene="filler"), tmp_path / "kiosk.sock")).ok
        await settle(pilot, lambda: first.scene == "filler")


async def test_the_cli_request_says_when_no_kiosk_listens(tmp_path: Path) -> None:
    with pytest.raises(KioskUnreachable, match="studio kiosk run"):
        await request(SwitchScene(scene="slides"), tmp_path / "none.sock")


async def test_the_cli_drives_a_running_kiosk(tmp_path: Path, clock: FakeClock) -> None:
    app = make_app(tmp_path, clock, socket=True, log_lines=["$ agent ready"])
    sock = str(tmp_path / "kiosk.sock")
    playlist = tmp_path / "slides.json"
    playlist.write_text(
        json.dumps(
            {
                "slides": [
                    {
                        "type": "text",
                        "content": {
                            "headline": "From the CLI",
                            "body": "pushed by studio kiosk send",
                        },
                    },
                    {
                        "type": "data",
                        "content": {"rows": [{"label": "Score", "value": "99", "change": "+12%"}]},
                    },
                ]
            }
        )
    )
    runner = CliRunner()

    def send(*args: str) -> str:
        result = runner.invoke(cli, ["kiosk", "send", "--socket", sock, *args])
        assert result.exit_code == 0, result.output
        return result.output

    async with app.run_test(size=ON_AIR) as pilot:
        await settle(pilot, lambda: (tmp_path / "kiosk.sock").exists() and app.terminal_shown)
        await asyncio.to_thread(send, "slide", str(playlist))
        await settle(pilot, lambda: app.scene == "slides" and len(app.deck.playlist) == 2)
        await asyncio.to_thread(send, "chat", "alice", "first!", "--first-time")
        await asyncio.to_thread(send, "alert", "tip", "bob", "--amount", "5 SOL")
        await asyncio.to_thread(send, "ticker", "--live", "--viewers", "42", "--token", "agx")
        await asyncio.to_thread(send, "scene", "chat")
        await settle(pilot, lambda: app.scene == "chat" and shows(app, "bob tipped 5 SOL", "$AGX"))
        text = screen_text(app)
        assert "alice" in text and "NEW" in text and "bob tipped 5 SOL" in text
        assert "LIVE" in text and "$AGX" in text and "42" in text
        shown = await asyncio.to_thread(runner.invoke, cli, ["kiosk", "screen", "--socket", sock])
        assert shown.exit_code == 0 and shown.output == await app.picture_text()
        assert "bob tipped 5 SOL" in shown.output and "$AGX" in shown.output
        bad = await asyncio.to_thread(
            runner.invoke, cli, ["kiosk", "send", "--socket", sock, "poll-results"]
        )
        assert bad.exit_code != 0


async def test_a_socket_path_too_long_for_unix_is_explained(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(tmp_path, clock)
    app.config.socket_path = tmp_path / ("x" * 120) / "kiosk.sock"
    async with app.run_test(size=ON_AIR) as pilot:
        await settle(pilot, lambda: bool(app.errors))
        assert "longer than the 107 bytes" in app.errors[0] and "shorter --socket" in app.errors[0]


def test_kiosk_run_takes_the_opening_card_and_its_own_terminal_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``kiosk run`` hands the opening card's options to the app, and drops a COLUMNS or
    LINES it inherited (Textual would believe them over the real terminal)."""
    from studio.kiosk import app as kiosk_app

    started = []
    monkeypatch.setattr(kiosk_app, "run", started.append)  # the app itself needs a terminal
    monkeypatch.setenv("COLUMNS", "80")
    monkeypatch.setenv("LINES", "24")
    for variable in ("TEXTUAL_COLOR_SYSTEM", "TEXTUAL_FPS"):  # set by `kiosk run`: restored
        monkeypatch.setenv(variable, os.environ.get(variable, ""))
    args = ["kiosk", "run", "--socket", str(tmp_path / "k.sock"), "--log", str(tmp_path / "l")]
    args += ["--name", "agent_smith", "--title", "Fixing the parser", "--link", "https://x.y/a"]
    args += ["--platform", "retake", "--platform", "basefm"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    (config,) = started
    assert config.storefront == Storefront(
        name="agent_smith",
        title="Fixing the parser",
        platforms=("retake", "basefm"),
        link="https://x.y/a",
    )
    assert "COLUMNS" not in os.environ and "LINES" not in os.environ


async def test_a_restarted_kiosk_learns_the_fingerprints_before_it_draws_the_backlog(
    tmp_path: Path, clock: FakeClock
) -> None:
    key = "ZZtop9Mux0Stream7Key"  # an --rtmp key: no shape the kiosk could recognise
    sock = tmp_path / "kiosk.sock"
    log_lines = [f"publishing to rtmp://ingest.example/live/{key} now", "second line"]
    link = KioskLink(sock, buffer=3, retry_seconds=0.05)
    link.protect([key])
    first = make_app(tmp_path, clock, socket=True, log_lines=log_lines, await_secrets=True)
    async with first.run_test(size=ON_AIR) as pilot:
        await settle(pilot, lambda: shows(first, "publishing to", "second line"))
        assert key not in screen_text(first) and "publishing to" in screen_text(first)
    # While the kiosk is away, more chat than the link's buffer holds.
    for i in range(5):
        link.send(ChatMessage(author=f"viewer{i}", text=f"hello {i}"))
    waiting = make_app(tmp_path, clock, log_lines=log_lines, await_secrets=True)
    async with waiting.run_test(size=ON_AIR) as pilot:
        for _ in range(20):
            await pilot.pause(0.01)
        assert waiting.terminal.lines == [] and not waiting.following  # no fingerprints yet
    again = make_app(tmp_path, clock, socket=True, log_lines=log_lines, await_secrets=True)
    async with again.run_test(size=ON_AIR) as pilot:
        assert await link.flush(within=5)
        await settle(
            pilot,
            lambda: len(again.chat.entries) == 3 and shows(again, "publishing to", "second line"),
        )
        text = screen_text(again)
        assert key not in text and key[:10] not in text and "publishing to" in text
        assert [e.author for e in again.chat.entries] == ["viewer2", "viewer3", "viewer4"]
    await link.close()


async def test_every_rtmp_destination_key_is_masked_on_the_kiosk(
    tmp_path: Path, clock: FakeClock
) -> None:
    from studio.events import EventBus
    from studio.golive.assemble import build
    from studio.golive.operator import GivenAnswers
    from studio.golive.plan import Plan

    keys = ["plainKeyWithNoShape1", "another'odd|key"]
    plan = Plan(rtmp=[f"rtmp://127.0.0.1:1935/extra/{k}" for k in keys], log=tmp_path / "log")
    golive = build(plan, bus=EventBus(), operator=GivenAnswers({}))
    link = golive.ctx.kiosk
    assert link is not None
    lines = [f"pushing to {key} now" for key in keys]
    app = make_app(tmp_path, clock, log_lines=lines, await_secrets=True)
    app.config.socket_path = link.socket_path
    async with app.run_test(size=ON_AIR) as pilot:
        assert await link.flush(within=5)
        await settle(pilot, lambda: screen_text(app).count("pushing to [REDACTED] now") == 2)
        text = screen_text(app)
        assert text.count("pushing to [REDACTED] now") == 2
        assert not any(key in text or key[:8] in text for key in keys)
    await link.close()


async def test_the_picture_as_text_says_what_big_letters_say(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(tmp_path, clock)
    slide = {"type": "text", "content": {"headline": "Ship it", "body": "a body line"}}
    meme = {
        "type": "text",
        "content": {
            "headline": "top words",
            "body": "bottom words",
            "theme": "meme",
            "gif_url": GIF_URL,
        },
    }
    async with app.run_test(size=ON_AIR) as pilot:
        await app.apply(decode(json.dumps({"cmd": "slides", "slides": [slide]})))
        await settle(pilot, lambda: app.scene == "slides")
        lines = [line.strip() for line in (await app.picture_text()).splitlines()]
        assert lines[:5] == ["SHIP IT", "", "━" * 48, "", "a body line"]
        await app.apply(decode(json.dumps({"cmd": "slides", "slides": [meme]})))
        await pilot.pause()
        text = await app.picture_text()
        assert "TOP WORDS" in text and "BOTTOM WORDS" in text
