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
The other legs stay on air all the while.

Booking again (``_rebook``) meets the refused slot, which stays on ClawCast's channel
until it ends or is cut for idling, and meanwhile bookSlot answers 409 for our name.
That can only last until the refused slot's end, or 30 s after the last frame (or
batch) ClawCast accepted from it, whichever comes first, plus ``REFUSED_SLOT_MARGIN``:
in that window ClawCast's queue is read every ``CHANNEL_POLL`` seconds (a GET takes
nobody's time) and the booking goes in as soon as the name is off the channel. A 409
after the window is ClawCast's word that someone else holds the name (another agent
of the same name, a slot queued elsewhere): retrying would take others' time on a
shared channel, so the ClawCast leg ends with a notice saying so. A 5xx, a 429 or an
unreachable ClawCast is retried on ``REBOOK_RETRY`` until the broadcast's planned end,
or until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Callable, Iterator
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
from studio.platforms.clawcast_errors import (
    ClawcastAlreadyBooked,
    ClawcastError,
    ClawcastRateLimited,
)
from studio.platforms.clawcast_models import BookSlotResponse
from studio.validation import check
from studio.validation.clawcast import BookSlotRequest

log = logging.getLogger(__name__)


REBOOK_RETRY = Backoff(first=2.0, factor=1.5, cap=10.0, jitter=0.2, attempts=None)
"""Booking again after the operator said yes, when ClawCast is unavailable (5xx),
limits calls (429: never sooner than its Retry-After) or cannot be reached: 2 s, 3 s,
4.5 s … capped at 10 s, while the broadcast's planned end is not reached. A broadcast
without a planned end retries until stopped: a network fault is what the studio rides
out ("stay on air"), a call that fails takes nobody's time on the channel, and at most
one call every 10 s is no load; a notice says so at most once a minute.

A 409 is not retried blindly on this schedule: it is waited out only while the refused
slot can still be on the channel (``REFUSED_SLOT_MARGIN``), with ClawCast's queue read
in between (``CHANNEL_POLL``); these delays only space the bookings when the queue
says the name is free and bookSlot still answers 409, or the queue cannot be read."""

REFUSED_SLOT_MARGIN = 5.0
"""Seconds added to the moment the refused slot must have left ClawCast's channel (its
end, or 30 s after the last content ClawCast accepted, whichever is first) before a 409
is taken as someone else's hold on the name: ClawCast's clock and ours differ by a
little, and the last frame is timed when its reply arrives, after ClawCast took it."""

CHANNEL_POLL = 2.0
"""How often ClawCast's queue (getQueue, else /api/now) is read while the refused slot
is still on the channel; the read before its expected end falls on that very moment.
A deployment that cuts idle slots sooner (an older version of the document says 10 s)
is met within this delay."""

UNAVAILABLE_NOTICE_EVERY = 60.0
"""The same failure to book again is reported at most once this often."""


def _passing(exc: PlatformError) -> bool:
    """A failure that passes by itself: unreachable, 429, 5xx."""
    return exc.status is None or exc.status == 429 or exc.status >= 500


class SlotHeld(StudioError):
    """This studio already holds a ClawCast slot (queued or on air): one at a time."""


class TokenRefused(Exception):
    """ClawCast refused the slot's JWT (401) while the slot still had time left."""


