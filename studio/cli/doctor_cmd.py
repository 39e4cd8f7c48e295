"""``studio doctor``: check the programs, fonts, display, credentials and platform URLs."""

from __future__ import annotations

import asyncio
import json
import sys

import click

MARKS = {
    "ok": ("ok  ", "green"),
    "FAIL": ("FAIL", "red"),
    "warn": ("warn", "yellow"),
    "skip": ("skip", None),
}


@click.command()
@click.option("--offline", is_flag=True, help="Skip checks that call the platforms.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per check, for scripts.")
def doctor(offline: bool, as_json: bool) -> None:
    """Check that this machine can broadcast: Xvfb, xterm, FFmpeg, fonts, a real
    display, the rehearsal RTMP receiver, platform URLs and retake.tv credentials.

    Exits 0 only when every required check passes.
    """
    from studio.doctor import DoctorContext, all_required_ok, run_checks

    results = asyncio.run(run_checks(DoctorContext(offline=offline)))
    for result in results:
        if as_json:
            click.echo(
                json.dumps(
                    {
                        "check": result.name,
                        "status": result.status,
                        "detail": result.detail,
                        "fix": result.fix,
                        "required": result.required,
                    }
                )
            )
            continue
        mark, colour = MARKS[result.status]
        click.echo(f"{click.style(mark, fg=colour)}  {result.name}: {result.detail}")
        if result.fix and not result.ok:
            click.echo(f"      fix: {result.fix}")
    ok = all_required_ok(results)
    if not as_json:
        click.echo("ready to broadcast" if ok else "not ready: fix the FAIL lines above")
    sys.exit(0 if ok else 1)
