"""The control API on a real Unix socket: list-then-watch with no gap, many clients, a
client that stops reading or vanishes, bad requests named by field and rule, and
commands reaching the in-process sandbox through the core's legs."""

from __future__ import annotations

import asyncio
import json
import os
import stat

import pytest

from studio import redaction
from studio.config import Paths
from studio.control.client import CommandFailed, ControlClient, parse_event
from studio.errors import Problem, ValidationFailed
from studio.events import ListenerFailed
from studio.golive.basefm_leg import BasefmLeg
from studio.golive.clawcast_leg import ClawcastLeg
from studio.golive.events import ChatLine, Notice, OperatorNeeded, Viewers
from studio.golive.operator import Need
from studio.golive.retake_leg import RetakeLeg
from studio.golive.sequence import GoLive
from studio.platforms.basefm import BasefmClient
from studio.platforms.clawcast import ClawcastClient
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_credentials import load_credentials
from studio.redaction import reveal
from studio.session_store import SessionStore
from tests.control.control_helpers import SANDBOX, RawClient, served, until
from tests.golive.golive_helpers import fake_context
from tests.golive.test_golive_legs import registered


def line(i: int) -> ChatLine:
    return ChatLine(platform="retake", author=f"viewer{i % 7}", text=f"line {i}", id=f"c{i}")


async def test_the_socket_is_private_and_the_welcome_carries_the_state():
    async with served(chat_lines=50) as s:
        for i in range(60):
            s.bus.publish(line(i))
        s.bus.publish(Viewers(platform="retake", viewers=12, live=True))
        assert stat.S_IMODE(os.stat(s.socket_path).st_mode) == 0o600
        assert stat.S_IMODE(os.stat(s.socket_path.parent).st_mode) == 0o700
        async with await ControlClient.connect(s.socket_path, client="t") as client:
            assert client.seq == client.snapshot_seq == 61
            chat = client.snapshot["chat"]
            assert [c["text"] for c in chat] == [f"line {i}" for i in range(10, 60)]
            assert client.snapshot["viewers"]["retake"]["viewers"] == 12
            assert client.snapshot["viewers"]["retake"]["history"][0][1] == 12
            assert "chat.send" in client.commands and client.server["pid"] == os.getpid()


async def test_attaching_mid_stream_loses_nothing_and_repeats_nothing():
    """A publisher runs flat out while clients attach: each client's snapshot plus its
    events is every line exactly once, in order (list-then-watch)."""
    async with served(chat_lines=100_000) as s:
        total = 3000
        published = asyncio.Event()

        async def publisher() -> None:
            for i in range(total):
                s.bus.publish(line(i))
                if i % 50 == 0:
                    await asyncio.sleep(0.002)
            published.set()

        task = asyncio.create_task(publisher())
        clients = []
        for _ in range(4):
            await asyncio.sleep(0.005)
            # held until the publisher is done: room for all of it (else it resyncs)
            clients.append(
                await ControlClient.connect(s.socket_path, events=["chat.*"], backlog=total)
            )
        await published.wait()
        await task
        for client in clients:
            seen = [c["text"] for c in client.snapshot["chat"]]
            last_seq = client.snapshot_seq
            messages = client.messages()
            while len(seen) < total:
                message = await asyncio.wait_for(anext(messages), 10)
                assert message["op"] == "event" and message["seq"] == last_seq + 1
                last_seq = message["seq"]
                seen.append(message["event"]["text"])
            assert seen == [f"line {i}" for i in range(total)]
            await client.close()
        mid_stream = [c for c in clients if 0 < len(c.snapshot["chat"]) < total]
        assert len(mid_stream) >= 2


async def test_two_clients_each_get_what_they_asked_for():
    async with served() as s:
        chat_only = await ControlClient.connect(s.socket_path, events=["chat.*"])
        everything = await ControlClient.connect(s.socket_path)
        s.bus.publish(Notice(platform="studio", text="hello"))
        s.bus.publish(line(1))
        first = await anext(chat_only.events())
        assert first["event"] == "chat.line" and first["text"] == "line 1"
        kinds = [(await anext(everything.events()))["event"] for _ in range(2)]
        assert kinds == ["golive.notice", "chat.line"]
        typed = parse_event(first)
        assert isinstance(typed, ChatLine) and typed.author == "viewer1"
        await chat_only.close()
        await everything.close()


