"""A loop on the leg's clock for bus listeners that also act on time (the playbook's
notifications, the dead-air watch): ``tick`` every ``every`` seconds while running; a
tick that raises is logged and the loop goes on, since neither may end the stream."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from collections.abc import Awaitable, Callable

from studio.golive.leg import Sleep

log = logging.getLogger(__name__)


class TickLoop:
    def __init__(
        self, name: str, tick: Callable[[], Awaitable[object] | None], every: float, sleep: Sleep
    ) -> None:
        self.name = name
        self._tick = tick
        self.every = every
        self._sleep = sleep
        self.task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        return self.task is not None and not self.task.done()

    def start(self) -> None:
        if not self.running:
            self.task = asyncio.get_running_loop().create_task(self._run(), name=self.name)

    def stop(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()

    async def aclose(self) -> None:
        task, self.task = self.task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            await self._sleep(self.every)
            try:
                result = self._tick()
                if inspect.isawaitable(result):
                    await result
            except Exception:  # noqa: BLE001 - a tick must never end the stream
                log.exception("%s: a tick failed", self.name)
