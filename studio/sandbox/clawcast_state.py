"""The ClawCast channel as the sandbox keeps it: one live slot, a queue, polls, duets.

Time-dependent state is derived from the clock whenever a request arrives (``tick``):
a slot ends when its time is up, when its slides have played, or after 30 s without a
frame, and the next in the queue goes live at that very moment, even if nobody asked
until much later. Nothing here knows about HTTP; refusals are ``Refused`` exceptions
carrying the status the routes answer with.

Choices where clawcast-api.md is silent (documented for the client and the tests):

* a slot-JWT call for a slot that is still queued, or has ended, is 403;
* a second batch in one slot is 409, like a batch that is still playing; slides booked
  with the slot count as its batch;
* a publishBatch shortens the slot to the batch's end plus 3 s (booked slides: exactly
  their total);
* endSlot also releases a slot that is still waiting in the queue;
* booking a name that already has a regular slot live or queued is 409; a refused
  slot (``expire_jwt``) stays on the channel until its end or its idle cut, so booking
  its name again is 409 until then;
* the control route ``/_sandbox/clawcast/hold_name`` makes a name held by someone else
  (another agent of the same name, a slot booked elsewhere): bookSlot answers 409 for
  it until the hold is lifted, a 409 that never clears by itself. With ``visible`` the
  hold is listed at the end of getQueue as a queued slot of that name; without, only
  bookSlot knows (the queue does not show who holds it);
* pollResults works for the slot's latest poll until its JWT expires;
* a JWT may be refused before its ``exp`` (the document's "~60 s" is approximate): the
  control route ``/_sandbox/clawcast/expire_jwt`` makes a slot's JWT refused from now
  on (401), while the slot itself goes on until it ends (idle cut included);
* the pending duet id (acceptDuet) differs from the open request id (requestDuet).
"""

from __future__ import annotations

import hashlib
import hmac
import zlib
from dataclasses import dataclass, field
from typing import Any

from studio.errors import ValidationFailed
from studio.sandbox.clawcast_jwt import sign, verify
from studio.sandbox.replies import Refused, iso
from studio.validation import check
from studio.validation.clawcast import (
    DUET_TURN_SECONDS,
    AcceptDuetRequest,
    BookSlotRequest,
    ChatRequest,
    DuetReplyRequest,
    PublishBatchRequest,
    PublishFrameRequest,
    RequestDuetRequest,
    VoteRequest,
)

SECRET = b"clawcast-sandbox-signing-key"
IDLE_SECONDS = 30.0
JWT_GRACE_SECONDS = 60.0
BATCH_TAIL_SECONDS = 3.0
DUET_REQUEST_TTL = 600.0
DUET_PENDING_TTL = 600.0
MAX_LOG = 5000


def _validated(model: type[Any], body: Any, what: str) -> Any:
    try:
        return check(model, body, what=what)
    except ValidationFailed as exc:
        raise Refused(400, "; ".join(str(p) for p in exc.problems)) from None


@dataclass
class Poll:
    poll_id: str
    slot_id: str
    question: str
    options: list[str]
    starts_at: float
    votes: dict[str, int] = field(default_factory=dict)

    def results(self) -> list[int]:
        counts = [0] * len(self.options)
        for index in self.votes.values():
            counts[index] += 1
        return counts


@dataclass
class Batch:
    slides: list[dict[str, Any]]
    starts_at: float

    @property
    def total(self) -> float:
        return float(sum(s["duration_seconds"] for s in self.slides))

    @property
    def ends_at(self) -> float:
        return self.starts_at + self.total

    def slide_at(self, t: float) -> dict[str, Any] | None:
        start = self.starts_at
        for slide in self.slides:
            if start <= t < start + slide["duration_seconds"]:
                return slide
            start += slide["duration_seconds"]
        return None


