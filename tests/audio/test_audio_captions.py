"""What the voice says reaches the kiosk as a caption through the bus (the kiosk feed),
never by the voice calling the kiosk."""

from __future__ import annotations

import pytest

from studio.audio.desk import AudioDesk
from studio.broadcast.sound_server import SoundServer
from studio.events import EventBus
from studio.golive.kiosk_feed import KioskFeed
from studio.onair.client import KioskLink
from tests.broadcast.broadcast_helpers import need, wait_until
from tests.golive.golive_helpers import fake_kiosk

pytestmark = pytest.mark.processes


@pytest.mark.parametrize("captions", [True, False])
async def test_speech_is_captioned_while_it_plays(sound: SoundServer, captions: bool) -> None:
    need("espeak-ng")
    bus = EventBus()
    async with fake_kiosk() as (socket_path, lines):
        link = KioskLink(socket_path)
        bus.add_listener(KioskFeed(link, captions=captions))
        desk = AudioDesk(sound, bus)
        try:
            desk.say("Welcome to the stream.")
            await desk.voice.wait_idle(30)
            bus.publish(_marker())
            await wait_until(lambda: any(line["cmd"] == "scene" for line in lines), 10, "sent")
        finally:
            await desk.close()
            await link.close()
    captioned = [line["text"] for line in lines if line["cmd"] == "caption"]
    assert captioned == (["Welcome to the stream.", ""] if captions else [])


def _marker():  # noqa: ANN202
    """Any other on-air command, sent after the speech: everything before it has arrived."""
    from studio.golive.events import KioskScene

    return KioskScene(scene="terminal")
