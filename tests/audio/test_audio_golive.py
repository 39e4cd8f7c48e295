"""A baseFM rehearsal with a DJ set: go-live end to end against the rehearsal world,
the playlist looping into the one encode, speech over it, the recording measured."""

from __future__ import annotations

import asyncio

import pytest

from studio.config import Paths
from studio.events import EventBus
from studio.golive.assemble import build, close_kiosk_link
from studio.golive.operator import GivenAnswers
from studio.golive.plan import Plan
from studio.golive.sequence import GoLive
from tests.audio.audio_helpers import LOUD_DB, SILENT_DB, levels, mean_db, spans, tone
from tests.broadcast.broadcast_helpers import Recorder, need
from tests.golive.test_golive_e2e import FAST, TX_HASH, WALLET, world  # noqa: F401

pytestmark = pytest.mark.processes


async def test_a_basefm_rehearsal_carries_the_playlist_and_the_voice(world, tmp_path):  # noqa: ANN001, F811
    need("pulseaudio", "paplay", "espeak-ng")
    music = tmp_path / "set"
    music.mkdir()
    tone(music / "01-low.wav", 440, 3)
    tone(music / "02-high.wav", 12000, 3)
    log = tmp_path / "stream.log"
    log.write_text("$ agent: on the decks\n")
    plan = Plan(basefm=True, basefm_wallet=WALLET, duration=14, log=log, music=music, loop=True)
    bus = EventBus()
    recorder = Recorder(bus)
    golive = build(
        plan,
        bus=bus,
        operator=GivenAnswers({"tx_hash": TX_HASH}),
        urls=world.urls,
        paths=Paths.from_env(),
        timing=FAST,
    )
    said: list[float] = []

    def speak_once_live(event) -> None:  # noqa: ANN001
        if event.kind == "golive.live" and not said:
            said.append(1.0)
            assert golive.audio is not None
            golive.audio.say("You are listening to the studio on baseFM.")

    bus.add_listener(speak_once_live)
    try:
        outcome = await asyncio.wait_for(golive.run(), 120)
    finally:
        await close_kiosk_link(golive)
    assert outcome.ok, (outcome.errors, recorder.lines[-10:])
    assert isinstance(golive, GoLive) and golive.audio is not None
    tracks = [(e.title, e.position) for e in recorder.of("audio.track_started")]
    assert tracks[:3] == [("01-low", 1), ("02-high", 2), ("01-low", 1)]  # in order, looped
    (speech,) = recorder.of("audio.speech_started")
    assert speech.text == "You are listening to the studio on baseFM."
    assert recorder.of("audio.speech_finished")[0].error == ""

    (recording,) = world.receiver.recordings("basefm")
    whole = levels(recording)
    high = levels(recording, pre=",".join(["highpass=f=11000"] * 3))
    low = levels(recording, pre=",".join(["lowpass=f=1000"] * 4))
    end = whole[-1][0]
    heard = [t for t, level in whole if level > LOUD_DB]
    assert heard and heard[0] < 4, heard[:3]  # the set starts with the encode
    # after the start, sound in every window but the hand-over between two tracks
    holes = [t for t, level in whole if heard[0] + 0.2 < t < end - 0.5 and level < SILENT_DB]
    assert len(holes) <= len(tracks), holes
    # both tracks of the set are on air: the 12 kHz and the 440 Hz tone
    assert len(spans(high, LOUD_DB)) >= 2 and len(spans(low, LOUD_DB)) >= 2
    print(
        "baseFM recording:",
        f"{end:.1f} s, set at {mean_db(whole, heard[0], end - 0.5):.1f} dB,",
        f"{len(holes)} hand-over holes, tracks {len(tracks)}",
    )
