"""Fixtures for the baseFM tests: clients on the in-process sandbox, a session store."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from basefm_helpers import GivingUpTransport, no_sleep

from studio.platforms.basefm import BasefmClient
from studio.sandbox.app import Sandbox
from studio.sandbox.clock import FakeClock
from studio.session_store import SessionStore

ORIGIN = "http://sandbox.test"


@pytest.fixture
def store(tmp_path: Path) -> SessionStore:
    return SessionStore(tmp_path / "state" / "sessions.json")


@pytest.fixture
def giving_up(transport: httpx.ASGITransport) -> GivingUpTransport:
    return GivingUpTransport(transport)


@pytest.fixture
async def make_client(
    transport: httpx.ASGITransport, clock: FakeClock, store: SessionStore
) -> AsyncIterator[Callable[..., BasefmClient]]:
    """baseFM clients of the sandbox on the fake clock; by default without a store."""
    made: list[BasefmClient] = []

    def make(**options: Any) -> BasefmClient:
        options.setdefault("persist", False)
        options.setdefault("transport", transport)
        client = BasefmClient(ORIGIN, clock=clock.now, sleep=no_sleep, **options)
        made.append(client)
        return client

    yield make
    for client in made:
        await client.aclose()


@pytest.fixture
def client(make_client: Callable[..., BasefmClient], store: SessionStore) -> BasefmClient:
    """A client that keeps its session in ``store``."""
    return make_client(store=store, persist=True)


@pytest.fixture
def station(sandbox: Sandbox) -> Any:
    return sandbox.basefm.station
