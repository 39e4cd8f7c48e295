"""Steps that need a human: the tweet for retake verification, the baseFM txHash.

The sequence asks an ``Operator``; which one depends on who drives the studio:
answers given up front (CLI flags), a person at a terminal, an agent writing lines on
standard input (``--headless``), or, later, the operator console. Every answer is
validated with the same rules as everywhere else before it is used.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from studio.errors import StudioError, ValidationFailed
from studio.events import EventBus
from studio.golive.events import OperatorAnswered, OperatorNeeded


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


class LineOperator:
    """Asks by publishing ``operator.needed`` and reads the answer as one line.

    The line is either the bare value or JSON ``{"need": ..., "value": ...}``. A wrong
    answer is reported (as a ``golive.notice``) and asked again, up to ``attempts``.
    ``read_line`` defaults to standard input, read off the event loop.
    """

    def __init__(
        self,
        bus: EventBus,
        *,
        read_line: Callable[[], Any] | None = None,
        timeout: float = 900.0,
        attempts: int = 5,
        echo: Callable[[str], None] | None = None,
    ) -> None:
        self._bus = bus
        self._read_line = read_line or _stdin_line
        self._timeout = timeout
        self._attempts = attempts
        self._echo = echo

    async def answer(self, need: Need) -> str:
        from studio.golive.events import Notice

        for _ in range(self._attempts):
            self._bus.publish(
                OperatorNeeded(
                    platform=need.platform, need=need.need, prompt=need.prompt, data=dict(need.data)
                )
            )
            if self._echo:
                self._echo(need.prompt)
            try:
                line = await asyncio.wait_for(self._read_line(), self._timeout)
            except TimeoutError:
                raise OperatorGaveUp(
                    f"no answer for {need.need} within {self._timeout:.0f} s",
                    fix=f"Answer the operator step, or pass {need.up_front}.",
                ) from None
            if line is None:
                raise OperatorGaveUp(
                    f"standard input closed while waiting for {need.need}",
                    fix=f"Pass {need.up_front} or keep standard input open.",
                )
            value = _value_of(line, need.need)
            try:
                cleaned = need.validate(value)
            except ValidationFailed as exc:
                self._bus.publish(Notice(platform=need.platform, level="warning", text=str(exc)))
                if self._echo:
                    self._echo(str(exc))
                continue
            self._bus.publish(OperatorAnswered(platform=need.platform, need=need.need))
            return cleaned
        raise OperatorGaveUp(
            f"{self._attempts} invalid answers for {need.need}",
            fix="Check the value and start again.",
        )


def _value_of(line: str, need: str) -> str:
    text = line.strip()
    if text.startswith("{"):
        try:
            payload = json.loads(text)
        except ValueError:
            return text
        if isinstance(payload, dict) and payload.get("need", need) == need:
            return str(payload.get("value", ""))
    return text


async def _stdin_line() -> str | None:
    line = await asyncio.to_thread(sys.stdin.readline)
    return line if line else None
