"""Every top-level command, in the order ``studio --help`` lists them.

Each command lives in its own module; add it here to make it reachable.
"""

from __future__ import annotations

import click

from studio.cli.bench_cmd import bench
from studio.cli.clawcast_cmd import clawcast
from studio.cli.console_cmd import console
from studio.cli.control_cmd import VERBS
from studio.cli.doctor_cmd import doctor
from studio.cli.golive_cmd import golive
from studio.cli.journal_cmd import journal
from studio.cli.kiosk_cmd import kiosk
from studio.cli.rehearse_cmd import rehearse
from studio.cli.retake_cmd import retake
from studio.cli.sandbox_cmd import sandbox
from studio.cli.slides_cmd import slides

ALL: list[click.Command] = [
    golive,
    console,
    rehearse,
    journal,
    sandbox,
    kiosk,
    slides,
    retake,
    clawcast,
    doctor,
    *VERBS,
    bench,
]
