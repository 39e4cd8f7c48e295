"""The console's model folds the core's real typed events; no screen involved."""

from __future__ import annotations

import json
from dataclasses import astuple
from typing import Any

from studio.broadcast.events import (
    DestinationStateChanged,
    EncoderStats,
    PipelineRecovered,
    ProcessExited,
    RecoveryScheduled,
)
from studio.console.model import ECHO_SECONDS, ConsoleModel, EncoderHealth
from studio.control.state import BroadcastState
from studio.events import Event
from studio.golive.events import (
    AudienceAlert,
    BuilderNotification,
    ChatLine,
    ChatSent,
    ClawcastSlotHeld,
    DuetTurn,
    Failed,
    OperatorAnswered,
    OperatorNeeded,
    OperatorWithdrawn,
    PlatformLive,
    PlatformOffAir,
    PlatformStopped,
    PollResultsChanged,
    SessionEnded,
    SlidesOnAir,
    StepChanged,
    StreamHealth,
    Viewers,
)
from tests.console.console_helpers import T0, chat, live_session, payment_step, tweet_step


def test_a_live_session_folds_into_the_state_the_panes_draw() -> None:
    model = ConsoleModel(now=lambda: T0 + 60)
    model.apply_all(live_session())
    assert model.live and model.session_id == 7 and model.display == ":99"
    assert model.legs["retake"].live and model.legs["retake"].viewers == 19
    assert model.viewers_total == 19 and len(model.viewer_history) == 8
    lines = [(line.kind, line.author, line.first_time, line.amount) for line in model.chat]
    assert lines == [
        ("chat", "alice", True, None),
        ("chat", "bob", True, None),
        ("tip", "whale", False, "5.00"),
        ("chat", "alice", False, None),
        ("trade", "trader7", False, "$42.50"),
        ("follow", "carol", False, None),
    ]


def test_alerts_and_the_studios_own_lines_on_the_timeline() -> None:
    model = ConsoleModel(me="agent_smith")
    model.apply(AudienceAlert(at=T0, platform="retake", alert="trade", who="t7", amount="$9.00",
                              detail="sell"))  # fmt: skip
    model.apply(ChatLine(at=T0, platform="retake", author="agent_smith", text="thanks!"))
    model.apply(ChatSent(at=T0, platform="retake", text="hi next door", to="neighbour"))
    assert [(e.kind, e.author, e.amount, e.text) for e in model.chat] == [
        ("trade", "t7", "$9.00", "sell"),
        ("sent", "agent_smith", None, "thanks!"),
        ("sent", "agent_smith → neighbour", None, "hi next door"),
    ]


def test_the_studios_own_line_and_the_platforms_echo_of_it_are_one_line() -> None:
    # the service's snapshot says who the studio is on retake.tv; nothing else does
    model = ConsoleModel()
    model.apply_snapshot({"legs": {"retake": {"live": True, "name": "agent_smith"}}})
    assert model.names == {"retake": "agent_smith"}
    # sent, then echoed by the feed
    model.apply(ChatSent(at=T0, platform="retake", text="gm chat"))
    assert model.apply(ChatLine(at=T0 + 1, platform="retake", author="agent_smith",
                                text="gm chat")) == set()  # fmt: skip
    # a viewer saying the same is a viewer's line
    model.apply(ChatLine(at=T0 + 2, platform="retake", author="bob", text="gm chat"))
    # echoed before the service says it sent it (the socket beat the HTTP reply)
    model.apply(ChatLine(at=T0 + 3, platform="retake", author="agent_smith", text="still here"))
    assert model.apply(ChatSent(at=T0 + 3, platform="retake", text="still here")) == set()
    # the same words twice are two lines, each echoed once
    for i in range(2):
        model.apply(ChatSent(at=T0 + 4 + i, platform="retake", text="again"))
    for i in range(2):
        model.apply(ChatLine(at=T0 + 5 + i, platform="retake", author="agent_smith", text="again"))
    # another agent's room never echoes in ours; the agent speaking elsewhere is its own line
    model.apply(ChatSent(at=T0 + 8, platform="retake", text="hi next door", to="neighbour"))
    model.apply(ChatLine(at=T0 + 9, platform="retake", author="agent_smith", text="from the CLI"))
    # an echo that never came does not swallow the same words said much later
    model.apply(ChatSent(at=T0 + 10, platform="retake", text="lost"))
    model.apply(ChatLine(at=T0 + 11 + ECHO_SECONDS, platform="retake", author="agent_smith",
                         text="lost"))  # fmt: skip
    assert [(e.kind, e.author, e.text) for e in model.chat] == [
        ("sent", "you", "gm chat"),
        ("chat", "bob", "gm chat"),
        ("sent", "agent_smith", "still here"),
        ("sent", "you", "again"),
        ("sent", "you", "again"),
        ("sent", "you → neighbour", "hi next door"),
        ("sent", "agent_smith", "from the CLI"),
        ("sent", "you", "lost"),
        ("sent", "agent_smith", "lost"),
    ]


