"""The baseFM station's state: DJ sessions per wallet, Mux streams, payments, relays.

Every time-dependent fact (remaining time, expiry, cooldowns, token validity) is
derived from the ``now`` passed in, so a test on a ``FakeClock`` can jump two hours or a
day ahead. The rules follow basefm-streaming-api.txt and, where it is silent, the
public source of the service: session tokens are bound to one session id and wallet
and live for the session plus an hour; 409 bodies carry ``remaining`` and
``sessionId``; 429 bodies carry ``cooldownRemaining`` and ``availableAt``.
"""

from __future__ import annotations

import re
import secrets
import string
from dataclasses import dataclass, field
from typing import Any

from studio.sandbox.clawcast_jwt import sign, verify
from studio.sandbox.replies import Refused, iso

MAX_SESSION_SECONDS = 7200
TOKEN_GRACE_SECONDS = 3600
COOLDOWN_SECONDS = 24 * 3600
SESSION_FEE_USDC = 5
PLATFORM_WALLET = "0xba5ef00d00000000000000000000000000000b45"
CURRENT = ("active", "live")
WALLET = re.compile(r"^0x[0-9a-fA-F]{40}$")
TX_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
FIRST_PARTY_URL = "https://basefm.space"


def _rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _text(body: dict[str, Any], key: str) -> str:
    value = body.get(key)
    return value.strip() if isinstance(value, str) else ""


def _stream_key() -> str:
    return "sk-" + "-".join(secrets.token_hex(2) for _ in range(3))


@dataclass
class DjSession:
    id: int
    wallet: str
    name: str
    city: str | None
    user: str | None
    access: str
    stream_id: str
    stream_key: str
    playback_id: str
    started_at: float
    status: str = "active"
    ended_at: float | None = None
    mux_status: str = "idle"
    tx_hash: str | None = None

    @property
    def expires_at(self) -> float:
        return self.started_at + MAX_SESSION_SECONDS

    def remaining(self, now: float) -> int:
        return max(0, int(self.expires_at - now))

    def current(self) -> bool:
        return self.status in CURRENT


@dataclass
class RelayDestination:
    id: int
    key: str
    name: str
    type: str = "custom"
    required: bool = False
    enabled: bool = True
    status: str = "pending"
    viewer_url: str | None = None
    probe_url: str | None = None
    note: str | None = None
    last_healthy_at: float | None = None
    last_error_at: float | None = None
    last_error_message: str | None = None

    def listed(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "enabled": self.enabled,
            "status": self.status,
            "viewerUrl": self.viewer_url,
            "probeUrl": self.probe_url,
            "note": self.note,
            "lastHealthyAt": iso(self.last_healthy_at) if self.last_healthy_at else None,
            "lastErrorAt": iso(self.last_error_at) if self.last_error_at else None,
            "lastErrorMessage": self.last_error_message,
        }

    def row(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "key": self.key,
            "name": self.name,
            "type": self.type,
            "required": self.required,
            "enabled": self.enabled,
            "status": self.status,
            "viewer_url": self.viewer_url,
            "probe_url": self.probe_url,
            "last_healthy_at": iso(self.last_healthy_at) if self.last_healthy_at else None,
            "last_error_at": iso(self.last_error_at) if self.last_error_at else None,
            "last_error_message": self.last_error_message,
        }


@dataclass
class User:
    """An Agentbot account, signed in with a session cookie (community pass, admin)."""

    id: str
    admin: bool = False
    community_wallet: str | None = None


@dataclass
class Caller:
    token: dict[str, Any] | None = None
    user: User | None = None


_SEVERITY = {"healthy": 0, "stopped": 1, "pending": 2, "degraded": 3, "failed": 4}


