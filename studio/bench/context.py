"""What every row gets: the stage, how many runs, how long, where charts go."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from studio.bench.stage import Stage


@dataclass
class Context:
    stage: Stage
    runs: int
    scale: float
    """Multiplies every duration (``--seconds S`` sets it to S / 60)."""
    quick: bool
    charts: Path
    """Folder for charts (docs/bench/), next to the report."""
    work: Path
    """Scratch folder for logs, captures and encodes."""

    def seconds(self, full: float, floor: float = 1.0) -> float:
        return max(floor, full * self.scale)
