"""Shared fixtures: an isolated home, the in-process sandbox, snapshots in the top-level
``snapshots/`` folder, and for the tests of real processes (broadcast, audio,
reliability) a bus with its recorder and a real nginx-rtmp receiver."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import pytest_textual_snapshot
from syrupy.extensions.single_file import SingleFileSnapshotExtension

from studio import redaction
from studio.events import EventBus
from studio.sandbox.app import Sandbox, SandboxConfig
from studio.sandbox.clock import FakeClock
from studio.sandbox.rtmp_receiver import RtmpReceiver
from tests.broadcast.broadcast_helpers import Recorder, need_rtmp

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOTS = ROOT / "snapshots"


class _TopLevelSVGExtension(pytest_textual_snapshot.SVGImageExtension):
    """Keeps SVG snapshots in ``snapshots/<test module>/`` at the project's top level."""

    @classmethod
    def dirname(cls, *, test_location) -> str:  # noqa: ANN001
        return str(SNAPSHOTS / Path(test_location.filepath).stem)


assert issubclass(_TopLevelSVGExtension, SingleFileSnapshotExtension)
pytest_textual_snapshot.SVGImageExtension = _TopLevelSVGExtension  # looked up at run time


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """No test reads or writes the real home, credentials or platform URLs."""
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / ".local" / "state"))
    for name in (
        "RETAKE_ACCESS_TOKEN",
        "STUDIO_RETAKE_URL",
        "STUDIO_CLAWCAST_URL",
        "STUDIO_BASEFM_URL",
        "STUDIO_RETAKE_CREDENTIALS",
        "STUDIO_STATE_DIR",
        "RETAKE_PRIVY_JWT",
        "STUDIO_NOTIFY_COMMAND",
    ):
        monkeypatch.delenv(name, raising=False)
    yield home
    redaction.forget_all()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sandbox(clock: FakeClock) -> Sandbox:
    """A fresh in-process sandbox of all three platforms on a steppable clock."""
    return Sandbox(
        SandboxConfig(rtmp_base="rtmp://127.0.0.1:1935", origin="http://sandbox.test"), clock
    )


@pytest.fixture
def transport(sandbox: Sandbox) -> httpx.ASGITransport:
    """An httpx transport that reaches the in-process sandbox without a socket."""
    return httpx.ASGITransport(app=sandbox.app)


@pytest.fixture
async def control(transport: httpx.ASGITransport) -> AsyncIterator[httpx.AsyncClient]:
    """A plain client for the sandbox's ``/_sandbox`` control routes."""
    async with httpx.AsyncClient(transport=transport, base_url="http://sandbox.test") as client:
        yield client


async def no_sleep(_: float) -> None:
    """Stand-in for ``asyncio.sleep`` so retry tests don't wait."""


@pytest.fixture
def bus() -> EventBus:
    return EventBus()


@pytest.fixture
def recorder(bus: EventBus) -> Recorder:
    """Every event of ``bus``, and the JSON line the CLI would print for it."""
    return Recorder(bus)


@pytest.fixture
def receiver(tmp_path: Path) -> Iterator[RtmpReceiver]:
    """A real nginx-rtmp receiver recording what it gets under ``tmp_path/recordings``."""
    need_rtmp()
    with RtmpReceiver(record_dir=tmp_path / "recordings") as rtmp:
        yield rtmp
