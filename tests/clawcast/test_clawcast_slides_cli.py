"""``studio slides validate``: every example of clawcast-api.md passes, every rule bites."""

from __future__ import annotations

import ast
import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from studio.cli.slides_cmd import slides
from studio.errors import ValidationFailed
from studio.validation import check
from studio.validation.clawcast import (
    AcceptDuetRequest,
    ChatRequest,
    DuetReplyRequest,
    RequestDuetRequest,
    VoteRequest,
)

ROOT = Path(__file__).resolve().parents[2]
SEED = Path("/work/shared/seeds/clawcast-api.md")
EXAMPLES = ROOT / "examples" / "slides"


def seed_text() -> str:
    if not SEED.exists():
        pytest.skip("the ClawCast seed document is not on this machine")
    return SEED.read_text()


def doc_playlists() -> list[tuple[str, Any]]:
    """Every slide, batch and bookSlot body in the document's json and python blocks.

    A python block's ``json=`` argument is read with ``ast.literal_eval``; bodies that
    elide their slides (``[...]``) get the go-live example's slides.
    """
    text = seed_text()
    found: list[tuple[str, Any]] = []
    go_live_slides: list[Any] | None = None
    for number, (lang, body) in enumerate(re.findall(r"```(\w*)\n(.*?)```", text, re.S)):
        if lang == "json":
            try:
                data = json.loads(body)
            except ValueError:
                continue  # the schematic `{ "slides": [ ... ] }`
            found.append((f"json block {number}", data))
        elif lang == "python":
            for node in ast.walk(ast.parse(body)):
                if isinstance(node, ast.keyword) and node.arg == "json":
                    data = ast.literal_eval(node.value)
                    if data.get("slides") == [Ellipsis]:
                        assert go_live_slides is not None
                        data["slides"] = go_live_slides
                    else:
                        go_live_slides = data.get("slides")
                    found.append((f"python block {number}", data))
    return found


def doc_request_bodies() -> list[tuple[str, Any]]:
    """Bodies shown after ``POST /api/<call>`` in plain blocks (duets, chat, vote)."""
    text = seed_text()
    bodies = []
    for lang, block in re.findall(r"```(\w*)\n(.*?)```", text, re.S):
        call = re.search(r"POST /api/(\w+)", block)
        start = block.find("{")
        if not lang and call and start >= 0:
            bodies.append((call.group(1), json.loads(block[start:])))
    return bodies


def run(tmp_path: Path, data: Any, name: str = "playlist.json") -> Any:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return CliRunner().invoke(slides, ["validate", str(path)])


# -- every documented example is accepted ---------------------------------------------


def test_the_document_has_all_its_examples() -> None:
    found = doc_playlists()
    assert len(found) >= 10  # 2 python bodies, 1 frame, 1 batch, 6 slide formats
    kinds = {d.get("type") for _, d in found if "type" in d}
    assert {"terminal", "text", "image", "poll", "build"} <= kinds


@pytest.mark.parametrize("index", range(10))
def test_every_example_in_the_document_validates(tmp_path: Path, index: int) -> None:
    found = doc_playlists()
    where, data = found[index]
    result = run(tmp_path, data)
    assert result.exit_code == 0, f"{where}: {result.output}"
    assert "valid" in result.output and "total on air" in result.output


def test_every_documented_request_body_validates() -> None:
    models = {
        "requestDuet": RequestDuetRequest,
        "acceptDuet": AcceptDuetRequest,
        "duetReply": DuetReplyRequest,
        "chat": ChatRequest,
        "vote": VoteRequest,
    }
    bodies = doc_request_bodies()
    assert {call for call, _ in bodies} >= set(models)
    for call, body in bodies:
        if call in models:
            check(models[call], body)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.json")), ids=lambda p: p.name)
def test_every_example_file_validates(path: Path) -> None:
    result = CliRunner().invoke(slides, ["validate", str(path)])
    assert result.exit_code == 0, result.output


def test_example_files_cover_the_document() -> None:
    files = {json.dumps(json.loads(p.read_text()), sort_keys=True) for p in EXAMPLES.glob("*.json")}
    documented = [d for _, d in doc_playlists() if d.get("streamer_name") != "your_claimed_agent"]
    for data in documented:  # the claimed-agent body elides its slides: it has no file
        assert json.dumps(data, sort_keys=True) in files, data


def test_on_air_time_per_slide_and_total(tmp_path: Path) -> None:
    result = CliRunner().invoke(slides, ["validate", str(EXAMPLES / "go-live.json")])
    lines = result.output.splitlines()
    assert any(re.search(r"1\. text\s+8 s\s+\(set\)", line) for line in lines)
    assert any(re.search(r"3\. text\s+5 s\s+\(default for text\)", line) for line in lines)
    assert "total on air: 23 s (0:23)" in result.output
    assert "auto-shortens to 23 s" in result.output


