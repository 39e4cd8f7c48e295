"""What a row measures: figures (min / median / max over runs), a target, a verdict."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass
class Figure:
    name: str
    unit: str
    values: list[float] = field(default_factory=list)
    decimals: int | None = None
    """Fixed decimals (SSIM needs 4 or 5); by default three significant digits."""

    def add(self, value: float) -> None:
        if math.isnan(value) or math.isinf(value):
            raise ValueError(f"{self.name}: a measurement came out as {value}")
        self.values.append(value)

    @property
    def median(self) -> float:
        return statistics.median(self.values)

    def summary(self) -> str:
        if not self.values:
            return "no value"
        low, mid, high = min(self.values), self.median, max(self.values)
        if self.decimals is not None:
            low_s, mid_s, high_s = (f"{v:.{self.decimals}f}" for v in (low, mid, high))
        else:
            low_s, mid_s, high_s = number(low), number(mid), number(high)
        return f"{low_s} / **{mid_s}** / {high_s} {self.unit}".rstrip()


def number(value: float) -> str:
    """Three significant digits, never in exponent form."""
    size = abs(value)
    if size >= 100:
        return f"{value:.0f}"
    if size >= 10:
        return f"{value:.1f}"
    if size >= 1:
        return f"{value:.2f}"
    return f"{value:.3g}" if size >= 0.001 or size == 0 else f"{value:.2e}"


@dataclass
class Row:
    number: int
    title: str
    target: str
    figures: list[Figure] = field(default_factory=list)
    verdict: str = "not measured yet"
    met: bool | None = None
    notes: list[str] = field(default_factory=list)
    chart: str | None = None
    """Path of a chart, relative to the report's folder."""

    def figure(self, name: str, unit: str) -> Figure:
        for existing in self.figures:
            if existing.name == name:
                return existing
        created = Figure(name, unit)
        self.figures.append(created)
        return created

    def judge(self, met: bool, verdict: str) -> None:
        self.met = met
        self.verdict = ("meets the target: " if met else "misses the target: ") + verdict

    def not_measured(self, reason: str) -> Row:
        self.met = None
        self.verdict = f"not measured yet: {reason}"
        return self


def ratio(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Pairwise ratios of runs taken side by side (run i of each)."""
    return [a / b for a, b in zip(numerators, denominators, strict=False) if b > 0]


def percentile(values: Sequence[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return math.nan
    index = min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))
    return ordered[index]