def test_a_console_attaching_later_shows_the_studios_line_once() -> None:
    """The service's state keeps both the send and the echo; its snapshot names the
    studio on each platform, so a console attaching mid-show folds them too."""
    state = BroadcastState()
    for event in (
        PlatformLive(at=T0, platform="retake", url="https://retake.tv/agent_smith",
                     name="agent_smith"),
        ChatLine(at=T0 + 1, platform="retake", author="agent_smith", text="gm chat"),
        ChatSent(at=T0 + 1, platform="retake", text="gm chat"),
        ChatLine(at=T0 + 2, platform="retake", author="viewer42", text="gm chat"),
    ):  # fmt: skip
        state.apply(event)
    snapshot = state.snapshot()
    assert snapshot["legs"]["retake"]["name"] == "agent_smith"
    model = ConsoleModel()
    model.apply_snapshot(snapshot)
    assert [(e.kind, e.author, e.text) for e in model.chat] == [
        ("sent", "agent_smith", "gm chat"),
        ("chat", "viewer42", "gm chat"),
    ]


def test_scrollback_is_bounded_and_counts_everything() -> None:
    model = ConsoleModel(scrollback=50)
    for i in range(120):
        model.apply(chat(T0 + i, f"v{i % 7}", str(i), id=f"m{i}"))
    assert len(model.chat) == 50 and model.chat_total == 120
    assert model.chat[0].text == "70" and model.chat[-1].text == "119"


def test_dropped_frames_in_obs_form_and_levels() -> None:
    assert EncoderHealth(frames=1000, dropped=5).dropped_text() == "5 / 1,000 (0.5%)"
    assert EncoderHealth(frames=1000, dropped=5).dropped_level == "ok"
    assert EncoderHealth(frames=1000, dropped=11).dropped_level == "warning"
    assert EncoderHealth(frames=1000, dropped=51).dropped_level == "error"


def test_a_destination_is_never_live_at_zero_kbps_and_counts_down_its_retry() -> None:
    clock = [T0]
    model = ConsoleModel(now=lambda: clock[0])

    def shown(now: float) -> tuple[str, str]:
        return model.destinations["retake"].shown(now, model.encoder)

    model.apply(DestinationStateChanged(at=T0, destination="retake", state="live"))
    assert shown(T0) == ("Stalled 0 kb/s", "warning")
    model.apply(EncoderStats(at=T0, frame=30, fps=30, bitrate_kbps=0.0))
    assert shown(T0)[0] == "Stalled 0 kb/s"
    model.apply(EncoderStats(at=T0 + 1, frame=60, fps=30, bitrate_kbps=2500.0))
    assert shown(T0 + 2) == ("Live 2,500 kb/s", "success")
    assert shown(T0 + 30)[0] == "Stalled 0 kb/s"  # stats went quiet
    model.apply(DestinationStateChanged(at=T0 + 40, destination="retake", state="retrying",
                                        attempt=3, retry_in=12.0))  # fmt: skip
    assert shown(T0 + 43)[0] == "Reconnecting in 9 s (attempt 3)"
    model.apply(DestinationStateChanged(at=T0 + 60, destination="retake", state="stopped"))
    assert shown(T0 + 60) == ("Inactive", "muted")


