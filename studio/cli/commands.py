"""Every top-level command and where it lives, loaded only when it runs.

Each command lives in its own module; add it here to make it reachable. Importing a
command's module is what costs at start (``studio console`` should not pay for the
sandbox, the kiosk and the platform clients), so ``studio`` imports only the one asked
for; ``studio --help`` loads them all.
"""

from __future__ import annotations

import importlib

import click

CONTROL_VERBS = ("status", "events", "stop", "reconnect", "answer", "chat", "scene", "banner",
                 "say", "music", "volume", "mute", "batch", "book", "vote", "poll", "duet",
                 "queue", "call")  # fmt: skip
"""The control API's verbs (``studio.cli.control_cmd``), each a command of its own name."""

WHERE: dict[str, str] = {
    "golive": "studio.cli.golive_cmd",
    "console": "studio.cli.console_cmd",
    "rehearse": "studio.cli.rehearse_cmd",
    "journal": "studio.cli.journal_cmd",
    "sandbox": "studio.cli.sandbox_cmd",
    "kiosk": "studio.cli.kiosk_cmd",
    "slides": "studio.cli.slides_cmd",
    "retake": "studio.cli.retake_cmd",
    "clawcast": "studio.cli.clawcast_cmd",
    "doctor": "studio.cli.doctor_cmd",
    **dict.fromkeys(CONTROL_VERBS, "studio.cli.control_cmd"),
    "bench": "studio.cli.bench_cmd",
}
"""Each command's name and the module holding it (under the same name)."""


def load(name: str) -> click.Command | None:
    """The command called ``name``, its module imported now; None for no such command."""
    module = WHERE.get(name)
    if module is None:
        return None
    command = getattr(importlib.import_module(module), name)
    assert isinstance(command, click.Command), f"{module}.{name} is not a click command"
    return command
