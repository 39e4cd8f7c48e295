"""``studio bench``: the figures of issue 9, measured on this machine, into docs/BENCHMARKS.md.

One module per figure (``stack_cpu``, ``encoder_quality``, ``kiosk_idle``, …), the
stage they share (``stage``), process-tree CPU and memory (``proctree``), the seed's
bare pipeline as the baseline (``seed_pipeline``), charts and the report."""

from studio.bench.run import ALL_ROWS, run

__all__ = ["ALL_ROWS", "run"]