def test_relay_rates_are_per_destination() -> None:
    model = ConsoleModel()
    model.apply(DestinationStateChanged(at=T0, destination="basefm", state="live"))
    model.apply(EncoderStats(at=T0, source="encoder", frame=30, fps=30, bitrate_kbps=2500.0))
    model.apply(EncoderStats(at=T0, source="relay:basefm", frame=30, fps=30, bitrate_kbps=1200.0))
    assert model.destinations["basefm"].shown(T0, model.encoder)[0] == "Live 1,200 kb/s"
    assert model.encoder.bitrate_kbps == 2500.0


def test_operator_steps_come_and_go() -> None:
    model = ConsoleModel()
    model.apply_all([tweet_step(), payment_step()])
    assert [p.need for p in sorted(model.pending.values(), key=lambda p: p.at)] == [
        "tweet_url", "tx_hash",
    ]  # fmt: skip
    model.apply(OperatorAnswered(platform="retake", need="tweet_url"))
    assert [p.need for p in model.pending.values()] == ["tx_hash"]
    asked = OperatorNeeded(platform="basefm", need="wallet", prompt="p", id="wallet-3")
    model.apply(asked)
    assert "wallet-3" in model.pending
    model.apply(
        OperatorWithdrawn(platform="basefm", need="wallet", id="wallet-3", reason="stopped")
    )
    assert "wallet-3" not in model.pending
    model.apply(SessionEnded(session_id=7, ok=True, reason="stopped by the operator"))
    assert model.pending == {} and not model.live


def test_clawcast_activity_is_on_the_timeline() -> None:
    """ClawCast's viewer chat cannot be read (no endpoint); what the studio knows can:
    its own chat, the slot it holds, the slides on air, the votes, its duet turns."""
    from studio.golive.events import ClawcastSlotHeld, DuetTurn, PollResultsChanged, SlidesOnAir

    model = ConsoleModel()
    poll = {"type": "poll", "content": {"question": "Next?", "options": ["Chess", "Weather"]}}
    topics = model.apply(ClawcastSlotHeld(at=T0, streamer_name="agent_smith", position_in_queue=2))
    assert topics == {"queue", "chat"}
    model.apply(SlidesOnAir(at=T0 + 1, platform="clawcast", slides=[{"type": "text"}, poll]))
    model.apply(SlidesOnAir(at=T0 + 1, platform="studio", slides=[poll]))  # the kiosk's own
    model.apply(PollResultsChanged(at=T0 + 2, platform="clawcast", results=[1, 0]))
    assert model.apply(PollResultsChanged(at=T0 + 7, platform="clawcast", results=[1, 0])) == set()
    model.apply(PollResultsChanged(at=T0 + 12, platform="clawcast", results=[3, 1]))
    model.apply(ChatSent(at=T0 + 13, platform="clawcast", text="vote!"))
    model.apply(DuetTurn(at=T0 + 14, role="host", name="agent_smith", text="Tabs or spaces?"))
    assert [(e.platform, e.kind, e.author, e.text) for e in model.chat] == [
        ("clawcast", "activity", "agent_smith", "holds a slot: position 2 in the queue"),
        ("clawcast", "activity", "slides", "2 on air (text, poll)"),
        ("clawcast", "activity", "poll", "1 vote: Chess 1 · Weather 0"),
        ("clawcast", "activity", "poll", "4 votes: Chess 3 · Weather 1"),
        ("clawcast", "sent", "you", "vote!"),
        ("clawcast", "activity", "agent_smith", "duet host: Tabs or spaces?"),
    ]


