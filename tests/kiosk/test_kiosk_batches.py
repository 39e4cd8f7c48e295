"""Commands in batches: the link writes what it has queued at once, the kiosk reads what
has arrived as one batch, and each line still gets its own reply, in order."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from studio.kiosk.control_server import serve
from studio.onair import ChatMessage, KioskLink, ScreenRequest, SecretFingerprints, encode
from studio.onair.client import BATCH_BYTES
from studio.onair.protocol import MAX_LINE_BYTES, OK, CommandLines, Reply
from studio.sandbox.clock import FakeClock
from tests.kiosk.kiosk_helpers import ON_AIR, make_app, settle


def chat(n: int) -> ChatMessage:
    return ChatMessage(author=f"viewer{n % 7}", text=f"message {n:05d} " + "x" * 100)


def flatten(batches: list[list[Any]]) -> list[Any]:
    return [command for batch in batches for command in batch]


async def test_a_burst_arrives_in_batches_in_order_and_complete(tmp_path: Path) -> None:
    sock = tmp_path / "kiosk.sock"
    sent = [chat(n) for n in range(2000)]
    assert sum(len(encode(c)) for c in sent) > 4 * BATCH_BYTES  # several batches
    link = KioskLink(sock, buffer=len(sent), retry_seconds=0.05)
    for command in sent:
        link.send(command)
    batches: list[list[Any]] = []
    server = await serve(sock, batches.append)
    try:
        assert await link.flush(within=10)
    finally:
        await link.close()
        server.close()
    greeting, *commands = flatten(batches)
    assert isinstance(greeting, SecretFingerprints) and greeting.items == []
    assert commands == sent
    assert link.dropped == 0 and link.refused == 0 and link.pending == 0
    assert 4 < len(batches) < len(sent) // 10  # batches, not one command at a time


async def test_a_kiosk_gone_halfway_through_a_batch_leaves_the_rest_queued_in_order(
    tmp_path: Path,
) -> None:
    """Commands leave the link's queue only when answered: the ones the first kiosk
    never answered reach the next kiosk, after the fingerprints, in order, once each."""
    sock = tmp_path / "kiosk.sock"
    secret = "ZZtop9Mux0Stream7Key"
    sent = [chat(n) for n in range(300)]
    answered = 10
    link = KioskLink(sock, buffer=len(sent), retry_seconds=0.05)
    link.protect([secret])
    for command in sent:
        link.send(command)
    first_heard: list[bytes] = []
    gone = asyncio.Event()

    async def answer_some_then_hang_up(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        # more lines arrive than are answered: the link wrote them without waiting
        while len(first_heard) < 1 + answered + 5:
            first_heard.append(await reader.readline())
        first.close()  # no second connection to this kiosk
        writer.write(OK * (1 + answered))  # the fingerprints and ten commands
        await writer.drain()
        writer.close()
        gone.set()

    first = await asyncio.start_unix_server(answer_some_then_hang_up, path=str(sock))
    batches: list[list[Any]] = []
    try:
        async with asyncio.timeout(10):
            await gone.wait()
        server = await serve(sock, batches.append)
        try:
            assert await link.flush(within=10)
        finally:
            server.close()
    finally:
        await link.close()
    assert b"fingerprints" in first_heard[0] and first_heard[1] == encode(sent[0])
    greeting, *commands = flatten(batches)
    assert isinstance(greeting, SecretFingerprints) and len(greeting.items) == 1
    assert secret not in greeting.model_dump_json()
    assert commands == sent[answered:]
    assert link.dropped == 0 and link.pending == 0


async def test_a_broken_command_in_a_batch_is_refused_alone(
    tmp_path: Path, clock: FakeClock
) -> None:
    app = make_app(tmp_path, clock, socket=True)
    sock = tmp_path / "kiosk.sock"
    async with app.run_test(size=ON_AIR) as pilot:
        await settle(pilot, sock.exists)
        reader, writer = await asyncio.open_unix_connection(str(sock))
        writer.write(
            encode(ChatMessage(author="alice", text="first"))
            + b'{"cmd":"chat","author":"","text":"nameless"}\n'
            + encode(ChatMessage(author="carol", text="third"))
        )
        await writer.drain()
        replies = [Reply.model_validate_json(await reader.readline()) for _ in range(3)]
        writer.close()
        assert [r.ok for r in replies] == [True, False, True]
        assert replies[1].error is not None and "author" in replies[1].error
        await settle(pilot, lambda: len(app.chat.entries) == 2)
        assert [(e.author, e.text) for e in app.chat.entries] == [
            ("alice", "first"),
            ("carol", "third"),
        ]
        assert app.state.chat_messages == 2


async def test_a_picture_asked_for_inside_a_batch_follows_what_came_before(
    tmp_path: Path,
) -> None:
    sock = tmp_path / "kiosk.sock"
    batches: list[list[Any]] = []

    async def screen() -> str:
        return f"{len(flatten(batches))} commands delivered"

    server = await serve(sock, batches.append, screen)
    try:
        reader, writer = await asyncio.open_unix_connection(str(sock))
        a, b = ChatMessage(author="a", text="before"), ChatMessage(author="b", text="after")
        writer.write(encode(a) + encode(ScreenRequest()) + encode(b))
        await writer.drain()
        replies = [Reply.model_validate_json(await reader.readline()) for _ in range(3)]
        writer.close()
    finally:
        server.close()
    assert replies[1].screen == "1 commands delivered"
    assert batches == [[a], [b]]


async def test_a_line_too_long_ends_the_connection_after_the_lines_before_it(
    tmp_path: Path,
) -> None:
    sock = tmp_path / "kiosk.sock"
    batches: list[list[Any]] = []
    server = await serve(sock, batches.append)
    try:
        reader, writer = await asyncio.open_unix_connection(str(sock))
        good = ChatMessage(author="a", text="fine")
        writer.write(encode(good) + b"x" * (MAX_LINE_BYTES + 1) + b"\n" + encode(good))
        await writer.drain()
        first, second, end = await reader.readline(), await reader.readline(), await reader.read()
        writer.close()
    finally:
        server.close()
    assert first == OK
    assert Reply.model_validate_json(second).error == f"line longer than {MAX_LINE_BYTES} bytes"
    assert end == b"" and batches == [[good]]


def test_command_lines_wait_for_the_end_of_a_line() -> None:
    lines = CommandLines(limit=10)
    assert lines.feed(b'{"a":1}\n{"b"') == [b'{"a":1}']
    assert lines.feed(b":2}\n\n") == [b'{"b":2}', b""]
    assert lines.feed(b"tail") == [] and lines.rest() == [b"tail"]
    assert not lines.too_long


def test_command_lines_stop_at_a_line_too_long() -> None:
    lines = CommandLines(limit=10)
    assert lines.feed(b"short\n" + b"y" * 11 + b"\nafter\n") == [b"short"]
    assert lines.too_long and lines.feed(b"more\n") == [] and lines.rest() == []
    unfinished = CommandLines(limit=10)
    assert unfinished.feed(b"z" * 11) == [] and unfinished.too_long
