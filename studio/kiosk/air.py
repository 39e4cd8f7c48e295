"""The last gate before the picture: every string headed for air passes through here.

Secret shapes and registered values are masked by ``studio.redaction``; exact values
the kiosk cannot recognise by shape are masked by their fingerprints (the kiosk never
holds the secrets themselves).
"""

from __future__ import annotations

from rich.text import Text

from studio.inert_text import inert, sgr_only
from studio.onair.fingerprints import FingerprintMasker
from studio.onair.protocol import SecretFingerprints
from studio.redaction import redact


class AirFilter:
    def __init__(self) -> None:
        self._masker = FingerprintMasker()

    def learn(self, command: SecretFingerprints) -> None:
        self._masker.learn(command)

    def text(self, value: str | None) -> str:
        """Text with no control or escape sequence (line breaks kept), secrets masked."""
        value = inert(value, newlines=True)
        return self._mask(value) if value else ""

    def _mask(self, value: str) -> str:
        if self._masker:
            value = self._masker.mask(value)
        return redact(value)

    def terminal_line(self, raw: str) -> Text:
        """One line the agent wrote, its colours (SGR) kept and every other sequence
        dropped, secrets masked.

        A secret split by colour codes is still caught on the plain text; that line
        then loses its colours rather than leak.
        """
        raw = sgr_only(raw).expandtabs(8)
        text = Text.from_ansi(self._mask(raw), end="")
        plain = text.plain
        if self.text(plain) != plain:
            return Text(self.text(plain), end="")
        return text
