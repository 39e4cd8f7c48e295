"""The generator of docs/RELIABILITY.md: the ClawCast JWT row carries its figures, and
the coverage section names, for every bullet of issue 11, tests that exist."""

from __future__ import annotations

import ast
import json
from pathlib import Path

from tests.reliability import report

TESTS = Path(__file__).resolve().parent.parent
JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<testcase classname="tests.reliability.test_reliability_api_faults"
  name="test_a_clawcast_jwt_that_expires" time="20.1"/>
<testcase classname="tests.golive.test_golive_stay_on_air"
  name="test_basefm_or_clawcast_failing_in_every_way_keeps_all_three_on_air[basefm]"/>
<testcase classname="tests.golive.test_golive_stay_on_air"
  name="test_basefm_or_clawcast_failing_in_every_way_keeps_all_three_on_air[clawcast]">
  <failure message="boom"/></testcase>
</testsuite></testsuites>
"""


def functions_under_tests() -> set[str]:
    names: set[str] = set()
    for path in TESTS.rglob("test_*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                names.add(node.name)
    return names


def test_every_test_the_coverage_names_exists() -> None:
    existing = functions_under_tests()
    named = {t for _, tests in report.COVERAGE for t in tests}
    assert named and named <= existing, sorted(named - existing)
    bullets = [b for b, _ in report.COVERAGE]
    for number in "123456789":  # every section of Deliver, and the Done-when
        assert any(b.startswith(number + " ") for b in bullets), number
    assert any(b.startswith("Done when") for b in bullets)
    assert all(tests for _, tests in report.COVERAGE)


def test_the_report_shows_the_jwt_figures_and_the_coverage(tmp_path: Path) -> None:
    figures = tmp_path / "figures.jsonl"
    figures.write_text(
        json.dumps(
            {
                "case": "test_a_clawcast_jwt_that_expires",
                "outcome": "passed",
                "long": True,
                "asked_s": 0.13,
                "on_air_again_s": 3.46,
                "refused_bookings": 5,
            }
        )
        + "\n"
    )
    junit = tmp_path / "junit.xml"
    junit.write_text(JUNIT)
    text = report.render(report.load(figures), report.outcomes(junit))
    (row,) = [line for line in text.splitlines() if "ClawCast JWT that expires" in line]
    assert "| survived |" in row
    assert "asked to book again 0.13 s after the expiry" in row
    assert "on air again 3.46 s after the yes" in row and "5 × 409" in row
    coverage = text[text.index("## Coverage") : text.index("## Failures")]
    assert coverage.count("\n| ") == len(report.COVERAGE) + 2  # header, rule, a row each
    assert "`test_a_clawcast_jwt_that_expires` (1 of 1 passed)" in coverage
    assert (
        "`test_basefm_or_clawcast_failing_in_every_way_keeps_all_three_on_air` (1 of 2 passed)"
        in coverage
    )
    assert "`test_a_client_without_the_cookie_is_refused` |" in coverage  # not in this run