def test_a_bare_array_and_a_batch_body_are_both_playlists(tmp_path: Path) -> None:
    slides_ = [{"type": "poll", "content": {"question": "A or B?", "options": ["A", "B"]}}]
    assert run(tmp_path, slides_).exit_code == 0
    assert run(tmp_path, {"slides": slides_}).exit_code == 0


# -- every rule rejects a broken file, naming the field and the rule --------------------

BOOKING = {
    "streamer_name": "your_agent",
    "streamer_url": "https://github.com/you/your-agent",
    "duration_minutes": 1,
    "slides": [{"type": "text", "content": {"headline": "Hi", "body": "there"}}],
}
GIF = "https://media.giphy.com/media/3o7aD2saalBwwftBIY/giphy.gif"


def slide(kind: str, content: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": kind, "content": content, **extra}


def booking(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(BOOKING)
    body.update(changes)
    return body


def poll(question: str = "Q?", options: list[str] | None = None) -> dict[str, Any]:
    return slide("poll", {"question": question, "options": options or ["A", "B"]})


def build(steps: list[dict[str, str]]) -> dict[str, Any]:
    return slide("build", {"steps": steps})


STEP = {"type": "log", "content": "$ make"}

BROKEN: list[tuple[str, Any, str, str]] = [
    ("name 51 chars", booking(streamer_name="a" * 51), "streamer_name", "1-50 characters"),
    ("name bad chars", booking(streamer_name="my agent!"), "streamer_name", "letters, digits"),
    ("name empty", booking(streamer_name=""), "streamer_name", "1-50 characters"),
    ("duration 0", booking(duration_minutes=0), "duration_minutes", "1, 2 or 3"),
    ("duration 4", booking(duration_minutes=4), "duration_minutes", "1, 2 or 3"),
    ("11 slides", {"slides": [poll()] * 11}, "slides", "needs 1-10 slides (got 11)"),
    ("no slides", {"slides": []}, "slides", "needs 1-10 slides (got 0)"),
    ("unknown type", [slide("video", {"url": "x"})], "slides[0]", "type must be one of"),
    ("missing type", [{"content": {"headline": "x"}}], "slides[0]", "type must be one of"),
    (
        "seconds 2",
        [slide("text", {"headline": "x"}, duration_seconds=2)],
        "slides[0].duration_seconds",
        "must be 3-30 seconds (got 2)",
    ),
    (
        "seconds 31",
        [slide("text", {"headline": "x"}, duration_seconds=31)],
        "slides[0].duration_seconds",
        "must be 3-30 seconds (got 31)",
    ),
    (
        "bad bg colour",
        [slide("text", {"headline": "x", "bg_color": "purple"})],
        "slides[0].content.bg_color",
        "hex colour",
    ),
    (
        "bad text colour",
        [slide("text", {"headline": "x", "text_color": "#12345"})],
        "slides[0].content.text_color",
        "hex colour",
    ),
    (
        "bad accent colour",
        [slide("text", {"headline": "x", "accent_color": "#ggg"})],
        "slides[0].content.accent_color",
        "hex colour",
    ),
    (
        "gif elsewhere",
        [slide("text", {"headline": "x", "gif_url": "https://example.com/a.gif"})],
        "slides[0].content.gif_url",
        "example.com is not allowed",
    ),
    (
        "gif unsplash",
        [slide("text", {"headline": "x", "gif_url": "https://images.unsplash.com/a.gif"})],
        "slides[0].content.gif_url",
        "is not allowed",
    ),
    (
        "gif http",
        [slide("text", {"headline": "x", "gif_url": GIF.replace("https", "http")})],
        "slides[0].content.gif_url",
        "https://",
    ),
    (
        "image http",
        [slide("image", {"image_url": "http://i.imgur.com/abc123.png"})],
        "slides[0].content.image_url",
        "https://",
    ),
    (
        "image elsewhere",
        [slide("image", {"image_url": "https://imgur.com/abc123.png"})],
        "slides[0].content.image_url",
        "imgur.com is not allowed",
    ),
    ("question empty", [poll(question="")], "slides[0].content.question", "1-200 characters"),
    (
        "question 201",
        [poll(question="q" * 201)],
        "slides[0].content.question",
        "1-200 characters (got 201)",
    ),
    ("1 option", [poll(options=["A"])], "slides[0].content.options", "needs 2-6 options (got 1)"),
    (
        "7 options",
        [poll(options=list("ABCDEFG"))],
        "slides[0].content.options",
        "needs 2-6 options (got 7)",
    ),
    (
        "option 101",
        [poll(options=["A", "b" * 101])],
        "slides[0].content.options[1]",
        "1-100 characters (got 101)",
    ),
    ("build 0 steps", [build([])], "slides[0].content.steps", "needs 1-10 steps (got 0)"),
    (
        "build 11 steps",
        [build([STEP] * 11)],
        "slides[0].content.steps",
        "needs 1-10 steps (got 11)",
    ),
    (
        "bad step type",
        [build([{"type": "deploy", "content": "x"}])],
        "slides[0].content.steps[0].type",
        "'log', 'milestone' or 'preview'",
    ),
    (
        "meme without gif",
        [slide("text", {"headline": "TOP", "body": "BOTTOM", "theme": "meme"})],
        "slides[0].content",
        "theme 'meme' needs a gif_url",
    ),
    (
        "unknown slide field",
        [slide("text", {"headline": "x"}, colour="red")],
        "slides[0].colour",
        "is not a field the platform accepts",
    ),
    (
        "unknown content field",
        [slide("text", {"headline": "x", "subtitle": "y"})],
        "slides[0].content.subtitle",
        "is not a field the platform accepts",
    ),
    ("unknown body field", booking(priority=1), "priority", "is not a field the platform accepts"),
    (
        "empty text slide",
        [slide("text", {"meta": "only meta"})],
        "slides[0].content",
        "needs a headline or a body",
    ),
]


@pytest.mark.parametrize(("case", "data", "field", "rule"), BROKEN, ids=[b[0] for b in BROKEN])
def test_a_broken_playlist_is_rejected_naming_field_and_rule(
    tmp_path: Path, case: str, data: Any, field: str, rule: str
) -> None:
    result = run(tmp_path, data, "broken.json")
    assert result.exit_code == 1, result.output
    problems = [
        line
        for line in result.output.splitlines()
        if line.startswith(f"{tmp_path}/broken.json: {field}: ")
    ]
    assert any(rule in line for line in problems), result.output
    assert "invalid (" in result.output
    assert "total on air" not in result.output


def test_every_problem_is_printed_one_line_each(tmp_path: Path) -> None:
    data = [
        slide("text", {"headline": "x", "bg_color": "red"}, duration_seconds=99),
        poll(options=["only one"]),
    ]
    result = run(tmp_path, data)
    problems = [line for line in result.output.splitlines() if ": slides[" in line]
    assert len(problems) == 3
    assert "invalid (3 problems)" in result.output


def test_slides_past_the_booked_slot_are_a_warning_not_an_error(tmp_path: Path) -> None:
    long = [slide("build", {"steps": [STEP]}, duration_seconds=30)] * 3
    result = run(tmp_path, booking(slides=long))
    assert result.exit_code == 0
    assert "run 30 s past the 1-minute slot" in result.output


# -- unreadable files exit 2 -----------------------------------------------------------


def test_a_file_that_is_not_json_exits_2_with_line_and_column(tmp_path: Path) -> None:
    result = run(tmp_path, '{\n  "slides": [\n    {"type": "text",, }\n  ]\n}')
    assert result.exit_code == 2
    assert "not valid JSON" in result.output
    assert "line 3, column 21" in result.output


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(slides, ["validate", str(tmp_path / "nope.json")])
    assert result.exit_code == 2
    assert "cannot read the file" in result.output


def test_a_json_value_that_is_no_playlist_exits_1(tmp_path: Path) -> None:
    assert run(tmp_path, '"just a string"').exit_code == 1
    result = run(tmp_path, {"headline": "no type"})
    assert result.exit_code == 1
    assert "is not a playlist" in result.output


# -- examples printed by the CLI are valid ---------------------------------------------


@pytest.mark.parametrize(
    "kind", [None, "text", "terminal", "data", "image", "poll", "build", "batch", "book"]
)
def test_printed_examples_validate(tmp_path: Path, kind: str | None) -> None:
    args = ["example"] + ([kind] if kind else [])
    printed = CliRunner().invoke(slides, args)
    assert printed.exit_code == 0
    assert run(tmp_path, printed.output).exit_code == 0


def test_validation_failed_names_every_problem() -> None:
    with pytest.raises(ValidationFailed) as info:
        check(VoteRequest, {"poll_id": "", "option_index": 6, "viewer_id": "v"})
    fields = {p.field for p in info.value.problems}
    assert fields == {"poll_id", "option_index"}


def test_the_installed_command_validates_and_reports_exit_codes(tmp_path: Path) -> None:
    import subprocess
    import sys

    ok = subprocess.run(
        [sys.executable, "-m", "studio", "slides", "validate", str(EXAMPLES / "go-live.json")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert ok.returncode == 0, ok.stderr
    assert "total on air: 23 s" in ok.stdout
    broken = tmp_path / "broken.json"
    broken.write_text("{")
    bad = subprocess.run(
        [sys.executable, "-m", "studio", "slides", "validate", str(broken)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "line 1, column 2" in bad.stderr
