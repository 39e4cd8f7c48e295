"""Themes come from files; a broken file is reported on screen, never a crash."""

from __future__ import annotations

from pathlib import Path

from studio.kiosk.app import KioskApp
from studio.kiosk.config import KioskConfig
from studio.sandbox.clock import FakeClock
from studio.ui.themes import BUILTIN_THEMES, load_themes
from tests.kiosk.kiosk_helpers import ON_AIR, screen_text, settle


def test_builtin_themes_load() -> None:
    themes, problems = load_themes(BUILTIN_THEMES)
    assert {t.name for t in themes} == {
        "onair", "light", "high-contrast", "retake", "clawcast", "basefm",
    }  # fmt: skip
    assert BUILTIN_THEMES.parent.name == "studio"  # inside the package
    assert problems == []


def test_bad_files_are_named_with_their_rule(tmp_path: Path) -> None:
    (tmp_path / "typo.toml").write_text('name = "typo"\nprimary = "#12345g"\n')
    (tmp_path / "broken.toml").write_text("name = \n")
    (tmp_path / "extra.toml").write_text('name = "x"\nprimary = "#123456"\nsparkle = true\n')
    themes, problems = load_themes(tmp_path)
    assert themes == []
    reasons = {p.path.name: p.reason for p in problems}
    assert "primary: must be a hex colour" in reasons["typo.toml"]
    assert "cannot be read" in reasons["broken.toml"]
    assert "sparkle: is not a field" in reasons["extra.toml"] or "sparkle" in reasons["extra.toml"]


async def test_a_bad_theme_file_is_notified_and_the_kiosk_runs(
    tmp_path: Path, clock: FakeClock
) -> None:
    mine = tmp_path / "themes"
    mine.mkdir()
    (mine / "mine.toml").write_text('name = "mine"\nprimary = "not a colour"\n')
    config = KioskConfig(
        socket_path=None,
        log_path=None,
        theme="mine",
        frozen=True,
        clock=clock,
        theme_folders=(BUILTIN_THEMES, mine),
    )
    app = KioskApp(config)
    async with app.run_test(size=ON_AIR, notifications=True) as pilot:
        await pilot.pause()
        assert app.theme == "onair"
        messages = [n.message for n in app._notifications]
        assert any("mine.toml was skipped: primary: must be a hex colour" in m for m in messages)
        assert any("no theme called 'mine'" in m for m in messages)
        await settle(pilot, lambda: "mine.toml" in screen_text(app))