async def test_a_client_that_stops_reading_costs_the_others_nothing():
    """One client never reads; the broadcast publishes 20 000 events. Its queue stays
    bounded, the reading client gets every event, and the stalled one is resynced."""
    async with served(max_queue=500, stall_seconds=60) as s:
        stalled = await RawClient.open(s.socket_path, limit=2**16)
        await stalled.send({"op": "hello", "protocol": 1, "client": "stalled"})
        await until(lambda: any(p.hello for p in s.server.peers))
        reader = await ControlClient.connect(s.socket_path, events=["chat.*"])
        peer = next(p for p in s.server.peers if p.hello and p.hello.client == "stalled")
        got: list[int] = []

        async def read_all() -> None:
            async for message in reader.messages():
                got.append(message["seq"])
                if len(got) == 20_000:
                    return

        reading = asyncio.create_task(read_all())
        longest = 0
        for i in range(20_000):
            s.bus.publish(line(i))
            longest = max(longest, len(peer.events))
            if i % 200 == 0:
                await asyncio.sleep(0)
        await asyncio.wait_for(reading, 30)
        assert got == list(range(got[0], got[0] + 20_000))
        assert longest <= 500
        assert peer.lost > 0
        # reading again, it is told how much it missed and gets a fresh snapshot
        resync = await stalled.read_until(lambda m: m["op"] == "resync", within=20)
        assert resync["dropped"] > 0 and resync["seq"] >= 20_000 - 500
        assert resync["snapshot"]["chat"][-1]["text"] == f"line {19_999}"
        await stalled.close()
        await reader.close()


async def test_a_client_stuck_with_a_full_socket_is_dropped():
    async with served(max_queue=100, stall_seconds=0.3) as s:
        stuck = await RawClient.open(s.socket_path, limit=2**16)
        await stuck.send({"op": "hello", "protocol": 1, "client": "stuck"})
        await until(lambda: any(p.hello for p in s.server.peers))
        big = "x" * 4000
        for i in range(2000):  # ~8 MB: far more than the socket buffers hold
            s.bus.publish(ChatLine(platform="retake", author="a", text=big + str(i)))
            if i % 100 == 0:
                await asyncio.sleep(0)
        await until(lambda: not s.server.peers, within=10)
        assert s.server.disconnected == 1
        await stuck.close()


async def test_a_client_that_vanishes_is_forgotten_and_nothing_fails():
    async with served() as s:
        failures: list[ListenerFailed] = []
        s.bus.add_listener(lambda e: failures.append(e) if isinstance(e, ListenerFailed) else None)
        stay = await ControlClient.connect(s.socket_path)
        gone = await RawClient.open(s.socket_path)
        await gone.send({"op": "hello", "protocol": 1})
        await until(lambda: len([p for p in s.server.peers if p.hello]) == 2)
        gone.writer.transport.abort()
        for i in range(100):
            s.bus.publish(line(i))
        await until(lambda: len(s.server.peers) == 1)
        texts = [(await anext(stay.events()))["text"] for _ in range(100)]
        assert texts[-1] == "line 99" and not failures
        await stay.close()


