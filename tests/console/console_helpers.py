"""A console on a frozen clock, fed with the core's real typed events."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from typing import Any

from PIL import Image, ImageDraw
from textual.pilot import Pilot

from studio.broadcast.events import DestinationStateChanged, EncoderStats, PipelineStateChanged
from studio.console.app import ConsoleApp
from studio.console.client import BusClient, Command, Response
from studio.console.config import ConsoleConfig
from studio.events import Event, EventBus
from studio.golive.events import (
    Notice,
    OperatorNeeded,
    PlatformLive,
    SessionStarted,
    StepChanged,
    Viewers,
)
from studio.platforms.retake_live import RetakeChat, RetakeFollow, RetakeTip, RetakeTrade

T0 = 1_790_000_000.0
"""A fixed moment (2026-09-21 14:13:20 UTC): every event and the console's clock."""
SMALL, LARGE = (80, 24), (200, 50)


class NoImages:
    async def fetch(self, url: str) -> bytes | None:
        return None


def on_air_card(width: int = 320, height: int = 180) -> Image.Image:
    """A stand-in for the on-air frame in pictures: colour bars and a title block."""
    image = Image.new("RGB", (width, height), (11, 16, 32))
    draw = ImageDraw.Draw(image)
    colours = [
        (255, 255, 255),
        (255, 214, 0),
        (0, 200, 255),
        (0, 220, 90),
        (220, 0, 200),
        (230, 30, 40),
        (30, 60, 230),
    ]
    bar = width // len(colours)
    for i, colour in enumerate(colours):
        draw.rectangle([i * bar, 0, (i + 1) * bar, height * 2 // 3], fill=colour)
    draw.rectangle([width // 4, height * 3 // 4, width * 3 // 4, height - 10], fill=(79, 179, 255))
    return image


def frozen_config(**overrides: Any) -> ConsoleConfig:
    os.environ["TZ"] = "UTC"
    time.tzset()
    values: dict[str, Any] = {
        "frozen": True,
        "now": lambda: T0 + 60,
        "grab": lambda display: on_air_card(),
        "fetcher": NoImages(),
    }
    values.update(overrides)
    return ConsoleConfig(**values)


class Service:
    """The service side for tests before the real control API: a real bus, recorded commands."""

    def __init__(self, history: Iterable[Event] = (), queue: dict[str, Any] | None = None) -> None:
        self.bus = EventBus()
        self.history = list(history)
        self.queue = queue or {}
        self.commands: list[Command] = []
        self.answers: dict[str, Response] = {}
        self.client = BusClient(self.bus, self.handle, history=lambda: self.history,
                                queue=lambda: self.queue)  # fmt: skip

    async def handle(self, command: Command) -> Response:
        self.commands.append(command)
        return self.answers.get(command.verb, Response(True, f"{command.verb}: accepted"))

    def publish(self, event: Event) -> None:
        self.history.append(event)
        self.bus.publish(event)


def live_session() -> list[Event]:
    """A broadcast live on three platforms, with chat, money and a bit of trouble."""
    at = T0
    return [
        SessionStarted(at=at, session_id=7, platforms=["retake", "clawcast", "basefm"]),
        PipelineStateChanged(at=at + 1, state="running", display=":99", grid=(160, 45)),
        StepChanged(at=at + 2, platform="retake", step="status", state="done"),
        PlatformLive(at=at + 3, platform="retake", url="https://retake.tv/agent_smith", viewers=3),
        PlatformLive(at=at + 3, platform="clawcast", url="https://tvterminal.com"),
        StepChanged(at=at + 3, platform="basefm", step="create", state="started"),
        DestinationStateChanged(at=at + 4, destination="retake", state="live"),
        DestinationStateChanged(at=at + 4, destination="clawcast", state="live"),
        DestinationStateChanged(
            at=at + 50,
            destination="basefm",
            state="retrying",
            reason="connection refused",
            attempt=2,
            retry_in=25.0,
        ),  # fmt: skip
        EncoderStats(
            at=at + 59, frame=1770, fps=29.5, bitrate_kbps=2480.0, drop_frames=27, speed=1.0
        ),
        *[
            Viewers(at=at + i * 5, platform="retake", viewers=v)
            for i, v in enumerate([3, 5, 8, 6, 12, 15, 14, 19])
        ],  # fmt: skip
        RetakeChat(at=at + 10, id="c1", author="alice", text="gm! first time here"),
        RetakeChat(at=at + 12, id="c2", author="bob", text="what are you building today?"),
        RetakeTip(at=at + 14, sender_username="whale", amount=5.0),
        RetakeChat(at=at + 16, id="c3", author="alice", text="that tip though"),
        RetakeTrade(
            at=at + 18,
            action="buy",
            usd_amount=42.5,
            token_ticker="SMITH",
            data={"username": "trader7"},
        ),
        RetakeFollow(at=at + 20, username="carol"),
        Notice(
            at=at + 21,
            platform="retake",
            level="operator",
            text="retake.tv: live at https://retake.tv/agent_smith (3 viewers)",
        ),  # fmt: skip
    ]


def tweet_step() -> OperatorNeeded:
    return OperatorNeeded(
        at=T0 + 5, platform="retake", need="tweet_url",
        prompt="retake.tv needs your human to verify this agent.",
        data={"verification_message": "Verifying my agent agent_smith on @retakedottv: code RTK-4F2A9C"},
    )  # fmt: skip


def payment_step() -> OperatorNeeded:
    return OperatorNeeded(
        at=T0 + 6, platform="basefm", need="tx_hash",
        prompt="baseFM needs a paid session.",
        data={"fee": 5, "wallet": "0x" + "ab" * 20},
    )  # fmt: skip


async def settle(pilot: Pilot[None], condition: Callable[[], bool], tries: int = 100) -> None:
    for _ in range(tries):
        await pilot.pause()
        if condition():
            return
    raise AssertionError("condition never held")


def console(service: Service, **config: Any) -> ConsoleApp:
    return ConsoleApp(service.client, frozen_config(**config))
