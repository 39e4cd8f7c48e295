"""Fixtures for the ClawCast tests: clients on the in-process sandbox, a session store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from studio.platforms.clawcast import ClawcastClient
from studio.sandbox.app import Sandbox
from studio.sandbox.clock import FakeClock
from studio.session_store import SessionStore

ORIGIN = "http://sandbox.test"


async def no_sleep(_: float) -> None:
    return None


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "state" / "sessions.json")


@pytest.fixture
async def make_client(
    transport: httpx.ASGITransport, clock: FakeClock, store: SessionStore
) -> AsyncIterator[Callable[..., ClawcastClient]]:
    """Clients of the sandbox on the fake clock; by default without a session store."""
    made: list[ClawcastClient] = []

    def make(**options: Any) -> ClawcastClient:
        options.setdefault("persist", False)
        client = ClawcastClient(
            ORIGIN, transport=transport, clock=clock.now, sleep=no_sleep, **options
        )
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def client(make_client: Callable[..., ClawcastClient], store: SessionStore) -> ClawcastClient:
    """A client that keeps its slot in ``store``."""
    return make_client(store=store, persist=True)


@pytest.fixture
def channel(sandbox: Sandbox) -> Any:
    return sandbox.clawcast.channel