async def test_bad_input_is_answered_with_the_field_and_the_rule():
    async with served() as s:
        raw = await RawClient.open(s.socket_path)
        await raw.send(b"this is not json")
        reply = await raw.read()
        assert reply["code"] == 400 and reply["problems"][0]["field"] == "(line)"
        await raw.send({"op": "request", "id": "1", "command": "status"})
        reply = await raw.read()
        assert reply["id"] == "1" and reply["code"] == 400 and "hello" in reply["comment"]
        await raw.send({"op": "hello", "protocol": 2})
        reply = await raw.read()
        assert reply["problems"] == [
            {"field": "protocol", "rule": "must be 1; this studio speaks it"}
        ]
        await raw.send({"op": "hello", "protocol": 1, "events": ["Not A Kind"]})
        reply = await raw.read()
        assert reply["problems"][0]["field"] == "events[0]"
        assert "prefix ending in .*" in reply["problems"][0]["rule"]
        await raw.send({"op": "wave"})
        assert (await raw.read())["problems"] == [
            {"field": "op", "rule": "must be hello, request or resync"}
        ]
        await raw.send({"op": "hello", "protocol": 1, "events": []})
        assert (await raw.read())["op"] == "welcome"
        await raw.send({"op": "request", "command": "status"})
        reply = await raw.read()
        assert reply["problems"] == [{"field": "id", "rule": "is required"}]
        await raw.send({"op": "request", "id": 2, "command": "launch.rockets"})
        reply = await raw.read()
        assert reply["code"] == 404 and "chat.send" in reply["comment"]
        await raw.close()
        client = await ControlClient.connect(s.socket_path, events=[])
        cases = {
            ("chat.send", frozenset({"text": ""}.items())): ("text", "at least 1 character"),
            ("kiosk.scene", frozenset({"scene": "stage"}.items())): ("scene", "'terminal'"),
            ("kiosk.scene", frozenset({"scene": "chat", "loud": True}.items())): (
                "loud",
                "is not an argument of kiosk.scene",
            ),
            ("answer", frozenset({"value": "x"}.items())): ("need", "is required"),
            (
                "clawcast.vote",
                frozenset({"poll_id": "p", "option_index": 9, "viewer_id": "v"}.items()),
            ): (
                "option_index",
                "less than or equal to 5",
            ),
        }
        for (command, args), (field, rule) in cases.items():
            response = await client.request(command, **dict(args))
            assert response.code == 400 and not response.ok, (command, response)
            (problem,) = response.problems
            assert problem["field"] == field and rule in problem["rule"], (command, problem)
        both = await client.request("chat.send", text="hi", to="u1", clawcast=True)
        assert both.code == 400 and "either to" in both.problems[0]["rule"]
        with pytest.raises(CommandFailed, match="409.*retake.tv is not part of this broadcast"):
            await client.send_chat("hello")
        with pytest.raises(CommandFailed, match="404.*no operator step 'tx_hash'"):
            await client.answer("tx_hash", "0x1")
        await client.close()


async def test_the_baseFM_payment_is_answered_over_the_api(transport, control, clock):
    """baseFM's 402: the step appears with an id; a wrong txHash is refused naming the
    rule and asked again under the same id; the right one pays and the stream is armed."""
    ctx, recorder = fake_context(clock)
    async with served(bus=ctx.bus, transport=transport) as s:
        ctx.operator = s.runtime.operator
        client = BasefmClient(
            SANDBOX,
            transport=transport,
            store=SessionStore(Paths.from_env().sessions_file),
            clock=clock.now,
        )
        leg = BasefmLeg(ctx, client, wallet="0x" + "77" * 20, name="API DJ")
        operator = await ControlClient.connect(
            s.socket_path, events=["operator.*", "golive.notice"]
        )
        preparing = asyncio.create_task(leg.prepare())
        asked = await anext(operator.events())
        assert asked["event"] == "operator.needed" and asked["need"] == "tx_hash"
        assert asked["data"]["fee"] == 5 and asked["id"] == "tx_hash-1"
        status = await operator.status()
        assert [p["id"] for p in status["pending"]] == ["tx_hash-1"]
        wrong = await operator.request("answer", need="tx_hash-1", value="0x1234")
        assert wrong.code == 400 and wrong.problems[0]["field"] == "txHash"
        notice = await anext(operator.events())
        assert notice["event"] == "golive.notice" and "txHash" in notice["text"]
        again = await anext(operator.events())
        assert again["event"] == "operator.needed" and again["id"] == "tx_hash-1"
        good = "0x" + "42" * 32
        assert await operator.answer("tx_hash", good) == "tx_hash-1"
        await asyncio.wait_for(preparing, 10)
        answered = await anext(operator.events())
        assert answered["event"] == "operator.answered" and answered["id"] == "tx_hash-1"
        assert (await operator.status())["pending"] == []
        state = (await control.get("/_sandbox/basefm/state")).json()
        assert state["usedTxHashes"] == [good]
        await operator.close()
        await client.aclose()


