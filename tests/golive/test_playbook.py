"""The streamer playbook's notifications to the builder, each fired on a simulated
clock: the builder notification with every platform's link, the heartbeat every 4 hours
or more, the low-viewers reminder, and a shutdown warning treated as a crisis."""

from __future__ import annotations

import pytest

from studio.golive.events import (
    AudienceAlert,
    BuilderNotification,
    ChatLine,
    Failed,
    PlatformLive,
    StateChanged,
    StreamHealth,
    Viewers,
)
from studio.golive.playbook import Playbook, PlaybookSettings
from studio.platforms.retake_events import RetakeShutdownWarning
from tests.golive.sim_time import SimTime, sim_context

RETAKE = "https://retake.tv/Play_Bot"
CLAWCAST = "https://tvterminal.com"
BASEFM = "https://basefm.space"


def notes(recorder, reason: str) -> list[BuilderNotification]:
    return [e for e in recorder.of("builder.notify") if e.reason == reason]  # type: ignore[misc]


async def live_playbook(settings: PlaybookSettings | None = None, platforms=("retake",)):
    time = SimTime()
    ctx, recorder = sim_context(time)
    playbook = Playbook(ctx, settings, platforms=platforms)
    ctx.bus.add_listener(playbook)
    ctx.publish(StateChanged(state="live"))
    return time, ctx, recorder, playbook


async def test_builder_notification_waits_for_every_platforms_link():
    time, ctx, recorder, playbook = await live_playbook(platforms=("retake", "basefm", "clawcast"))
    try:
        ctx.publish(PlatformLive(platform="retake", url=RETAKE, viewers=4))
        ctx.publish(PlatformLive(platform="clawcast", url=CLAWCAST))
        await time.advance(30)
        assert notes(recorder, "live") == []  # baseFM's listen URL is not known yet
        ctx.publish(PlatformLive(platform="basefm", url=BASEFM))
        (note,) = notes(recorder, "live")
        assert note.links == [RETAKE, CLAWCAST, BASEFM]
        lines = note.text.splitlines()
        assert lines[:4] == [
            f"I'm live at {RETAKE}",
            f"Also live at {BASEFM}",
            f"Also live at {CLAWCAST}",
            "Viewers: 4",
        ]
        assert "Stream ideas: [A]" in note.text and f"Link: {RETAKE}" in note.text
        await time.advance(3600)
        assert len(notes(recorder, "live")) == 1  # once
    finally:
        await playbook.aclose()


async def test_builder_notification_goes_without_a_missing_link_after_a_wait():
    time, ctx, recorder, playbook = await live_playbook(platforms=("retake", "basefm"))
    try:
        ctx.publish(PlatformLive(platform="retake", url=RETAKE, viewers=0))
        ctx.publish(PlatformLive(platform="basefm", url=None))
        await time.advance(59)
        assert notes(recorder, "live") == []
        await time.advance(16)
        (note,) = notes(recorder, "live")
        assert note.links == [RETAKE] and "(No link yet from baseFM.)" in note.text
    finally:
        await playbook.aclose()