class _NoTimeLeft(Exception):
    """The broadcast's planned end comes before the next try to book again."""


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
        self._ended = "the ClawCast slot is over"

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
                slot = await self._book_again_if_operator_agrees(slot, str(refused))
        self.live = False
        raise LegFinished(self._ended)

    async def _book_again_if_operator_agrees(
        self, refused: ClawcastSlot, why: str
    ) -> ClawcastSlot | None:
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
        return await self._rebook(refused)

    async def _rebook(self, refused: ClawcastSlot) -> ClawcastSlot | None:
        """Book the same name and slides again after ``refused``'s token was refused.

        A 409 is waited out while ``refused`` can still be on the channel: until
        ``gone_by`` (its end, or its idle cut 30 s after the last content ClawCast
        accepted) plus ``REFUSED_SLOT_MARGIN``, booking as soon as ClawCast's queue no
        longer lists the name. A 409 after that ends the leg with a notice, and the
        operator is not asked again: the only answer the question could take is the
        same booking of the same name, which ClawCast has just refused past any doubt,
        and a question left open would hold the leg for nothing; what frees the name
        (the other agent's slot ending, the dashboard's claim) is outside the studio,
        and ``studio book FILE`` books once it is free.
        5xx / 429 / unreachable: ``REBOOK_RETRY``, never past the planned end.
        None when nothing was booked (the reason is in ``self._ended``)."""
        name = self.body.streamer_name
        gone_by = min(refused.ends_at, self.client.idle_cut_at(refused))
        give_up_at = gone_by + REFUSED_SLOT_MARGIN
        self.client.forget_slot()
        delays = REBOOK_RETRY.delays()
        ask = True  # whether ClawCast's queue is read to know when the name is free
        said_free = False
        waiting_said = False
        last_said: tuple[str, float] | None = None
        try:
            while True:
                try:
                    booked = await self.client.book_slot(self.body)
                except ClawcastAlreadyBooked as exc:
                    now = self.ctx.clock()
                    if said_free:
                        ask = False  # the queue does not show who holds the name
                    if now >= give_up_at:
                        self._name_held(name, exc, now - gone_by)
                        return None
                    if not waiting_said:
                        waiting_said = True
                        self.ctx.publish(
                            Notice(
                                platform=self.platform,
                                text="ClawCast: the refused slot is still on the channel "
                                "(bookSlot answers 409); booking again as soon as it is "
                                f"gone, within {give_up_at - now:.0f} s",
                            )
                        )
                    said_free = await self._until_name_free(
                        name, gone_by, give_up_at, delays, ask=ask
                    )
                    continue
                except PlatformError as exc:
                    if not _passing(exc):
                        self._gave_up(f"booking again failed ({exc.message})")
                        return None
                    delay = next(delays)
                    if isinstance(exc, ClawcastRateLimited) and exc.retry_after is not None:
                        delay = max(delay, exc.retry_after)
                    last_said = self._unavailable_notice(exc, delay, last_said)
                    await self._sleep_within_broadcast(delay, exc.message)
                    said_free = False
                    continue
                self.slot = self.client.slot
                self._booked_notice(booked, "booked again")
                self._held(self.slot)
                return self.slot
        except _NoTimeLeft as no_time:
            self._gave_up(f"not booked again before the broadcast's planned end ({no_time})")
            return None

    def _unavailable_notice(
        self, exc: PlatformError, delay: float, last: tuple[str, float] | None
    ) -> tuple[str, float] | None:
        """Tell the operator booking again failed and when it is tried next: a new
        failure at once, the same one at most every ``UNAVAILABLE_NOTICE_EVERY`` s.
        Returns what was told last, and when."""
        now = self.ctx.clock()
        if last is not None and last[0] == exc.message and now - last[1] < UNAVAILABLE_NOTICE_EVERY:
            return last
        until = (
            "the broadcast is stopped" if self.ctx.broadcast_left() is None else "its planned end"
        )
        self.ctx.publish(
            Notice(
                platform=self.platform,
                level="warning",
                text=f"ClawCast: booking again failed ({exc.message}); "
                f"trying again in {delay:.0f} s, and until {until}",
            )
        )
        return exc.message, now

    async def _until_name_free(
        self,
        name: str,
        gone_by: float,
        give_up_at: float,
        delays: Iterator[float],
        *,
        ask: bool,
    ) -> bool:
        """Wait before booking again: with ``ask``, until ClawCast's queue no longer
        lists ``name`` (True) or ``give_up_at``; without, one ``delays`` step. Never
        past ``give_up_at``, never sleeping past ``gone_by`` without asking."""
        while (now := self.ctx.clock()) < give_up_at:
            held = await self._name_on_channel(name) if ask else None
            if held is False:
                return True
            step = CHANNEL_POLL if held else next(delays)
            wake = min(now + step, give_up_at, gone_by if now < gone_by else math.inf)
            await self._sleep_within_broadcast(wake - now, "the refused slot is on the channel")
            if held is None:
                return False
        return False

    async def _name_on_channel(self, name: str) -> bool | None:
        """Whether ClawCast says ``name`` has a slot live or queued (getQueue), else
        whether it is live (/api/now: the refused slot was live); None if neither
        could be read."""
        try:
            return (await self.client.get_queue()).holds(name)
        except PlatformError as exc:
            log.info("ClawCast's queue could not be read: %s", exc)
        try:
            now = await self.client.now()
        except PlatformError as exc:
            log.info("ClawCast's /api/now could not be read: %s", exc)
            return None
        return bool(now.live and now.streamer_name == name)

    async def _sleep_within_broadcast(self, seconds: float, why: str) -> None:
        left = self.ctx.broadcast_left()
        if left is not None and left <= seconds:
            raise _NoTimeLeft(why)
        await self.ctx.sleep(seconds)

    def _name_held(self, name: str, exc: ClawcastAlreadyBooked, late: float) -> None:
        said = f"'{name}' is held by someone else"
        self._ended = f"ClawCast: {said}"
        self.ctx.publish(
            Notice(
                platform=self.platform,
                level="warning",
                text=f"ClawCast: booking again refused: ClawCast still says '{name}' has a "
                f"slot live or queued (409) {late:.0f} s after the refused slot must have "
                "ended (its end, or the 30 s idle cut after its last frame), so the name is "
                "held by someone else and retrying would take others' time on the shared "
                "channel. The ClawCast leg ends; the other legs stay on air. Once the name "
                "is free, `studio book FILE` books a slot",
            )
        )
        log.info("ClawCast booking refused past the window: %s", exc)

    def _gave_up(self, why: str) -> None:
        self._ended = f"ClawCast: {why}"
        self.ctx.publish(
            Notice(
                platform=self.platform,
                level="warning",
                text=f"ClawCast: {why}; the ClawCast leg ends, the other legs stay on air",
            )
        )

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
