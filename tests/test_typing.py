"""mypy on the core (everything but the Textual UI packages)."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_core_type_checks():
    if shutil.which("mypy", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("mypy is not installed (scripts/install installs it)")
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mypy",
            "studio",
            "--exclude",
            "studio/(kiosk|ui)/",
            "--follow-imports=silent",
            "--cache-dir",
            "/tmp/studio-mypy-cache",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stdout[-4000:]
