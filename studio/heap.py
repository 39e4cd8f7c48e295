"""Short full passes of the garbage collector in a long-lived interactive app.

A full collection walks every object the process holds. For the console (its widgets,
stylesheets, modules and the broadcast's state) that took 70 to 160 ms on the 2-core
bench machine, two to four times in a 10,000-line chat flood (benchmark row 8): a stall
any key press landing in it waits out. What the app holds once it has drawn its first
state lives as long as the app, so ``freeze`` takes it out of the collector's sight
(after a collection: no garbage is kept), and later full passes walk only what came
after. ``thaw`` hands it back when the app ends: a process may run several apps one
after another (the tests do), and what one leaves behind must stay collectable."""

from __future__ import annotations

import gc


def freeze() -> None:
    """Collect, then keep everything alive now out of later collections."""
    gc.collect()
    gc.freeze()


def thaw() -> None:
    """Give the frozen objects back to the collector (the app that froze them ends)."""
    gc.unfreeze()
