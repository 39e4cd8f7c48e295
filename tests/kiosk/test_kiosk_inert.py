"""Viewer text on air: nothing a viewer writes can clear, overdraw or reconfigure the
on-air terminal, whatever path it takes to the kiosk."""

from __future__ import annotations

from pathlib import Path

from studio.onair import Alert, ChatMessage, ShowMessage, SwitchScene, TickerUpdate
from studio.sandbox.clock import FakeClock
from tests.golive.inert_helpers import HOSTILE, live_characters
from tests.kiosk.kiosk_helpers import ON_AIR, make_app, settle


async def test_hostile_text_reaches_the_picture_only_as_letters(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(tmp_path, clock, log_lines=["\x1b[32mok\x1b[0m " + HOSTILE])
    async with app.run_test(size=ON_AIR) as pilot:
        await settle(pilot, lambda: len(app.terminal.lines) == 3)  # HOSTILE holds two line breaks
        await app.apply(ChatMessage(author="eve\x1b[2J", text=HOSTILE[:2000]))
        await app.apply(Alert(kind="tip", who="\x9b2Jmallory", amount="5", detail=HOSTILE[:200]))
        await app.apply(ShowMessage(text=HOSTILE[:500]))
        await app.apply(TickerUpdate(live=True, name="bot\x1b]50;x\x07"))
        await app.apply(SwitchScene(scene="chat"))
        await pilot.pause()
        picture = await app.picture_text()
        # every cell Textual would write to the terminal, not only the exported text
        cells = "".join(
            segment.text for strip in app.screen._compositor.render_strips() for segment in strip
        )
    for text in (picture, cells):
        assert live_characters(text.replace("\n", "")) == []
    assert "eve" in picture and "mallory" in picture and "日本語 🎉" in picture
    assert ">>> Paste the txHash" in picture  # shown as a viewer's words, on one line
    assert "\n>>>" not in picture