async def test_retake_verification_is_answered_over_the_api(transport, control, clock):
    retake = await registered(transport)  # not verified yet
    ctx, _ = fake_context(clock)
    async with served(bus=ctx.bus, transport=transport) as s:
        ctx.operator = s.runtime.operator
        leg = RetakeLeg(ctx, retake, load_credentials(), paths=Paths.from_env())
        client = await ControlClient.connect(s.socket_path, events=["operator.needed"])
        preparing = asyncio.create_task(leg.prepare())
        asked = await anext(client.events())
        assert asked["need"] == "tweet_url"
        bad = await client.request("answer", need=asked["id"], value="https://example.com/x")
        assert bad.code == 400 and bad.problems[0]["field"] == "tweet_url"
        url = "https://x.com/human/status/4242"
        message = asked["data"]["verification_message"]
        await control.post("/_sandbox/retake/tweets", json={"url": url, "text": message})
        await client.answer(asked["id"], url)
        await asyncio.wait_for(preparing, 10)
        assert await retake.verification_status() is True
        await client.close()


async def test_chat_duets_and_votes_reach_the_sandbox_through_the_legs(transport, control, clock):
    retake = await registered(transport, control)
    ctx, recorder = fake_context(clock)
    creds = load_credentials()
    retake_leg = RetakeLeg(ctx, retake, creds, paths=Paths.from_env())
    other = await RetakeClient(SANDBOX, transport=transport).register(
        {
            "agent_name": "other_bot",
            "agent_description": "another agent's room",
            "image_url": "https://example.com/b.png",
            "wallet_address": "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV",
            "ticker": "OTH",
        }
    )
    clawcast = ClawcastClient(
        SANDBOX,
        transport=transport,
        store=SessionStore(Paths.from_env().sessions_file),
        clock=clock.now,
    )
    clawcast_leg = ClawcastLeg(
        ctx, clawcast, streamer_name="api_bot", streamer_url="https://github.com/api-bot"
    )
    async with served(bus=ctx.bus, transport=transport) as s:
        s.runtime.golive = GoLive(ctx, [retake_leg, clawcast_leg], pipeline_factory=None)
        client = await ControlClient.connect(s.socket_path, events=["golive.chat_sent"])
        await client.send_chat("hello from the API")
        texts = [c.text for c in await retake.comments(creds.user_db_id)]
        assert texts == ["hello from the API"]
        sent = await anext(client.events())
        assert sent["platform"] == "retake" and sent["text"] == "hello from the API"
        await client.send_chat("visiting your room", to=other.user_db_id)
        visits = [c.text for c in await retake.comments(other.user_db_id)]
        assert visits == ["visiting your room"]
        assert (await anext(client.events()))["to"] == other.user_db_id
        await client.send_chat("hi from ClawCast", clawcast=True)
        activity = (await control.get("/_sandbox/clawcast/activity")).json()["activity"]
        assert any("hi from ClawCast" in str(a) for a in activity)
        requested = await client.request_duet("Pair on a parser?")
        listed = await client.duets()
        assert [d["id"] for d in listed] == [requested["request_id"]]
        assert listed[0]["host_name"] == "api_bot"
        refused = await client.request(
            "clawcast.vote", poll_id="nope", option_index=0, viewer_id="v"
        )
        assert refused.code == 502 and "Poll not found" in refused.comment
        assert await client.call("clawcast.slot") is None
        await clawcast_leg.prepare()  # books the slot
        slot = await client.call("clawcast.slot")
        assert slot["streamer_name"] == "api_bot" and "slot_jwt" not in slot
        assert slot["seconds_left"] > 0
        queue = await client.clawcast_queue()
        assert queue["now"]["streamer_name"] == "api_bot"
        await client.close()
    await clawcast.aclose()


async def test_the_stop_command_reaches_the_sequence():
    async with served() as s:
        stops: list[str] = []

        class Sequence:
            legs: list = []
            pipeline = None

            def request_stop(self, reason: str) -> None:
                stops.append(reason)

        s.runtime.golive = Sequence()  # type: ignore[assignment]
        client = await ControlClient.connect(s.socket_path, events=[])
        response = await client.request("stop", reason="enough for today")
        assert response.code == 202 and stops == ["enough for today"]
        reconnect = await client.request("reconnect")
        assert reconnect.code == 409 and "not running" in reconnect.comment
        await client.close()


