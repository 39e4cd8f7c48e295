"""ClawCast's part: book a slot (with slides or without), and while the slot is live,
mirror the picture as ``terminal`` frames about once a second so the 30 s idle
timeout never fires; endSlot at the end. Once the slot is over, the operator may book
another one with a playlist (``book``, the control API's ``clawcast.book``): it plays
while the other legs stay on air, and is ended with the broadcast.

A frame is what viewers of the kiosk see (the kiosk's picture as text, filler
included); only without a kiosk is it the tail of the agent's log.

ClawCast may refuse the slot's JWT before the slot is over (401: its expiry is only
"~60 s after your slot ends"). The mirror cannot go on without it, and ClawCast cuts a
slot after 30 s without frames, so the operator is asked (``clawcast_rebook``: any
client of the control API answers) whether to book again with the same name and
slides. Never automatically: the channel is shared and a booking takes others' time.
The other legs stay on air all the while."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from studio.backoff import Backoff
from studio.errors import StudioError
from studio.golive.events import (
    ClawcastSlotHeld,
    Notice,
    PlatformLive,
    PlatformOffAir,
    PlatformStopped,
    PollResultsChanged,
    SlidesOnAir,
    Viewers,
)
from studio.golive.leg import Leg, LegContext, LegFinished
from studio.golive.operator import Need, OperatorGaveUp, yes_or_no
from studio.golive.terminal_mirror import tail_text
from studio.platforms._http import PlatformError
from studio.platforms.clawcast import ClawcastClient, ClawcastSlot
from studio.platforms.clawcast_errors import ClawcastAlreadyBooked, ClawcastError
from studio.platforms.clawcast_models import BookSlotResponse
from studio.validation import check
from studio.validation.clawcast import BookSlotRequest

log = logging.getLogger(__name__)


REBOOK_RETRY = Backoff(first=2.0, factor=1.5, cap=10.0, jitter=0.2, attempts=None)
"""Booking again after the operator said yes: while the refused slot is still on
ClawCast's channel (until its idle cut), bookSlot answers 409; it is tried again."""


class SlotHeld(StudioError):
    """This studio already holds a ClawCast slot (queued or on air): one at a time."""


class TokenRefused(Exception):
    """ClawCast refused the slot's JWT (401) while the slot still had time left."""


