"""The last gate before the picture: every string headed for air passes through here.

Secret shapes and registered values are masked by ``studio.redaction``; exact values
the kiosk cannot recognise by shape are masked by their fingerprints (the kiosk never
holds the secrets themselves).
"""

from __future__ import annotations

import re

from rich.text import Text

from studio.onair.fingerprints import FingerprintMasker
from studio.onair.protocol import SecretFingerprints
from studio.redaction import redact

_OSC = re.compile(r"\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?")
"""Operating-system commands (window titles, hyperlinks): never text for the picture."""
_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1a\x1c-\x1f\x7f]")
"""Control characters other than tab and escape (bells, backspaces, NULs)."""


class AirFilter:
    def __init__(self) -> None:
        self._masker = FingerprintMasker()

    def learn(self, command: SecretFingerprints) -> None:
        self._masker.learn(command)

    def text(self, value: str | None) -> str:
        if not value:
            return ""
        if self._masker:
            value = self._masker.mask(value)
        return redact(value)

    def terminal_line(self, raw: str) -> Text:
        """One line the agent wrote, ANSI colours kept, secrets masked.

        A secret split by colour codes is still caught on the plain text; that line
        then loses its colours rather than leak.
        """
        raw = _CONTROLS.sub("", _OSC.sub("", raw.rsplit("\r", 1)[-1])).expandtabs(8)
        text = Text.from_ansi(self.text(raw), end="")
        plain = text.plain
        if self.text(plain) != plain:
            return Text(self.text(plain), end="")
        return text
