"""Viewer text is inert: the one cleaner, and every place viewer text enters the core or
reaches a terminal (retake.tv and ClawCast replies, the live feed, the operator's
terminal, ``studio journal``, the kiosk's air filter)."""

from __future__ import annotations

import io
import json

from click.testing import CliRunner
from rich.console import Console

from studio.cli.journal_cmd import journal
from studio.config import Paths
from studio.golive.events import Notice
from studio.golive.human_output import HumanOutput
from studio.inert_text import inert, inert_data, sgr_only
from studio.journal import Journal
from studio.kiosk.air import AirFilter
from studio.platforms.clawcast_models import DuetRequestsResponse, PollResultsResponse
from studio.platforms.retake_live import chat_from_comment, chat_from_socket
from studio.platforms.retake_models import Comments, PublicChat, StreamStart
from tests.golive.inert_helpers import CLEAN, HOSTILE, live_characters


def test_every_sequence_and_control_goes_and_letters_stay() -> None:
    assert inert(HOSTILE) == CLEAN
    assert live_characters(inert(HOSTILE)) == []
    kept = "Grüße, 你好, مرحبا, שלום, 👩‍💻🇫🇷, naïve, ﬁ, ½"
    assert inert(kept) == kept
    assert inert("a\r\nb\tc", newlines=True) == "a\nb c"
    assert inert("unterminated \x1b]52;c;AAAA") == "unterminated "
    assert inert(None) == ""


def test_the_agents_log_keeps_its_colours_and_nothing_else() -> None:
    line = (
        "\x1b[1;32mok\x1b[0m\tdone\x1b]0;title\x07\x1b]52;c;eA==\x1b\\\x1b[2J\x9b31m\x1b[8;99;99t"
    )
    assert sgr_only(line) == "\x1b[1;32mok\x1b[0m\tdone"
    assert sgr_only("progress 10%\rprogress 99%") == "progress 99%"


def test_retake_replies_are_clean_where_they_enter() -> None:
    comments = Comments.model_validate(
        {
            "comments": [
                {"_id": "c1", "text": HOSTILE, "author": {"fusername": "\x1b]0;x\x07ada\u202e"}}
            ]
        }
    )
    comment = comments.comments[0]
    assert (comment.text, comment.author.fusername) == (CLEAN, "ada")
    event = chat_from_comment(comment)
    assert (event.text, event.author) == (CLEAN, "ada")
    public = PublicChat.model_validate(
        {"chats": [{"sender_username": "\x9b2Jbob", "text": HOSTILE}]}
    )
    assert (public.chats[0].sender_username, public.chats[0].text) == ("bob", CLEAN)
    start = StreamStart.model_validate(
        {"success": True, "token": {"name": "Co\x1b[5min", "ticker": "\x1b]50;x\x07MYA"}}
    )
    assert start.token is not None and (start.token.name, start.token.ticker) == ("Coin", "MYA")


def test_the_live_feed_cleans_chat_and_every_payload() -> None:
    event = chat_from_socket(
        {
            "_id": "m1",
            "text": HOSTILE,
            "sender_username": "eve\x1b[2J",
            "tip_data": {"note": HOSTILE, "nested": [HOSTILE]},
        },
        "u1",
    )
    assert (event.text, event.author) == (CLEAN, "eve")
    assert event.tip_data == {"note": CLEAN, "nested": [CLEAN]}
    as_json = event.to_json()
    assert live_characters(json.loads(as_json)["text"]) == []
    assert "\\u001b" not in as_json and "\x9b" not in as_json and "\u202e" not in as_json


def test_clawcast_poll_and_duet_text_is_clean() -> None:
    poll = PollResultsResponse.model_validate(
        {"poll_id": "p", "question": HOSTILE, "options": ["\x1b[2Jyes", "no\x9d0;t\x9c"]}
    )
    assert (poll.question, poll.options) == (CLEAN, ["yes", "no"])
    duets = DuetRequestsResponse.model_validate(
        {"requests": [{"id": "d1", "host_name": "\x1b]52;c;eA==\x07host", "question": HOSTILE}]}
    )
    assert (duets.requests[0].host_name, duets.requests[0].question) == ("host", CLEAN)


def test_the_operators_terminal_gets_no_escape_from_an_event() -> None:
    out = io.StringIO()
    show = HumanOutput(Console(file=out, force_terminal=False, width=300))
    show(Notice(platform="retake", text=HOSTILE))
    printed = out.getvalue()
    assert CLEAN in printed
    assert live_characters(printed.replace("\n", "")) == []
    assert printed.count(">>>") == 1 and "\n>>>" not in printed


def test_studio_journal_shows_an_old_dirty_transcript_inert() -> None:
    book = Journal(Paths.from_env().journal)
    sid = book.open_session(["retake"])
    book.transcript(
        sid, platform="retake", kind="chat", external_id="1", author="\x1b]0;x\x07eve", text=HOSTILE
    )
    book.close_session(sid)
    runner = CliRunner()
    shown = runner.invoke(journal, [str(sid)]).output
    assert f"eve: {CLEAN}" in shown
    assert live_characters(shown.replace("\n", "")) == []
    as_json = runner.invoke(journal, [str(sid), "--json"]).output
    line = json.loads(as_json)
    assert (line["author"], line["text"]) == ("eve", CLEAN)


def test_the_kiosk_air_filter_uses_the_same_cleaner() -> None:
    air = AirFilter()
    assert air.text("a\x1b[2J\nb\x1b]52;c;eA==\x07") == "a\nb"
    line = air.terminal_line("\x1b[31mred\x1b[0m \x1b]50;big\x07\x1b]2;t\x07\x1b[2Jplain")
    assert line.plain == "red plain"
    assert [str(span.style) for span in line.spans] == ["color(1)"]
    assert inert_data({"k\x1b[2J": ["v\x07"]}) == {"k": ["v"]}


def test_json_events_carry_no_character_a_terminal_acts_on() -> None:
    raw = "a\x9b2Jb\u202ec\u2028d\x7f é 日本"
    line = Notice(platform="retake", text=raw).to_json()
    assert live_characters(line) == [] and "\u2028" not in line
    assert json.loads(line)["text"] == raw  # the same value, escaped
