"""retake.tv's live feed: Socket.IO events as typed studio events, with REST behind it.

``RetakeLive`` connects to ``<origin>/socket.io/``, joins the stream's rooms
(``{userDbId}`` for chat, ``live_{userDbId}`` for tips, follows and session events,
and any trade rooms asked for) on every connect, and turns server events into
``Event`` subclasses delivered to ``on_event`` (``EventBus.publish`` fits).

Nothing is lost and nothing is delivered twice:

* chat carries an ``_id``; a bounded ledger remembers the ids already delivered;
* on every (re)connect, after joining the rooms, chat is caught up over REST
  (``comments``, paging back with ``beforeId`` until a page holds a message already
  seen, whichever way the server sorts a page) while socket messages that arrive
  meanwhile are held back, then delivered after the backfill, so the order is kept;
* while the socket is down, ``RetakeChatPoller`` polls REST at the document's cadence
  (2-3 s while chat is active, 5-10 s when quiet); it can also run on its own;
* nothing that goes wrong stops the feed: the poller and the socket supervisor log
  it, publish ``RetakeFeedTrouble`` and try again with backoff.

Client to server: ``leave`` sends ``leaveRoom`` (and the room is not joined again on a
reconnect); ``send`` sends a chat line, tip or trade as ``message`` with the Privy user
JWT (``studio.platforms.retake_socket_message``).

Usage::

    live = RetakeLive(client, user_db_id, on_event=bus.publish)
    await live.start()
    ...
    await live.stop()
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

import socketio

from studio.backoff import Backoff
from studio.events import Event
from studio.platforms._http import PlatformError
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_errors import PLATFORM
from studio.platforms.retake_events import (
    RetakeChat,
    RetakeFeedState,
    RetakeFeedTrouble,
    RetakeFollow,
    RetakePinned,
    RetakeRawTrade,
    RetakeSessionStarted,
    RetakeShutdownWarning,
    RetakeTip,
    RetakeTrade,
)
from studio.platforms.retake_jwt import PrivyJwt
from studio.platforms.retake_models import Comment
from studio.platforms.retake_socket_message import SocketAck, SocketNotConnected, emit_message
from studio.redaction import redact
from studio.validation.retake import MAX_COMMENTS, SocketMessage

log = logging.getLogger(__name__)

OnEvent = Callable[[Event], Any]

SOCKET_RECONNECT = Backoff(first=1.0, factor=2.0, cap=30.0, jitter=0.2, attempts=None)
"""Reconnect after 1 s, 2 s, 4 s … capped at 30 s; unbounded while the feed runs."""

LIVENESS_CHECK = 1.0
"""How often a connected socket's own state is checked, besides its disconnect event."""

POLL_RETRY = Backoff(first=2.0, factor=2.0, cap=60.0, jitter=0.2, attempts=None)
"""After a failed poll: again in 2 s, 4 s, 8 s … capped at a minute."""


def trouble_text(exc: BaseException) -> str:
    """What went wrong, for the operator (a studio error's own message, else its type)."""
    if isinstance(exc, PlatformError):
        return exc.message
    return f"unexpected error: {type(exc).__name__}: {redact(str(exc))[:200]}"


WARNING_CHAT_TYPES = frozenset({"warning", "shutdown_warning"})
WARNING_EVENTS = ("shutdown_warning", "warning")
MAX_WARNING = 1000


def _str(value: Any) -> str | None:
    return None if value is None else str(value)


def _float(value: Any) -> float | None:
    try:
        return None if value is None else float(value)
    except (TypeError, ValueError):
        return None


def chat_from_socket(data: Any, streamer_id: str) -> RetakeChat:
    data = data if isinstance(data, dict) else {"text": _str(data)}
    author = data.get("author") if isinstance(data.get("author"), dict) else {}
    return RetakeChat(
        id=_str(data.get("_id") or data.get("chat_event_id") or data.get("id")),
        type=str(data.get("type") or "message"),
        streamer_id=_str(data.get("streamer_id") or data.get("streamId")) or streamer_id,
        author=_str(data.get("sender_username") or author.get("fusername")),
        wallet_address=_str(author.get("walletAddress") or data.get("sender_wallet")),
        text=_str(data.get("text")),
        timestamp=_str(data.get("timestamp")),
        tip_data=data.get("tip_data") if isinstance(data.get("tip_data"), dict) else None,
        trade_data=data.get("trade_data") if isinstance(data.get("trade_data"), dict) else None,
        source="socket",
    )


