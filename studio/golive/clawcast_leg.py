"""ClawCast's part: book a slot (with slides or without), and while the slot is live,
mirror the picture as ``terminal`` frames about once a second so the 30 s idle
timeout never fires; endSlot at the end.

A frame is what viewers of the kiosk see (the kiosk's picture as text, filler
included); only without a kiosk is it the tail of the agent's log."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from studio.golive.events import (
    Notice,
    PlatformLive,
    PlatformStopped,
    PollResultsChanged,
    SlidesOnAir,
    Viewers,
)
from studio.golive.leg import Leg, LegContext, LegFinished
from studio.golive.terminal_mirror import tail_text
from studio.platforms.clawcast import ClawcastClient, ClawcastSlot
from studio.platforms.clawcast_errors import ClawcastError
from studio.validation import check
from studio.validation.clawcast import BookSlotRequest

log = logging.getLogger(__name__)


class ClawcastLeg(Leg):
    platform = "clawcast"
    pushes_rtmp = False

    def __init__(
        self,
        ctx: LegContext,
        client: ClawcastClient,
        *,
        streamer_name: str,
        streamer_url: str,
        duration_minutes: int = 1,
        slides: list[dict[str, Any]] | None = None,
        mirror: Path | None = None,
    ) -> None:
        super().__init__(ctx)
        self.client = client
        self.body = check(
            BookSlotRequest,
            {
                "streamer_name": streamer_name,
                "streamer_url": streamer_url,
                "duration_minutes": duration_minutes,
                **({"slides": slides} if slides else {}),
            },
            what="ClawCast booking",
        )
        self.mirror = mirror
        self.slot: ClawcastSlot | None = None
        self.frames = 0

    async def prepare(self) -> None:
        async with self.step("slot", "recovering a booked slot or booking one"):
            self.slot = await self.client.recover_slot()
            if self.slot is not None and self.slot.streamer_name != self.body.streamer_name:
                self.slot = None  # a slot kept for another name is not ours to use
            if self.slot is None:
                booked = await self.client.book_slot(self.body)
                self.slot = self.client.slot
                where = (
                    "live now"
                    if booked.position_in_queue == 0
                    else f"position {booked.position_in_queue} in the queue"
                )
                self.ctx.publish(
                    Notice(platform=self.platform, text=f"ClawCast slot booked: {where}")
                )
            else:
                self.ctx.publish(
                    Notice(
                        platform=self.platform,
                        text="ClawCast: recovered the slot booked before the restart",
                    )
                )

    async def on_air(self) -> None:
        slot = self.slot
        if slot is not None:
            self.ctx.protect(slot.slot_jwt)
        if slot is None:
            return
        wait = slot.seconds_until_live(self.ctx.clock())
        if wait > 0:
            self.ctx.publish(
                Notice(platform=self.platform, text=f"ClawCast: on air in {wait:.0f} s")
            )
            await self.ctx.sleep(wait)
        self.live = True
        self.ctx.publish(PlatformLive(platform=self.platform, url=self.client.base_url))
        if self.body.slides:
            slides = [s.model_dump(mode="json", exclude_none=True) for s in self.body.slides]
            self.ctx.publish(SlidesOnAir(platform=self.platform, slides=slides))
            await self._until_slot_ends(slot)
        else:
            await self._mirror_until_slot_ends(slot)
        self.live = False
        raise LegFinished("the ClawCast slot is over")

    async def _until_slot_ends(self, slot: ClawcastSlot) -> None:
        """The slides play by themselves; while a poll is among them, its live results
        are published every few seconds (the kiosk draws them on the result bars)."""
        has_poll = any(s.type == "poll" for s in self.body.slides or [])
        while (left := slot.seconds_left(self.ctx.clock())) > 0:
            if has_poll:
                try:
                    results = await self.client.poll_results()
                except ClawcastError as exc:
                    log.info("no poll results yet: %s", exc)
                else:
                    counts = list(results.results)[:6]
                    self.ctx.publish(PollResultsChanged(platform=self.platform, results=counts))
            await self.ctx.sleep(min(left, 5.0))

    async def _mirror_until_slot_ends(self, slot: ClawcastSlot) -> None:
        while slot.seconds_left(self.ctx.clock()) > 0:
            try:
                screen = await self._picture()
                reply = await self.client.publish_terminal(screen or "$ \n")
            except ClawcastError as exc:
                if exc.status in (401, 403):  # slot over or cut: nothing more to mirror
                    log.info("ClawCast slot ended: %s", exc)
                    return
                self.ctx.publish(Notice(platform=self.platform, level="warning", text=str(exc)))
            except Exception as exc:  # noqa: BLE001 - one lost frame never ends the slot
                log.error("ClawCast frame failed", exc_info=exc)
                self.ctx.publish(
                    Notice(
                        platform=self.platform,
                        level="warning",
                        text=f"ClawCast: a frame failed ({type(exc).__name__}: {exc}); "
                        "the next one is tried in a second",
                    )
                )
            else:
                self.frames += 1
                if reply.viewer_count is not None and self.frames % 10 == 1:
                    self.ctx.publish(Viewers(platform=self.platform, viewers=reply.viewer_count))
            await self.ctx.sleep(self.ctx.timing.frame_every)

    async def _picture(self) -> str:
        if self.ctx.kiosk is not None:
            picture = await self.ctx.kiosk.picture()
            if picture is not None and picture.strip():
                return picture
        text = await asyncio.to_thread(tail_text, self.mirror) if self.mirror else ""
        return text if text.strip() else ""

    async def stop(self, *, final: bool = True) -> dict[str, Any]:
        stats: dict[str, Any] = {"frames": self.frames}
        if self.client.slot is not None:
            async with self.step("end_slot"):
                try:
                    await self.client.end_slot()
                    stats["ended"] = "endSlot"
                except ClawcastError as exc:
                    if exc.status not in (401, 403):
                        raise
                    self.client.forget_slot()
                    stats["ended"] = "slot already over"
        self.ctx.publish(PlatformStopped(platform=self.platform, stats=stats))
        return stats
