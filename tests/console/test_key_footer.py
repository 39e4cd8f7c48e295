"""The console's Footer shows what Textual's own would, and keeps its key widgets."""

from __future__ import annotations

from textual._context import active_message_pump
from textual.widgets import Footer, TabbedContent
from textual.widgets._footer import FooterKey

from studio.console.key_footer import KeyFooter
from tests.console.console_helpers import LARGE, Service, console, live_session, settle


def shown(footer: Footer) -> list[tuple[str, str, bool]]:
    return [(k.key_display, k.description, k.has_class("-disabled"))
            for k in footer.query_children(FooterKey)]  # fmt: skip


def composed(footer: Footer) -> list[tuple[str, str, bool]]:
    """What Textual's Footer would show now (its own compose, as in the footer's task)."""
    token = active_message_pump.set(footer)
    try:
        return [(k.key_display, k.description, k.has_class("-disabled"))
                for k in Footer.compose(footer) if isinstance(k, FooterKey)]  # fmt: skip
    finally:
        active_message_pump.reset(token)


async def test_tab_switches_update_the_footer_keys_in_place() -> None:
    app = console(Service(live_session()))
    async with app.run_test(size=LARGE) as pilot:
        await settle(pilot, app.attached.is_set)
        footer = app.query_one(KeyFooter)
        tabs = app.query_one("#tabs", TabbedContent)
        await settle(pilot, lambda: shown(footer) == composed(footer) != [])
        first = set(footer.query_children(FooterKey))
        for key, tab, publish in [("f5", "composer", True), ("f6", "operator", False),
                                  ("f3", "viewer", False), ("f5", "composer", True)]:  # fmt: skip
            await pilot.press(key)
            await settle(pilot, lambda t=tab: tabs.active == t)
            await settle(pilot, lambda: shown(footer) == composed(footer))
            assert any(d == "Publish" for _, d, _ in shown(footer)) == publish  # the pane's keys
        await pilot.press("f2")
        await settle(pilot, lambda: shown(footer) == composed(footer))
        kept = first & set(footer.query_children(FooterKey))
        assert len(kept) >= len(first) - 2  # the same widgets, showing other keys
        assert any("Write" in d for _, d, _ in shown(footer))  # the chat's keys (F2 focused it)
