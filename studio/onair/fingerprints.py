"""Masking exact secret values on air without giving the kiosk the values.

The studio sends, for each secret, its length and ``sha256(salt + secret)``. The kiosk
slides a window of each known length over new text and masks every substring whose
salted hash matches. A salt per run keeps the hashes from being looked up elsewhere.
"""

from __future__ import annotations

import hashlib
import secrets as _secrets
from collections.abc import Iterable

from pydantic import SecretStr

from studio.onair.protocol import Fingerprint, SecretFingerprints
from studio.redaction import MASK, reveal

MIN_SECRET_LENGTH = 6


def _digest(salt: str, value: str) -> str:
    return hashlib.sha256((salt + value).encode()).hexdigest()


def fingerprints_of(
    values: Iterable[str | SecretStr | None], *, salt: str | None = None
) -> SecretFingerprints:
    """The command that teaches the kiosk to mask ``values``; it never contains them."""
    salt = salt or _secrets.token_hex(16)
    items: dict[str, Fingerprint] = {}
    for value in values:
        raw = reveal(value) if value is not None else ""
        if len(raw) < MIN_SECRET_LENGTH:
            continue
        digest = _digest(salt, raw)
        items[digest] = Fingerprint(length=len(raw), sha256=digest)
    return SecretFingerprints(salt=salt, items=list(items.values()))


class FingerprintMasker:
    """Finds substrings whose salted hash is a known fingerprint."""

    def __init__(self) -> None:
        self._by_length: dict[int, set[tuple[str, str]]] = {}

    def learn(self, command: SecretFingerprints) -> None:
        for item in command.items:
            self._by_length.setdefault(item.length, set()).add((command.salt, item.sha256))

    def __bool__(self) -> bool:
        return bool(self._by_length)

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Merged ``(start, end)`` ranges of ``text`` that are known secrets."""
        found: list[tuple[int, int]] = []
        for length, known in self._by_length.items():
            if length > len(text):
                continue
            salts = {salt for salt, _ in known}
            for start in range(len(text) - length + 1):
                window = text[start : start + length]
                if any((salt, _digest(salt, window)) in known for salt in salts):
                    found.append((start, start + length))
        return _merge(found)

    def mask(self, text: str) -> str:
        out, last = [], 0
        for start, end in self.spans(text):
            out.append(text[last:start])
            out.append(MASK)
            last = end
        out.append(text[last:])
        return "".join(out)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged
