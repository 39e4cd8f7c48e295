"""Events flow one way: legs publish, and the kiosk, the journal and the API listen.

A listener that raises is reported and isolated; a slow subscriber loses its oldest
events; each chat line reaches the journal once and the kiosk once.
"""

from __future__ import annotations

import asyncio
import logging

from studio.events import EventBus, ListenerFailed
from studio.golive.chat_bridge import ChatBridge
from studio.golive.events import (
    KioskScene,
    Notice,
    PlatformLive,
    PollResultsChanged,
    SlidesOnAir,
    Viewers,
)
from studio.golive.journal_feed import JournalFeed
from studio.golive.kiosk_feed import kiosk_command
from studio.journal import Journal, JournalWriter
from studio.platforms.retake_events import RetakeChat, RetakeTip
from tests.golive.golive_helpers import fake_context


def test_a_listener_that_raises_breaks_neither_the_publisher_nor_the_others(caplog):
    bus = EventBus()
    got: list[str] = []

    def broken(event) -> None:
        if isinstance(event, Notice):
            raise RuntimeError("boom in a listener")

    bus.add_listener(broken)
    bus.add_listener(lambda event: got.append(event.kind))
    with caplog.at_level(logging.ERROR, logger="studio.events"):
        bus.publish(Notice(platform="studio", text="hello"))
        bus.publish(Notice(platform="studio", text="again"))
    assert got == [
        "golive.notice",
        "bus.listener_failed",
        "golive.notice",
        "bus.listener_failed",
    ]
    assert "boom in a listener" in caplog.text


def test_the_failure_report_names_the_listener_and_the_event():
    bus = EventBus()
    reports: list[ListenerFailed] = []

    class Picky:
        def __call__(self, event) -> None:
            if isinstance(event, ListenerFailed):
                raise ValueError("fails on its own report too")
            raise KeyError("missing")

    bus.add_listener(Picky())
    bus.add_listener(lambda e: reports.append(e) if isinstance(e, ListenerFailed) else None)
    bus.publish(Notice(platform="studio", text="x"))
    (report,) = reports  # the failure on the report itself is logged, never re-reported
    assert report.listener.endswith("Picky") and report.failed_on == "golive.notice"
    assert "KeyError" in report.error


async def test_a_slow_subscriber_loses_its_oldest_events_and_never_blocks():
    bus = EventBus(maxsize=3)
    async with bus.subscribe() as events:
        for i in range(10):
            bus.publish(Notice(platform="studio", text=str(i)))
        got = [(await anext(events)).text for _ in range(3)]
    assert got == ["7", "8", "9"]


def test_each_chat_line_and_tip_is_journaled_once(tmp_path, clock):
    ctx, _ = fake_context(clock)
    journal = Journal(tmp_path / "j.sqlite3")
    ctx.session_id = journal.open_session(["retake"])
    ctx.journal = JournalWriter(journal)
    ctx.bus.add_listener(JournalFeed(ctx))
    bridge = ChatBridge(platform="retake", streamer="me", clock=clock.now)

    def feed(raw) -> None:  # what the retake leg does with every feed event
        ctx.publish(raw)
        for event in bridge(raw):
            ctx.publish(event)

    feed(RetakeChat(id="c1", author="ada", text="hello"))
    feed(RetakeChat(id="t1", type="tip", author="bob", tip_data={"amount": 3}))
    feed(RetakeTip(sender_username="bob", amount=3, data={"_id": "t1"}))
    ctx.publish(Viewers(platform="retake", viewers=4, live=True, market_cap=1200.0))
    ctx.publish(Notice(platform="retake", text="a notice"))
    ctx.journal.flush_and_close()
    reread = Journal(tmp_path / "j.sqlite3")
    lines = reread.transcript_of(ctx.session_id)
    assert [(line["kind"], line["author"], line["text"]) for line in lines] == [
        ("chat", "ada", "hello"),
        ("tip", "bob", None),
    ]
    kinds = [e["kind"] for e in reread.events_of(ctx.session_id)]
    assert kinds == ["golive.notice"]  # the raw feed and the lines are not copied there
    assert reread.samples_of(ctx.session_id, "viewers")[0] | {"at": 0} == {
        "at": 0,
        "retake": 4,
        "is_live": True,
        "market_cap": 1200.0,
    }


def test_the_kiosk_feed_turns_events_into_on_air_commands():
    live = kiosk_command(
        PlatformLive(platform="retake", viewers=2, name="bot", token_ticker="BOT", chat=True)
    )
    assert [c.cmd for c in live] == ["ticker", "scene"]
    assert live[0].name == "bot" and live[0].viewers == 2 and live[1].scene == "chat"
    assert kiosk_command(PlatformLive(platform="basefm")) == []
    (ticker,) = kiosk_command(Viewers(platform="retake", viewers=9, market_cap=5.0))
    assert ticker.viewers == 9 and ticker.market_cap == 5.0
    (bars,) = kiosk_command(PollResultsChanged(platform="clawcast", results=[1, 2]))
    assert bars.results == [1, 2]
    slides = [{"type": "text", "content": {"headline": "Hi"}, "duration_seconds": 5}]
    (pushed,) = kiosk_command(SlidesOnAir(platform="clawcast", slides=slides))
    assert pushed.slides[0].type == "text"
    assert kiosk_command(KioskScene(scene="filler"))[0].scene == "filler"


async def test_publish_from_inside_a_listener_keeps_order_for_subscribers():
    bus = EventBus()
    bus.add_listener(
        lambda e: bus.publish(Notice(platform="x", text="echo")) if isinstance(e, Viewers) else None
    )
    async with bus.subscribe() as events:
        bus.publish(Viewers(platform="retake", viewers=1))
        first = await asyncio.wait_for(anext(events), 1)
        second = await asyncio.wait_for(anext(events), 1)
    assert {first.kind, second.kind} == {"golive.viewers", "golive.notice"}
