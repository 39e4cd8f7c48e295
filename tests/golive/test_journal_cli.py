from click.testing import CliRunner

from studio.cli.journal_cmd import journal
from studio.config import Paths
from studio.journal import Journal


def test_journal_lists_sessions_and_shows_one():
    runner = CliRunner()
    assert "No sessions yet" in runner.invoke(journal, []).output
    book = Journal(Paths.from_env().journal)
    sid = book.open_session(["retake", "basefm"])
    book.destination(sid, "retake", "live")
    book.sample(sid, "viewers", {"retake": 7})
    book.transcript(sid, platform="retake", kind="chat", external_id="1", author="ada", text="hi")
    book.close_session(sid, summary={"retake": {"viewers": 7}})
    listing = runner.invoke(journal, [])
    assert (
        listing.exit_code == 0 and "retake, basefm" in listing.output and "ended" in listing.output
    )
    shown = runner.invoke(journal, [str(sid)])
    assert "destination retake: live" in shown.output
    assert "peak 7" in shown.output and "[chat] ada: hi" in shown.output
    as_json = runner.invoke(journal, [str(sid), "--json"])
    assert '"author": "ada"' in as_json.output
    missing = runner.invoke(journal, ["99"])
    assert missing.exit_code == 2 and "no session 99" in missing.output