def test_a_hello_with_a_bad_pattern_is_a_validation_failure():
    from studio.control.protocol import decode_client

    with pytest.raises(ValidationFailed) as info:
        decode_client(b'{"op": "hello", "protocol": 1, "events": ["chat.*", "**"]}')
    assert info.value.problems[0] == Problem(
        "events[1]", "must be an event kind (golive.live), a prefix ending in .* (chat.*) or *"
    )


async def test_an_operator_step_withdrawn_on_stop_leaves_the_pending_list(clock):
    ctx, _ = fake_context(clock)
    async with served(bus=ctx.bus) as s:
        need = Need(platform="basefm", need="tx_hash", prompt="pay", validate=lambda v: v)
        waiting = asyncio.create_task(s.runtime.operator.answer(need))
        await until(lambda: s.runtime.state.pending)
        assert isinstance(parse_event(s.runtime.state.snapshot()["pending"][0]), OperatorNeeded)
        waiting.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting
        assert s.runtime.state.pending == {}


async def test_discovery_commands_answer_with_the_platforms_data(transport, control, clock):
    retake = await registered(transport, control)
    ctx, _ = fake_context(clock)
    leg = RetakeLeg(ctx, retake, load_credentials(), paths=Paths.from_env())
    destination = await leg.destination()  # stream/start creates the agent's token
    key = reveal(destination.url).rsplit("/", 1)[1]
    assert (await control.post(f"/_sandbox/ingest/retake/{key}")).status_code == 200
    token = load_credentials().token_address
    async with served(transport=transport) as s:  # no go-live: public clients
        client = await ControlClient.connect(s.socket_path, events=[])
        live = await client.call("retake.live")
        assert "leg_bot" in json.dumps(live)
        stats = await client.call("retake.token", address=token)
        direct = await retake.token_stats(token)
        assert stats["market_cap"] == direct.market_cap is not None
        assert isinstance(await client.call("retake.tokens.top"), list)
        assert isinstance(await client.call("retake.tokens.trending"), list)
        basefm = await client.call("basefm.live")
        assert basefm["availability"] and "djs" in basefm
        assert isinstance(await client.call("basefm.distribution"), dict)
        assert isinstance(await client.call("basefm.relays"), list)
        probe = await client.request("basefm.relay_probe", key="no such relay!")
        assert probe.code in (400, 502) and not probe.ok
        await client.close()


async def test_nothing_secret_leaves_the_socket():
    redaction.register("sk_live_control_secret_123")
    async with served() as s:
        client = await ControlClient.connect(s.socket_path)
        s.bus.publish(Notice(platform="studio", text="key sk_live_control_secret_123 leaked?"))
        notice = await anext(client.events())
        assert "sk_live_control_secret_123" not in json.dumps(notice)
        assert "[REDACTED]" in notice["text"]
        status = await client.status()
        assert "sk_live_control_secret_123" not in json.dumps(status)
        await client.close()


async def test_scene_banner_and_slides_reach_the_kiosk_through_the_bus(clock):
    from studio.golive.kiosk_feed import KioskFeed
    from studio.onair.client import KioskLink
    from tests.golive.golive_helpers import fake_kiosk

    ctx, _ = fake_context(clock)
    slides = [
        {"type": "text", "content": {"headline": "Hello"}, "duration_seconds": 5},
        {"type": "poll", "content": {"question": "Next?", "options": ["A", "B"]}},
    ]
    async with fake_kiosk() as (socket_path, lines), served(bus=ctx.bus) as s:
        ctx.kiosk = KioskLink(socket_path)
        ctx.bus.add_listener(KioskFeed(ctx.kiosk))
        s.runtime.golive = GoLive(ctx, [], pipeline_factory=None, extra_destinations=[_rtmp()])
        client = await ControlClient.connect(s.socket_path, events=["kiosk.*", "slides.*"])
        await client.switch_scene("slides")
        await client.show_message("back in 5", seconds=30)
        await client.push_slides(slides, loop=True)
        bad = await client.request("slides.push", slides=[{"type": "poll", "content": {}}])
        assert bad.code == 400 and bad.problems[0]["field"].startswith("slides[0].content")
        assert await ctx.kiosk.flush(5)
        await ctx.kiosk.close()
        kinds = [(await anext(client.events()))["event"] for _ in range(3)]
        assert kinds == ["kiosk.scene", "kiosk.banner", "slides.on_air"]
        await client.close()
    sent = [line for line in lines if line["cmd"] in ("scene", "message", "slides")]
    assert [line["cmd"] for line in sent] == ["scene", "message", "slides"]
    assert sent[0]["scene"] == "slides" and sent[1] == {
        "cmd": "message",
        "text": "back in 5",
        "seconds": 30.0,
    }
    assert [slide["type"] for slide in sent[2]["slides"]] == ["text", "poll"] and sent[2]["loop"]


