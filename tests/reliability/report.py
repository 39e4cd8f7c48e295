"""Renders docs/RELIABILITY.md from what ``scripts/reliability`` collected: the figures
each case recorded (JSON lines) and pytest's JUnit XML for the outcome of every case.

``python -m tests.reliability.report FIGURES JUNIT``; the Markdown goes to stdout.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

EXISTING_FAULTS = {
    "test_golive_resume": "the studio killed, its session resumed or stopped (in-process)",
    "test_an_expired_slot_is_cleared_without_asking": "a ClawCast slot whose JWT expired",
    "test_basefm_timeouts": "baseFM's create timing out (the payment kept)",
    "test_basefm_errors": "baseFM API errors",
    "test_retake_client": "retake.tv API errors and retries, client side",
    "test_clawcast_client": "ClawCast API errors and rate limits",
    "test_broadcast_recovery": "the broadcast's own recovery tests",
}


def outcomes(junit: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for case in ET.parse(junit).getroot().iter("testcase"):
        name = f"{case.get('classname', '')}::{case.get('name', '')}"
        if case.find("failure") is not None or case.find("error") is not None:
            found[name] = "failed"
        elif case.find("skipped") is not None:
            found[name] = "skipped"
        else:
            found[name] = "passed"
    return found


def load(figures: Path) -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in figures.read_text().splitlines() if line.strip()]
    return {row["case"]: row for row in rows}


def mark(ok: bool) -> str:
    return "survived" if ok else "**FAILED**"


def api_fault_rows(figures: dict[str, dict[str, Any]]) -> list[str]:
    """The platforms' API faults, driven through the go-live sequence on the in-process
    sandbox (``test_reliability_api_faults``)."""
    rows = []
    bursts = figures.get("test_api_error_bursts_on_every_leg")
    if bursts and "recovered_s" in bursts:
        took = bursts["recovered_s"]
        rows.append(
            f"| API error bursts: {bursts['burst']} × 503 in a row on each leg's on-air call "
            f"| {mark(bursts['outcome'] == 'passed')} | answered again "
            f"{took['retake']:g} s (retake.tv status), {took['basefm']:g} s (baseFM status), "
            f"{took['clawcast']:g} s (ClawCast frame) after the last error; no leg dropped |"
        )
    elif bursts:
        rows.append(f"| API error bursts | {mark(False)} | not measured |")
    slow = figures.get("test_five_seconds_of_api_latency")
    if slow and "recovered_s" in slow:
        rows.append(
            f"| {slow['latency_s']:g} s API latency on every retake.tv call for "
            f"{slow['window_s']:g} s | {mark(slow['outcome'] == 'passed')} | "
            f"{slow['slow_replies']} status call(s) held (answered "
            f"{', '.join(str(s) for s in slow['slow_statuses'])}); the next good answer "
            f"{slow['recovered_s']:g} s after the latency was gone; no leg dropped |"
        )
    elif slow:
        rows.append(f"| 5 s API latency | {mark(False)} | not measured |")
    jwt = figures.get("test_a_clawcast_jwt_that_expires")
    if jwt and "on_air_again_s" in jwt:
        rows.append(
            f"| a ClawCast JWT that expires while the slot has time left | "
            f"{mark(jwt['outcome'] == 'passed')} | frames refused (401); the operator asked "
            f"to book again {jwt['asked_s']:g} s after the expiry; ClawCast on air again "
            f"{jwt['on_air_again_s']:g} s after the yes (bookSlot refused "
            f"{jwt['refused_bookings']} × 409 until ClawCast cut the old slot); retake.tv "
            "and baseFM never stopped |"
        )
    elif jwt:
        rows.append(f"| a ClawCast JWT that expires | {mark(False)} | not measured |")
    limit = figures.get("test_basefm_two_hour_limit")
    if limit and "ended_after_s" in limit:
        rows.append(
            f"| baseFM's 2-hour limit (simulated clock) | {mark(limit['outcome'] == 'passed')} "
            f"| the studio ended its baseFM session {limit['before_limit_s']:g} s (platform "
            f"time) before the limit, {limit['ended_after_s']:g} s after the clock got near "
            "it; retake.tv stayed on air |"
        )
    elif limit:
        rows.append(f"| baseFM's 2-hour limit (simulated clock) | {mark(False)} | not measured |")
    return rows


def render(figures: dict[str, dict[str, Any]], results: dict[str, str]) -> str:
    long = any(row.get("long") for row in figures.values())
    lines = [
        "# Reliability",
        "",
        "Written by `scripts/reliability` (do not edit by hand): the reliability suite in "
        "`tests/reliability/`, "
        + ("long variants" if long else "short (CI) variants")
        + f", run on {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f} at the end. The same cases run in CI "
        "with shorter durations (`scripts/test`).",
        "",
    ]

    soak = figures.get("test_soak_all_three_platforms_under_chat")
    lines += ["## Soak", ""]
    if soak:
        lines += [
            "A real `studio golive --headless --retake --basefm --clawcast` against the "
            "sandbox and nginx-rtmp, viewers chatting through the sandbox.",
            "",
            "| figure | value |",
            "| --- | --- |",
            f"| outcome | {soak['outcome']} |",
            f"| time on air with chat | {soak['on_air_s']:g} s |",
            f"| chat sent | {soak['chat_sent']} ({soak['chat_rate']} a second) |",
            f"| lost in the journal | {soak['chat_lost']} |",
            f"| duplicated in the journal | {soak['chat_duplicated']} |",
            f"| Socket.IO drops (chat sent while down) | {soak['socket_drops']} |",
            f"| reconnected after each drop | {', '.join(f'{s:g} s' for s in soak['socket_reconnect_s'])} |",
            f"| studio process RSS after warm-up | {soak['studio_rss_mib']} MiB |",
            f"| its growth after warm-up | {soak['studio_growth_mib']} MiB (limit 20) |",
            f"| all the studio's processes, RSS | {soak['all_processes_rss_mib']} MiB |",
            "| growth of each child after warm-up | "
            + ", ".join(
                f"{name.split()[0]} {mib} MiB"
                for name, mib in soak["growth_by_process_mib"].items()
            )
            + " |",
            "",
            "Only the studio's own process is held to the 20 MiB limit; each child's "
            "growth is reported above, measured on a loaded machine (load average "
            f"{soak.get('load_average', '?')} on {os.cpu_count()} cores during the soak). "
            "Xvfb's growth is FFmpeg's capture queue: each frame x11grab captures is a "
            "shared-memory segment Xvfb attaches, so frames waiting for a late encoder count "
            "in Xvfb's RSS (a queue of 512 frames grew it by 1357 MiB; it is now 8, about "
            "40 MiB at most, held by `test_a_stalled_encode_costs_xvfb_a_bounded_amount_of_"
            "memory` in tests/broadcast).",
            "",
        ]
    else:
        lines += ["Not run.", ""]

    lines += ["## Faults", "", "| fault | outcome | time to recover |", "| --- | --- | --- |"]
    ffmpeg = figures.get("test_ffmpeg_killed_again_and_again")
    if ffmpeg:
        lines.append(
            f"| FFmpeg killed {ffmpeg['kills']} times | {mark(ffmpeg['outcome'] == 'passed')} | "
            f"restarted after {', '.join(f'{s:g}' for s in ffmpeg['restarted_s'])} s; every "
            f"destination live again after {', '.join(f'{s:g}' for s in ffmpeg['live_again_s'])} s |"
        )
    xvfb = figures.get("test_xvfb_killed")
    if xvfb:
        lines.append(
            f"| Xvfb killed | {mark(xvfb['outcome'] == 'passed')} | {', '.join(xvfb['restarted'])} "
            f"restarted after {xvfb['restarted_s']:g} s; live again after {xvfb['live_again_s']:g} s |"
        )
    down = figures.get("test_a_receiver_down_for_a_while_comes_back_alone")
    if down:
        lines.append(
            f"| RTMP receiver down for {down['down_s']:g} s | {mark(down['outcome'] == 'passed')} | "
            f"live again {down['back_live_after_s']:g} s after it came back; the other "
            "destination never stopped, the encode never restarted |"
        )
    if soak:
        lines.append(
            f"| Socket.IO dropped {soak['socket_drops']} times | {mark(soak['outcome'] == 'passed')} | "
            f"{', '.join(f'{s:g} s' for s in soak['socket_reconnect_s'])} (backoff 1, 2, 4 … s); "
            f"{soak['chat_lost']} messages lost |"
        )
    killed = figures.get("test_kill_9_leaves_nothing_and_the_next_studio_resumes")
    if killed:
        lines.append(
            f"| the studio killed with `kill -9`, then resumed | {mark(killed['outcome'] == 'passed')} | "
            f"its {killed['children']} children gone {killed['children_gone_s']:g} s after the kill; "
            f"the next studio live again after {killed['resumed_live_s']:g} s, without paying again |"
        )
    lines += api_fault_rows(figures)
    lines += ["", "Covered by the existing tests of each area (no figure of their own):", ""]
    for key, what in EXISTING_FAULTS.items():
        cases = {n: r for n, r in results.items() if key in n}
        if cases:
            passed = sum(r == "passed" for r in cases.values())
            lines.append(f"- {what} (`{key}`): {passed} of {len(cases)} passed")
        else:
            lines.append(f"- {what} (`{key}`): not run")

    bad = {n: r for n, r in results.items() if "test_reliability_bad_input" in n}
    lines += [
        "",
        "## Bad input",
        "",
        "Property-based (hypothesis) over every validator model (`studio/validation/*`), the "
        "single-value checks and every reply model (`studio/platforms/*_models.py`): each "
        "input is accepted or refused with the typed error naming the field; a refused "
        "registration, booking or baseFM create sends nothing (a transport counts requests).",
        "",
        f"{sum(r == 'passed' for r in bad.values())} of {len(bad)} properties held.",
        "",
        "## Secrets",
        "",
    ]
    if soak:
        lines.append(
            f"{soak['secrets_checked']} secret values from the soak (the access token, RTMP and "
            "stream keys the sandbox issued, the ClawCast slot JWT and baseFM session token the "
            f"studio kept) searched for in: {', '.join(soak['places_searched'])}. "
            f"Found: {soak['secrets_found']}."
        )
    failed = [n for n, r in results.items() if r == "failed"]
    lines += ["", "## Failures", ""] + ([f"- `{n}`" for n in failed] or ["None."])
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(load(Path(sys.argv[1])), outcomes(Path(sys.argv[2]))))