def a_long_show() -> list[Event]:
    """A broadcast with a bit of everything both folds ever disagreed on."""
    poll = {"type": "poll", "content": {"question": "Next?", "options": ["Chess", "Weather"]}}
    other = {"type": "poll", "content": {"question": "Tabs?", "options": ["Tabs", "Spaces"]}}
    return live_session() + [
        PlatformLive(at=T0 + 22, platform="retake", url="https://retake.tv/agent_smith",
                     name="agent_smith", viewers=19),
        ChatSent(at=T0 + 23, platform="retake", text="gm chat"),
        chat(T0 + 24, "agent_smith", "gm chat"),  # the platform's echo of it
        chat(T0 + 25, "bob", "gm chat"),
        chat(T0 + 26, "agent_smith", "echoed first"),
        ChatSent(at=T0 + 26, platform="retake", text="echoed first"),
        tweet_step(),
        payment_step(),
        OperatorNeeded(at=T0 + 27, platform="basefm", need="wallet", prompt="p", id="wallet-3"),
        OperatorAnswered(at=T0 + 28, platform="retake", need="tweet_url"),
        ClawcastSlotHeld(at=T0 + 30, streamer_name="agent_smith", position_in_queue=2),
        SlidesOnAir(at=T0 + 31, platform="clawcast", slides=[{"type": "text"}, poll]),
        PollResultsChanged(at=T0 + 32, platform="clawcast", results=[1, 0]),
        chat(T0 + 33, "carol", "voted!"),
        PollResultsChanged(at=T0 + 34, platform="clawcast", results=[1, 0]),  # polled again
        SlidesOnAir(at=T0 + 35, platform="studio", slides=[other]),  # the kiosk's own
        PollResultsChanged(at=T0 + 36, platform="clawcast", results=[3, 1]),
        DuetTurn(at=T0 + 37, role="host", name="agent_smith", text="Tabs or spaces?"),
        RecoveryScheduled(at=T0 + 38, reason="display died", attempt=1, delay=2.0),
        PipelineRecovered(at=T0 + 40, reason="display died", attempt=1, restarted=["xvfb"]),
        ProcessExited(at=T0 + 41, process="relay:basefm", returncode=1),
        Failed(at=T0 + 42, platform="basefm", error="baseFM refused the key.",
               fix="Check the key."),
        Failed(at=T0 + 43, platform="studio", error="The journal is full."),
        BuilderNotification(at=T0 + 44, reason="low_viewers", text="Few viewers.",
                            links=["https://retake.tv/agent_smith"]),
        PlatformOffAir(at=T0 + 45, platform="clawcast", reason="the slot is over"),
        StreamHealth(at=T0 + 46, platform="retake", health="good"),
        DestinationStateChanged(at=T0 + 47, destination="basefm", state="live"),
        EncoderStats(at=T0 + 48, source="relay:basefm", frame=40, fps=30, bitrate_kbps=1200.0),
        EncoderStats(at=T0 + 59, frame=1800, fps=30, bitrate_kbps=2500.0, drop_frames=27),
        Viewers(at=T0 + 50, platform="clawcast", viewers=4),
        PlatformStopped(at=T0 + 55, platform="basefm", stats={"minutes": 1}),
        StepChanged(at=T0 + 56, platform="clawcast", step="queue", state="done"),
    ]  # fmt: skip


def views(model: ConsoleModel) -> dict[str, Any]:
    """What the panes draw from the model."""
    now = T0 + 60
    return {
        "legs": {name: (leg.step, leg.step_state, leg.live, leg.url, leg.viewers, leg.stopped,
                        leg.error, leg.health) for name, leg in model.legs.items()},
        "destinations": {name: (dest.shown(now, model.encoder), dest.reason)
                         for name, dest in model.destinations.items()},
        "encoder": (model.encoder.fps, model.encoder.dropped_text(), model.encoder.updated_at),
        "pending": sorted((p.key, p.need, p.at) for p in model.pending.values()),
        "notices": [(n.at, n.platform, n.level, n.text) for n in model.notices],
        "chat": [astuple(entry) for entry in model.chat],
        "viewers": (model.viewers_total, model.viewer_history),
        "on air": (model.live, model.display, model.session_id, model.slides_on_air,
                   model.poll_results, model.clawcast_slot, model.ended, model.names),
    }  # fmt: skip


