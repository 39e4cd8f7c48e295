"""One reader of a slides file for ``studio golive --slides`` and the console's Go live
form: the same slides when valid, the same words (the file, the field, the rule) when not."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from studio.cli.golive_cmd import golive
from studio.console.field_check import golive_plan
from studio.errors import ValidationFailed
from studio.validation.playlist_file import EXAMPLES, playlist_slides

FORM = {"retake": True, "clawcast": True, "kiosk": False, "log": "/tmp/stream.log"}


def refused_by_the_cli(path: Path) -> list[tuple[str, str]]:
    done = CliRunner().invoke(
        golive, ["--retake", "--clawcast", "--no-kiosk", "--slides", str(path)],
        standalone_mode=False,
    )  # fmt: skip
    assert isinstance(done.exception, ValidationFailed), done.output
    return [(p.field, p.rule) for p in done.exception.problems]


@pytest.mark.parametrize(
    ("name", "content", "rule"),
    [
        ("one option", {"slides": [{"type": "poll", "content": {"question": "Q?",
                                                                 "options": ["A"]}}]},
         "slides[0].content.options: needs 2-6 options (got 1)"),
        ("no slides", {"slides": []}, "slides: "),
        ("not a playlist", {"hello": 1}, "(file): is not a playlist"),
        ("not JSON", "{", "cannot read "),
    ],
)  # fmt: skip
def test_a_wrong_slides_file_is_refused_in_the_same_words_by_the_cli_and_the_form(
    tmp_path: Path, name: str, content: object, rule: str
) -> None:
    path = tmp_path / "playlist.json"
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    plan, problems = golive_plan({**FORM, "slides": str(path)})
    assert plan is None and rule in problems["slides"], problems
    assert refused_by_the_cli(path) == [("--slides", problems["slides"])]


def test_a_good_slides_file_gives_the_plan_the_slides_ready_to_send(tmp_path: Path) -> None:
    path = tmp_path / "show.json"
    bare = [EXAMPLES["text"], EXAMPLES["poll"]]  # any shape `studio slides` accepts
    path.write_text(json.dumps(bare))
    plan, problems = golive_plan({**FORM, "slides": str(path)})
    assert problems == {} and plan is not None
    assert plan.slides == playlist_slides(path) == bare
    assert [s["type"] for s in plan.slides] == ["text", "poll"]