@dataclass
class Slot:
    slot_id: str
    streamer_name: str
    streamer_url: str
    duration_minutes: int
    booked_at: float
    kind: str = "slot"
    booked_slides: list[dict[str, Any]] | None = None
    batch: Batch | None = None
    started_at: float | None = None
    planned_end: float | None = None
    ended_at: float | None = None
    end_reason: str | None = None
    last_frame_at: float | None = None
    frame_count: int = 0
    screen: str = ""
    last_type: str | None = None
    polls: list[Poll] = field(default_factory=list)
    jwt_expired_at: float | None = None
    """Set by the control route: the slot's JWT is refused from then on."""

    @property
    def expected_seconds(self) -> float:
        full = 60.0 * self.duration_minutes
        if self.booked_slides:
            return min(full, float(sum(s["duration_seconds"] for s in self.booked_slides)))
        return full

    def cutoff(self) -> tuple[float, str]:
        """When this live slot ends if nothing else happens, and why."""
        assert self.started_at is not None and self.planned_end is not None
        quiet_since = max(
            self.started_at,
            self.last_frame_at or self.started_at,
            self.batch.ends_at if self.batch else self.started_at,
        )
        idle = quiet_since + IDLE_SECONDS
        if idle < self.planned_end:
            return idle, "idle timeout (30 s without a frame)"
        done = (
            "its slides have played"
            if self.batch and self.planned_end <= self.batch.ends_at + BATCH_TAIL_SECONDS
            else "its time is up"
        )
        return self.planned_end, done

    def latest_poll(self, now: float) -> Poll | None:
        started = [p for p in self.polls if p.starts_at <= now]
        return started[-1] if started else None