class ClawcastLeg(Leg):
    platform = "clawcast"
    pushes_rtmp = False

    def __init__(
        self,
        ctx: LegContext,
        client: ClawcastClient,
        *,
        streamer_name: str | None = None,
        streamer_url: str | None = None,
        streamer: Callable[[], tuple[str | None, str | None]] | None = None,
        duration_minutes: int = 1,
        slides: list[dict[str, Any]] | None = None,
        mirror: Path | None = None,
    ) -> None:
        """``streamer`` gives the name and link when they are known only once an
        earlier leg has prepared (a retake.tv agent that registers first); the booking
        is then checked when the leg prepares, before anything is sent."""
        super().__init__(ctx)
        self.client = client
        self._streamer = streamer or (lambda: (streamer_name, streamer_url))
        self._booking_fields: dict[str, Any] = {
            "duration_minutes": duration_minutes,
            **({"slides": slides} if slides else {}),
        }
        self._body: BookSlotRequest | None = None
        if streamer is None:
            self._body = self.body
        self.mirror = mirror
        self.slot: ClawcastSlot | None = None
        self.frames = 0
        self._booked: asyncio.Task[None] | None = None
        self._booking = False

    @property
    def body(self) -> BookSlotRequest:
        """The booking, checked by the shared rules the first time it is needed."""
        if self._body is None:
            name, url = self._streamer()
            self._body = check(
                BookSlotRequest,
                {"streamer_name": name, "streamer_url": url, **self._booking_fields},
                what="ClawCast booking",
            )
        return self._body

    async def prepare(self) -> None:
        async with self.step("slot", "recovering a booked slot or booking one"):
            self.slot = await self.client.recover_slot()
            if self.slot is not None and self.slot.streamer_name != self.body.streamer_name:
                self.slot = None  # a slot kept for another name is not ours to use
            if self.slot is None:
                booked = await self.client.book_slot(self.body)
                self.slot = self.client.slot
                self._booked_notice(booked)
            else:
                self.ctx.publish(
                    Notice(
                        platform=self.platform,
                        text="ClawCast: recovered the slot booked before the restart",
                    )
                )
            self._held(self.slot)

    def _booked_notice(self, booked: BookSlotResponse, what: str = "booked") -> None:
        where = (
            "live now"
            if booked.position_in_queue == 0
            else f"position {booked.position_in_queue} in the queue"
        )
        self.ctx.publish(Notice(platform=self.platform, text=f"ClawCast slot {what}: {where}"))

    def _held(self, slot: ClawcastSlot | None) -> None:
        """Tell every listener which slot is ours (the console's queue marks it)."""
        if slot is not None:
            self.ctx.publish(
                ClawcastSlotHeld(
                    platform=self.platform,
                    streamer_name=slot.streamer_name,
                    position_in_queue=slot.position_in_queue,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                )
            )

    async def on_air(self) -> None:
        slot = self.slot
        while slot is not None:
            self.ctx.protect(slot.slot_jwt)
            await self._live_when_due(slot)
            if self.body.slides:
                await self._play_slides(slot)
                break
            try:
                await self._mirror_until_slot_ends(slot)
                break
            except TokenRefused as refused:
                self.live = False
                slot = await self._book_again_if_operator_agrees(str(refused))
        self.live = False
        raise LegFinished("the ClawCast slot is over")

    async def _book_again_if_operator_agrees(self, why: str) -> ClawcastSlot | None:
        """Ask the operator whether to book again (same name and slides); the new slot,
        or None when the answer is no, none came, or the broadcast has no time left."""
        left = self.ctx.broadcast_left()
        planned = "until stopped" if left is None else f"{left:.0f} s of the planned broadcast left"
        self.ctx.publish(
            Notice(
                platform=self.platform,
                level="warning",
                text=f"ClawCast refused the slot's token ({why}); the other legs stay on air",
            )
        )
        if left is not None and left < 1.0:
            return None
        need = Need(
            platform=self.platform,
            need="clawcast_rebook",
            prompt=f"ClawCast refused the slot's token; book again? ({planned}) [yes/no]",
            validate=yes_or_no,
            data={
                "broadcast_seconds_left": None if left is None else round(left),
                "streamer_name": self.body.streamer_name,
            },
            flags="`studio answer clawcast_rebook yes`",
        )
        try:
            answer = await self.ctx.operator.answer(need)
        except OperatorGaveUp as exc:
            answer = "no"
            self.ctx.publish(Notice(platform=self.platform, level="warning", text=str(exc)))
        if answer != "yes":
            self.ctx.publish(
                Notice(platform=self.platform, text="ClawCast: not booked again; the leg ends")
            )
            return None
        return await self._rebook()

    async def _rebook(self) -> ClawcastSlot | None:
        """Book the same name and slides again; while the refused slot is still on the
        channel (409) or ClawCast is unavailable, try again until the broadcast ends."""
        self.client.forget_slot()
        for delay in REBOOK_RETRY.delays():
            try:
                booked = await self.client.book_slot(self.body)
            except PlatformError as exc:
                retry = (
                    isinstance(exc, ClawcastAlreadyBooked)
                    or exc.status in (None, 429)
                    or (exc.status is not None and exc.status >= 500)
                )
                left = self.ctx.broadcast_left()
                if not retry or (left is not None and left <= delay):
                    self.ctx.publish(
                        Notice(
                            platform=self.platform,
                            level="warning",
                            text=f"ClawCast: booking again failed ({exc.message}); the leg ends",
                        )
                    )
                    return None
                self.ctx.publish(
                    Notice(
                        platform=self.platform,
                        text=f"ClawCast: {exc.message}; booking again in {delay:.0f} s",
                    )
                )
                await self.ctx.sleep(delay)
                continue
            self.slot = self.client.slot
            self._booked_notice(booked, "booked again")
            self._held(self.slot)
            return self.slot
        return None

    async def _live_when_due(self, slot: ClawcastSlot) -> None:
        """Wait for the slot's turn in the queue, then say it is live."""
        wait = slot.seconds_until_live(self.ctx.clock())
        if wait > 0:
            self.ctx.publish(
                Notice(platform=self.platform, text=f"ClawCast: on air in {wait:.0f} s")
            )
            await self.ctx.sleep(wait)
        self.live = True
        self.ctx.publish(PlatformLive(platform=self.platform, url=self.client.base_url))

    async def _play_slides(self, slot: ClawcastSlot) -> None:
        slides = [s.model_dump(mode="json", exclude_none=True) for s in self.body.slides or []]
        self.ctx.publish(SlidesOnAir(platform=self.platform, slides=slides))
        await self._until_slot_ends(slot)

    # -- another slot, booked by the operator ---------------------------------------
    def holds_slot(self) -> ClawcastSlot | None:
        """The slot this studio holds that is not over yet (queued or on air)."""
        slot = self.client.slot
        if slot is not None and slot.seconds_left(self.ctx.clock()) > 0:
            return slot
        return None

    async def book(
        self, slides: list[dict[str, Any]], duration_minutes: int | None = None
    ) -> BookSlotResponse:
        """Book another slot with ``slides`` under this leg's name and link; it plays in
        the background (live when its turn comes, poll results while it lasts).

        Raises ``ValidationFailed`` (nothing sent) for a playlist ClawCast would refuse,
        ``SlotHeld`` while the slot booked before is queued or on air."""
        body = check(
            BookSlotRequest,
            {
                "streamer_name": self.body.streamer_name,
                "streamer_url": self.body.streamer_url,
                "duration_minutes": duration_minutes or self.body.duration_minutes,
                "slides": slides,
            },
            what="ClawCast booking",
        )
        if self._booking:
            raise SlotHeld("a ClawCast booking is already under way", fix="Wait for its answer.")
        held = self.holds_slot()
        if held is not None or (self._booked is not None and not self._booked.done()):
            wait = held.seconds_until_live(self.ctx.clock()) if held is not None else 0
            when = f"queued, on air in {wait:.0f} s" if wait > 0 else "on air"
            raise SlotHeld(
                f"this studio already holds a ClawCast slot ({when}); one slot at a time",
                fix="Publish the slides as a batch during it (Ctrl+E, `studio batch`), "
                "or book once it is over.",
            )
        if self.client.slot is not None:
            self.client.forget_slot()  # over: its JWT only lingers for endSlot
        self._booking = True
        try:
            booked = await self.client.book_slot(body)
        finally:
            self._booking = False
        slot = self.client.slot
        assert slot is not None
        self._body, self.slot = body, slot
        self.ctx.protect(slot.slot_jwt)
        self._booked_notice(booked)
        self._held(slot)
        self._booked = asyncio.create_task(self._play_booked(slot), name="clawcast-booked-slot")
        return booked

    async def _play_booked(self, slot: ClawcastSlot) -> None:
        try:
            await self._live_when_due(slot)
            await self._play_slides(slot)
            self.ctx.publish(Notice(platform=self.platform, text="ClawCast: the slot is over"))
        except Exception as exc:  # noqa: BLE001 - the other legs stay on air
            log.error("the booked ClawCast slot failed", exc_info=exc)
            self.ctx.publish(
                Notice(
                    platform=self.platform,
                    level="warning",
                    text=f"ClawCast: the booked slot failed ({type(exc).__name__}: {exc})",
                )
            )
        finally:
            if self.live:
                self.ctx.publish(PlatformOffAir(platform=self.platform, reason="the slot is over"))
            self.live = False

    async def _until_slot_ends(self, slot: ClawcastSlot) -> None:
        """The slides play by themselves; while a poll is among them, its live results
        are published every few seconds (the kiosk draws them on the result bars)."""
        has_poll = any(s.type == "poll" for s in self.body.slides or [])
        while (left := slot.seconds_left(self.ctx.clock())) > 0:
            if has_poll:
                try:
                    results = await self.client.poll_results()
                except PlatformError as exc:  # a corrupt reply too: the slides play on
                    log.info("no poll results yet: %s", exc)
                else:
                    counts = list(results.results)[:6]
                    self.ctx.publish(PollResultsChanged(platform=self.platform, results=counts))
            await self.ctx.sleep(min(left, 5.0))

    async def _mirror_until_slot_ends(self, slot: ClawcastSlot) -> None:
        paused = False  # a batch of slides plays: ClawCast refuses frames until it ends
        while slot.seconds_left(self.ctx.clock()) > 0:
            try:
                screen = await self._picture()
                reply = await self.client.publish_terminal(screen or "$ \n")
            except PlatformError as exc:  # ClawCast's refusals, and replies it could not read
                if exc.status == 401 and slot.seconds_left(self.ctx.clock()) > 0:
                    raise TokenRefused(exc.message) from exc
                if exc.status in (401, 403):  # slot over or cut: nothing more to mirror
                    log.info("ClawCast slot ended: %s", exc)
                    self.client.forget_slot()  # its JWT is no good: another may be booked
                    return
                if exc.status == 409:  # one mode at a time (clawcast-api.md)
                    if not paused:
                        self.ctx.publish(
                            Notice(
                                platform=self.platform,
                                text="ClawCast: a batch of slides is playing; "
                                "the terminal mirror waits until it ends",
                            )
                        )
                    paused = True
                else:
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
                paused = False
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
        if self._booked is not None:
            self._booked.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._booked
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
