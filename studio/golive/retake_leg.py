"""retake.tv's part, steps 1 to 10 of its skill document.

1 credentials: without any, registration as an operator step
(``studio.golive.retake_registration``) · 1b the verified gate, waiting for
the operator's tweet when unverified · 2 fresh RTMP keys, every stream, no exceptions
· 3 stream/start (saving token address and ticker on the first stream) · 4 the
display and encoder (the sequence) · 5 status every 3 s until is_live (30 s) · 6 the
initial thumbnail · 7 the opening chat message · 8 the chat and thumbnail loops ·
9 the builder notification (``studio.golive.playbook``, once every platform has its
link) · 10 stream/stop with its final stats.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from studio.backoff import Backoff
from studio.broadcast.destinations import Destination
from studio.errors import StudioError, ValidationFailed
from studio.events import Event
from studio.golive.chat_bridge import ChatBridge
from studio.golive.events import (
    ChatSent,
    Notice,
    PlatformLive,
    PlatformStopped,
    ThumbnailUploaded,
    Viewers,
)
from studio.golive.leg import Leg, LegContext
from studio.golive.notify import stream_url
from studio.golive.operator import Need
from studio.golive.retake_registration import registration_body, registration_need
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_credentials import (
    RetakeCredentials,
    credentials_from_registration,
    save_credentials,
    update_token_info,
)
from studio.platforms.retake_errors import (
    RetakeError,
    RetakeNoActiveSession,
    RetakeVerificationError,
)
from studio.validation import check
from studio.validation.retake import VerifyRequest, check_avatar

log = logging.getLogger(__name__)

OPENING = "I'm live. What should we explore today?"

THUMBNAIL_RETRY = Backoff(first=10.0, factor=2.0, cap=120.0, jitter=0.2, attempts=None)
"""After a failed thumbnail: again in 10 s, 20 s, 40 s … never later than the refresh."""

ChatFeedFactory = Callable[[RetakeClient, str, Callable[[Event], None]], Any]
"""Builds the chat feed (Socket.IO with REST backfill, or REST polling): an object with
``async start()``, ``async stop()`` and ``async join(room)`` that calls back with typed
chat, tip, trade and follow events. The leg has it join the agent's own token's
``trades_{address}`` room, so live trades reach the bus."""


class RetakeLeg(Leg):
    platform = "retake"

    def __init__(
        self,
        ctx: LegContext,
        client: RetakeClient,
        creds: RetakeCredentials,
        *,
        paths: Any = None,
        opening_message: str = OPENING,
        skill_cache: Path | None = None,
        chat_feed: ChatFeedFactory | None = None,
        account_secrets: Sequence[Any] = (),
        avatar_transport: Any = None,
    ) -> None:
        super().__init__(ctx)
        self.client = client
        self.creds = creds
        self.paths = paths
        self.opening_message = opening_message
        self.skill_cache = skill_cache
        self.chat_feed_factory = chat_feed
        self.account_secrets = list(account_secrets)
        """The account's other secrets (the Privy user JWT): masked on air like the keys."""
        self.avatar_transport = avatar_transport
        """What a registration's avatar is fetched over (the network; the sandbox in tests)."""
        self.user_db_id = creds.user_db_id or ""
        self.agent_name = creds.agent_name or ""
        self.chat = ChatBridge(platform=self.platform, streamer=self.agent_name, clock=ctx.clock)
        self.keys_fetched = 0
        self.thumbnails = 0
        self.last_viewers: int | None = None
        self.token_address: str | None = creds.token_address or None
        self._feed: Any = None

    @property
    def watch_url(self) -> str:
        return stream_url(self.client.origin, self.agent_name)

    # -- before the broadcast ---------------------------------------------------------
    async def prepare(self) -> None:
        async with self.step("skill_version", "checking skill.json before going live"):
            skill = await self.client.check_skill_version(cache_dir=self.skill_cache)
            if skill.changed and skill.cached is not None:
                self.ctx.publish(
                    Notice(
                        platform=self.platform,
                        level="warning",
                        text=f"retake.tv's skill document changed ({skill.cached} → {skill.version}); "
                        "the new one is saved in the studio's state folder. Read it before the next stream.",
                    )
                )
        if not self.client.has_token:
            async with self.step("register", "waiting for the operator's registration"):
                await self._register_with_operator()
        async with self.step("verified", "GET /agent/verification-status"):
            if not await self.client.verification_status():
                await self._verify_with_operator()

    async def _register_with_operator(self) -> None:
        """No credentials: the operator gives the registration's fields; the answer is
        checked field by field (nothing sent while one is wrong), then registered and
        saved 0600 as ``studio retake register`` saves it. Its avatar is checked as that
        command checks it (fetched: a square JPEG or PNG), else said and asked again."""
        need = registration_need(self.platform)
        for _ in range(5):
            body = registration_body(await self.ctx.operator.answer(need))
            try:
                said = await check_avatar(body.image_url, transport=self.avatar_transport)
            except ValidationFailed as exc:  # nothing sent: the operator gives another
                self.ctx.publish(Notice(platform=self.platform, level="warning", text=str(exc)))
                continue
            self.ctx.publish(Notice(platform=self.platform, text=f"retake.tv avatar: {said}"))
            try:
                reply = await self.client.register(body)
            except RetakeError as exc:  # a name taken, a refusal: ask again
                self.ctx.publish(Notice(platform=self.platform, level="warning", text=str(exc)))
                continue
            self.creds = credentials_from_registration(
                reply, agent_name=body.agent_name, ticker=body.ticker, origin=self.client.origin
            )
            path = save_credentials(self.paths, self.creds)
            self.agent_name, self.user_db_id = body.agent_name, reply.user_db_id
            self.token_address = self.creds.token_address or None
            self.chat = ChatBridge(
                platform=self.platform, streamer=self.agent_name, clock=self.ctx.clock
            )
            self.ctx.publish(
                Notice(
                    platform=self.platform,
                    text=f"retake.tv: registered as {self.agent_name}; credentials saved to {path}",
                )
            )
            return
        raise StudioError(
            "retake.tv registration did not succeed",
            fix="Read the warnings above, then register with `studio retake register`.",
        )

    async def _verify_with_operator(self) -> None:
        prompt = await self.client.prepare_verify()
        message = prompt.verification_message

        def valid_tweet(value: str) -> str:
            return check(VerifyRequest, {"tweet_url": value.strip()}, what="tweet URL").tweet_url

        need = Need(
            platform=self.platform,
            need="tweet_url",
            prompt=(
                "retake.tv needs your human to verify this agent. Post this exact message in a "
                f"tweet:\n\n    {message}\n\nThen give the link to the tweet "
                "(https://x.com/<user>/status/<digits>)."
            ),
            validate=valid_tweet,
            data={"verification_message": message},
        )
        for _ in range(5):
            tweet_url = await self.ctx.operator.answer(need)
            try:
                result = await self.client.verify(tweet_url)
            except RetakeVerificationError as exc:
                self.ctx.publish(Notice(platform=self.platform, level="warning", text=str(exc)))
                continue
            if result.verified:
                self.ctx.publish(Notice(platform=self.platform, text="retake.tv: verified"))
                return
            self.ctx.publish(
                Notice(
                    platform=self.platform,
                    level="warning",
                    text="retake.tv did not verify that tweet yet",
                )
            )
        raise StudioError(
            "retake.tv verification did not succeed",
            fix="Ask your human to post the exact verification message, then run `studio retake verify`.",
        )

    async def destination(self) -> Destination:
        """Fresh keys from /agent/rtmp, then /agent/stream/start: never an old key."""
        async with self.step("rtmp_keys", "POST /agent/rtmp"):
            rtmp = await self.client.rtmp()
            self.keys_fetched += 1
        async with self.step("stream_start", "POST /agent/stream/start"):
            started = await self.client.stream_start()
            token = started.token
            if token is not None and token.token_address:
                self.token_address = token.token_address
            if token is not None and token.token_address and not self.creds.token_address:
                self.creds = update_token_info(
                    self.paths, token_address=token.token_address, ticker=token.ticker
                )
                self.ctx.publish(
                    Notice(
                        platform=self.platform,
                        text=f"token {token.ticker or ''} created: {token.token_address}",
                    )
                )
        self.ctx.protect(rtmp.key, self.creds.access_token, *self.account_secrets)
        return Destination.from_parts(self.platform, rtmp.url, rtmp.key.get_secret_value())

    async def confirm_live(self) -> None:
        # The chat feed starts now, not once live: a viewer's first line while the
        # stream is being confirmed must not be taken for history and skipped.
        await self._start_feed()
        timing = self.ctx.timing
        async with self.step(
            "confirm_live", f"polling stream/status every {timing.status_poll:g} s"
        ):
            loop_time = asyncio.get_running_loop().time
            deadline = loop_time() + timing.live_timeout
            while True:
                try:
                    status = await self.client.stream_status()
                except StudioError as exc:  # one bad answer is not the verdict: ask again
                    self.ctx.publish(Notice(platform=self.platform, level="warning", text=str(exc)))
                else:
                    if status.is_live:
                        break
                if loop_time() >= deadline:
                    raise StudioError(
                        f"retake.tv did not report the stream live within {timing.live_timeout:g} s",
                        fix="Check the encoder's destination state (`studio doctor`), then go live again "
                        "with fresh keys.",
                    )
                await self.ctx.sleep(timing.status_poll)
        self.live = True
        self.last_viewers = status.viewers
        self.ctx.publish(
            PlatformLive(
                platform=self.platform,
                url=self.watch_url,
                viewers=status.viewers,
                name=self.agent_name,
                uptime_seconds=float(status.uptime_seconds),
                token_ticker=self.creds.token_ticker or self.creds.ticker or None,
                chat=self.chat_feed_factory is not None,
            )
        )

    # -- on air ---------------------------------------------------------------------
    async def on_air(self) -> None:
        thumbnail_ok = await self.upload_thumbnail(first=True)
        async with self.attempt("opening_chat", then="the broadcast goes on without it"):
            await self.client.chat_send(self.opening_message, self.user_db_id)
            self.ctx.publish(ChatSent(platform=self.platform, text=self.opening_message))
        async with self.attempt("chat_feed", then="chat is read again when the feed restarts"):
            await self._start_feed()
        await asyncio.gather(
            self._thumbnail_loop(retry_first=not thumbnail_ok), self._viewers_loop()
        )

    async def _start_feed(self) -> None:
        if self.chat_feed_factory is not None and self._feed is None:
            self._feed = self.chat_feed_factory(self.client, self.user_db_id, self._chat_event)
            if self.token_address:  # joined on connect, and again on every reconnect
                await self._feed.join(f"trades_{self.token_address}")
            await self._feed.start()

    async def _stop_feed(self) -> None:
        feed, self._feed = self._feed, None
        if feed is not None:
            await feed.stop()

    def _chat_event(self, event: Event) -> None:
        """The feed's raw event, then the studio's own (``ChatLine``, ``AudienceAlert``)."""
        self.ctx.publish(event)
        for cleaned in self.chat(event):
            self.ctx.publish(cleaned)

    async def upload_thumbnail(self, *, first: bool = False) -> bool:
        """One thumbnail; a failure is a notice (the loop tries again), never the end."""
        if self.ctx.thumbnail is None:
            return True
        step = "thumbnail" if first else "thumbnail_refresh"
        async with self.attempt(
            step, "POST /agent/update-thumbnail", then="retrying with backoff"
        ) as attempt:
            image = await self.ctx.thumbnail()
            reply = await self.client.update_thumbnail(image)
            self.thumbnails += 1
        if not attempt.ok:
            return False
        kept = None
        if self.ctx.keep_thumbnail is not None:
            try:
                kept = str(await asyncio.to_thread(self.ctx.keep_thumbnail, image))
            except OSError as exc:
                log.warning("thumbnail not kept: %s", exc)
        self.ctx.publish(
            ThumbnailUploaded(
                platform=self.platform, bytes=len(image), url=reply.thumbnail_url, kept=kept
            )
        )
        return True

    async def _thumbnail_loop(self, *, retry_first: bool = False) -> None:
        """A thumbnail every ``thumbnail_every`` seconds; after a failure, sooner, with
        backoff (never later than the usual refresh)."""
        every = self.ctx.timing.thumbnail_every
        delays = THUMBNAIL_RETRY.delays()
        wait = min(next(delays), every) if retry_first else every
        while True:
            await self.ctx.sleep(wait)
            if await self.upload_thumbnail():
                delays = THUMBNAIL_RETRY.delays()
                wait = every
            else:
                wait = min(next(delays, every), every)

    async def _viewers_loop(self) -> None:
        while True:
            await self.ctx.sleep(self.ctx.timing.viewers_every)
            try:
                status = await self.client.stream_status()
            except StudioError as exc:
                log.warning("stream status failed: %s", exc)
                self.ctx.publish(Notice(platform=self.platform, level="warning", text=str(exc)))
                continue
            self.last_viewers = status.viewers
            market_cap = await self._market_cap(status.token_address or self.creds.token_address)
            self.ctx.publish(
                Viewers(
                    platform=self.platform,
                    viewers=status.viewers,
                    uptime_seconds=status.uptime_seconds,
                    live=status.is_live,
                    market_cap=market_cap,
                )
            )

    async def _market_cap(self, token_address: str | None) -> float | None:
        """The token's market cap for the ticker (retake.tv's public token stats)."""
        if not token_address:
            return None
        try:
            stats = await self.client.token_stats(token_address)
        except StudioError:
            return None
        return stats.market_cap

    # -- the end --------------------------------------------------------------------
    async def stop(self, *, final: bool = True) -> dict[str, Any]:
        await self._stop_feed()
        stats: dict[str, Any] = {"keys_fetched": self.keys_fetched, "thumbnails": self.thumbnails}
        if self.keys_fetched:
            async with self.step("stream_stop", "POST /agent/stream/stop"):
                try:
                    stopped = await self.client.stream_stop()
                    stats.update(stopped.model_dump(mode="json", by_alias=True))
                except RetakeNoActiveSession:
                    stats["status"] = "no active session"
        self.live = False
        self.ctx.publish(PlatformStopped(platform=self.platform, stats=stats))
        return stats
