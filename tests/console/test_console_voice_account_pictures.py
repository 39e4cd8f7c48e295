"""Pictures of the voice and account panes at 80x24 and 200x50, on a frozen clock with a
steady cursor, with the answers the control API gives. Look at a picture before updating it."""

from __future__ import annotations

from typing import Any

import pytest
from textual.containers import VerticalScroll
from textual.pilot import Pilot
from textual.widgets import Input

from studio.audio.events import (
    MixerChanged,
    SoundPlayed,
    SpeechQueued,
    SpeechStarted,
    TrackStarted,
)
from studio.console.app import ConsoleApp
from studio.console.client import Response
from tests.console.console_helpers import LARGE, SMALL, T0, Service, console, live_session, settle


def on_air_sound() -> list[Any]:
    return live_session() + [
        MixerChanged(at=T0 + 20, volumes={"master": 100, "speech": 100, "music": 60, "sound": 80},
                     muted=False),
        TrackStarted(at=T0 + 21, title="lofi-set-02", position=2, tracks=12),
        SoundPlayed(at=T0 + 30, alert="tip", title="bell"),
        SpeechQueued(at=T0 + 40, utterance=3, text="Thanks for the tip, hank!"),
        SpeechStarted(at=T0 + 40, utterance=3, text="Thanks for the tip, hank!", engine="espeak-ng"),
        SpeechQueued(at=T0 + 41, utterance=4, text="Next up: the parser's test suite."),
    ]  # fmt: skip


def answers(service: Service) -> None:
    service.answers.update({
        "audio.status": Response(True, "the stream's sound", {
            "sound": True, "volumes": {"master": 100, "speech": 100, "music": 60, "sound": 80},
            "muted": False, "speaking": [3, "Thanks for the tip, hank!"],
            "waiting": [[4, "Next up: the parser's test suite."]],
            "music": {"tracks": 12, "loop": True, "position": 2, "title": "lofi-set-02"},
            "alert_sounds": {"tip": "bell.wav", "follow": "chime.ogg"},
        }),
        "retake.profile": Response(True, "the retake.tv profile", {
            "user_id": "u_1001", "username": "agent_smith", "bio": "Builds parsers live.",
            "token_name": "Smith Coin", "ticker": "SMITH",
            "profile_picture_url": "https://retake.tv/images/u_1001/pfp/1.png",
            "followers": 42, "following": 2,
        }),
        "retake.following": Response(True, "following 2", [
            {"user_id": "u_2002", "username": "deep_thought"},
            {"user_id": "u_3003", "username": "pixel_poet"},
        ]),
    })  # fmt: skip


async def voice(app: ConsoleApp, pilot: Pilot[None]) -> None:
    await settle(pilot, app.attached.is_set)
    await app.open_tab("voice").wait()
    await settle(pilot, lambda: app.model.audio.alert_sounds)
    app.query_one("#say", Input).value = "Welcome to the stream, everyone."
    await top_of(app, pilot, "#voice-body")


async def account(app: ConsoleApp, pilot: Pilot[None]) -> None:
    await settle(pilot, app.attached.is_set)
    await app.open_tab("account").wait()
    pane = app.query_one("#account-pane")
    await settle(pilot, lambda: pane.following)  # type: ignore[attr-defined]
    app.query_one("#acc-username", Input).value = "agent smith!"
    await settle(pilot, lambda: app.query_one("#acc-username").has_class("-invalid"))
    app.query_one("#acc-bio", Input).focus(scroll_visible=False)
    await top_of(app, pilot, "#account-body")


async def top_of(app: ConsoleApp, pilot: Pilot[None], body: str) -> None:
    """The picture is the top of the pane. Showing a tab focuses its first box while the
    pane's state is still arriving, and that scrolls by the layout of the moment (or not)."""
    await pilot.pause()
    app.query_one(body, VerticalScroll).scroll_home(animate=False)
    await pilot.pause()
    await pilot.pause()


SCENES = {"voice": (on_air_sound, voice), "account": (live_session, account)}


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "200x50"])
@pytest.mark.parametrize("scene", list(SCENES))
def test_voice_account_picture(snap_compare: Any, scene: str, size: tuple[int, int]) -> None:
    history, setup = SCENES[scene]
    service = Service(history())
    answers(service)
    app = console(service)
    assert snap_compare(app, terminal_size=size, run_before=lambda pilot: setup(app, pilot))
