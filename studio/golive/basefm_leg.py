"""baseFM's part: create the Mux stream (a 402 asks the operator for the $5 USDC
txHash), keep the session token, poll streams/status, sync when ``pickupRecommended``,
respect the 2-hour limit, DELETE at the end."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from studio.broadcast.destinations import Destination
from studio.errors import Problem, StudioError, ValidationFailed
from studio.golive.events import Notice, PlatformLive, PlatformStopped, StreamHealth
from studio.golive.leg import Leg, LegContext, LegFinished
from studio.golive.operator import Need
from studio.platforms.basefm import BasefmClient
from studio.platforms.basefm_errors import (
    BasefmCooldownActive,
    BasefmPaymentRejected,
    BasefmPaymentRequired,
    BasefmWrongWallet,
)
from studio.platforms.basefm_models import CreateStreamResponse, StreamStatusResponse
from studio.redaction import reveal
from studio.validation.basefm import check_wallet, transaction_hash

log = logging.getLogger(__name__)

COOLDOWN_CHOICES = ("retry", "give up")


def cooldown_choice(value: str) -> str:
    """The operator's answer to baseFM's cooldown: ``retry`` now or ``give up`` baseFM."""
    choice = " ".join(value.strip().lower().replace("_", " ").split())
    if choice not in COOLDOWN_CHOICES:
        raise ValidationFailed(
            [Problem("answer", "must be retry or give up")], what="baseFM cooldown"
        )
    return choice


ENDING_MARGIN = 60.0
"""End the baseFM leg this long before the 2-hour limit, so the DELETE is ours."""


def listen_url(status: StreamStatusResponse) -> str | None:
    """The listen URL baseFM's status gives: the first-party page, else the origin's HLS
    URL, else the Mux playback URL built from the playback ID."""
    dist = status.distribution
    if dist is not None:
        if dist.firstParty is not None and dist.firstParty.pageUrl:
            return dist.firstParty.pageUrl
        if dist.origin.hlsUrl:
            return dist.origin.hlsUrl
    playback = (status.mux.playbackId if status.mux else None) or (
        status.session.playbackId if status.session else None
    )
    return f"https://stream.mux.com/{playback}.m3u8" if playback else None


class BasefmLeg(Leg):
    platform = "basefm"

    def __init__(
        self,
        ctx: LegContext,
        client: BasefmClient,
        *,
        wallet: str,
        name: str | None = None,
        city: str | None = None,
        tx_hash: str | None = None,
    ) -> None:
        super().__init__(ctx)
        self.client = client
        self.wallet = wallet
        self.name = name
        self.city = city
        self.tx_hash = tx_hash
        self.created: CreateStreamResponse | None = None
        self.ends_at: float | None = None
        self.syncs = 0
        self.health: str | None = None
        self.listen_url: str | None = None
        """Where listeners tune in: the station page, else the HLS stream."""
        self._stats: dict[str, Any] | None = None
        self.cooldown_until: float | None = None
        """While baseFM's 429 keeps this wallet out: when it is retried by itself."""

    async def prepare(self) -> None:
        async with self.step("stream", "POST /api/basefm/streams"):
            try:
                self.created = await self._create()
            except BasefmCooldownActive as cooling:
                self._cooling(cooling)
                return
        self._armed()

    async def _create(self) -> CreateStreamResponse:
        """POST the stream, asking the operator for what baseFM wants (fee, wallet)."""
        try:
            return await self.client.create_stream(self.wallet, self.name, self.city, self.tx_hash)
        except BasefmPaymentRequired as required:
            return await self._pay(required.fee)
        except BasefmWrongWallet as wrong:
            return await self._claimed_wallet(wrong)
        except BasefmPaymentRejected as rejected:
            if self.tx_hash is None:
                raise
            self._rejected(self.tx_hash, rejected)
            return await self._pay(None, rejected=(self.tx_hash, rejected.reason))
        finally:
            self._warn_if_unsaved()

    def _armed(self) -> None:
        assert self.created is not None
        session = self.created.session
        remaining = session.remaining if session.remaining is not None else session.maxDuration
        self.ends_at = self.ctx.clock() + remaining
        how = (
            "recovered the session a previous run created"
            if self.created.reconnected
            else "stream armed"
        )
        self.ctx.publish(
            Notice(
                platform=self.platform,
                text=f"baseFM: {how}; {remaining // 60} minutes left of the 2-hour limit",
            )
        )

    # -- 429: the wallet's cooldown ------------------------------------------------------

    def _cooling(self, cooling: BasefmCooldownActive) -> None:
        """429 at the start: the other legs go live now; this one waits (``on_air``)."""
        now = self.ctx.clock()
        if cooling.available_at is not None:
            self.cooldown_until = cooling.available_at
        else:
            self.cooldown_until = now + (cooling.remaining if cooling.remaining is not None else 60)
        self.ctx.publish(
            Notice(
                platform=self.platform,
                level="warning",
                text=f"baseFM: {cooling.message}. The other platforms go on; baseFM joins "
                "when the cooldown ends (or retry now, or give up baseFM alone).",
            )
        )

    async def _through_cooldown(self) -> None:
        """Wait out the cooldown as an operator step that counts down: it is retried by
        itself when it ends, at once on ``retry``, and ``give up`` ends this leg alone."""
        while self.created is None:
            assert self.cooldown_until is not None
            until = self.cooldown_until
            need = Need(
                platform=self.platform,
                need="cooldown",
                prompt="baseFM allows one session a day per wallet: it is retried by itself "
                "when the cooldown ends. Answer retry to try now, or give up to go on "
                "without baseFM (the other platforms stay live).",
                validate=cooldown_choice,
                data={"until": until, "wallet": self.wallet, "choices": list(COOLDOWN_CHOICES)},
                flags="studio answer cooldown retry|give up",
            )
            choice = await self._answer_or_sleep(need, max(0.0, until - self.ctx.clock()))
            if choice == "give up":
                self.ctx.publish(
                    Notice(platform=self.platform, text="baseFM: given up by the operator")
                )
                raise LegFinished("the operator gave up baseFM during its cooldown")
            try:
                self.created = await self._create()
            except BasefmCooldownActive as again:
                self._cooling(again)
        self.cooldown_until = None
        self._armed()
        assert self.ctx.join is not None, "the sequence adds a late leg to the broadcast"
        await self.ctx.join(self)
        await self.confirm_live()

    async def _answer_or_sleep(self, need: Need, seconds: float) -> str:
        """The operator's choice, or ``retry`` once ``seconds`` have passed."""
        asked = asyncio.ensure_future(self.ctx.operator.answer(need))
        timer = asyncio.ensure_future(self.ctx.sleep(seconds))
        try:
            await asyncio.wait({asked, timer}, return_when=asyncio.FIRST_COMPLETED)
            if asked.done() and asked.exception() is None:
                return asked.result()
            if not timer.done():  # no operator to ask (answers given up front): wait
                await timer
            return "retry"
        finally:
            for task in (asked, timer):
                task.cancel()
            for task in (asked, timer):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def _warn_if_unsaved(self) -> None:
        error = self.client.store_error
        if error is None or self.client.held is None:
            return
        self.ctx.publish(
            Notice(
                platform=self.platform,
                level="warning",
                text=f"baseFM: the session token could not be saved ({error.strerror or error}); "
                "it is kept in memory, so this run can still use and end the session, but a "
                "restarted studio could not recover it. Free some disk space now.",
            )
        )

    def _rejected(self, tx_hash: str, exc: BasefmPaymentRejected) -> None:
        self.ctx.publish(
            Notice(
                platform=self.platform,
                level="warning",
                text=f"baseFM rejected the payment {tx_hash}: {exc.reason}",
            )
        )

    async def _pay(
        self, fee_value: float | None, *, rejected: tuple[str, str] | None = None
    ) -> CreateStreamResponse:
        """Ask for the payment's txHash; after a rejection, ask again for the hash of the
        payment already sent, never for a second payment."""
        fee = f"${fee_value:g} USDC" if fee_value is not None else "the session fee"

        def valid_hash(value: str) -> str:
            try:
                return transaction_hash(value)
            except ValueError as exc:
                raise ValidationFailed([Problem("txHash", str(exc))], what="txHash") from None

        first = (
            f"baseFM needs a paid session: this wallet ({self.wallet}) holds no BASEFM tokens. "
            f"Send {fee} on Base from this wallet to the platform wallet, then give the "
            "transaction hash (0x followed by 64 hex digits)."
        )
        for _ in range(3):
            need = Need(
                platform=self.platform,
                need="tx_hash",
                prompt=first if rejected is None else self._again(*rejected),
                validate=valid_hash,
                data={
                    "fee": fee_value,
                    "wallet": self.wallet,
                    **(
                        {"rejected_tx_hash": rejected[0], "rejected_reason": rejected[1]}
                        if rejected
                        else {}
                    ),
                },
            )
            tx_hash = await self.ctx.operator.answer(need)
            try:
                return await self.client.create_stream(self.wallet, self.name, self.city, tx_hash)
            except BasefmPaymentRejected as exc:
                self._rejected(tx_hash, exc)
                rejected = (tx_hash, exc.reason)
        raise StudioError(
            f"baseFM did not accept the payment {rejected[0] if rejected else ''}".rstrip(),
            fix="Do not pay again. Check that transaction on Base (a confirmed USDC transfer "
            "from this wallet to the platform wallet); once it is confirmed, go live again "
            "with --tx-hash and its hash.",
        )

    async def _claimed_wallet(self, wrong: BasefmWrongWallet) -> CreateStreamResponse:
        """403: the community guest pass works only with the claimed Agentbot wallet. Ask
        for the wallet to stream from (baseFM names the one it expects), then create the
        stream with it; from a wallet without the pass that means the fee (402)."""
        for _ in range(3):
            need = Need(
                platform=self.platform,
                need="wallet",
                prompt=(
                    f"baseFM refused this wallet ({self.wallet}): {wrong.message}. Give the "
                    "wallet to stream from: the claimed Agentbot wallet keeps the guest "
                    "pass; any other pays the session fee."
                ),
                validate=check_wallet,
                data={"expected": wrong.expected, "wallet": self.wallet},
                flags="--basefm-wallet",
            )
            self.wallet = await self.ctx.operator.answer(need)
            try:
                return await self.client.create_stream(
                    self.wallet, self.name, self.city, self.tx_hash
                )
            except BasefmWrongWallet as again:
                wrong = again
            except BasefmPaymentRequired as required:
                return await self._pay(required.fee)
        raise StudioError(
            f"baseFM refused the wallet {self.wallet}: {wrong.message}",
            fix=f"Go live with --basefm-wallet {wrong.expected or '<the claimed wallet>'}.",
        )

    def _again(self, tx_hash: str, reason: str) -> str:
        return (
            f"baseFM rejected the payment {tx_hash}: {reason}. Do not send another payment "
            "for this stream. Give the hash of the payment you already sent (0x followed by "
            "64 hex digits): correct it if it was mistyped, or give it again once the "
            "transaction is confirmed on Base."
        )

    def _destination_of(self, created: CreateStreamResponse) -> Destination:
        stream = created.stream
        self.ctx.protect(stream.streamKey, stream.fullRtmpUrl, created.session.accessToken)
        if stream.fullRtmpUrl is not None:
            return Destination(name=self.platform, url=stream.fullRtmpUrl)
        if stream.rtmpUrl and stream.streamKey is not None:
            return Destination.from_parts(self.platform, stream.rtmpUrl, reveal(stream.streamKey))
        raise StudioError(
            "baseFM gave no RTMP URL or stream key for the session",
            fix="Check the session with `GET /api/basefm/streams`; end it and create a new one.",
        )

    async def destination(self) -> Destination | None:
        """None while the wallet's cooldown keeps baseFM out of the encode."""
        if self.created is None and self.cooldown_until is not None:
            return None
        assert self.created is not None, "prepare() first"
        return self._destination_of(self.created)

    async def refresh(self) -> Destination:
        """After a crash: the session's current controls (Mux keys do not rotate)."""
        current = await self.client.session()
        if current.active and current.stream is not None:
            stream = current.stream
            if stream.fullRtmpUrl is not None:
                return Destination(name=self.platform, url=stream.fullRtmpUrl)
        fallback = await self.destination()
        assert fallback is not None
        return fallback

    async def confirm_live(self) -> None:
        if self.created is None and self.cooldown_until is not None:
            return  # confirmed once it joins, after the cooldown
        timing = self.ctx.timing
        async with self.step(
            "confirm_live", "GET /api/basefm/streams/status until Mux sees the ingest"
        ):
            waited = 0.0
            while True:
                if await self._check_status():
                    break
                if waited >= timing.basefm_live_timeout:
                    raise StudioError(
                        f"baseFM's Mux stream did not become active within {timing.basefm_live_timeout:g} s",
                        fix="Check the encoder's baseFM destination state; the session stays armed until "
                        "the 2-hour limit, so going live again recovers it.",
                    )
                await self.ctx.sleep(timing.status_poll)
                waited += timing.status_poll
        self.live = True
        self.ctx.publish(PlatformLive(platform=self.platform, url=self.listen_url))

    async def _check_status(self) -> bool:
        """One status poll; syncs the session when baseFM recommends it. True when live."""
        status = await self.client.stream_status()
        self.health = status.streamHealth
        self.listen_url = listen_url(status) or self.listen_url
        if status.pickupRecommended:
            synced = await self.client.sync_status()
            self.syncs += 1
            if synced.synced:
                self.ctx.publish(
                    Notice(platform=self.platform, text="baseFM: session synced to live")
                )
                return True
        mux_active = status.mux is not None and status.mux.status == "active"
        session_live = status.session is not None and status.session.status == "live"
        return mux_active and session_live

    async def on_air(self) -> None:
        if self.created is None and self.cooldown_until is not None:
            await self._through_cooldown()
        while True:
            left = (self.ends_at or float("inf")) - self.ctx.clock()
            if left <= ENDING_MARGIN:
                self.ctx.publish(
                    Notice(
                        platform=self.platform,
                        level="warning",
                        text="baseFM: the 2-hour session limit is reached; ending the baseFM session",
                    )
                )
                await self.stop()
                raise LegFinished("baseFM's 2-hour limit")
            await self.ctx.sleep(
                min(self.ctx.timing.basefm_status_every, max(1.0, left - ENDING_MARGIN))
            )
            try:
                await self._check_status()
            except StudioError as exc:
                log.warning("baseFM status failed: %s", exc)
                self.ctx.publish(
                    Notice(
                        platform=self.platform,
                        level="warning",
                        text=f"{exc.message}; asking again in "
                        f"{self.ctx.timing.basefm_status_every:g} s",
                    )
                )
            self.ctx.publish(StreamHealth(platform=self.platform, health=self.health))

    async def stop(self, *, final: bool = True) -> dict[str, Any]:
        """DELETE the session only when the broadcast ends for good (the operator, the
        planned end, the 2-hour limit): the DELETE starts baseFM's 24-hour cooldown and
        throws the payment away. Otherwise the session stays armed with its token kept,
        and going live again recovers it."""
        if self._stats is not None:  # ended already (the 2-hour limit)
            return self._stats
        stats: dict[str, Any] = {"syncs": self.syncs, "health": self.health}
        if self.created is None and self.client.create_uncertain is not None:
            self.live = False
            self._stats = {**stats, "ended": "unknown"}
            raise self.client.create_uncertain
        if self.created is None and self.client.held is not None:
            final = False  # created as the studio stopped: never used, so kept for next time
        if self.client.held is not None:
            if final:
                async with self.step("end_session", "DELETE /api/basefm/streams"):
                    reply = await self.client.end_session()
                    stats["ended"] = reply.message
            else:
                stats["ended"] = "left armed"
                self.ctx.publish(
                    Notice(
                        platform=self.platform,
                        level="warning",
                        text="baseFM: the paid session is left armed (its token is kept); "
                        "go live with the same wallet again to recover it before the "
                        "2-hour limit",
                    )
                )
        self.live = False
        self._stats = stats
        self.ctx.publish(PlatformStopped(platform=self.platform, stats=stats))
        return stats