def chat_from_comment(comment: Comment) -> RetakeChat:
    return RetakeChat(
        id=comment.id,
        type="message",
        streamer_id=comment.stream_id,
        author=comment.author.fusername,
        wallet_address=comment.author.wallet_address,
        text=comment.text,
        timestamp=comment.timestamp,
        source="rest",
    )


def _data(payload: Any) -> dict[str, Any]:
    return payload if isinstance(payload, dict) else {"value": payload}


# -- dedupe ----------------------------------------------------------------------------


class ChatLedger:
    """The keys of the chat messages already delivered; bounded, oldest forgotten first."""

    def __init__(self, capacity: int = 5000) -> None:
        self.capacity = capacity
        self._keys: OrderedDict[str, None] = OrderedDict()

    def __contains__(self, key: str) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, key: str) -> bool:
        """Remember ``key``; ``False`` if it was already there."""
        if key in self._keys:
            return False
        self._keys[key] = None
        while len(self._keys) > self.capacity:
            self._keys.popitem(last=False)
        return True


async def _call(on_event: OnEvent, event: Event) -> None:
    result = on_event(event)
    if inspect.isawaitable(result):
        await result


# -- REST polling ------------------------------------------------------------------------


@dataclass(frozen=True)
class PollIntervals:
    """The document's cadence: 2-3 s while chat is active, 5-10 s when quiet.

    Chat counts as active for ``active_window`` seconds after the last new message.
    """

    active: float = 2.5
    quiet: float = 7.5
    active_window: float = 30.0


class RetakeChatPoller:
    """Chat over REST: catch up from the last seen ``_id``, at the document's cadence."""

    def __init__(
        self,
        client: RetakeClient,
        user_db_id: str,
        on_event: OnEvent,
        *,
        intervals: PollIntervals = PollIntervals(),
        ledger: ChatLedger | None = None,
        page_size: int = MAX_COMMENTS,
        max_pages: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        retry: Backoff = POLL_RETRY,
    ) -> None:
        self.client = client
        self.retry = retry
        self.user_db_id = user_db_id
        self.on_event = on_event
        self.intervals = intervals
        self.ledger = ledger if ledger is not None else ChatLedger()
        self.page_size = page_size
        # back until what was seen: as far as the ledger remembers (further back,
        # nothing could be told apart from what was already delivered)
        self.max_pages = max_pages or max(1, -(-self.ledger.capacity // page_size))
        self._clock = clock
        self._last_new: float | None = None
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self.polls = 0

    async def baseline(self) -> int:
        """Mark the chat that is already there as seen, without delivering it."""
        page = await self.client.comments(self.user_db_id, limit=self.page_size)
        for comment in page:
            self.ledger.add(chat_from_comment(comment).key)
        return len(page)

    async def poll_once(self) -> list[RetakeChat]:
        """Deliver, in time order and once each, every comment not seen yet.

        Pages back (``beforeId``) until a page holds a comment already seen, or the
        chat's beginning, so a burst of any size since the last poll is read whichever
        way the server sorts a page (bounded by what the ledger can remember)."""
        async with self._lock:
            self.polls += 1
            pages: list[list[Comment]] = []
            reached_seen = False
            async for page in self.client.comment_pages(
                self.user_db_id,
                page_size=self.page_size,
                max_pages=self.max_pages,
                seen=lambda cid: cid in self.ledger,
            ):
                pages.append(page)
                if any(chat_from_comment(c).key in self.ledger for c in page):
                    reached_seen = True
                    break
            if not reached_seen and len(pages) == self.max_pages and len(self.ledger):
                log.warning(
                    "retake.tv chat catch-up stopped after %d pages without reaching a "
                    "message already seen; older ones are not delivered",
                    len(pages),
                )
            delivered = []
            for page in reversed(pages):  # the oldest page first
                for comment in page:
                    event = chat_from_comment(comment)
                    if self.ledger.add(event.key):
                        delivered.append(event)
                        await _call(self.on_event, event)
            if delivered:
                self._last_new = self._clock()
            return delivered

    def next_interval(self) -> float:
        recent = (
            self._last_new is not None
            and self._clock() - self._last_new < self.intervals.active_window
        )
        return self.intervals.active if recent else self.intervals.quiet

    async def run(self) -> None:
        """Poll until ``stop``. Whatever a poll raises is logged and published
        (``RetakeFeedTrouble``), and the poll is tried again with backoff."""
        delays = self.retry.delays()
        while not self._stop.is_set():
            try:
                await self.poll_once()
            except Exception as exc:  # noqa: BLE001 - the poller never dies
                wait = next(delays, self.retry.cap)
                if isinstance(exc, PlatformError):
                    log.warning("retake.tv chat poll failed: %s", exc)
                else:
                    log.error("retake.tv chat poll failed", exc_info=exc)
                with contextlib.suppress(Exception):
                    await _call(
                        self.on_event,
                        RetakeFeedTrouble(where="poller", error=trouble_text(exc), retry_in=wait),
                    )
            else:
                delays = self.retry.delays()
                wait = self.next_interval()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), wait)

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._stop.clear()
            self._task = asyncio.create_task(self.run(), name="retake-chat-poller")

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    async def stop(self) -> None:
        """Stop at once; a poll cut short leaves the rest undelivered, for the next catch-up."""
        self._stop.set()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


