"""No dead air in chat, on a simulated clock: the agent is told when chat goes quiet,
and the operator's rotation lines go to chat at a bounded rate, validated up front."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.errors import ValidationFailed
from studio.golive.dead_air import DeadAirSettings, DeadAirWatch, load_rotation
from studio.golive.events import ChatLine, ChatQuiet, ChatSent, StateChanged
from studio.golive.plan import Plan
from studio.platforms.retake import RetakeClient
from tests.golive.sim_time import SimTime, sim_context
from tests.retake.retake_helpers import verified_agent

SANDBOX = "http://sandbox.test"


def quiet_events(recorder) -> list[ChatQuiet]:
    return recorder.of("chat.quiet")  # type: ignore[return-value]


async def test_the_agent_is_told_when_chat_goes_quiet_and_not_while_it_talks(clock):
    time = SimTime(clock)
    ctx, recorder = sim_context(time)
    watch = DeadAirWatch(ctx, DeadAirSettings(quiet_after=120, min_gap=300))
    ctx.bus.add_listener(watch)
    ctx.publish(StateChanged(state="live"))
    try:
        await time.advance(100)
        ctx.publish(ChatLine(platform="retake", author="ada", text="what are you building?"))
        await time.advance(110)
        assert quiet_events(recorder) == []  # 110 s since ada spoke
        await time.advance(15)
        (first,) = quiet_events(recorder)
        assert 120 <= first.quiet_seconds <= 125 and first.line is None
        assert first.prompt.startswith(f"Chat has been quiet for {first.quiet_seconds:.0f} s.")
        assert '"event":"chat.quiet"' in recorder.lines[-1]  # the agent's JSON feed
        await time.advance(100)
        assert len(quiet_events(recorder)) == 1  # told once per quiet spell ...
        await time.advance(25)
        assert len(quiet_events(recorder)) == 2  # ... and again if it stays quiet
        ctx.publish(ChatSent(platform="retake", text="I'm back"))
        await time.advance(115)
        assert len(quiet_events(recorder)) == 2  # the agent's own line counts as chat
    finally:
        await watch.aclose()


async def test_rotation_lines_go_to_chat_in_turn_at_a_bounded_rate(
    transport, control, clock, sandbox
):
    client = RetakeClient(SANDBOX, transport=transport)
    reg = await verified_agent(client, control, "Quiet_Bot")
    time = SimTime(clock)
    ctx, recorder = sim_context(time)
    lines = ("Who here has shipped on a Friday?", "Next: I try to break my own parser.")

    async def send(text: str):
        return await client.chat_send(text, reg.user_db_id)

    watch = DeadAirWatch(ctx, DeadAirSettings(quiet_after=60, lines=lines, min_gap=300), send=send)
    ctx.bus.add_listener(watch)
    ctx.publish(StateChanged(state="live"))
    try:
        await time.advance(65)
        (first,) = quiet_events(recorder)
        assert first.line == lines[0]
        await time.advance(65)
        second = quiet_events(recorder)[1]
        assert second.line is None  # at most one line per 300 s
        await time.advance(240)
        sent = [q.line for q in quiet_events(recorder) if q.line]
        assert sent == [lines[0], lines[1]]
        texts = [c["text"] for c in sandbox.retake.world.comments[reg.user_db_id]]
        assert texts == [lines[0], lines[1]]
        assert [e.text for e in recorder.of("golive.chat_sent")] == [lines[0], lines[1]]
        assert watch.lines_sent == 2
    finally:
        await watch.aclose()


def test_a_rotation_file_is_checked_with_the_chat_rules(tmp_path: Path):
    good = tmp_path / "lines.txt"
    good.write_text("# lines for quiet moments\nFirst line\n\n  Second line  \n")
    assert load_rotation(good) == ("First line", "Second line")
    bad = tmp_path / "bad.txt"
    bad.write_text("fine\n" + "x" * 501 + "\n")
    with pytest.raises(ValidationFailed, match="bad.txt:2: must be at most 500 characters"):
        load_rotation(bad)
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n")
    with pytest.raises(ValidationFailed, match="holds no line"):
        load_rotation(empty)
    plan = Plan(dead_air_lines=bad, quiet_after=400, dead_air_every=300)
    rules = [str(p) for p in plan.problems()]
    assert "dead_air_every: must be at least quiet_after (one line per quiet spell)" in rules
    assert "dead_air_lines: bad.txt:2: must be at most 500 characters (got 501)" in rules


def test_settings_keep_the_rate_bounded():
    with pytest.raises(ValueError, match="at least 10"):
        DeadAirSettings(quiet_after=5)
    with pytest.raises(ValueError, match="min_gap"):
        DeadAirSettings(quiet_after=120, min_gap=30)
