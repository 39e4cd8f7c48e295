"""The reliability suite: short in CI, long from ``scripts/reliability``.

Every case records its figures (``figures.record``); ``scripts/reliability`` sets
``STUDIO_RELIABILITY_FIGURES`` to a file that collects them and renders
``docs/RELIABILITY.md`` from it. ``STUDIO_RELIABILITY=long`` selects the long variants
(``LONG``): a 30-minute soak (2 minutes in CI), FFmpeg killed 5 times, the receiver down for 20 s, bursts
of 6 API errors, 5 s API latency for 15 s.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from studio.sandbox.rehearsal import RehearsalWorld, rehearsal_world
from tests.broadcast.broadcast_helpers import need, need_rtmp

LONG = os.environ.get("STUDIO_RELIABILITY") == "long"


class Figures:
    """What one case measured, appended as one JSON line to the figures file."""

    def __init__(self, case: str) -> None:
        self.case = case
        self.values: dict[str, object] = {}

    def record(self, **values: object) -> None:
        self.values.update(values)

    def flush(self, outcome: str) -> None:
        target = os.environ.get("STUDIO_RELIABILITY_FIGURES")
        if not target:
            return
        line = json.dumps(
            {"case": self.case, "outcome": outcome, "long": LONG, "at": time.time(), **self.values}
        )
        with open(target, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            handle.write(line + "\n")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:  # type: ignore[type-arg]
    outcome = yield
    report = outcome.get_result()
    figures = getattr(item, "_figures", None)
    if figures is not None and report.when == "call":
        figures.flush(report.outcome)


@pytest.fixture
def figures(request: pytest.FixtureRequest) -> Figures:
    found = Figures(request.node.name)
    request.node._figures = found
    return found


@pytest.fixture
def world(tmp_path: Path) -> Iterator[RehearsalWorld]:
    need("Xvfb", "xterm", "ffmpeg", "ffprobe")
    need_rtmp()
    with rehearsal_world(tmp_path / "recordings") as w:
        yield w
