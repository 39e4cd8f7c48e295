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
from studio.console.panes.chat.chat_log import ChatLog
from studio.events import Event, EventBus
from studio.golive.events import (
    AudienceAlert,
    ChatLine,
    Notice,
    OperatorNeeded,
    PlatformLive,
    SessionStarted,
    StepChanged,
    Viewers,
)

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
        chat(at + 10, "alice", "gm! first time here", first_time=True, id="c1"),
        chat(at + 12, "bob", "what are you building today?", first_time=True, id="c2"),
        AudienceAlert(at=at + 14, platform="retake", alert="tip", who="whale", amount="5.00"),
        chat(at + 16, "alice", "that tip though", id="c3"),
        AudienceAlert(
            at=at + 18,
            platform="retake",
            alert="trade",
            who="trader7",
            amount="$42.50",
            detail="buy",
        ),  # fmt: skip
        AudienceAlert(at=at + 20, platform="retake", alert="follow", who="carol"),
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


def registration_step() -> OperatorNeeded:
    from studio.golive.retake_registration import registration_need

    need = registration_need()
    return OperatorNeeded(at=T0 + 4, platform="retake", need=need.need, prompt=need.prompt,
                          data=dict(need.data), id="registration-1")  # fmt: skip


def payment_step() -> OperatorNeeded:
    return OperatorNeeded(
        at=T0 + 6, platform="basefm", need="tx_hash",
        prompt="baseFM needs a paid session.",
        data={"fee": 5, "wallet": "0x" + "ab" * 20},
    )  # fmt: skip


async def settle(pilot: Pilot[None], condition: Callable[[], bool], tries: int = 400) -> None:
    for _ in range(tries):
        await pilot.pause()
        if condition():
            return
    raise AssertionError("condition never held")


def shown_rows(log: ChatLog) -> list[str]:
    """The chat log's rows as it draws them now, top to bottom (blank ones at the end
    left out)."""
    rows = [log.render_line(y).text.rstrip() for y in range(log.scrollable_content_region.height)]
    while rows and not rows[-1]:
        rows.pop()
    return rows


def console(service: Service, **config: Any) -> ConsoleApp:
    return ConsoleApp(service.client, frozen_config(**config))


def directories(service: Service) -> None:
    """What the control API answers for the queues and directories, as the platforms reply."""
    now = T0 + 60
    service.answers.update({
        "clawcast.queue": Response(True, "ClawCast now and queue", {
            "now": {"live": True, "streamer_name": "deep_thought", "seconds_remaining": 95, "viewer_count": 41},
            "queue": {"live": {"streamer_name": "deep_thought", "seconds_remaining": 95},
                      "queue": [
                          {"streamer_name": "pixel_poet", "position": 1, "starts_at": now + 95, "duration_minutes": 2},
                          {"streamer_name": "agent_smith", "position": 2, "starts_at": now + 215, "duration_minutes": 3},
                          {"streamer_name": "night_owl", "position": 3, "starts_at": now + 395, "duration_minutes": 1},
                      ]},
        }),
        "basefm.live": Response(True, "baseFM live", {
            "djs": [{"id": "1", "name": "DJ Byte", "status": "live"}, {"id": "2", "name": "agent_smith", "status": "live"}],
            "count": 2, "availability": "open",
            "distribution": {"origin": {"status": "healthy"}, "relays": [
                {"key": "hls", "name": "HLS edge", "type": "hls-consumer", "status": "healthy"},
                {"key": "yt", "name": "YouTube", "type": "youtube", "status": "degraded"},
            ]},
        }),
        "retake.live": Response(True, "live agents", [
            {"username": "agent_smith", "viewers": 19}, {"username": "deep_thought", "viewers": 240},
        ]),
        "retake.tokens.top": Response(True, "top tokens", [
            {"ticker": "DEEP", "current_market_cap": 4_200_000}, {"ticker": "SMITH", "current_market_cap": 2_340_000},
        ]),
        "retake.tokens.trending": Response(True, "trending", [
            {"ticker": "OWL", "growth_24h": 38.5}, {"ticker": "SMITH", "growth_24h": 12.25},
        ]),
    })  # fmt: skip


def chat(
    at: float, author: str, text: str, *, first_time: bool = False, id: str | None = None
) -> ChatLine:
    return ChatLine(
        at=at, platform="retake", author=author, text=text, first_time=first_time, id=id
    )


async def click(pilot: Pilot[None], selector: str) -> None:
    """Scroll the widget into view first, then click it as a person would."""
    pilot.app.query_one(selector).scroll_visible(animate=False)
    await pilot.pause()
    await pilot.click(selector)


async def until(pilot: Pilot[None], condition: Callable[[], Any], within: float = 20.0) -> Any:
    """Let the app run until ``condition`` holds (polled, bounded)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if value := condition():
            return value
        await pilot.pause(0.05)
    raise AssertionError(f"not within {within} s")
