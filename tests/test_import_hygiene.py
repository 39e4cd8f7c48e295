"""The core runs without a screen: nothing outside the UI packages imports Textual."""

import pkgutil
import subprocess
import sys

import studio

UI_PACKAGES = ("studio.kiosk", "studio.console", "studio.ui", "studio.__main__")
CONSOLE_WITHOUT_SCREEN = (
    "studio.console.model",
    "studio.console.client",
    "studio.console.field_check",
)
"""The console's model and client, which the CLI and tests use without Textual."""


def core_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(studio.__path__, "studio."):
        if not info.name.startswith(UI_PACKAGES):
            names.append(info.name)
    return names + list(CONSOLE_WITHOUT_SCREEN)


def test_core_modules_do_not_import_textual():
    modules = core_modules()
    assert "studio.golive.sequence" in modules and "studio.platforms.retake" in modules
    assert "studio.control.server" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "bad = sorted(m for m in sys.modules if m == 'textual' or m.startswith('textual.'))\n"
        "print('textual imported' if bad else 'clean')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "clean"


def test_the_console_starts_without_the_platforms_and_the_hidden_panes():
    """``studio console`` paints its first screen with what that screen needs (benchmark
    row 9): no platform client, no HTTP or Socket.IO stack, no pane not yet shown, and no
    other command's module."""
    code = (
        "import sys\n"
        "from studio.cli import commands\n"
        "commands.load('console')\n"
        "import studio.console.app\n"
        "print(' '.join(sorted(sys.modules)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    loaded = set(out.stdout.split())
    assert "studio.console.app" in loaded and "textual.app" in loaded
    heavy = {"httpx", "socketio", "aiohttp", "engineio", "studio.platforms.retake",
             "studio.platforms.retake_live", "studio.golive.sequence", "studio.broadcast.pipeline",
             "studio.audio.desk", "studio.cli.golive_cmd", "studio.cli.retake_cmd",
             "studio.console.field_check", "studio.golive.plan"}  # fmt: skip
    hidden = {f"studio.console.panes.{p}.{p}_pane" for p in ("viewer", "queue", "composer", "voice", "account")}  # fmt: skip
    assert loaded.isdisjoint(heavy | hidden), sorted(loaded & (heavy | hidden))