# -- the socket feed ---------------------------------------------------------------------


class RetakeLive:
    """The Socket.IO feed of one stream, with REST backfill and polling behind it."""

    def __init__(
        self,
        client: RetakeClient,
        user_db_id: str,
        on_event: OnEvent,
        *,
        trades: bool = False,
        token_addresses: Iterable[str] = (),
        extra_rooms: Iterable[str] = (),
        socket: bool = True,
        replay_history: bool = False,
        reconnect: Backoff = SOCKET_RECONNECT,
        intervals: PollIntervals = PollIntervals(),
        join_timeout: float = 2.0,
        connect_timeout: float = 10.0,
        transports: list[str] | None = None,
        ledger_capacity: int = 5000,
        socket_url: str | None = None,
        poll_retry: Backoff = POLL_RETRY,
    ) -> None:
        self.client = client
        self.user_db_id = user_db_id
        self.on_event = on_event
        self.rooms = [user_db_id, f"live_{user_db_id}"]
        if trades:
            self.rooms.append("trades")
        self.rooms += [f"trades_{a}" for a in token_addresses] + list(extra_rooms)
        self.use_socket = socket
        self.socket_url = socket_url or client.origin
        self.replay_history = replay_history
        self.reconnect = reconnect
        self.join_timeout = join_timeout
        self.connect_timeout = connect_timeout
        self.transports = transports
        self.ledger = ChatLedger(ledger_capacity)
        self.poller = RetakeChatPoller(
            client,
            user_db_id,
            self._deliver_polled,
            intervals=intervals,
            ledger=self.ledger,
            retry=poll_retry,
        )
        self.connected = False
        self.connects = 0
        self.reconnects = 0
        self._sio: socketio.AsyncClient | None = None
        self._dropped = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._holding = False
        self._held: deque[RetakeChat] = deque()

    # -- lifecycle ------------------------------------------------------------------
    async def start(self) -> None:
        """Mark the existing chat as seen (unless ``replay_history``), then run the feed."""
        if self._task is not None:
            return
        if not self.replay_history:
            try:
                await self.poller.baseline()
            except PlatformError as exc:
                log.warning("retake.tv chat history could not be read: %s", exc)
        self._stopping.clear()
        if self.use_socket:
            self._task = asyncio.create_task(self._supervise(), name="retake-live")
        else:
            self.poller.start()
            await self._state("polling", "REST polling only")

    async def stop(self) -> None:
        self._stopping.set()
        sio = self._sio
        if sio is not None:
            with contextlib.suppress(Exception):
                await sio.disconnect()
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.poller.stop()
        self.connected = False
        await self._state("stopped")

    async def leave(self, room: str) -> None:
        """Leave ``room`` (``leaveRoom``) now and stop joining it on reconnects. Waits
        for the acknowledgement (up to ``join_timeout``), so a ``stop`` right after
        cannot close the socket before the server has the leave."""
        if room in self.rooms:
            self.rooms.remove(room)
        if self._sio is not None and self.connected:
            try:
                await self._sio.call("leaveRoom", {"roomId": room}, timeout=self.join_timeout)
            except socketio.exceptions.TimeoutError:
                log.debug("leaveRoom %s was not acknowledged", room)  # sent all the same
            except socketio.exceptions.BadNamespaceError:
                self._dropped.set()

    async def send(self, jwt: PrivyJwt, message: SocketMessage | dict[str, Any]) -> SocketAck:
        """Send a chat line, tip or trade as the client-to-server ``message`` on the feed's
        own connection, with the Privy user JWT as ``sender_token``."""
        if self._sio is None or not self.connected:
            raise SocketNotConnected(
                "the retake.tv socket is not connected, so the message was not sent",
                platform=PLATFORM,
                fix="Wait for the feed to reconnect (retake.feed connected), then send again.",
            )
        return await emit_message(self._sio, jwt, message, wait_seconds=self.join_timeout)

    async def join(self, room: str) -> None:
        """Join ``room`` now (if connected) and on every reconnect, e.g. the pinned-message
        room ``{userDbId}/{session_id}`` or ``trades_{tokenAddress}`` once they are known."""
        if room not in self.rooms:
            self.rooms.append(room)
        if self._sio is not None and self.connected:
            await self._join(self._sio, room)

    # -- the connection loop ----------------------------------------------------------
    async def _supervise(self) -> None:
        """Keep the socket up; whatever goes wrong is logged, published and retried
        with backoff while the poller carries the chat."""
        delays = self.reconnect.delays()
        while not self._stopping.is_set():
            try:
                if await self._connect_once():
                    delays = self.reconnect.delays()
                    if self._stopping.is_set():
                        return
                    self.reconnects += 1
                    await self._state(
                        "disconnected", "the socket dropped; polling until it is back"
                    )
                    self.poller.start()
                await self._pause(next(delays, self.reconnect.cap))
            except Exception as exc:  # noqa: BLE001 - the supervisor never dies
                await self._trouble(exc, next(delays, self.reconnect.cap))

    async def _trouble(self, exc: BaseException, wait: float) -> None:
        log.error("retake.tv live feed failed; retrying in %.1fs", wait, exc_info=exc)
        sio, self._sio = self._sio, None
        self.connected = False
        if sio is not None:
            with contextlib.suppress(Exception):
                await sio.disconnect()
        with contextlib.suppress(Exception):
            await _call(
                self.on_event,
                RetakeFeedTrouble(where="socket", error=trouble_text(exc), retry_in=wait),
            )
        if not self._stopping.is_set() and not self.poller.running:
            self.poller.start()
        await self._pause(wait)

    async def _connect_once(self) -> bool:
        """Connect, catch up and stay until the socket drops (``True``), or find the
        socket unavailable and leave chat to the poller (``False``)."""
        sio = self._new_socket()
        try:
            await sio.connect(
                self.socket_url,
                socketio_path="socket.io",
                transports=self.transports,
                wait_timeout=self.connect_timeout,
            )
        except (socketio.exceptions.ConnectionError, OSError, TimeoutError) as exc:
            with contextlib.suppress(Exception):
                await sio.disconnect()
            if not self.poller.running:
                self.poller.start()
                await self._state("polling", f"socket unavailable ({type(exc).__name__})")
            return False
        self._sio = sio
        await self._on_connected(sio)
        await self._wait_for_drop(sio)
        self._sio = None
        self.connected = False
        return True

    async def _pause(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), seconds)

    async def _wait_for_drop(self, sio: socketio.AsyncClient) -> None:
        """Until the socket drops or the feed stops. The ``disconnect`` handler is the
        signal; the library's own state is checked every ``LIVENESS_CHECK`` seconds as
        well, so a connection lost without that handler firing is never waited on
        forever."""
        drop = asyncio.ensure_future(self._dropped.wait())
        stop = asyncio.ensure_future(self._stopping.wait())
        try:
            done: set[asyncio.Future[Any]] = set()
            while sio.connected and not done:
                done, _ = await asyncio.wait(
                    {drop, stop}, timeout=LIVENESS_CHECK, return_when=asyncio.FIRST_COMPLETED
                )
            if done or self._dropped.is_set():
                return
            log.info("retake.tv socket found disconnected without a disconnect event")
            with contextlib.suppress(Exception):
                await asyncio.wait_for(sio.disconnect(), self.connect_timeout)
        finally:
            drop.cancel()
            stop.cancel()

    def _new_socket(self) -> socketio.AsyncClient:
        sio = socketio.AsyncClient(reconnection=False, handle_sigint=False)
        self._dropped = asyncio.Event()
        dropped = self._dropped

        async def on_disconnect(*_: Any) -> None:
            dropped.set()

        sio.on("disconnect", on_disconnect)
        sio.on("message", self._on_message)
        sio.on("tip_received", self._on_tip)
        sio.on("newtrade", self._on_trade)
        sio.on("rawtrade", self._on_rawtrade)
        sio.on("user_followed", self._on_follow)
        sio.on("session_started", self._on_session_started)
        sio.on("pinned", self._on_pinned)
        for name in WARNING_EVENTS:
            sio.on(name, self._on_warning)
        return sio

    async def _on_connected(self, sio: socketio.AsyncClient) -> None:
        """Join every room, catch chat up over REST, then let held socket chat through."""
        self._holding = True
        try:
            await self.poller.stop()
            for room in self.rooms:
                await self._join(sio, room)
            self.connected = True
            self.connects += 1
            await self._state("connected", f"rooms: {', '.join(self.rooms)}")
            try:
                await self.poller.poll_once()
            except Exception as exc:  # noqa: BLE001 - the poller catches up instead
                log.warning("retake.tv chat backfill failed, polling instead: %s", exc)
                self.poller.start()
        finally:
            while self._held:
                await self._deliver(self._held.popleft())
            self._holding = False

    async def _join(self, sio: socketio.AsyncClient, room: str) -> None:
        try:
            await sio.call("joinRoom", {"roomId": room}, timeout=self.join_timeout)
        except socketio.exceptions.TimeoutError:
            # The server need not acknowledge joinRoom; the join is still sent.
            log.debug("joinRoom %s was not acknowledged", room)
        except socketio.exceptions.BadNamespaceError:
            self._dropped.set()

    # -- server events ------------------------------------------------------------------
    async def _on_message(self, data: Any) -> None:
        if isinstance(data, dict) and data.get("type") in WARNING_CHAT_TYPES:
            await self._on_warning(data, source="message")
            return
        event = chat_from_socket(data, self.user_db_id)
        if self._holding:
            self._held.append(event)
        else:
            await self._deliver(event)

    async def _deliver(self, event: RetakeChat) -> None:
        if self.ledger.add(event.key):
            await _call(self.on_event, event)

    async def _deliver_polled(self, event: Event) -> None:
        await _call(self.on_event, event)

    async def _on_tip(self, data: Any) -> None:
        d = _data(data)
        await _call(
            self.on_event,
            RetakeTip(
                receiver_id=_str(d.get("receiver_id")),
                sender_username=_str(d.get("sender_username") or d.get("username")),
                amount=_float(d.get("amount")),
                data=d,
            ),
        )

    async def _on_trade(self, data: Any) -> None:
        d = _data(data)
        await _call(
            self.on_event,
            RetakeTrade(
                address=_str(d.get("address")),
                action=_str(d.get("action")),
                usd_amount=_float(d.get("usdAmount")),
                token_ticker=_str(d.get("tokenTicker")),
                data=d,
            ),
        )

    async def _on_rawtrade(self, data: Any) -> None:
        await _call(self.on_event, RetakeRawTrade(data=_data(data)))

    async def _on_follow(self, data: Any) -> None:
        d = _data(data)
        await _call(
            self.on_event,
            RetakeFollow(
                streamer_id=_str(d.get("streamer_id")),
                username=_str(d.get("username") or d.get("follower_username")),
                data=d,
            ),
        )

    async def _on_session_started(self, data: Any) -> None:
        d = _data(data)
        await _call(
            self.on_event,
            RetakeSessionStarted(
                streamer_id=_str(d.get("streamer_id")), session_id=_str(d.get("session_id")), data=d
            ),
        )

    async def _on_warning(self, data: Any, source: str = "socket") -> None:
        d = _data(data)
        text = _str(d.get("text") or d.get("message") or d.get("reason") or d.get("value"))
        text = text[:MAX_WARNING] if text is not None else None
        await _call(self.on_event, RetakeShutdownWarning(text=text, source=source, data=d))

    async def _on_pinned(self, data: Any) -> None:
        await _call(self.on_event, RetakePinned(data=_data(data)))

    async def _state(
        self, state: Literal["connected", "disconnected", "polling", "stopped"], detail: str = ""
    ) -> None:
        await _call(
            self.on_event, RetakeFeedState(state=state, reconnects=self.reconnects, detail=detail)
        )
