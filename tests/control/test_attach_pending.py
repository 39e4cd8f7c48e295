"""The steps ``studio golive``'s standard input answers: the service's own fold, read back
from its snapshot and kept by the events that follow."""

from __future__ import annotations

import json

from studio.cli.attach import Pending
from studio.control.state import BroadcastState
from studio.golive.events import OperatorAnswered, OperatorNeeded, SessionEnded

T0 = 1_790_000_000.0


def test_a_line_on_standard_input_answers_the_step_asked_last() -> None:
    tweet = OperatorNeeded(at=T0, platform="retake", need="tweet_url", prompt="p",
                           id="tweet_url-1")  # fmt: skip
    pay = OperatorNeeded(at=T0 + 1, platform="basefm", need="tx_hash", prompt="p", id="tx_hash-2")
    service = BroadcastState()
    service.apply(tweet)
    service.apply(pay)
    pending = Pending(json.loads(json.dumps(service.snapshot())))
    assert pending.target("0xabc\n") == ("tx_hash-2", "0xabc")
    pending.apply(tweet.model_copy(update={"at": T0 + 5}).to_dict())  # asked again: wrong answer
    assert pending.target("https://x.com/a/status/1") == ("tweet_url-1", "https://x.com/a/status/1")
    assert pending.target('{"need": "tx_hash-2", "value": "0x1"}') == ("tx_hash-2", "0x1")
    pending.apply(OperatorAnswered(platform="retake", need="tweet_url", id="tweet_url-1").to_dict())
    assert pending.newest == "tx_hash-2"
    pending.apply({"event": "operator.needed", "id": "broken"})  # unreadable: left out
    assert pending.newest == "tx_hash-2"
    pending.apply(SessionEnded(session_id=7, ok=True, reason="stopped").to_dict())
    assert pending.newest is None  # nothing waits once the broadcast is over
    pending.reset({"pending": [pay.to_dict()]})  # a resync's snapshot
    assert pending.newest == "tx_hash-2"