def _rtmp():
    from studio.broadcast.destinations import Destination

    return Destination(name="rtmp-1", url="rtmp://127.0.0.1/live/k")


async def test_a_batch_is_published_on_the_live_slot(transport, control, clock):
    ctx, recorder = fake_context(clock)
    clawcast = ClawcastClient(
        SANDBOX,
        transport=transport,
        store=SessionStore(Paths.from_env().sessions_file),
        clock=clock.now,
    )
    leg = ClawcastLeg(ctx, clawcast, streamer_name="batch_bot", streamer_url="https://x.example")
    async with served(bus=ctx.bus, transport=transport) as s:
        s.runtime.golive = GoLive(ctx, [leg], pipeline_factory=None)
        client = await ControlClient.connect(s.socket_path, events=[])
        refused = await client.request(
            "clawcast.batch", slides=[{"type": "text", "content": {"headline": "x"}}]
        )
        assert refused.code == 409 and "no ClawCast slot" in refused.comment
        await leg.prepare()  # booked, live at once (nobody queued)
        batch = [
            {"type": "text", "content": {"headline": "One"}, "duration_seconds": 5},
            {"type": "text", "content": {"headline": "Two"}, "duration_seconds": 5},
        ]
        await client.publish_batch(batch)
        state = (await control.get("/_sandbox/clawcast/state")).json()
        assert "One" in json.dumps(state) and "Two" in json.dumps(state)
        (on_air,) = recorder.of("slides.on_air")
        assert [s["content"]["headline"] for s in on_air.slides] == ["One", "Two"]
        await client.close()
    await clawcast.aclose()


async def test_a_slot_is_booked_with_slides_through_the_clawcast_leg(transport, control, clock):
    ctx, recorder = fake_context(clock)
    slides = [
        {"type": "text", "content": {"headline": "Booked from the console"}, "duration_seconds": 6},
        {"type": "poll", "content": {"question": "Next?", "options": ["a", "b"]}},
    ]
    async with served(bus=ctx.bus, transport=transport) as s:
        client = await ControlClient.connect(s.socket_path, events=[])
        absent = await client.request("clawcast.book", slides=slides)
        assert absent.code == 409 and "ClawCast is not part of this broadcast" in absent.comment
        clawcast = ClawcastClient(
            SANDBOX,
            transport=transport,
            store=SessionStore(Paths.from_env().sessions_file),
            clock=clock.now,
        )
        leg = ClawcastLeg(ctx, clawcast, streamer_name="book_bot", streamer_url="https://x.example")
        s.runtime.golive = golive = GoLive(ctx, [leg], pipeline_factory=None)
        early = await client.request("clawcast.book", slides=slides)
        assert early.code == 409 and "not live yet (idle)" in early.comment
        await leg.prepare()  # the broadcast's own slot, live at once (nobody queued)
        golive._enter("live")
        bad = await client.request(
            "clawcast.book",
            slides=[{"type": "poll", "content": {"question": "?", "options": ["only one"]}}],
            duration_minutes=4,
        )
        assert bad.code == 400
        fields = {p["field"] for p in bad.problems}
        assert "duration_minutes" in fields and "slides[0].content.options" in fields
        held = await client.request("clawcast.book", slides=slides)
        assert held.code == 409 and "already holds a ClawCast slot (on air)" in held.comment
        booked_before = len((await control.get("/_sandbox/clawcast/state")).json()["slots"])
        clock.advance(61)  # the broadcast's slot is over
        booked = await client.request("clawcast.book", slides=slides, duration_minutes=2)
        assert booked.ok and booked.code == 200, booked
        assert booked.data["streamer_name"] == "book_bot"
        assert booked.data["position_in_queue"] == 0
        state = (await control.get("/_sandbox/clawcast/state")).json()
        assert len(state["slots"]) == booked_before + 1
        slot = state["slots"][-1]
        assert slot["streamer_name"] == "book_bot" and slot["duration_minutes"] == 2
        assert [x["content"].get("headline") for x in slot["batch"]["slides"]] == [
            "Booked from the console",
            None,
        ]
        on_air = await until(lambda: recorder.of("slides.on_air"))
        assert on_air[-1].platform == "clawcast"
        assert on_air[-1].slides[0]["content"]["headline"] == "Booked from the console"
        await until(
            lambda: any(
                n.text == "ClawCast: the slot is over" for n in recorder.of("golive.notice")
            )
        )
        await leg.stop()
        await client.close()
    await clawcast.aclose()


