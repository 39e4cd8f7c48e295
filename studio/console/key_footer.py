"""The console's Footer: the keys of the focused pane, updated in place.

Textual's Footer composes itself again (a new widget for every key, each styled from the
whole stylesheet) whenever the bindings may have changed: every focus change, so every
tab switch. That cost about 100 ms a switch, more than the switch itself. This one asks
the same ``compose`` which keys to show, then changes the texts of the keys already
mounted, mounts only the keys that are new and removes only the surplus; and it updates
once per refresh however often the bindings were announced meanwhile.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import BindingType
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

PALETTE = "-command-palette"


class KeyFooter(Footer, inherit_bindings=False):
    BINDINGS: ClassVar[list[BindingType]] = []
    """None of its own: it is never focused (Footer's scroll keys never applied)."""

    def __init__(self, *, compact: bool = False) -> None:
        super().__init__(compact=compact)
        self._queued = False

    def bindings_changed(self, screen: Screen[object]) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus or not self.is_attached or screen is not self.screen:
            return
        if not self._queued:
            self._queued = True
            self.call_after_refresh(self._update_keys)

    def _update_keys(self) -> None:
        self._queued = False
        if not self.is_attached:
            return
        composed = list(self.compose())
        wanted = [w for w in composed if isinstance(w, FooterKey)]
        shown = [w for w in self.children if isinstance(w, FooterKey)]
        if len(wanted) != len(composed) or len(shown) != len(self.children):
            self.call_later(self.recompose)  # binding groups: Textual's own way
            return
        keys = [w for w in wanted if not w.has_class(PALETTE)]
        have = [w for w in shown if not w.has_class(PALETTE)]
        for old, new in zip(have, keys, strict=False):
            _copy(new, old)
        palette = [w for w in shown if w.has_class(PALETTE)]
        palette_wanted = [w for w in wanted if w.has_class(PALETTE)]
        for old, new in zip(palette, palette_wanted, strict=False):
            _copy(new, old)
        surplus: list[Widget] = [*have[len(keys) :], *palette[len(palette_wanted) :]]
        if surplus:
            self.remove_children(surplus)
        if len(keys) > len(have):
            if palette:
                self.mount_all(keys[len(have) :], before=palette[0])
            else:
                self.mount_all(keys[len(have) :])
        if len(palette_wanted) > len(palette):
            self.mount_all(palette_wanted[len(palette) :])


def _copy(new: FooterKey, old: FooterKey) -> None:
    """``old`` shows what ``new`` would (a repaint, and a layout if its width changed)."""
    before = (old.key, old.key_display, old.description, old.action, old._disabled, old.tooltip)  # noqa: SLF001
    after = (new.key, new.key_display, new.description, new.action, new._disabled, new.tooltip)  # noqa: SLF001
    if before == after:
        return
    old.key, old.key_display, old.description, old.action = after[:4]
    old._disabled = new._disabled  # noqa: SLF001 - what the key does when clicked
    old.set_class(new._disabled, "-disabled")  # noqa: SLF001
    old.tooltip = new.tooltip
    width_changed = (before[1], before[2]) != (after[1], after[2])
    old.refresh(layout=width_changed)
