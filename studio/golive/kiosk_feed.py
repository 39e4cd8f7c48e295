"""What viewers see follows the bus: typed events in, kiosk commands out.

The only place that builds on-air commands from what happens during a broadcast:
chat lines for the overlay (a viewer's first line marked), alerts for tips, trades and
follows, the ticker from retake.tv's live state and viewers, slides and poll results
from ClawCast, the operator's scene switches and banners, and captions of what the
studio's voice says. Legs never talk to the
kiosk; they publish, and this listener translates.
"""

from __future__ import annotations

from pydantic import BaseModel

from studio.audio.events import SpeechFinished, SpeechStarted
from studio.events import Event
from studio.golive.events import (
    AudienceAlert,
    ChatLine,
    KioskBanner,
    KioskScene,
    PlatformLive,
    PollResultsChanged,
    SlidesOnAir,
    Viewers,
)
from studio.onair.client import KioskLink
from studio.onair.protocol import (
    Alert,
    Caption,
    ChatMessage,
    PollResults,
    PushSlides,
    ShowMessage,
    SwitchScene,
    TickerUpdate,
)

TICKER_PLATFORM = "retake"
"""The ticker shows the retake.tv agent: its name, token, viewers and uptime."""


def kiosk_command(event: Event) -> list[BaseModel]:
    """The kiosk commands that show ``event`` on air (none for most events)."""
    if isinstance(event, ChatLine):
        return [ChatMessage(author=event.author, text=event.text, first_time=event.first_time)]
    if isinstance(event, AudienceAlert):
        return [Alert(kind=event.alert, who=event.who, amount=event.amount, detail=event.detail)]
    if isinstance(event, PlatformLive) and event.platform == TICKER_PLATFORM:
        commands: list[BaseModel] = [
            TickerUpdate(
                live=True,
                name=event.name[:60] if event.name else None,
                viewers=event.viewers,
                uptime_seconds=event.uptime_seconds,
                token_ticker=event.token_ticker[:20] if event.token_ticker else None,
            )
        ]
        if event.chat:  # viewers see their chat beside the agent's terminal
            commands.append(SwitchScene(scene="chat"))
        return commands
    if isinstance(event, Viewers) and event.platform == TICKER_PLATFORM:
        return [
            TickerUpdate(
                live=event.live,
                viewers=event.viewers,
                uptime_seconds=None
                if event.uptime_seconds is None
                else float(event.uptime_seconds),
                market_cap=event.market_cap,
            )
        ]
    if isinstance(event, SlidesOnAir):
        return [PushSlides.model_validate({"slides": event.slides, "loop": event.loop})]
    if isinstance(event, PollResultsChanged):
        return [PollResults(results=event.results[:6])]
    if isinstance(event, KioskScene):
        return [SwitchScene(scene=event.scene)]
    if isinstance(event, KioskBanner):
        return [ShowMessage(text=event.text, seconds=event.seconds)]
    if isinstance(event, SpeechStarted):
        return [Caption(text=event.text[:500])]
    if isinstance(event, SpeechFinished):
        return [Caption(text="")]
    return []


class KioskFeed:
    """A bus listener that sends each event's kiosk commands down the link (never blocks).

    With ``captions`` off, what the voice says is heard but not captioned."""

    def __init__(self, link: KioskLink, *, captions: bool = True) -> None:
        self.link = link
        self.captions = captions

    def __call__(self, event: Event) -> None:
        for command in kiosk_command(event):
            if self.captions or not isinstance(command, Caption):
                self.link.send(command)
