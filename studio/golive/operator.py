"""Steps that need a human: the tweet for retake verification, the baseFM txHash.

The sequence asks an ``Operator``: answers given up front (CLI flags, ``GivenAnswers``),
then ``studio.control.operator.ControlOperator``, which any client of the control API
answers (the console, ``studio answer``, a person at the terminal or an agent on
``--headless``'s standard input). Every answer is validated with the same rules as
everywhere else before it is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from studio.errors import Problem, StudioError, ValidationFailed


@dataclass(frozen=True)
class Need:
    """What the sequence waits for. ``validate`` returns the cleaned answer or raises
    ``ValidationFailed``."""

    platform: str
    need: str
    prompt: str
    validate: Callable[[str], str]
    data: Mapping[str, Any] = field(default_factory=dict)
    flags: str | None = None
    """The command-line option(s) that answer it up front (default ``--<need>``)."""

    @property
    def up_front(self) -> str:
        return self.flags or "--" + self.need.replace("_", "-")


def yes_or_no(value: str) -> str:
    """ClawCast's "book again?" answer: yes (or book) or no."""
    answer = value.strip().lower()
    if answer in ("yes", "y", "book", "book again"):
        return "yes"
    if answer in ("no", "n"):
        return "no"
    raise ValidationFailed([Problem("clawcast_rebook", "answer yes or no")])


class OperatorGaveUp(StudioError):
    pass


class Operator(Protocol):
    async def answer(self, need: Need) -> str: ...


class GivenAnswers:
    """Answers supplied up front (``--tweet-url``, ``--tx-hash``); falls back to ``then``."""

    def __init__(self, answers: Mapping[str, str | None], then: Operator | None = None) -> None:
        self._answers = {k: v for k, v in answers.items() if v}
        self._then = then

    async def answer(self, need: Need) -> str:
        given = self._answers.pop(need.need, None)
        if given is not None:
            return need.validate(given)
        if self._then is None:
            raise OperatorGaveUp(
                f"{need.platform} needs a human step: {need.prompt}",
                fix=f"Run again with the answer given up front ({need.up_front}).",
            )
        return await self._then.answer(need)