async def test_a_client_whose_consumer_stalls_holds_a_bounded_backlog_then_resyncs():
    """The client keeps reading the socket (answers must get through) while its own
    consumer is stuck, as ``--headless`` is behind a pipe nobody reads: it holds at most
    ``backlog`` messages, asks for a fresh snapshot, and answers still arrive."""
    async with served(max_queue=5000, stall_seconds=60) as s:
        client = await ControlClient.connect(s.socket_path, events=["chat.*"], backlog=300)
        held = 0
        for i in range(5000):
            s.bus.publish(line(i))
            held = max(held, client._messages.qsize())
            if i % 100 == 0:
                await asyncio.sleep(0)
        assert (await client.status())["chat"][-1]["text"] == "line 4999"  # answers flow
        assert held <= 300
        got: list[dict] = []
        async for message in client.messages():
            got.append(message)
            if message["op"] == "event" and message["event"]["text"] == "line 4999":
                break
        resyncs = [m for m in got if m["op"] == "resync"]
        events = [m for m in got if m["op"] == "event"]
        assert len(resyncs) == 1 and len(events) < 300
        # each event is delivered or counted as dropped; after the resync, no gap
        assert resyncs[0]["dropped"] + len(events) == 5000
        after = [m["seq"] for m in got[got.index(resyncs[0]) + 1 :]]
        assert after == list(range(resyncs[0]["seq"] + 1, resyncs[0]["seq"] + 1 + len(after)))
        s.bus.publish(line(5000))
        last = await anext(client.messages())
        assert last["event"]["text"] == "line 5000" and last["seq"] == got[-1]["seq"] + 1
        await client.close()


async def test_headless_behind_an_unread_pipe_prints_what_it_missed_as_one_resync_line(
    monkeypatch,  # noqa: ANN001
):
    """``studio golive --headless`` whose standard output nobody reads for a while: its
    memory stays bounded, and when the pipe drains it says how many events it missed."""
    import threading

    from studio.cli import attach

    printed: list[dict] = []
    unblocked = threading.Event()

    def write(text: str) -> None:  # a pipe that is full until ``unblocked``
        unblocked.wait(30)
        printed.extend(json.loads(t) for t in text.splitlines())

    monkeypatch.setattr(attach, "_write", write)
    async with served(max_queue=5000, stall_seconds=60) as s:
        client = await ControlClient.connect(s.socket_path, events=["chat.*"], backlog=100)
        following = asyncio.create_task(attach.follow(client, json_lines=True))
        for i in range(1000):
            s.bus.publish(line(i))
            if i % 50 == 0:
                await asyncio.sleep(0.01)
        await until(lambda: client._skipping or client._messages.qsize() < 100)
        assert client._messages.qsize() <= 100
        unblocked.set()
        s.bus.publish(line(1000))
        await until(lambda: printed and printed[-1].get("text") == "line 1000", within=20)
        resyncs = [p for p in printed if p["event"] == "control.resync"]
        chat = [p for p in printed if p["event"] == "chat.line"]
        assert resyncs and sum(r["dropped"] for r in resyncs) + len(chat) == 1001
        await client.close()
        await asyncio.wait_for(following, 10)
