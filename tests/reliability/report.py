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


COVERAGE: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Issue 11, bullet by bullet: the tests that hold it (names of test functions under
    # tests/; tests/reliability/test_report.py checks that every one exists).
    (
        "1 A failure ends only what it must: only the operator, the planned duration or "
        "a platform's final word ends a leg; a leg that cannot go on ends alone",
        (
            "test_retake_that_cannot_go_on_ends_alone_and_the_others_stay_on_air",
            "test_an_unexpected_error_on_air_ends_that_leg_alone",
            "test_a_leg_that_fails_to_prepare_is_dropped_unless_all_or_nothing",
            "test_basefm_two_hour_limit",
            "test_a_clawcast_jwt_that_expires",
            "test_a_yes_books_again_with_the_same_name_and_the_slot_plays_out",
        ),
    ),
    (
        "1 a failed thumbnail (redirect refused) is a notice",
        (
            "test_a_refused_thumbnail_is_a_notice_and_is_tried_again_sooner",
            "test_retake_failing_in_every_way_keeps_all_three_on_air",
        ),
    ),
    (
        "1 corrupt gzip, a Location with an invalid port, deeply nested JSON, viewers -1, "
        "a ticker over 20 characters; a size limit on reply bodies",
        (
            "test_a_bad_reply_is_the_platforms_typed_error",
            "test_a_ticker_longer_than_the_kiosk_shows_is_refused_where_it_enters",
            "test_counts_in_clawcast_replies_are_never_negative",
            "test_an_error_reply_nested_too_deeply_still_maps",
            "test_retake_failing_in_every_way_keeps_all_three_on_air",
            "test_basefm_or_clawcast_failing_in_every_way_keeps_all_three_on_air",
            "test_unreadable_poll_results_are_skipped_and_the_slides_play_on",
        ),
    ),
    (
        "1 the chat poller and the Socket.IO supervisor survive what is not a PlatformError",
        (
            "test_the_poller_survives_what_is_not_a_platform_error",
            "test_the_socket_supervisor_survives_what_is_not_a_platform_error",
        ),
    ),
    (
        "1 chat is never lost, whichever way a page is sorted; beforeId paging either way",
        (
            "test_pages_come_back_in_time_order_and_page_by_the_oldest_either_way",
            "test_chat_sent_while_the_socket_was_down_arrives_whichever_way_pages_are_sorted",
            "test_retake_failing_in_every_way_keeps_all_three_on_air",
        ),
    ),
    (
        "2 the baseFM session is ended only by the operator or the planned end; a failure "
        "elsewhere leaves it armed and going live again recovers it",
        (
            "test_a_failure_elsewhere_leaves_the_session_armed_and_going_live_recovers_it",
            "test_without_all_or_nothing_a_failure_elsewhere_leaves_basefm_on_air",
        ),
    ),
    (
        "2 the session token is kept from the raw reply before validation",
        (
            "test_the_token_is_kept_from_the_raw_reply_before_validation",
            "test_the_token_survives_a_reply_that_cannot_be_read_back_either",
        ),
    ),
    (
        "2 SIGINT or SIGTERM during the paid create waits or recovers, never loses the token",
        (
            "test_a_stop_during_the_paid_create_waits_for_its_answer_and_keeps_the_token",
            "test_a_stop_during_a_create_that_never_answers_says_so",
            "test_headless_a_signal_during_the_paid_create_keeps_the_session",
        ),
    ),
    (
        "2 a token that cannot be saved is kept in memory, the session can still end",
        ("test_a_token_that_cannot_be_saved_is_kept_in_memory_and_the_session_still_ends",),
    ),
    (
        "2 a rejected payment is named and never invites a second payment",
        ("test_a_rejected_payment_is_named_and_never_asks_for_a_second_one",),
    ),
    (
        "3 viewer text is inert where it enters: the on-air terminal, the operator's "
        "terminal, `studio journal`, JSON events (no clearing, OSC 50, OSC 52, fake prompt)",
        (
            "test_every_sequence_and_control_goes_and_letters_stay",
            "test_retake_replies_are_clean_where_they_enter",
            "test_the_live_feed_cleans_chat_and_every_payload",
            "test_clawcast_poll_and_duet_text_is_clean",
            "test_the_operators_terminal_gets_no_escape_from_an_event",
            "test_studio_journal_shows_an_old_dirty_transcript_inert",
            "test_json_events_carry_no_character_a_terminal_acts_on",
            "test_hostile_text_reaches_the_picture_only_as_letters",
            "test_hostile_chat_arrives_inert_by_socket_and_by_rest",
        ),
    ),
    (
        "3 the on-air xterm refuses font, window and title operations (and the clipboard)",
        (
            "test_the_on_air_xterm_changes_nothing_for_hostile_escapes",
            "test_the_same_escapes_change_an_xterm_without_the_refusals",
            "test_the_on_air_xterm_refuses_font_title_and_window_operations",
        ),
    ),
    (
        "4 nothing outlives the studio, even after kill -9; a resumed studio ends leftovers",
        (
            "test_a_killed_owner_takes_every_child_with_it",
            "test_leftover_children_are_ended_but_a_reused_pid_is_not",
            "test_kill_9_leaves_nothing_and_the_next_studio_resumes",
        ),
    ),
    ("5 Xvfb runs with an auth cookie", ("test_a_client_without_the_cookie_is_refused",)),
    (
        "5 relays take their feed over a private channel, not loopback UDP",
        ("test_an_unreachable_destination_is_retried_alone_and_rejoins",),
    ),
    (
        "5 journal -wal and -shm are 0600; the state folder is 0700",
        (
            "test_journal_wal_and_shm_are_private_whatever_the_umask",
            "test_loose_journal_files_from_before_are_tightened",
            "test_a_state_folder_open_to_others_is_made_private_and_said_so",
        ),
    ),
    (
        "5 the session store is safe across processes",
        ("test_two_processes_writing_the_session_store_lose_nothing",),
    ),
    (
        "5 the image cache writes atomically",
        ("test_cache_files_are_written_whole_and_private",),
    ),
    (
        "6 keys of --rtmp destinations are masked on the kiosk",
        ("test_every_rtmp_destination_key_is_masked_on_the_kiosk",),
    ),
    (
        "6 a restarted kiosk gets the fingerprints again and draws no backlog before",
        ("test_a_restarted_kiosk_learns_the_fingerprints_before_it_draws_the_backlog",),
    ),
    (
        "6 any character in a destination URL or key is safe in FFmpeg's tee spec",
        (
            "test_tee_escapes_separators_and_relay_copies",
            "test_every_destination_is_reached_whatever_its_key_holds",
            "test_tee_names_with_any_character_reach_their_files",
        ),
    ),
    (
        "6 platform origins other than loopback must be https",
        (
            "test_platform_origins_must_be_https_unless_loopback",
            "test_platform_urls_must_be_https_or_loopback",
        ),
    ),
    (
        "6 the retake token goes only to the origin that issued it",
        (
            "test_the_token_goes_only_to_the_origin_that_issued_it",
            "test_a_token_without_a_recorded_origin_is_retake_tvs",
            "test_a_cross_origin_redirect_never_carries_the_token",
        ),
    ),
    (
        "7 no blank screen on ClawCast: frames are what kiosk viewers see, filler included",
        ("test_frames_are_what_kiosk_viewers_see_filler_included",),
    ),
    (
        "8 image decoding capped by pixels times frames; https-only, size-capped fetches",
        (
            "test_a_small_gif_of_large_frames_decodes_within_a_memory_cap",
            "test_a_picture_too_large_is_refused_before_decoding",
            "test_only_https_is_fetched_on_every_hop_and_size_is_capped",
        ),
    ),
    (
        "9 soak: all three platforms, chat at 20 a second, memory flat, no chat lost or duplicated",
        ("test_soak_all_three_platforms_under_chat",),
    ),
    (
        "9 faults survived with the time to recover (each row of Faults above)",
        (
            "test_ffmpeg_killed_again_and_again",
            "test_xvfb_killed",
            "test_a_receiver_down_for_a_while_comes_back_alone",
            "test_api_error_bursts_on_every_leg",
            "test_five_seconds_of_api_latency",
            "test_a_clawcast_jwt_that_expires",
            "test_basefm_two_hour_limit",
            "test_kill_9_leaves_nothing_and_the_next_studio_resumes",
            "test_soak_all_three_platforms_under_chat",
        ),
    ),
    (
        "9 bad input: property-based tests over every validator and reply parser",
        (
            "test_every_validator_accepts_or_names_the_field",
            "test_single_value_checks_accept_or_name_the_field",
            "test_every_reply_parser_accepts_or_raises_the_platform_error",
            "test_retake_registration_bad_input_sends_nothing",
            "test_clawcast_booking_bad_input_sends_nothing",
            "test_basefm_create_bad_input_sends_nothing",
        ),
    ),
    (
        "9 secrets searched for everywhere, zero found",
        ("test_soak_all_three_platforms_under_chat",),
    ),
    (
        "Done when: with all three legs, the two healthy ones stay on air while the third "
        "fails in every way listed in 1",
        (
            "test_retake_failing_in_every_way_keeps_all_three_on_air",
            "test_basefm_or_clawcast_failing_in_every_way_keeps_all_three_on_air",
            "test_retake_that_cannot_go_on_ends_alone_and_the_others_stay_on_air",
            "test_an_unexpected_error_on_air_ends_that_leg_alone",
            "test_api_error_bursts_on_every_leg",
        ),
    ),
)


def coverage_lines(results: dict[str, str]) -> list[str]:
    """Issue 11's bullets and the tests that hold them, with how each test did in this
    run when it was part of it."""

    def how(test: str) -> str:
        ran = [r for n, r in results.items() if n.split("::")[-1].split("[")[0] == test]
        if not ran:
            return f"`{test}`"
        passed = sum(r == "passed" for r in ran)
        return f"`{test}` ({passed} of {len(ran)} passed)"

    lines = [
        "## Coverage",
        "",
        "Each bullet of issue 11 (Deliver 1–9, Done when) and the tests that hold it; a "
        "test that ran in this report says how it did.",
        "",
        "| bullet | tests |",
        "| --- | --- |",
    ]
    for bullet, tests in COVERAGE:
        lines.append(f"| {bullet} | {'<br>'.join(how(t) for t in tests)} |")
    return lines


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
    lines += [""] + coverage_lines(results)
    failed = [n for n, r in results.items() if r == "failed"]
    lines += ["", "## Failures", ""] + ([f"- `{n}`" for n in failed] or ["None."])
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.stdout.write(render(load(Path(sys.argv[1])), outcomes(Path(sys.argv[2]))))
