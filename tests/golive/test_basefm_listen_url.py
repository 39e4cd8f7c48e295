"""baseFM's listen URL reaches the bus when the stream is live, so the builder
notification can carry it beside retake.tv's and ClawCast's links."""

from __future__ import annotations

from studio.config import Paths
from studio.golive.basefm_leg import BasefmLeg, listen_url
from studio.platforms.basefm import BasefmClient
from studio.platforms.basefm_models import StreamStatusResponse
from studio.redaction import reveal
from studio.session_store import SessionStore
from tests.golive.golive_helpers import fake_context

SANDBOX = "http://sandbox.test"


async def test_the_live_event_carries_the_listen_url(transport, control, clock):
    ctx, recorder = fake_context(clock, {"tx_hash": "0x" + "ab" * 32})
    client = BasefmClient(
        SANDBOX,
        transport=transport,
        store=SessionStore(Paths.from_env().sessions_file),
        clock=clock.now,
    )
    leg = BasefmLeg(ctx, client, wallet="0x" + "12" * 20, name="Listen DJ")
    await leg.prepare()
    destination = await leg.destination()
    key = reveal(destination.url).rsplit("/", 1)[1]
    assert (await control.post(f"/_sandbox/ingest/basefm/{key}")).status_code == 200
    await leg.confirm_live()
    (live,) = recorder.of("golive.live")
    assert live.url == "https://basefm.space" == leg.listen_url  # type: ignore[attr-defined]
    await leg.stop()


def test_listen_url_readings():
    page = {
        "active": True,
        "distribution": {
            "origin": {"status": "active", "hlsUrl": "https://stream.mux.com/p1.m3u8"},
            "firstParty": {"status": "healthy", "pageUrl": "https://basefm.space"},
        },
    }
    hls = {
        "active": True,
        "distribution": {
            "origin": {"status": "active", "hlsUrl": "https://stream.mux.com/p1.m3u8"}
        },
    }
    mux = {"active": True, "mux": {"status": "active", "playbackId": "p2"}}
    nothing = {"active": False}
    assert [
        listen_url(StreamStatusResponse.model_validate(b)) for b in (page, hls, mux, nothing)
    ] == [
        "https://basefm.space",
        "https://stream.mux.com/p1.m3u8",
        "https://stream.mux.com/p2.m3u8",
        None,
    ]