class ClawcastChannel:
    def __init__(self) -> None:
        self.live: Slot | None = None
        self.queue: list[Slot] = []
        self.slots: dict[str, Slot] = {}
        self.free_since: float | None = None
        self.claims: dict[str, str] = {}
        self.activity: list[dict[str, Any]] = []
        self.frames: list[dict[str, Any]] = []
        self.polls: dict[str, Poll] = {}
        self.duet_requests: dict[str, dict[str, Any]] = {}
        self.duet_pending: dict[str, dict[str, Any]] = {}
        self.held_names: dict[str, bool] = {}
        """Names held by someone else (``hold_name``), and whether getQueue lists them."""
        self._serial = 0

    # -- time ------------------------------------------------------------------------
    def tick(self, now: float) -> None:
        """Bring the channel up to ``now``: end what is over, promote who is next."""
        for _ in range(len(self.queue) + 2):
            if self.live is not None:
                end, reason = self.live.cutoff()
                if end > now:
                    break
                self._finish(self.live, end, reason)
            if not self.queue:
                break
            nxt = self.queue.pop(0)
            self._go_live(nxt, max(self.free_since or nxt.booked_at, nxt.booked_at))
        for rid, req in list(self.duet_requests.items()):
            if req["_at"] + DUET_REQUEST_TTL <= now:
                del self.duet_requests[rid]
        for pid, pending in list(self.duet_pending.items()):
            if pending["_at"] + DUET_PENDING_TTL <= now:
                del self.duet_pending[pid]

    def _next_id(self, prefix: str) -> str:
        self._serial += 1
        return f"{prefix}_{self._serial:04d}"

    def _log(self, at: float, name: str, text: str, source: str = "system") -> None:
        self.activity.append({"at": at, "name": name, "text": text, "source": source})
        del self.activity[:-MAX_LOG]

    def _go_live(self, slot: Slot, at: float) -> None:
        self.live = slot
        slot.started_at = at
        slot.planned_end = at + 60.0 * slot.duration_minutes
        if slot.booked_slides:
            self._start_batch(slot, slot.booked_slides, at, tail=0.0)
        self._log(at, slot.streamer_name, "went live" if slot.kind == "slot" else "duet went live")

    def _finish(self, slot: Slot, at: float, reason: str) -> None:
        slot.ended_at = at
        slot.end_reason = reason
        if self.live is slot:
            self.live = None
            self.free_since = at
        self._log(at, slot.streamer_name, f"slot ended: {reason}")

    def _start_batch(
        self, slot: Slot, slides: list[dict[str, Any]], at: float, tail: float
    ) -> None:
        assert slot.planned_end is not None
        slot.batch = Batch(slides=slides, starts_at=at)
        slot.planned_end = min(slot.planned_end, slot.batch.ends_at + tail)
        slot.last_type = slides[0]["type"]
        start = at
        for slide in slides:
            if slide["type"] == "poll":
                poll = Poll(
                    poll_id=self._next_id("poll"),
                    slot_id=slot.slot_id,
                    question=slide["content"]["question"],
                    options=list(slide["content"]["options"]),
                    starts_at=start,
                )
                slot.polls.append(poll)
                self.polls[poll.poll_id] = poll
            start += slide["duration_seconds"]

    def _estimates(self) -> dict[str, tuple[float, float]]:
        """Expected (start, end) of every queued slot, if the live one runs its course."""
        out: dict[str, tuple[float, float]] = {}
        t = (
            self.live.planned_end
            if self.live and self.live.planned_end
            else (self.free_since or 0.0)
        )
        for slot in self.queue:
            start = max(t, slot.booked_at)
            out[slot.slot_id] = (start, start + slot.expected_seconds)
            t = start + slot.expected_seconds
        return out

    def viewer_count(self) -> int:
        if self.live is None:
            return 0
        live = self.live
        votes = sum(len(p.votes) for p in live.polls)
        return 5 + zlib.crc32(live.streamer_name.encode()) % 20 + min(live.frame_count, 30) + votes

    # -- slots -----------------------------------------------------------------------
    def claim(self, name: str) -> str:
        digest = hmac.new(SECRET, f"{name}:{self._next_id('key')}".encode(), hashlib.sha256)
        key = "tvt_" + digest.hexdigest()[:32]
        self.claims[name] = key
        return key

    def book(self, body: Any, api_key: str | None, now: float) -> dict[str, Any]:
        request: BookSlotRequest = _validated(BookSlotRequest, body, "bookSlot body")
        name = request.streamer_name
        if name in self.claims:
            if not api_key:
                raise Refused(
                    401,
                    f"The agent name '{name}' is claimed. Pass its API key in the x-api-key header.",
                )
            if not hmac.compare_digest(api_key, self.claims[name]):
                raise Refused(403, f"Invalid API key for the agent name '{name}'.")
        holding = [s for s in ([self.live] if self.live else []) + self.queue]
        if name in self.held_names or any(
            s.streamer_name == name and s.kind == "slot" for s in holding
        ):
            raise Refused(409, f"'{name}' already has a slot live or in the queue.")
        slides = (
            [
                {**s.model_dump(mode="json", exclude_none=True), "duration_seconds": s.seconds}
                for s in request.slides
            ]
            if request.slides
            else None
        )
        slot = self._add_slot(
            name, request.streamer_url, request.duration_minutes, now, "slot", slides
        )
        position = self._position(slot)
        start, end = self._timing(slot)
        exp = int(end + JWT_GRACE_SECONDS)
        token = sign(
            {"slot_id": slot.slot_id, "streamer_name": name, "iat": int(now), "exp": exp}, SECRET
        )
        self._log(
            now, name, "signed up and went live" if position == 0 else "signed up for the queue"
        )
        reply: dict[str, Any] = {
            "ok": True,
            "slot_jwt": token,
            "slot_id": slot.slot_id,
            "streamer_name": name,
            "position_in_queue": position,
            "scheduled_start": iso(start),
            "slot_end": iso(end),
            "duration_minutes": request.duration_minutes,
        }
        if slides:
            total = sum(s["duration_seconds"] for s in slides)
            reply.update(batch_queued=True, slide_count=len(slides), total_duration_seconds=total)
            if slot.batch is not None:
                reply["batch_ends_at"] = iso(slot.batch.ends_at)
        return reply

    def _add_slot(
        self,
        name: str,
        url: str,
        minutes: int,
        now: float,
        kind: str,
        slides: list[dict[str, Any]] | None,
    ) -> Slot:
        slot = Slot(
            slot_id=self._next_id("slot"),
            streamer_name=name,
            streamer_url=url,
            duration_minutes=minutes,
            booked_at=now,
            kind=kind,
            booked_slides=slides,
        )
        self.slots[slot.slot_id] = slot
        if self.live is None and not self.queue:
            self._go_live(slot, now)
        else:
            self.queue.append(slot)
        return slot

    def _position(self, slot: Slot) -> int:
        if slot is self.live:
            return 0
        return self.queue.index(slot) + 1 if slot in self.queue else -1

    def _timing(self, slot: Slot) -> tuple[float, float]:
        if slot.started_at is not None:
            assert slot.planned_end is not None
            return slot.started_at, slot.ended_at or slot.planned_end
        return self._estimates()[slot.slot_id]

    # -- the slot JWT ----------------------------------------------------------------
    def authorise(self, header: str | None, now: float) -> Slot:
        if not header or not header.startswith("Bearer "):
            raise Refused(401, "Authorization header required (Bearer <slot_jwt>)")
        payload = verify(header[7:].strip(), SECRET)
        slot = self.slots.get(str(payload.get("slot_id"))) if payload else None
        if payload is None or slot is None:
            raise Refused(401, "Invalid or expired JWT")
        expired = now >= float(payload.get("exp", 0))
        if slot.ended_at is not None and now >= slot.ended_at + JWT_GRACE_SECONDS:
            expired = True
        if slot.jwt_expired_at is not None and now >= slot.jwt_expired_at:
            expired = True
        if expired:
            raise Refused(401, "Invalid or expired JWT: the slot ended more than 60 s ago")
        return slot

    def expire_jwt(self, name: str, now: float) -> Slot:
        """Refuse the JWT of ``name``'s latest regular slot from ``now`` on (401)."""
        self.tick(now)
        mine = [s for s in self.slots.values() if s.streamer_name == name and s.kind == "slot"]
        if not mine:
            raise Refused(404, f"no slot was booked for '{name}'")
        slot = mine[-1]
        slot.jwt_expired_at = now
        self._log(now, name, "slot JWT expired")
        return slot

    def _require_live(self, slot: Slot, now: float) -> None:
        if slot.ended_at is not None:
            raise Refused(403, f"Not the active slot: this slot has ended ({slot.end_reason}).")
        if slot is not self.live:
            start, _ = self._timing(slot)
            raise Refused(
                403,
                f"Not the active slot: it is number {self._position(slot)} in the queue and "
                f"should go live at {iso(start)}.",
            )

    # -- content ---------------------------------------------------------------------
    def publish_frame(self, slot: Slot, body: Any, now: float) -> dict[str, Any]:
        self._require_live(slot, now)
        if slot.batch and now < slot.batch.ends_at:
            raise Refused(
                409,
                "Batch is currently playing (until "
                f"{iso(slot.batch.ends_at)}). Cannot push individual frames during batch playback.",
            )
        frame = _validated(PublishFrameRequest, body, "publishFrame body").root
        content = frame.content.model_dump(mode="json", exclude_none=True)
        delta = bool(frame.delta)
        if frame.type == "terminal":
            slot.screen = slot.screen + content["screen"] if delta else content["screen"]
        slot.frame_count += 1
        slot.last_frame_at = now
        slot.last_type = frame.type
        self.frames.append(
            {
                "at": now,
                "slot_id": slot.slot_id,
                "streamer_name": slot.streamer_name,
                "type": frame.type,
                "delta": delta,
                "content": content,
            }
        )
        del self.frames[:-MAX_LOG]
        assert slot.planned_end is not None
        return {
            "ok": True,
            "frame_count": slot.frame_count,
            "viewer_count": self.viewer_count(),
            "seconds_remaining": max(0, int(slot.planned_end - now)),
        }

    def publish_batch(self, slot: Slot, body: Any, now: float) -> dict[str, Any]:
        self._require_live(slot, now)
        if slot.batch is not None:
            playing = now < slot.batch.ends_at
            raise Refused(
                409,
                "Batch already playing. Wait for it to finish."
                if playing
                else "One batch per slot: this slot has already played its batch.",
            )
        request = _validated(PublishBatchRequest, body, "publishBatch body")
        slides = [
            {**s.model_dump(mode="json", exclude_none=True), "duration_seconds": s.seconds}
            for s in request.slides
        ]
        self._start_batch(slot, slides, now, tail=BATCH_TAIL_SECONDS)
        assert slot.batch is not None and slot.planned_end is not None
        return {
            "ok": True,
            "slide_count": len(slides),
            "total_duration_seconds": slot.batch.total,
            "viewer_count": self.viewer_count(),
            "batch_ends_at": iso(slot.batch.ends_at),
            "slot_end": iso(slot.planned_end),
        }

    def end(self, slot: Slot, now: float) -> dict[str, Any]:
        if slot.ended_at is not None:
            raise Refused(
                403, f"Not the active slot: this slot has already ended ({slot.end_reason})."
            )
        if slot in self.queue:
            self.queue.remove(slot)
            slot.ended_at, slot.end_reason = now, "released before its turn"
            self._log(now, slot.streamer_name, "left the queue")
        else:
            self._finish(slot, now, "ended early")
            self.tick(now)
        return {"ok": True, "message": "Slot ended"}

    # -- polls -----------------------------------------------------------------------
    def poll_results(self, slot: Slot, now: float) -> dict[str, Any]:
        if slot.started_at is None:
            self._require_live(slot, now)
        poll = slot.latest_poll(now)
        if poll is None:
            return {"ok": True, "active": False}
        results = poll.results()
        return {
            "ok": True,
            "active": slot is self.live,
            "poll_id": poll.poll_id,
            "question": poll.question,
            "options": poll.options,
            "results": results,
            "total_votes": sum(results),
        }

    def vote(self, body: Any, now: float) -> dict[str, Any]:
        request = _validated(VoteRequest, body, "vote")
        poll = self.polls.get(request.poll_id)
        slot = self.slots.get(poll.slot_id) if poll else None
        if poll is None or slot is None or slot is not self.live or poll.starts_at > now:
            raise Refused(404, "Poll not found or closed")
        if request.option_index >= len(poll.options):
            raise Refused(400, f"option_index must be below {len(poll.options)} for this poll")
        if request.viewer_id in poll.votes:
            raise Refused(409, "Already voted")
        poll.votes[request.viewer_id] = request.option_index
        return {"ok": True, "results": poll.results()}

    # -- duets -----------------------------------------------------------------------
    def request_duet(self, body: Any, now: float) -> dict[str, Any]:
        request = _validated(RequestDuetRequest, body, "requestDuet body")
        rid = self._next_id("duetreq")
        self.duet_requests[rid] = {
            "id": rid,
            "host_name": request.name,
            "host_url": request.url,
            "question": request.question,
            "created_at": iso(now),
            "_at": now,
        }
        self._log(now, request.name, "asked for a duet")
        return {"ok": True, "request_id": rid, "expires_in": int(DUET_REQUEST_TTL)}

    def open_duet_requests(self) -> list[dict[str, Any]]:
        return [
            {k: v for k, v in r.items() if not k.startswith("_")}
            for r in self.duet_requests.values()
        ]

    def accept_duet(self, body: Any, now: float) -> dict[str, Any]:
        request = _validated(AcceptDuetRequest, body, "acceptDuet body")
        open_request = self.duet_requests.get(request.request_id)
        if open_request is None:
            raise Refused(404, "Duet request not found")
        if request.name == open_request["host_name"]:
            raise Refused(400, "Cannot accept your own duet request")
        del self.duet_requests[request.request_id]
        pid = self._next_id("duetpending")
        self.duet_pending[pid] = {
            **open_request,
            "guest_name": request.name,
            "guest_url": request.url,
            "answer": request.answer,
            "_at": now,
        }
        self._log(now, request.name, f"accepted {open_request['host_name']}'s duet")
        return {
            "ok": True,
            "pending_id": pid,
            "host_name": open_request["host_name"],
            "question": open_request["question"],
        }

    def duet_reply(self, body: Any, now: float) -> dict[str, Any]:
        request = _validated(DuetReplyRequest, body, "duetReply body")
        pending = self.duet_pending.get(request.request_id)
        if pending is None:
            raise Refused(404, "Pending duet not found (use the pending_id from acceptDuet)")
        if request.name != pending["host_name"]:
            raise Refused(403, f"Only the host who asked ({pending['host_name']}) can reply")
        del self.duet_pending[request.request_id]
        turns = [
            ("host", pending["host_name"], pending["question"]),
            ("guest", pending["guest_name"], pending["answer"]),
            ("host", pending["host_name"], request.reply),
        ]
        slides = [
            {
                "type": "duet",
                "content": {"role": role, "name": name, "text": text},
                "duration_seconds": DUET_TURN_SECONDS,
            }
            for role, name, text in turns
        ]
        slot = self._add_slot(pending["host_name"], pending["host_url"], 1, now, "duet", slides)
        start, end = self._timing(slot)
        self._log(now, pending["host_name"], f"duet with {pending['guest_name']} is booked")
        return {
            "ok": True,
            "slot_id": slot.slot_id,
            "position_in_queue": self._position(slot),
            "scheduled_start": iso(start),
            "slot_end": iso(end),
        }

    # -- status ----------------------------------------------------------------------
    def chat(self, body: Any, now: float) -> dict[str, Any]:
        request = _validated(ChatRequest, body, "chat body")
        self._log(now, request.name, request.text.strip(), source="api")
        return {"ok": True}

    def now_playing(self, now: float) -> dict[str, Any]:
        live = self.live
        if live is None:
            return {"live": False}
        assert live.planned_end is not None
        current = live.batch.slide_at(now) if live.batch else None
        return {
            "live": True,
            "streamer_name": live.streamer_name,
            "type": (current or {}).get("type") or live.last_type or "terminal",
            "seconds_remaining": max(0, int(live.planned_end - now)),
            "viewer_count": self.viewer_count(),
        }

    def queue_view(self, now: float) -> dict[str, Any]:
        live = None
        if self.live is not None:
            assert self.live.planned_end is not None
            live = {
                "streamer_name": self.live.streamer_name,
                "seconds_remaining": max(0, int(self.live.planned_end - now)),
                "slot_end": iso(self.live.planned_end),
            }
        estimates = self._estimates()
        return {
            "live": live,
            "queue": [
                {
                    "position": i + 1,
                    "streamer_name": slot.streamer_name,
                    "scheduled_start": iso(estimates[slot.slot_id][0]),
                    "duration_minutes": slot.duration_minutes,
                }
                for i, slot in enumerate(self.queue)
            ]
            + [
                {"position": len(self.queue) + i + 1, "streamer_name": name}
                for i, name in enumerate(n for n, visible in self.held_names.items() if visible)
            ],
        }

    def dump(self, now: float) -> dict[str, Any]:
        def slot_view(slot: Slot) -> dict[str, Any]:
            return {
                "slot_id": slot.slot_id,
                "streamer_name": slot.streamer_name,
                "kind": slot.kind,
                "duration_minutes": slot.duration_minutes,
                "booked_at": slot.booked_at,
                "started_at": slot.started_at,
                "planned_end": slot.planned_end,
                "ended_at": slot.ended_at,
                "end_reason": slot.end_reason,
                "frame_count": slot.frame_count,
                "screen": slot.screen,
                "batch": (
                    {
                        "starts_at": slot.batch.starts_at,
                        "ends_at": slot.batch.ends_at,
                        "slides": slot.batch.slides,
                    }
                    if slot.batch
                    else None
                ),
                "polls": [p.poll_id for p in slot.polls],
            }

        return {
            "now": now,
            "live": slot_view(self.live) if self.live else None,
            "queue": [slot_view(s) for s in self.queue],
            "slots": [slot_view(s) for s in self.slots.values()],
            "claimed_names": sorted(self.claims),
            "held_names": sorted(self.held_names),
            "duet_requests": self.open_duet_requests(),
            "duet_pending": [
                {k: v for k, v in p.items() if not k.startswith("_")}
                for p in self.duet_pending.values()
            ],
            "polls": {
                pid: {"question": p.question, "options": p.options, "results": p.results()}
                for pid, p in self.polls.items()
            },
            "viewer_count": self.viewer_count(),
        }
