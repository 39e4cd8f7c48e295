"""Errors the operator can act on.

Every error the studio raises on purpose says what happened and what to do about it,
in the operator's words. Messages pass through the redaction layer, so a secret that
slipped into a server's reply never reaches a log or the screen.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from studio.redaction import redact


class StudioError(Exception):
    """Base of every error the studio raises deliberately."""

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        self.message = redact(message)
        self.fix = redact(fix) if fix else None
        super().__init__(self.message)

    def __str__(self) -> str:
        if self.fix:
            return f"{self.message} Fix: {self.fix}"
        return self.message


@dataclass(frozen=True)
class Problem:
    """One broken rule: where (a dotted field path) and which rule."""

    field: str
    rule: str

    def __str__(self) -> str:
        return f"{self.field}: {self.rule}"


class ValidationFailed(StudioError):
    """Input broke one or more documented rules; nothing was sent."""

    def __init__(self, problems: Iterable[Problem], *, what: str = "input") -> None:
        self.problems = list(problems)
        lines = "; ".join(str(p) for p in self.problems)
        super().__init__(
            f"Invalid {what}: {lines}",
            fix="Correct the fields named above; nothing was sent.",
        )
