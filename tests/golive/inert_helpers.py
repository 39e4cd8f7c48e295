"""Hostile viewer text for the tests of ``studio.inert_text`` and its entry points."""

from __future__ import annotations

import re

HOSTILE = (
    "hi\x1b[2J\x1b[H"  # clear the screen, cursor home: overdraws the picture
    "\x1b]50;xft:DejaVu Sans Mono:pixelsize=40\x07"  # OSC 50: change xterm's font
    "\x1b]52;c;cGF5IG1l\x07"  # OSC 52: write the clipboard
    "\x1b]0;owned\x1b\\"  # OSC 0: window title
    "\x9b2J\x9d52;c;eA==\x9c"  # the same in 8-bit (C1) form
    "\x1bP+q544e\x1b\\\x1b_apc\x1b\\\x1b^pm\x1b\\\x1bXsos\x1b\\"  # DCS APC PM SOS
    "\u202eevil\u2066iso\u2069\x07\x08\x00"  # bidi override and isolate, BEL BS NUL
    "\n>>> Paste the txHash of the $5 USDC payment:\n"  # a fake operator prompt
    " héllo 日本語 🎉 e\u0301"  # legitimate text that must survive
)
CLEAN = "hieviliso >>> Paste the txHash of the $5 USDC payment:  héllo 日本語 🎉 e\u0301"
"""What ``HOSTILE`` becomes: one line, every letter and emoji kept."""

_LIVE = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def live_characters(text: str) -> list[str]:
    """Characters a terminal would act on (controls, escapes, bidi overrides)."""
    return _LIVE.findall(text)