async def test_heartbeat_every_four_hours_summarises_the_bus():
    time, ctx, recorder, playbook = await live_playbook(PlaybookSettings(large_tip=10))
    try:
        ctx.publish(PlatformLive(platform="retake", url=RETAKE, viewers=2))
        ctx.publish(Viewers(platform="retake", viewers=12))
        ctx.publish(Failed(platform="basefm", error="status 503"))
        ctx.publish(StreamHealth(platform="basefm", health="bad"))
        ctx.publish(StreamHealth(platform="basefm", health="good"))
        ctx.publish(AudienceAlert(platform="retake", alert="tip", who="whale", amount="25.00"))
        ctx.publish(AudienceAlert(platform="retake", alert="tip", who="minnow", amount="2.00"))
        for i in range(30):
            ctx.publish(ChatLine(platform="retake", author="ada", text=f"line {i}", id=f"c{i}"))
        ctx.publish(
            AudienceAlert(platform="retake", alert="trade", who="a trader", amount="$1,040.00")
        )
        ctx.publish(AudienceAlert(platform="retake", alert="follow", who="grace"))
        await time.advance(4 * 3600 - 60)
        assert notes(recorder, "heartbeat") == []
        await time.advance(120)
        (beat,) = notes(recorder, "heartbeat")
        lines = beat.text.splitlines()
        assert lines[0] == "Heartbeat: the last 4.0 hours on stream."
        assert f"Live at {RETAKE}" in lines
        assert "Viewers now: 12 (peak 12)" in lines
        assert (
            "Technical issues: basefm: status 503; basefm reports its stream health as bad" in lines
        )
        assert "Large tips: whale tipped 25" in lines
        assert (
            "Unusual activity: a burst of 30 chat in 5 minutes (average 0.6 per 5 minutes)" in lines
        )
        assert (
            "Milestones: 10 viewers at once for the first time; 1 new follower this stream" in lines
        )
        assert "Chat 30 messages, 2 tips (27), 1 trades ($1,040.00), 1 follows." in lines

        # the next one covers only its own four hours: steady chat is not unusual ...
        for _ in range(48):
            ctx.publish(ChatLine(platform="retake", author="bob", text="steady"))
            await time.advance(300)
        first, second = notes(recorder, "heartbeat")
        assert "Technical issues: none" in second.text and "Large tips: none" in second.text
        assert "Unusual activity: none" in second.text
        # ... but four times the previous period's chat is
        for i in range(4 * 48):
            ctx.publish(ChatLine(platform="retake", author="cy", text=f"busy {i}"))
            await time.advance(75)
        third = notes(recorder, "heartbeat")[2]
        assert "Unusual activity: chat rose to 192 from 48 the period before" in third.text
    finally:
        await playbook.aclose()


def test_heartbeat_may_not_be_more_often_than_four_hours():
    with pytest.raises(ValueError, match="4 hours"):
        PlaybookSettings(heartbeat_every=3600)


async def test_low_viewers_reminder_with_the_link_and_a_bounded_rate():
    settings = PlaybookSettings(low_viewers=3, low_viewers_grace=600, low_viewers_every=1800)
    time, ctx, recorder, playbook = await live_playbook(settings)
    try:
        ctx.publish(PlatformLive(platform="retake", url=RETAKE, viewers=1))
        await time.advance(590)
        assert notes(recorder, "low_viewers") == []
        await time.advance(20)
        (note,) = notes(recorder, "low_viewers")
        assert note.text == (
            f"Viewer count is 1. A share right now would help — here's the link: {RETAKE}"
        )
        await time.advance(1200)
        assert len(notes(recorder, "low_viewers")) == 1  # not before 30 minutes
        ctx.publish(Viewers(platform="retake", viewers=8))
        await time.advance(1800)
        assert len(notes(recorder, "low_viewers")) == 1  # fine again
        ctx.publish(Viewers(platform="retake", viewers=0))
        await time.advance(300)
        assert len(notes(recorder, "low_viewers")) == 1  # dropping, but not for long yet
        await time.advance(330)
        assert [n.text.split(".")[0] for n in notes(recorder, "low_viewers")] == [
            "Viewer count is 1",
            "Viewer count is 0",
        ]
    finally:
        await playbook.aclose()


async def test_a_shutdown_warning_is_an_urgent_crisis_at_once():
    time, ctx, recorder, playbook = await live_playbook()
    try:
        ctx.publish(PlatformLive(platform="retake", url=RETAKE, viewers=3))
        ctx.publish(RetakeShutdownWarning(text="Low effort: improve or be shut down"))
        (note,) = notes(recorder, "shutdown_warning")
        assert note.urgent
        assert note.text.startswith("CRISIS: retake.tv sent a shutdown warning")
        assert "It said: Low effort: improve or be shut down" in note.text
        assert f"link: {RETAKE}" in note.text
        await time.advance(4 * 3600)
        (beat,) = notes(recorder, "heartbeat")
        assert "shutdown warning: Low effort" in beat.text
    finally:
        await playbook.aclose()


async def test_the_loop_ends_with_the_broadcast():
    time, ctx, recorder, playbook = await live_playbook()
    ctx.publish(PlatformLive(platform="retake", url=RETAKE, viewers=0))
    ctx.publish(StateChanged(state="stopping"))
    await time.advance(5 * 3600)
    assert notes(recorder, "heartbeat") == [] and notes(recorder, "low_viewers") == []
    assert not playbook._loop.running
