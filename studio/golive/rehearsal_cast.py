"""The cast of a rehearsal: a demo agent writing to the on-air log, and viewers
chatting, tipping, trading and following through the sandbox's control routes, so the
kiosk, the chat loop and the journal have something real to carry."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from pathlib import Path

import httpx

AGENT_LINES = (
    "\x1b[1;36m$ agent\x1b[0m planning today's stream: build a tiny tool live",
    "\x1b[33m→\x1b[0m reading chat for ideas…",
    "\x1b[32m✓\x1b[0m scaffolded project \x1b[1mweather-bot\x1b[0m",
    "\x1b[35m$ pytest -q\x1b[0m  \x1b[32m12 passed\x1b[0m in 0.41s",
    "\x1b[33m→\x1b[0m viewers voted: add a chart next",
    "\x1b[38;2;255;120;60m▇▇▇▇▇▇▇▇▆▅▃▂\x1b[0m temperature trend rendered",
    "\x1b[32m✓\x1b[0m deployed to a sandbox, link in chat",
)

VIEWERS = ("ada_l", "grace_h", "linus_t", "ken_t", "barbara_l")
CHAT = (
    "first time here, what are we building?",
    "add a chart!",
    "this is oddly relaxing",
    "can it do forecasts too?",
    "gg, ship it",
)


async def agent_writer(log: Path, *, every: float = 2.0) -> None:
    """Append a line to the agent's log every ``every`` seconds, until cancelled."""
    for line in itertools.cycle(AGENT_LINES):
        await asyncio.to_thread(_append, log, line + "\n")
        await asyncio.sleep(every)


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


async def audience(origin: str, user_db_id: str, *, every: float = 4.0, limit: int = 200) -> None:
    """Viewers' chat, a tip, a trade and a follow, bounded by ``limit`` actions."""
    async with httpx.AsyncClient(base_url=origin, timeout=5) as control:
        for i in range(limit):
            await asyncio.sleep(every)
            viewer = VIEWERS[i % len(VIEWERS)]
            with contextlib.suppress(httpx.HTTPError):
                if i % 7 == 3:
                    await control.post(
                        "/_sandbox/retake/tip",
                        json={"streamer_id": user_db_id, "username": viewer, "amount": 5},
                    )
                elif i % 7 == 5:
                    await control.post(
                        "/_sandbox/retake/trade",
                        json={
                            "streamer_id": user_db_id,
                            "username": viewer,
                            "action": "buy",
                            "usd_amount": 25,
                        },
                    )
                elif i % 7 == 6:
                    await control.post(
                        "/_sandbox/retake/follow",
                        json={"streamer_id": user_db_id, "username": viewer},
                    )
                else:
                    await control.post(
                        "/_sandbox/retake/chat",
                        json={
                            "streamer_id": user_db_id,
                            "username": viewer,
                            "text": CHAT[i % len(CHAT)],
                        },
                    )
