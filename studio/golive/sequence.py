"""The go-live sequence as one state machine over the platform legs.

    preparing → broadcasting → confirming → live → stopping → ended

``preparing``     every leg's credentials, verification, payment or booking, in turn
                  (a leg may wait for the operator here);
``broadcasting``  display, terminal (the kiosk) and one encode to every RTMP destination;
``confirming``    every RTMP leg confirms the platform sees the stream live;
``live``          every leg's loops run until the duration ends, a stop is requested
                  (SIGINT/SIGTERM, the console) or every leg has finished;
``stopping``      every leg ends its platform session (stream/stop, DELETE, endSlot),
                  then the pipeline stops, then the journal closes the session.

Each transition is a ``golive.state`` event; legs publish their own steps.

A failure ends only what it must. A leg that fails to prepare, to confirm or while on
air is reported (``golive.leg_dropped``) and ends alone; the others go on. A leg that
joins late (baseFM after its cooldown) or leaves while on air changes only its own
destination: the joiner goes out through its own relay from the running encode, and a
leaver's relay is stopped, so the other destinations stay connected (the encode
restarts only to take out a destination its tee still writes to; see
``BroadcastPipeline.remove_destination``). Only ``all_or_nothing`` turns a failure to
prepare or confirm into the end of the whole broadcast. Anything paid for (the baseFM
session) is ended only by the operator or at the planned end: a leg ended by a failure,
or a broadcast that failed, leaves it armed so going live again recovers it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from studio.audio.desk import AudioDesk
from studio.broadcast.destinations import Destination
from studio.errors import StudioError
from studio.golive.events import (
    Failed,
    LegDropped,
    Notice,
    PlatformOffAir,
    SessionEnded,
    SessionStarted,
    StateChanged,
)
from studio.golive.journal_feed import JournalFeed
from studio.golive.leg import Leg, LegContext, LegFinished
from studio.journal import Journal, JournalWriter

log = logging.getLogger(__name__)


class Pipeline(Protocol):
    """What the sequence needs of the broadcast pipeline (see ``BroadcastPipeline``)."""

    display_name: str | None

    async def start(self) -> None: ...
    async def stop(self) -> None: ...
    async def add_destination(self, destination: Destination) -> None: ...
    async def remove_destination(self, name: str, reason: str = "") -> bool: ...
    def reconnect_now(self) -> None: ...


PipelineFactory = Callable[
    [list[Destination], Callable[[], Any], Callable[[Destination], Any]], Pipeline
]


@dataclass
class Outcome:
    ok: bool
    reason: str
    session_id: int | None
    summary: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    failed_legs: dict[str, str] = field(default_factory=dict)
    """Legs that failed and ended alone (platform → stage and error)."""
    on_air: list[str] = field(default_factory=list)
    """Legs that were on air until the end."""

    @property
    def partial(self) -> bool:
        """Some legs failed alone while others stayed on air to the end."""
        return bool(self.failed_legs) and bool(self.on_air)


class GoLive:
    def __init__(
        self,
        ctx: LegContext,
        legs: Sequence[Leg],
        *,
        pipeline_factory: PipelineFactory | None,
        extra_destinations: Sequence[Destination] = (),
        duration: float | None = None,
        journal: Journal | None = None,
        resume_session: int | None = None,
        all_or_nothing: bool = False,
    ) -> None:
        if not legs and not extra_destinations:
            raise StudioError(
                "Nothing to go live on.",
                fix="Choose --retake, --basefm, --clawcast or add --rtmp URL.",
            )
        self.ctx = ctx
        self.legs = list(legs)
        self.pipeline_factory = pipeline_factory
        self.extra = list(extra_destinations)
        self.duration = duration
        self.journal = journal
        self.resume_session = resume_session
        self.all_or_nothing = all_or_nothing
        self.failed: dict[str, str] = {}
        self._ended: dict[str, Any] = {}
        self.pipeline: Pipeline | None = None
        self.audio: AudioDesk | None = None
        """The stream's sound (speech, music, mixer) once the broadcast has a sound server."""
        self.state = "idle"
        self._stop = asyncio.Event()
        self._stop_reason = "stopped by the operator"
        self._destinations: dict[str, Destination] = {}
        self._unlisten: Callable[[], None] | None = None
        self.detach_kiosk: Callable[[], None] = lambda: None
        """Takes the kiosk's listener off the bus (set by ``assemble.build``)."""
        ctx.join = self._join

    # -- control --------------------------------------------------------------------
    def request_stop(self, reason: str = "stopped by the operator") -> None:
        """End the broadcast cleanly (signal handlers and the console call this)."""
        if not self._stop.is_set():
            self._stop_reason = reason
            self._stop.set()

    def reconnect_now(self) -> None:
        """Skip the watchdog's current wait (the operator's 'reconnect now')."""
        if self.pipeline is not None:
            self.pipeline.reconnect_now()

    def _enter(self, state: str) -> None:
        self.state = state
        self.ctx.publish(StateChanged(state=state))

    # -- the sequence -----------------------------------------------------------------
    async def run(self) -> Outcome:
        self._open_journal()
        errors: list[str] = []
        prepared: list[Leg] = []
        reason = "finished"
        ok = True
        final = True  # operator, planned end or platform: paid sessions may end
        try:
            self._enter("preparing")
            for leg in self.legs:
                prepared.append(leg)
                await self._stage(leg, "prepare", leg.prepare())
            self._require_a_leg()
            self._enter("broadcasting")
            await self._until_stopped(self._start_broadcast())
            self._enter("confirming")
            rtmp_legs = [leg for leg in self._going() if leg.pushes_rtmp]
            await self._until_stopped(
                asyncio.gather(
                    *(self._stage(leg, "confirm_live", leg.confirm_live()) for leg in rtmp_legs)
                )
            )
            self._require_a_leg()
            self._enter("live")
            reason = await self._live()
        except _Stopped:
            reason = self._stop_reason
        except StudioError as exc:
            ok, final = False, False
            reason = exc.message
            errors.append(str(exc))
            self.ctx.publish(Failed(platform="studio", error=exc.message, fix=exc.fix))
        except Exception as exc:  # an unexpected failure still ends every session
            ok, final = False, False
            reason = f"unexpected error: {type(exc).__name__}: {exc}"
            errors.append(reason)
            log.exception("go-live failed")
            self.ctx.publish(Failed(platform="studio", error=reason))
        finally:
            self._enter("stopping")
            on_air = [leg.platform for leg in prepared if leg.platform not in self._ended]
            summary, stop_errors = await self._stop_everything(prepared, final=final)
            errors += stop_errors
            ok = ok and not stop_errors and not self.failed
            if self.failed:
                reason += "; " + "; ".join(f"{p} failed ({why})" for p, why in self.failed.items())
            self._enter("ended")
            self._close_journal(ok, summary)
            self.ctx.publish(
                SessionEnded(
                    session_id=self.ctx.session_id,
                    ok=ok,
                    reason=reason,
                    summary=summary,
                    failed=dict(self.failed),
                )
            )
        return Outcome(
            ok=ok,
            reason=reason,
            session_id=self.ctx.session_id,
            summary=summary,
            errors=errors,
            failed_legs=dict(self.failed),
            on_air=on_air if final else [],
        )

    def _going(self) -> list[Leg]:
        """The legs still in the broadcast (not dropped)."""
        return [leg for leg in self.legs if leg.platform not in self._ended]

    def _require_a_leg(self) -> None:
        if not self._going() and not self.extra:
            raise StudioError(
                "every platform failed, so nothing is on air",
                fix="Read the failures above, correct them, then go live again.",
            )

    async def _stage(self, leg: Leg, stage: str, awaitable: Any) -> None:
        """Run one leg's stage; a failure drops that leg alone (unless all-or-nothing)."""
        try:
            await self._until_stopped(awaitable)
        except _Stopped:
            raise
        except Exception as exc:  # noqa: BLE001 - one leg's failure is that leg's alone
            if self.all_or_nothing:
                raise
            await self._drop(leg, stage, exc)

    async def _drop(self, leg: Leg, stage: str, exc: BaseException) -> None:
        """End one failed leg alone: report it, stop it (keeping anything paid) and
        take its destination out of the encode."""
        if isinstance(exc, StudioError):
            error, fix = exc.message, exc.fix
        else:
            log.error("%s failed at %s", leg.platform, stage, exc_info=exc)
            error, fix = f"unexpected error: {type(exc).__name__}: {exc}", None
        self.failed[leg.platform] = f"{stage}: {error}"
        self._ended[leg.platform] = None
        remaining = [x.platform for x in self._going()] + [d.name for d in self.extra]
        self.ctx.publish(
            LegDropped(
                platform=leg.platform, stage=stage, error=error, fix=fix, remaining=remaining
            )
        )
        stats, stop_error = await self._stop_leg(leg, final=False)
        self._ended[leg.platform] = stats
        if stop_error:
            self.ctx.publish(Failed(platform=leg.platform, error=stop_error))
        await self._leg_finished(leg)

    async def _until_stopped(self, awaitable: Any) -> Any:
        """Await ``awaitable`` unless a stop is requested first."""
        task = asyncio.ensure_future(awaitable)
        stopper = asyncio.ensure_future(self._stop.wait())
        try:
            await asyncio.wait({task, stopper}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            stopper.cancel()
        if not task.done():
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
            raise _Stopped
        return task.result()

    async def _start_broadcast(self) -> None:
        for leg in self._going():
            if leg.pushes_rtmp:
                await self._stage(leg, "destination", self._fetch_destination(leg))
        self._require_a_leg()
        destinations = [*self._destinations.values(), *self.extra]
        if not destinations or self.pipeline_factory is None:
            return
        self.pipeline = self.pipeline_factory(destinations, self._refresh_all, self._refresh_one)
        await self.pipeline.start()

    async def _fetch_destination(self, leg: Leg) -> None:
        destination = await leg.destination()
        if destination is not None:
            self._destinations[leg.platform] = destination

    async def _refresh_all(self) -> list[Destination]:
        """After a crash: fresh destinations from every RTMP leg (never an old key)."""
        for leg in self.legs:
            if leg.pushes_rtmp and leg.platform in self._destinations:
                fresh = await leg.refresh()
                if fresh is not None:
                    self._destinations[leg.platform] = fresh
        return [*self._destinations.values(), *self.extra]

    async def _refresh_one(self, destination: Destination) -> Destination:
        for leg in self.legs:
            if leg.platform == destination.name:
                fresh = await leg.refresh()
                if fresh is not None:
                    self._destinations[leg.platform] = fresh
                    return fresh
        return destination

    async def _live(self) -> str:
        tasks: dict[asyncio.Task[Any], Leg] = {
            asyncio.create_task(self._leg_on_air(leg), name=f"on-air-{leg.platform}"): leg
            for leg in self._going()
        }
        stopper = asyncio.create_task(self._stop.wait())
        timer = asyncio.create_task(asyncio.sleep(self.duration)) if self.duration else None
        if self.duration:
            self.ctx.planned_end = asyncio.get_running_loop().time() + self.duration
        others = {stopper, *([timer] if timer else [])}
        running = set(tasks)
        try:
            while True:
                done, _ = await asyncio.wait(running | others, return_when=asyncio.FIRST_COMPLETED)
                if stopper in done:
                    return self._stop_reason
                if timer is not None and timer in done:
                    return f"the planned duration ({self.duration:g} s) is over"
                for task in done & running:
                    running.discard(task)
                    failure = task.exception()
                    if failure is not None:
                        await self._drop(tasks[task], "on_air", failure)
                    else:
                        await self._leg_finished(tasks[task])
                if not running and not (self._destinations or self.extra):
                    if self._going():
                        return "every platform finished"
                    return "every platform failed"
        finally:
            for task in (*tasks, *others):
                task.cancel()
            for task in (*tasks, *others):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    async def _leg_finished(self, leg: Leg) -> None:
        """The platform ended this leg (a slot is over, baseFM's 2-hour limit), or it was
        dropped: the stream stops going to its destination and the others stay live.
        A relayed destination's relay stops alone; one the encode's tee still carries
        can only leave with a new encode (see ``BroadcastPipeline.remove_destination``)."""
        if self._destinations.pop(leg.platform, None) is None or self.pipeline is None:
            return
        try:
            await self.pipeline.remove_destination(leg.platform, f"{leg.platform} has ended")
        except Exception as exc:  # noqa: BLE001 - the watchdog recovers the encode
            log.error("taking %s out of the broadcast failed", leg.platform, exc_info=exc)
            self.ctx.publish(
                Failed(
                    platform="studio",
                    error=f"the encode could not restart without {leg.platform}: {exc}",
                    fix="The watchdog keeps trying; `kill -USR1` reconnects at once.",
                )
            )

    async def _join(self, leg: Leg) -> None:
        """A leg that was waiting (baseFM's cooldown) joins the broadcast: its
        destination is added to the running encode through its own relay, so the
        other destinations stay connected; with no pipeline yet, one starts with it."""
        destination = await leg.destination()
        if destination is None:
            return
        self._destinations[leg.platform] = destination
        destinations = [*self._destinations.values(), *self.extra]
        if self.pipeline is not None:
            await self.pipeline.add_destination(destination)
            self.ctx.publish(
                Notice(
                    platform=leg.platform,
                    text=f"{leg.platform} joins the broadcast on its own connection; the "
                    "other destinations stay live",
                )
            )
        elif self.pipeline_factory is not None:
            self.pipeline = self.pipeline_factory(
                destinations, self._refresh_all, self._refresh_one
            )
            await self.pipeline.start()

    async def _leg_on_air(self, leg: Leg) -> None:
        try:
            await leg.on_air()
        except LegFinished as finished:
            log.info("%s finished: %s", leg.platform, finished)
            leg.live = False
            self.ctx.publish(PlatformOffAir(platform=leg.platform, reason=str(finished)))

    async def _stop_leg(self, leg: Leg, *, final: bool) -> tuple[Any, str | None]:
        """Stop one leg within the stop timeout: its stats, or what went wrong."""
        try:
            return await asyncio.wait_for(leg.stop(final=final), self.ctx.timing.stop_timeout), None
        except TimeoutError:
            return None, (
                f"{leg.platform}: stopping took longer than {self.ctx.timing.stop_timeout:g} s"
            )
        except StudioError as exc:
            return None, str(exc)
        except Exception as exc:  # noqa: BLE001 - every leg must get its chance to stop
            log.exception("stopping %s failed", leg.platform)
            return None, f"{leg.platform}: {type(exc).__name__}: {exc}"

    async def _stop_everything(
        self, prepared: list[Leg], *, final: bool
    ) -> tuple[dict[str, Any], list[str]]:
        """Stop every leg still going. ``final`` is false when the broadcast failed: then
        a paid session is left armed for the next go-live to recover."""
        summary: dict[str, Any] = {}
        errors: list[str] = []
        for leg in reversed(prepared):
            if leg.platform in self._ended:
                summary[leg.platform] = self._ended[leg.platform]
                continue
            stats, error = await self._stop_leg(leg, final=final)
            if error is not None:
                errors.append(error)
            else:
                summary[leg.platform] = stats
        if self.audio is not None:
            await self.audio.close()
        if self.pipeline is not None:
            try:
                await self.pipeline.stop()
            except Exception as exc:  # noqa: BLE001
                errors.append(f"broadcast: {exc}")
        for error in errors:
            self.ctx.publish(Failed(platform="studio", error=error))
        return summary, errors

    # -- journal ----------------------------------------------------------------------
    def _open_journal(self) -> None:
        platforms = [leg.platform for leg in self.legs] + [d.name for d in self.extra]
        if self.journal is not None:
            if self.resume_session is not None:
                self.ctx.session_id = self.resume_session
                self.journal.adopt(self.resume_session, pid=os.getpid())
            else:
                self.ctx.session_id = self.journal.open_session(platforms, pid=os.getpid())
            self.ctx.journal = JournalWriter(self.journal)
            self._unlisten = self.ctx.bus.add_listener(JournalFeed(self.ctx))
        if self.ctx.session_id is not None:
            self.ctx.publish(SessionStarted(session_id=self.ctx.session_id, platforms=platforms))

    def _close_journal(self, ok: bool, summary: dict[str, Any]) -> None:
        writer = self.ctx.journal
        if writer is None or self.ctx.session_id is None:
            return
        if self._unlisten is not None:
            self._unlisten()
        sid = self.ctx.session_id
        writer.submit(
            lambda j: j.close_session(sid, status="ended" if ok else "failed", summary=summary)
        )
        writer.flush_and_close()
        self.ctx.journal = None


class _Stopped(Exception):
    pass
