"""The control protocol and the fingerprint masker, without a screen."""

from __future__ import annotations

import pytest

from studio.errors import ValidationFailed
from studio.kiosk.air import AirFilter
from studio.kiosk.scenes.slides.slide_cards import trend
from studio.kiosk.scenes.terminal.tail import LineSplitter
from studio.onair import FingerprintMasker, SwitchScene, decode, encode, fingerprints_of
from studio.redaction import MASK


def test_commands_round_trip_as_json_lines() -> None:
    line = encode(SwitchScene(scene="filler"))
    assert line.endswith(b"\n") and b"\n" not in line[:-1]
    assert decode(line) == SwitchScene(scene="filler")


@pytest.mark.parametrize(
    ("line", "field", "rule"),
    [
        ('{"cmd":"scene","scene":"news"}', "scene", "terminal"),
        ('{"cmd":"warp"}', "cmd", "does not match"),
        ('{"cmd":"chat","author":"","text":"hi"}', "author", "at least 1"),
        (
            '{"cmd":"slides","slides":[{"type":"poll","content":{"question":"Q","options":["only one"]}}]}',
            "slides[0].content.options",
            "2-6 options",
        ),
        ('{"cmd":"fingerprints","salt":"00","items":[]}', "salt", "match pattern"),
    ],
)
def test_broken_commands_name_the_field_and_rule(line: str, field: str, rule: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        decode(line)
    problem = caught.value.problems[0]
    assert problem.field == field and rule in problem.rule


def test_fingerprints_carry_no_secret_and_mask_exact_values() -> None:
    secret = "plain-looking-session-token-1"
    command = fingerprints_of([secret, "short", None])
    assert secret not in command.model_dump_json()
    assert [item.length for item in command.items] == [len(secret)]
    masker = FingerprintMasker()
    masker.learn(command)
    assert masker.mask(f"a {secret}{secret} b {secret[:-1]}") == f"a {MASK} b {secret[:-1]}"
    other = fingerprints_of([secret])
    assert other.salt != command.salt and other.items[0].sha256 != command.items[0].sha256


def test_air_filter_keeps_colours_unless_a_secret_is_split_by_them() -> None:
    air = AirFilter()
    air.learn(fingerprints_of(["hunter2hunter2"]))
    coloured = air.terminal_line("\x1b[32mok\x1b[0m hunter2hunter2 done")
    assert coloured.plain == f"ok {MASK} done" and coloured.spans
    split = air.terminal_line("x \x1b[1mhunter2\x1b[0mhunter2 y")
    assert split.plain == f"x {MASK} y" and not split.spans
    assert air.terminal_line("50%\r75%\r100% done").plain == "100% done"


def test_line_splitter_waits_for_the_end_of_a_line() -> None:
    splitter = LineSplitter()
    assert splitter.feed(b"one\ntw") == ["one"]
    assert splitter.feed(b"o\n\xff\n") == ["two", "\ufffd"]
    assert splitter.flush() == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ("+12%", "up"),
        ("-4 ms", "down"),
        ("−3", "down"),
        ("0", "flat"),
        ("n/a", "flat"),
        (None, "flat"),
        ("12", "up"),
    ],
)
def test_change_arrows(change: str | None, expected: str) -> None:
    assert trend(change) == expected


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("\x1b]0;my title\x07hello", "hello"),
        ("\x1b]8;;https://example.dev\x1b\\link\x1b]8;;\x1b\\ end", "link end"),
        ("\x1b[2K\x1b[1Aprogress 50%", "progress 50%"),
        ("bell\x07 and\x00 nul\x08", "bell and nul"),
    ],
)
def test_terminal_control_sequences_never_reach_the_picture(raw: str, plain: str) -> None:
    assert AirFilter().terminal_line(raw).plain == plain