@dataclass
class Station:
    rtmp_base: str
    secret: bytes = field(default_factory=lambda: secrets.token_bytes(32))
    token_holders: set[str] = field(default_factory=set)
    users: dict[str, User] = field(default_factory=dict)
    bad_tx: dict[str, str] = field(default_factory=dict)
    used_tx: set[str] = field(default_factory=set)
    sessions: list[DjSession] = field(default_factory=list)
    cooldown_waived: set[int] = field(default_factory=set)
    relays: dict[str, RelayDestination] = field(default_factory=dict)
    mux_configured: bool = True
    relay_migration: bool = True
    _next_id: int = 42

    def __post_init__(self) -> None:
        self.relays["basefm-space"] = RelayDestination(
            id=1,
            key="basefm-space",
            name="basefm.space",
            type="hls-consumer",
            required=True,
            viewer_url=FIRST_PARTY_URL,
            probe_url=FIRST_PARTY_URL,
        )

    @property
    def rtmp_url(self) -> str:
        return f"{self.rtmp_base}/basefm"

    # -- time ----------------------------------------------------------------------
    def _auto_end(self, s: DjSession, now: float) -> None:
        s.status = "auto-ended"
        s.ended_at = s.expires_at
        s.mux_status = "disabled"

    # -- tokens ----------------------------------------------------------------------
    def token_for(self, s: DjSession) -> str:
        payload = {
            "sessionId": s.id,
            "wallet": s.wallet,
            "userId": s.user,
            "exp": int(s.expires_at + TOKEN_GRACE_SECONDS),
        }
        return sign(payload, self.secret)

    def mint(self, payload: dict[str, Any]) -> str:
        return sign(payload, self.secret)

    def read_token(self, token: str | None, now: float) -> dict[str, Any] | None:
        """The payload of a valid, unexpired token; ``Refused(401)`` for a bad one."""
        if not token:
            return None
        payload = verify(token, self.secret)
        if payload is None or not isinstance(payload.get("exp"), (int, float)):
            raise Refused(401, {"error": "Unauthorized"})
        if now >= payload["exp"]:
            raise Refused(401, {"error": "Unauthorized"})
        return payload

    def by_id(self, session_id: Any) -> DjSession | None:
        return next((s for s in self.sessions if s.id == session_id), None)

    def current_for_wallet(self, wallet: str) -> list[DjSession]:
        w = wallet.lower()
        return [s for s in self.sessions if s.current() and s.wallet.lower() == w]

    def authorized(self, caller: Caller, now: float) -> DjSession | None:
        """The caller's current session (token first, then user session), or ``None``;
        ``Refused(401)`` without any authentication, ``Refused(403)`` for a token whose
        wallet is not the session's."""
        if caller.token is not None:
            s = self.by_id(caller.token.get("sessionId"))
            if s is None or not s.current():
                return None
            if s.wallet.lower() != str(caller.token.get("wallet", "")).lower():
                raise Refused(403, {"error": "Forbidden"})
            return s
        if caller.user is not None:
            mine = [s for s in self.sessions if s.current() and s.user == caller.user.id]
            return max(mine, key=lambda s: s.started_at) if mine else None
        raise Refused(401, {"error": "Unauthorized"})

    # -- create ----------------------------------------------------------------------
    def create(self, body: Any, caller: Caller, now: float) -> dict[str, Any]:
        if not self.mux_configured:
            raise Refused(500, {"error": "Mux not configured"})
        if not isinstance(body, dict):
            raise Refused(400, {"error": "Invalid JSON body"})
        wallet = _text(body, "wallet")
        if not wallet:
            raise Refused(400, {"error": "Wallet address required"})
        if not WALLET.match(wallet):
            raise Refused(400, {"error": "Invalid wallet address"})
        name = _text(body, "name")
        city = _text(body, "city")[:80] or None  # the service trims and caps at 80
        tx_hash = _text(body, "txHash") or None

        # The caller's own current session: the recovery response, before anything else.
        owned = self._owned(caller, wallet, now)
        if owned is not None:
            return self._controls(owned, now, reconnected=True)

        access, stream_wallet = self._access(wallet, caller, tx_hash)

        # Expired sessions are ended first; a remaining current one blocks.
        for s in self.current_for_wallet(stream_wallet):
            if now >= s.expires_at:
                self._auto_end(s, now)
        blocking = self.current_for_wallet(stream_wallet)
        if blocking:
            s = blocking[0]
            remaining = s.remaining(now)
            raise Refused(
                409,
                {
                    "error": "active_session_exists",
                    "message": f"You already have an active stream. {remaining // 60} minutes remaining.",
                    "remaining": remaining,
                    "sessionId": s.id,
                },
            )

        admin = caller.user is not None and caller.user.admin
        if not admin:
            self._check_cooldown(stream_wallet, now)

        if access == "paid":
            self._verify_payment(tx_hash or "")

        s = DjSession(
            id=self._next_id,
            wallet=stream_wallet,
            name=name or "DJ",
            city=city,
            user=caller.user.id if caller.user else None,
            access=access,
            stream_id=_rand(10),
            stream_key=_stream_key(),
            playback_id=_rand(12),
            started_at=now,
            tx_hash=tx_hash if access == "paid" else None,
        )
        self._next_id += 1
        self.sessions.append(s)
        return self._controls(s, now, reconnected=False)

    def _owned(self, caller: Caller, wallet: str, now: float) -> DjSession | None:
        try:
            s = self.authorized(caller, now) if (caller.token or caller.user) else None
        except Refused:
            return None
        if s is None or s.wallet.lower() != wallet.lower() or now >= s.expires_at:
            return None
        return s

    def _access(self, wallet: str, caller: Caller, tx_hash: str | None) -> tuple[str, str]:
        if wallet.lower() in self.token_holders:
            return "basefm", wallet
        user = caller.user
        if user is not None and user.community_wallet:
            if user.community_wallet.lower() != wallet.lower():
                raise Refused(
                    403,
                    {
                        "error": "Community guest pass only works with your claimed Agentbot wallet.",
                        "wallet": user.community_wallet,
                        "expected": user.community_wallet,
                    },
                )
            return "community-pass", user.community_wallet
        if not tx_hash:
            raise Refused(
                402,
                {
                    "error": "payment_required",
                    "message": "Hold 2,500,000 BASEFM on Base, use a community guest pass, or "
                    f"pay the ${SESSION_FEE_USDC} USDC session fee on Base and include its txHash.",
                    "fee": SESSION_FEE_USDC,
                    "currency": "USDC",
                    "chain": "base",
                    "recipient": PLATFORM_WALLET,
                },
            )
        return "paid", wallet

    def _check_cooldown(self, wallet: str, now: float) -> None:
        ended = [
            s.ended_at
            for s in self.sessions
            if s.wallet.lower() == wallet.lower()
            and s.status == "ended"
            and s.ended_at is not None
            and s.id not in self.cooldown_waived
        ]
        if not ended:
            return
        available_at = max(ended) + COOLDOWN_SECONDS
        if now < available_at:
            left = int(available_at - now + 0.999)
            raise Refused(
                429,
                {
                    "error": "cooldown_active",
                    "message": f"24-hour cooldown between streams. Available in ~{-(-left // 3600)}h.",
                    "cooldownRemaining": left,
                    "availableAt": iso(available_at),
                },
            )

    def clear_cooldowns(self, wallet: str | None) -> list[str]:
        """Waive the cooldown of every session ended so far (of ``wallet``, or all)."""
        waived = [
            s
            for s in self.sessions
            if s.status == "ended" and (wallet is None or s.wallet.lower() == wallet.lower())
        ]
        self.cooldown_waived |= {s.id for s in waived}
        return sorted({s.wallet.lower() for s in waived})

    def _verify_payment(self, tx_hash: str) -> None:
        reason: str | None = None
        if not TX_HASH.match(tx_hash):
            reason = "malformed transaction hash"
        elif tx_hash.lower() in self.bad_tx:
            reason = self.bad_tx[tx_hash.lower()]
        elif tx_hash.lower() in self.used_tx:
            reason = "transaction already used"
        if reason is not None:
            raise Refused(
                400,
                {"error": f"Payment verification failed: {reason}", "reason": reason},
            )
        self.used_tx.add(tx_hash.lower())

    def _ffmpeg(self, full: str) -> dict[str, str]:
        tail = f'-c:a aac -b:a 128k -ar 44100 -ac 2 -f flv "{full}"'
        return {
            "command": f'ffmpeg -re -i "/path/to/set.mp3" {tail}',
            "audioOnlyCommand": f'ffmpeg -re -i "/path/to/set.mp3" {tail}',
            "playlistCommand": f'ffmpeg -re -f concat -safe 0 -i "/tmp/basefm-playlist.txt" {tail}',
            "artworkCommand": 'ffmpeg -re -loop 1 -i "basefm-artwork.jpg" -f lavfi -i '
            "anullsrc=r=44100:cl=stereo -c:v libx264 -preset veryfast -tune stillimage "
            f'-pix_fmt yuv420p -g 60 -r 30 -b:v 3500k -c:a aac -b:a 256k -ar 44100 -ac 2 -f flv "{full}"',
            "inputHint": "Default command is audio-only. Use playlistCommand for an ffmpeg concat "
            "playlist, or artworkCommand for a video track with the baseFM standby image.",
        }

    def _stream(self, s: DjSession, status: str) -> dict[str, Any]:
        full = f"{self.rtmp_url}/{s.stream_key}"
        return {
            "id": s.stream_id,
            "name": s.name,
            "wallet": s.wallet,
            "streamKey": s.stream_key,
            "rtmpUrl": self.rtmp_url,
            "fullRtmpUrl": full,
            "playbackId": s.playback_id,
            "status": status,
        }

    def _controls(self, s: DjSession, now: float, *, reconnected: bool) -> dict[str, Any]:
        reply: dict[str, Any] = {"success": True}
        if reconnected:
            reply["reconnected"] = True
        reply["stream"] = self._stream(s, s.mux_status if reconnected else "created")
        reply["session"] = {
            "id": s.id,
            "wallet": s.wallet,
            "maxDuration": MAX_SESSION_SECONDS,
            "remaining": s.remaining(now),
            "expiresAt": iso(s.expires_at),
            "accessToken": self.token_for(s),
        }
        reply["ffmpeg"] = self._ffmpeg(f"{self.rtmp_url}/{s.stream_key}")
        return reply

    # -- session calls ---------------------------------------------------------------
    def check_session(self, caller: Caller, now: float) -> dict[str, Any]:
        s = self.authorized(caller, now)
        if s is None:
            return {"active": False, "message": "No active session."}
        if now >= s.expires_at:
            self._auto_end(s, now)
            return {"active": False, "message": "Session expired."}
        ffmpeg = self._ffmpeg(f"{self.rtmp_url}/{s.stream_key}")
        stream = self._stream(s, s.mux_status)
        stream["accessGrantedBy"] = s.access
        stream["ffmpeg"] = ffmpeg
        remaining = s.remaining(now)
        return {
            "active": True,
            "stream": stream,
            "ffmpeg": ffmpeg,
            "session": {
                "id": s.id,
                "wallet": s.wallet,
                "djName": s.name,
                "muxStreamId": s.stream_id,
                "playbackId": s.playback_id,
                "startedAt": iso(s.started_at),
                "elapsed": MAX_SESSION_SECONDS - remaining,
                "remaining": remaining,
                "remainingMinutes": remaining // 60,
                "expiresAt": iso(s.expires_at),
            },
        }

    def end_session(self, caller: Caller, now: float) -> dict[str, Any]:
        s = self.authorized(caller, now)
        if s is None:
            return {"success": True, "message": "No session"}
        if now >= s.expires_at:
            self._auto_end(s, now)
            return {"success": True, "message": "No session"}
        s.status = "ended"
        s.ended_at = now
        s.mux_status = "disabled"
        return {"success": True, "message": "Session ended"}

    def _health(self, s: DjSession) -> tuple[str, str]:
        if s.mux_status == "active":
            return "good", "Mux is active and the station should be ready for listeners."
        if s.mux_status == "idle":
            return "waiting", "Mux is idle. OBS or ffmpeg ingest still needs to connect."
        return "bad", "Mux is not reporting a healthy stream."

    def stream_status(self, caller: Caller, now: float) -> dict[str, Any]:
        s = self.authorized(caller, now)
        if s is not None and now >= s.expires_at:
            self._auto_end(s, now)
            s = None
        if s is None:
            return {"active": False, "message": "No active stream session found"}
        health, message = self._health(s)
        pickup = s.mux_status == "active" and s.status != "live"
        if pickup:
            message = "Mux is active but the session is not live yet; sync the session."
        return {
            "active": True,
            "session": {
                "id": s.id,
                "djName": s.name,
                "muxStreamId": s.stream_id,
                "playbackId": s.playback_id,
                "status": s.status,
            },
            "mux": {
                "id": s.stream_id,
                "status": s.mux_status,
                "playbackId": s.playback_id,
                "recentAssetIds": [],
            },
            "distribution": self.distribution(now),
            "streamHealth": health,
            "pickupRecommended": pickup,
            "message": message,
        }

    def sync(self, caller: Caller, now: float) -> dict[str, Any]:
        s = self.authorized(caller, now)
        if s is not None and now >= s.expires_at:
            self._auto_end(s, now)
            s = None
        if s is None:
            raise Refused(404, {"error": "No active stream session found"})
        health, _ = self._health(s)
        if s.mux_status == "active":
            s.status = "live"
            return {
                "success": True,
                "synced": True,
                "muxStatus": "active",
                "playbackId": s.playback_id,
                "streamHealth": health,
                "message": "Mux stream is active. Session synced to live.",
            }
        return {
            "success": False,
            "synced": False,
            "muxStatus": s.mux_status,
            "playbackId": None,
            "streamHealth": health,
            "message": "Mux stream is not active yet. OBS ingest still needs to connect.",
        }

    # -- ingest ----------------------------------------------------------------------
    def publish(self, key: str, now: float) -> bool:
        for s in self.sessions:
            if s.current() and s.stream_key == key and now < s.expires_at:
                s.mux_status = "active"
                return True
        return False

    def publish_done(self, key: str, now: float) -> None:
        for s in self.sessions:
            if s.stream_key == key and s.current():
                s.mux_status = "idle"
                # What the idle webhook does: a live session goes back to active.
                if s.status == "live":
                    s.status = "active"

    # -- the station -----------------------------------------------------------------
    def on_air(self, now: float) -> list[DjSession]:
        return sorted(
            (
                s
                for s in self.sessions
                if s.current() and s.mux_status == "active" and now < s.expires_at
            ),
            key=lambda s: s.started_at,
        )

    def live(self, now: float) -> dict[str, Any]:
        if not self.mux_configured:
            cached = [s for s in self.sessions if s.status == "live"]
            djs = [self._dj(s, source="session-cache") for s in cached]
            return {
                "djs": djs,
                "count": len(djs),
                "primaryDj": djs[0] if djs else None,
                "availability": "degraded",
                "distribution": self.distribution(now),
                "error": "Mux credentials are missing",
            }
        djs = [self._dj(s, source="mux") for s in self.on_air(now)]
        return {
            "djs": djs,
            "count": len(djs),
            "primaryDj": djs[0] if djs else None,
            "availability": "live" if djs else "idle",
            "distribution": self.distribution(now),
        }

    def _dj(self, s: DjSession, *, source: str) -> dict[str, Any]:
        return {
            "id": s.stream_id,
            "name": s.name,
            "wallet": s.wallet,
            "playbackId": s.playback_id,
            "streamKey": s.stream_key if source == "mux" else None,
            "status": "active",
            "startedAt": iso(s.started_at),
            "source": source,
            "hlsUrl": f"https://stream.mux.com/{s.playback_id}.m3u8",
            "embedUrl": f"https://stream.mux.com/{s.playback_id}.html",
        }

    def distribution(self, now: float) -> dict[str, Any]:
        on_air = self.on_air(now)
        if not self.mux_configured:
            origin = {"status": "degraded", "playbackId": None, "hlsUrl": None}
        elif on_air:
            pid = on_air[0].playback_id
            origin = {
                "status": "active",
                "playbackId": pid,
                "hlsUrl": f"https://stream.mux.com/{pid}.m3u8",
            }
        else:
            origin = {"status": "idle", "playbackId": None, "hlsUrl": None}
        relays = list(self.relays.values())
        required = [r.status for r in relays if r.required and r.enabled]
        required_status = (
            max(required, key=lambda st: _SEVERITY.get(st, 4)) if required else "healthy"
        )
        if origin["status"] == "degraded":
            overall = "degraded"
        elif origin["status"] == "idle":
            overall = "idle"
        else:
            overall = required_status
        return {
            "origin": origin,
            "firstParty": {"status": "healthy", "pageUrl": FIRST_PARTY_URL, "note": None},
            "relays": [r.listed() for r in relays],
            "requiredRelayStatus": required_status,
            "overallStatus": overall,
        }

    # -- relays ----------------------------------------------------------------------
    def _admin(self, caller: Caller) -> None:
        if caller.user is None or not caller.user.admin:
            raise Refused(403, {"error": "Forbidden"})
        if not self.relay_migration:
            raise Refused(
                503,
                {
                    "error": "Relay persistence requires the baseFM relay database migration "
                    "to be applied"
                },
            )

    def upsert_relay(self, body: Any, caller: Caller) -> dict[str, Any]:
        self._admin(caller)
        if not isinstance(body, dict) or not body.get("key") or not body.get("name"):
            raise Refused(400, {"error": "key and name are required"})
        key = str(body["key"])
        relay = self.relays.get(key)
        if relay is None:
            relay = RelayDestination(id=len(self.relays) + 1, key=key, name=str(body["name"]))
            self.relays[key] = relay
        relay.name = str(body["name"])
        relay.type = str(body.get("type") or "custom")
        relay.viewer_url = body.get("viewerUrl") or relay.viewer_url
        relay.probe_url = body.get("probeUrl") or relay.viewer_url
        relay.required = bool(body.get("required", False))
        relay.enabled = bool(body.get("enabled", True))
        return {"relay": relay.row()}

    def probe(self, key: str, caller: Caller, now: float) -> dict[str, Any]:
        self._admin(caller)
        relay = self.relays.get(key)
        if relay is None:
            raise Refused(404, {"error": "Relay not found"})
        if not relay.probe_url:
            raise Refused(400, {"error": "Relay has no probe target configured"})
        if self.on_air(now):
            relay.status, relay.note = "healthy", None
            relay.last_healthy_at = now
            return {"ok": True, "error": None, "relay": relay.row()}
        message = "Origin is idle: no current Agentbot playback id to verify."
        relay.status, relay.note = "degraded", message
        relay.last_error_at, relay.last_error_message = now, message
        return {"ok": False, "error": message, "relay": relay.row()}

    # -- dump ------------------------------------------------------------------------
    def dump(self, now: float) -> dict[str, Any]:
        return {
            "now": now,
            "tokenHolders": sorted(self.token_holders),
            "users": {
                u.id: {"admin": u.admin, "communityWallet": u.community_wallet}
                for u in self.users.values()
            },
            "usedTxHashes": sorted(self.used_tx),
            "badTxHashes": dict(self.bad_tx),
            "muxConfigured": self.mux_configured,
            "relayMigration": self.relay_migration,
            "sessions": [
                {
                    "id": s.id,
                    "wallet": s.wallet,
                    "name": s.name,
                    "city": s.city,
                    "access": s.access,
                    "status": s.status,
                    "muxStatus": s.mux_status,
                    "streamId": s.stream_id,
                    "startedAt": s.started_at,
                    "endedAt": s.ended_at,
                    "remaining": s.remaining(now) if s.current() else 0,
                }
                for s in self.sessions
            ],
            "relays": [r.listed() for r in self.relays.values()],
        }
