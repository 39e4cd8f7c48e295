"""ruff, as the house style asks: lint and format, on the whole project."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ruff_lint_and_format_are_clean():
    for args in (["check", "studio", "tests"], ["format", "--check", "studio", "tests"]):
        out = subprocess.run(
            [sys.executable, "-m", "ruff", *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stdout[-3000:] + out.stderr[-1000:]
