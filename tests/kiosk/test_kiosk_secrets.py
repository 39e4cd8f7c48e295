"""Nothing secret reaches the screen, whatever path it takes to the kiosk."""

from __future__ import annotations

import json
from pathlib import Path

from studio.onair import (
    Alert,
    ChatMessage,
    PollResults,
    ShowMessage,
    SwitchScene,
    TickerUpdate,
    decode,
    fingerprints_of,
)
from studio.redaction import MASK
from studio.sandbox.clock import FakeClock
from tests.kiosk.kiosk_helpers import IMAGE_URL, ON_AIR, make_app, screen_text, settle, shows

SHAPED = [
    "rtk_live_9f8e7d6c5b4a3210",  # retake access token
    "sk_live_51HxYzABCdefGHIjkl",  # ClawCast API key / RTMP key
    "sk-a1b2-c3d4-e5f6-g7h8",  # Mux-style stream key
    "tvt_0123456789abcdef",  # ClawCast token
    "eyJhbGciOiJIUzI1NiJ9.eyJzbG90IjoiMTIzIn0.c2lnbmF0dXJlLXNpZw",  # slot JWT
]
EXACT = [
    "correct-horse-battery-staple-42",  # baseFM session token: no recognisable shape
    "ZZtop9Mux0Stream7Key",  # a stream key the studio registered
]
BEARER = "Bearer opaque.value_1234567890"
ALL = SHAPED + EXACT


def carrier(i: int) -> str:
    """Each secret inside ordinary words, so the words must still be on air."""
    return f"k{i}={ALL[i % len(ALL)]} ok{i}"


def slides() -> str:
    c = carrier
    playlist = [
        {
            "type": "text",
            "content": {"headline": f"head {c(0)}", "body": f"body {c(1)}", "meta": c(2)},
        },
        {
            "type": "data",
            "content": {
                "rows": [
                    {"label": c(3), "value": c(4), "change": c(5)},
                    {"label": "bearer", "value": BEARER},
                ]
            },
        },
        {"type": "poll", "content": {"question": f"Q {c(6)}", "options": [c(0), c(1), c(2)]}},
        {
            "type": "build",
            "content": {
                "steps": [
                    {"type": "log", "content": c(3)},
                    {"type": "milestone", "content": c(4)},
                    {"type": "preview", "content": c(5)},
                ]
            },
        },
        {"type": "image", "content": {"image_url": IMAGE_URL, "caption": f"cap {c(6)}"}},
        {
            "type": "terminal",
            "content": {"screen": f"$ export {c(0)}\n\x1b[31m{ALL[1]}\x1b[0m ok\n{c(5)}"},
        },
        {
            "type": "text",
            "content": {
                "headline": "meme",
                "body": c(6),
                "theme": "meme",
                "gif_url": "https://media.giphy.com/media/test/giphy.gif",
            },
        },
    ]
    return json.dumps({"cmd": "slides", "slides": playlist})


def assert_clean(text: str, where: str) -> None:
    for secret in ALL + [BEARER.split(" ", 1)[1]]:
        assert secret not in text, f"{where}: a secret reached the screen"
        for piece in (secret[:12], secret[-10:]):
            assert piece not in text, f"{where}: part of a secret reached the screen"


async def test_secrets_are_masked_on_every_path(tmp_path: Path, clock: FakeClock) -> None:
    log_lines = [carrier(i) for i in range(len(ALL))]
    # A secret split by colour codes, and one written across two writes.
    log_lines.append(f"split \x1b[32m{EXACT[0][:10]}\x1b[0m{EXACT[0][10:]} ok")
    app = make_app(tmp_path, clock, log_lines=log_lines)
    async with app.run_test(size=ON_AIR) as pilot:
        await app.apply(fingerprints_of(EXACT))
        with (tmp_path / "stream.log").open("a") as handle:
            handle.write(f"late {SHAPED[0][:9]}")
            handle.flush()
            handle.write(f"{SHAPED[0][9:]} {EXACT[1]} done\n")
        await settle(pilot, lambda: any("late" in t.plain for t in app.terminal.lines))
        await app.apply(TickerUpdate(live=True, name=carrier(1), token_ticker="SECRET", viewers=3))
        for i in range(len(ALL)):
            await app.apply(
                ChatMessage(author=f"u{ALL[i]}", text=carrier(i), first_time=i % 2 == 0)
            )
        await app.apply(Alert(kind="tip", who=EXACT[0], amount="5 SOL", detail=carrier(2)))
        await app.apply(Alert(kind="trade", who="whale", amount=EXACT[1]))
        await app.apply(ShowMessage(text=f"banner {carrier(3)} {BEARER}"))

        # Fingerprints arrived after some lines: those lines were masked by shape only, so
        # the exact values must be taught before anything goes on air (the link does so).
        await app.apply(SwitchScene(scene="chat"))
        await settle(pilot, lambda: shows(app, "ok0", "done", "banner"))
        text = screen_text(app)
        assert_clean(text, "terminal + chat")
        assert "ok0" in text and "done" in text and MASK in text and "banner" in text

        await app.apply(decode(slides()))
        for index in range(len(app.deck.playlist)):
            await settle(pilot, lambda index=index: app.deck.index == index)
            await app.apply(PollResults(results=[1, 2, 3]))
            await settle(
                pilot,
                lambda: shows(app, MASK) or app.deck.current.type in ("text", "meme"),
            )
            text = screen_text(app)
            assert_clean(text, f"slide {index} ({app.deck.current.type})")
            assert MASK in text or app.deck.current.type in ("text", "meme"), app.deck.current.type
            await app.deck.next_slide()

        await app.apply(SwitchScene(scene="filler"))
        for _ in app.filler.cards:
            await settle(pilot)
            assert_clean(screen_text(app), f"filler {app.filler.cards[app.filler.card]}")
            await app.filler.rotate()