def test_a_console_attaching_at_any_moment_draws_what_one_there_from_the_start_draws() -> None:
    """The service's fold, through its JSON snapshot, rebuilt in a console that then
    follows the rest live: the same legs, destinations, steps, notices and timeline."""
    events = a_long_show()
    watched = ConsoleModel(me="agent_smith")
    watched.apply_all(events)
    expected = views(watched)
    for attach_at in range(len(events) + 1):
        service = BroadcastState()
        for event in events[:attach_at]:
            service.apply(event)
        late = ConsoleModel(me="agent_smith")
        late.apply_snapshot(json.loads(json.dumps(service.snapshot())))
        late.apply_all(events[attach_at:])
        assert views(late) == expected, f"attached after {attach_at} events"
    # and what they both draw is the show itself
    assert expected["legs"] == {
        "retake": ("status", "done", True, "https://retake.tv/agent_smith", 19, False, None,
                   "good"),
        "clawcast": ("queue", "done", False, "https://tvterminal.com", 4, False, None, None),
        "basefm": ("create", "started", False, None, None, True, "baseFM refused the key.", None),
    }  # fmt: skip
    assert expected["destinations"] == {
        "retake": (("Live 2,500 kb/s", "success"), ""),
        "clawcast": (("Live 2,500 kb/s", "success"), ""),
        "basefm": (("Live 1,200 kb/s", "success"), ""),
    }
    assert expected["pending"] == [
        ("basefm-tx_hash", "tx_hash", payment_step().at),
        ("wallet-3", "wallet", T0 + 27),
    ]
    assert [text for _, _, _, text in expected["notices"]] == [
        "retake.tv: live at https://retake.tv/agent_smith (3 viewers)",
        "Recovering from display died: attempt 1 in 2 s",
        "Recovered from display died",
        "relay:basefm exited (code 1)",
        "baseFM refused the key. Check the key.",
        "The journal is full.",
        "Low viewers: Few viewers.\nhttps://retake.tv/agent_smith",
    ]
    assert [(kind, author, text) for _, _, kind, author, text, *_ in expected["chat"][6:]] == [
        ("sent", "agent_smith", "gm chat"),
        ("chat", "bob", "gm chat"),
        ("sent", "agent_smith", "echoed first"),
        ("activity", "agent_smith", "holds a slot: position 2 in the queue"),
        ("activity", "slides", "2 on air (text, poll)"),
        ("activity", "poll", "1 vote: Chess 1 · Weather 0"),
        ("chat", "carol", "voted!"),
        ("activity", "poll", "4 votes: Tabs 3 · Spaces 1"),
        ("activity", "agent_smith", "duet host: Tabs or spaces?"),
    ]
    assert expected["viewers"] == (23, [(T0 + i * 5, v) for i, v in
                                        enumerate([3, 5, 8, 6, 12, 15, 14, 19])]
                                   + [(T0 + 50, 23)])  # fmt: skip


def test_the_snapshot_rebuilds_the_state_it_was_taken_of() -> None:
    """The wire format read back gives the same wire format: nothing is lost on the way."""
    service = BroadcastState(service={"pid": 41, "xauthority": "/tmp/x/Xauthority"})
    for event in a_long_show():
        service.apply(event)
    wire = json.loads(json.dumps(service.snapshot()))
    assert json.loads(json.dumps(BroadcastState.from_snapshot(wire).snapshot())) == wire
    assert wire["legs"]["basefm"]["stopped"] == {"minutes": 1}
    assert wire["legs"]["basefm"]["failed"] == {"error": "baseFM refused the key.",
                                                "fix": "Check the key."}  # fmt: skip
    assert [s["step"] for s in wire["legs"]["retake"]["steps"]] == ["status"]
    assert wire["destinations"]["basefm"]["retry_at"] is None
    assert wire["destinations"]["basefm"]["state"] == "live"
    assert wire["viewers"]["retake"]["history"][-1] == [T0 + 35, 19]
    assert [p["id"] for p in wire["pending"]] == [None, "wallet-3"]
    assert [a["event"] for a in wire["activity"]] == [
        "clawcast.slot", "slides.on_air", "poll.results", "slides.on_air", "poll.results",
    ]  # fmt: skip
    model = ConsoleModel()
    model.apply_snapshot(wire)
    assert model.xauthority == "/tmp/x/Xauthority" and model.state.grid == (160, 45)
