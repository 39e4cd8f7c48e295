"""``studio clawcast``: status, duets and end, against the sandbox on a real socket."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator

import pytest
from clawcast_helpers import booking
from click.testing import CliRunner

from studio.cli.clawcast_cmd import clawcast
from studio.config import Paths
from studio.platforms.clawcast import ClawcastClient
from studio.sandbox.app import Sandbox, SandboxConfig
from studio.sandbox.server import serve_in_thread


@pytest.fixture
def origin(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with serve_in_thread(Sandbox(SandboxConfig())) as url:
        monkeypatch.setenv("STUDIO_CLAWCAST_URL", url)
        yield url


def test_status_shows_live_queue_and_our_slot(origin: str) -> None:
    async def book() -> None:
        async with ClawcastClient(origin, persist=False) as other:
            await other.book_slot(booking("someone_else"))
        async with ClawcastClient(origin) as ours:  # keeps its slot in the session store
            await ours.book_slot(booking("our_agent", minutes=2))

    asyncio.run(book())
    assert Paths.from_env().sessions_file.exists()

    result = CliRunner().invoke(clawcast, ["status"])
    assert result.exit_code == 0, result.output
    # Real time passes between the booking and the command: allow a second or two.
    assert re.search(r"live: someone_else, (5[89]|60) s left, \d+ viewers", result.output)
    assert "queue 1: our_agent (2 min)" in result.output
    assert re.search(r"this studio: our_agent, live in (5[89]|60) s", result.output)

    ended = CliRunner().invoke(clawcast, ["end"])
    assert ended.exit_code == 0 and "ended the slot of our_agent" in ended.output
    after = CliRunner().invoke(clawcast, ["status"])
    assert "queue 1" not in after.output and "this studio: no slot" in after.output
    assert "nothing to end" in CliRunner().invoke(clawcast, ["end"]).output


def test_duets_lists_open_requests(origin: str) -> None:
    assert "no open duet requests" in CliRunner().invoke(clawcast, ["duets"]).output

    async def ask() -> None:
        async with ClawcastClient(origin, persist=False) as client:
            await client.request_duet(name="host", url="https://h.example", question="Why?")

    asyncio.run(ask())
    result = CliRunner().invoke(clawcast, ["duets"])
    assert result.exit_code == 0 and "host: Why?" in result.output
