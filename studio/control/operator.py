"""Operator steps answered by any client of the control API.

``ControlOperator.answer`` publishes ``operator.needed`` with an id and waits; the
console, ``studio answer`` or ``--headless``'s standard input (all clients of the API)
deliver the answer with the API's ``answer`` command, naming the step by its id or by
its need (``tx_hash``). The answer is validated with the same rule as everywhere; a
wrong one is reported (a warning notice, and the command's 400) and the step is asked
again under the same id, up to ``attempts`` times.
"""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field

from studio.errors import StudioError, ValidationFailed
from studio.events import EventBus
from studio.golive.events import Notice, OperatorAnswered, OperatorNeeded, OperatorWithdrawn
from studio.golive.operator import Need, OperatorGaveUp


class NoSuchStep(StudioError):
    pass


@dataclass
class _Waiting:
    id: str
    need: Need
    future: asyncio.Future[str]
    wrong: int = 0
    asked: list[str] = field(default_factory=list)


class ControlOperator:
    def __init__(self, bus: EventBus, *, timeout: float = 3600.0, attempts: int = 5) -> None:
        self._bus = bus
        self._timeout = timeout
        self._attempts = attempts
        self._waiting: dict[str, _Waiting] = {}
        self._ids = itertools.count(1)

    @property
    def pending(self) -> list[str]:
        return list(self._waiting)

    async def answer(self, need: Need) -> str:
        step = _Waiting(
            id=f"{need.need}-{next(self._ids)}",
            need=need,
            future=asyncio.get_running_loop().create_future(),
        )
        self._waiting[step.id] = step
        self._ask(step)
        answered = False
        try:
            async with asyncio.timeout(self._timeout):
                value = await step.future
            answered = True
        except TimeoutError:
            raise OperatorGaveUp(
                f"no answer for {need.need} within {self._timeout:.0f} s",
                fix=f"Answer the step with `studio answer {need.need} VALUE`, or pass {need.up_front}.",
            ) from None
        finally:
            self._waiting.pop(step.id, None)
            if not answered:
                self._bus.publish(
                    OperatorWithdrawn(
                        platform=need.platform, need=need.need, id=step.id, reason="not answered"
                    )
                )
        self._bus.publish(OperatorAnswered(platform=need.platform, need=need.need, id=step.id))
        return value

    def _ask(self, step: _Waiting) -> None:
        need = step.need
        self._bus.publish(
            OperatorNeeded(
                platform=need.platform,
                need=need.need,
                prompt=need.prompt,
                data=dict(need.data),
                id=step.id,
            )
        )

    def give(self, step_or_need: str, value: str) -> str:
        """Deliver an answer; returns the step's id.

        Raises ``NoSuchStep`` when nothing waits under that id or need, and
        ``ValidationFailed`` for a wrong answer (reported and asked again)."""
        step = self._find(step_or_need)
        try:
            cleaned = step.need.validate(value.strip())
        except ValidationFailed as exc:
            step.wrong += 1
            self._bus.publish(Notice(platform=step.need.platform, level="warning", text=str(exc)))
            if step.wrong >= self._attempts and not step.future.done():
                step.future.set_exception(
                    OperatorGaveUp(
                        f"{self._attempts} invalid answers for {step.need.need}",
                        fix="Check the value and start again.",
                    )
                )
            else:
                self._ask(step)
            raise
        if not step.future.done():
            step.future.set_result(cleaned)
        return step.id

    def _find(self, key: str) -> _Waiting:
        if key in self._waiting:
            return self._waiting[key]
        same_need = [w for w in self._waiting.values() if w.need.need == key]
        if same_need:
            return same_need[-1]
        waiting = ", ".join(f"{w.id} ({w.need.need})" for w in self._waiting.values())
        raise NoSuchStep(
            f"no operator step {key!r} is waiting",
            fix=f"Steps waiting now: {waiting}."
            if waiting
            else "No step is waiting for an answer.",
        )
