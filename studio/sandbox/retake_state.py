"""State of the retake.tv sandbox: agents, verification, RTMP keys, sessions, chat.

Pure state, no HTTP: ``studio.sandbox.retake`` turns requests into calls here and
``Refused`` into error replies. Time comes in as ``now`` so viewers and uptime are
derived from the sandbox clock when asked.
"""

from __future__ import annotations

import base64
import json
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

from studio.errors import ValidationFailed
from studio.sandbox.replies import Refused, iso
from studio.validation import check
from studio.validation.retake import (
    MAX_COMMENTS,
    TWEET_URL,
    RegisterRequest,
    b58encode,
)

VERIFY_TEXT = "Claiming my Livestreaming Agent on @retakedottv. Code: "
MAX_VIEWERS = 40
STATUS_ID = re.compile(r"/status/([0-9]+)")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def status_id(url: str) -> str | None:
    match = STATUS_ID.search(url)
    return match.group(1) if match else None


@dataclass
class Session:
    session_id: str
    streamer_id: str
    title: str
    started_at: float
    ended_at: float | None = None
    peak_viewers: int = 0
    category: str = ""
    tags: list[str] = field(default_factory=list)
    muted: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "session_id": self.session_id,
            "streamer_id": self.streamer_id,
            "title": self.title,
            "category": self.category,
            "tags": list(self.tags),
            "started_at": iso(self.started_at),
        }
        if self.ended_at is not None:
            out["ended_at"] = iso(self.ended_at)
        return out


@dataclass
class Agent:
    name: str
    description: str
    image_url: str
    wallet: str
    ticker: str
    access_token: str
    agent_id: str
    user_db_id: str
    created_at: float
    verified: bool = False
    verification_code: str | None = None
    rtmp_key: str | None = None
    revoked: set[str] = field(default_factory=set)
    session: Session | None = None
    ingest_since: float | None = None
    token_address: str = ""
    token_ticker: str = ""
    thumbnail: bytes | None = None
    thumbnails: int = 0
    followers: int = 0
    viewers_override: int | None = None
    market_cap: float = 0.0
    pfp: bytes | None = None
    pfp_url: str | None = None
    banner: bytes | None = None
    banner_url: str | None = None
    banner_link: str | None = None
    token_name: str = ""
    following: dict[str, float] = field(default_factory=dict)  # user id -> since

    def is_live(self) -> bool:
        return self.session is not None and self.ingest_since is not None

    def uptime(self, now: float) -> int:
        if not self.is_live():
            return 0
        assert self.session is not None and self.ingest_since is not None
        return int(now - max(self.session.started_at, self.ingest_since))

    def viewers(self, now: float) -> int:
        if not self.is_live():
            return 0
        if self.viewers_override is not None:
            return self.viewers_override
        return min(MAX_VIEWERS, 1 + self.uptime(now) // 15)


class RetakeWorld:
    """Everything the sandboxed retake.tv knows."""

    def __init__(self) -> None:
        self.agents: dict[str, Agent] = {}  # by userDbId
        self.by_token: dict[str, Agent] = {}
        self.tweets: dict[str, str] = {}  # status id -> text
        self.comments: dict[str, list[dict[str, Any]]] = {}  # streamer -> oldest first
        self.chat_events: dict[str, list[dict[str, Any]]] = {}  # streamer -> oldest first
        self.trades: list[dict[str, Any]] = []
        self.tips: dict[str, dict[str, float]] = {}  # streamer -> username -> total
        self.sessions: list[Session] = []  # ended sessions
        self.scheduled: list[dict[str, Any]] = []
        self.auto_tweets = False
        self.comments_order: str = "newest_first"
        """How a page of comments is sorted (the document does not say): ``newest_first``
        or ``oldest_first``; either way a page holds the newest comments before
        ``beforeId``, and ``beforeId`` pages back to older ones."""
        self.jwts: dict[str, tuple[str, float]] = {}  # Privy JWT -> (userDbId, expiry)
        self._counter = 0

    def next_id(self, prefix: str) -> str:
        self._counter += 1
        return f"{prefix}_{self._counter:06d}"

    # -- accounts ---------------------------------------------------------------------
    def register(self, body: Any, now: float) -> Agent:
        if not isinstance(body, dict):
            raise Refused(400, "The body must be a JSON object.")
        try:
            req = check(RegisterRequest, body, what="registration")
        except ValidationFailed as exc:
            raise Refused(400, exc.message) from None
        if self.find_by_name(req.agent_name):
            raise Refused(400, f"Agent name '{req.agent_name}' is already taken.")
        agent = Agent(
            name=req.agent_name,
            description=req.agent_description,
            image_url=req.image_url,
            wallet=req.wallet_address,
            ticker=req.ticker,
            access_token="rtk_" + secrets.token_hex(16),
            agent_id=self.next_id("agent"),
            user_db_id=self.next_id("user"),
            created_at=now,
        )
        self.agents[agent.user_db_id] = agent
        self.by_token[agent.access_token] = agent
        return agent

    def find_by_name(self, name: str) -> Agent | None:
        low = name.lower()
        return next((a for a in self.agents.values() if a.name.lower() == low), None)

    def agent_for(self, authorization: str | None) -> Agent:
        scheme, _, token = (authorization or "").partition(" ")
        agent = self.by_token.get(token.strip()) if scheme.lower() == "bearer" else None
        if agent is None:
            raise Refused(401, "Invalid or missing access_token")
        return agent

    # -- section 6: Privy users ----------------------------------------------------------
    def issue_jwt(self, agent: Agent, now: float, lifetime: float = 3600.0) -> str:
        """A Privy-shaped user JWT for the agent's user (the sandbox's stand-in for a
        Privy login); it expires after ``lifetime`` seconds of the sandbox clock."""
        header = {"alg": "ES256", "typ": "JWT", "kid": "sandbox"}
        claims = {
            "iss": "privy.io",
            "aud": "retake-sandbox",
            "sub": f"did:privy:{secrets.token_hex(12)}",
            "uid": agent.user_db_id,
            "iat": int(now),
            "exp": int(now + lifetime),
        }
        token = ".".join(
            [
                _b64(json.dumps(header).encode()),
                _b64(json.dumps(claims).encode()),
                _b64(secrets.token_bytes(32)),
            ]
        )
        self.jwts[token] = (agent.user_db_id, now + lifetime)
        return token

    def user_for(self, authorization: str | None, now: float) -> Agent:
        """The user of a section-6 call: a Privy JWT, never the agent's access token."""
        scheme, _, token = (authorization or "").partition(" ")
        token = token.strip() if scheme.lower() == "bearer" else ""
        return self.user_for_jwt(token, now)

    def user_for_jwt(self, token: str, now: float) -> Agent:
        if token in self.by_token:
            raise Refused(401, "This route needs a Privy user JWT, not the agent access_token")
        held = self.jwts.get(token)
        if held is None:
            raise Refused(401, "Invalid or missing Privy JWT")
        user_id, expires = held
        if now >= expires:
            raise Refused(401, "Privy JWT expired")
        return self.agents[user_id]

    def rename(self, agent: Agent, username: str) -> None:
        other = self.find_by_name(username)
        if other is not None and other is not agent:
            raise Refused(400, f"Username '{username}' is already taken.")
        agent.name = username

    def follow(self, agent: Agent, target_id: str, now: float) -> Agent:
        target = self.agents.get(target_id)
        if target is None:
            raise Refused(404, f"User '{target_id}' not found")
        if target is agent:
            raise Refused(400, "You cannot follow yourself.")
        if target_id not in agent.following:
            agent.following[target_id] = now
            target.followers += 1
        return target

    def unfollow(self, agent: Agent, target_id: str) -> Agent:
        target = self.agents.get(target_id)
        if target is None:
            raise Refused(404, f"User '{target_id}' not found")
        if agent.following.pop(target_id, None) is not None:
            target.followers = max(0, target.followers - 1)
        return target

    def profile(self, agent: Agent) -> dict[str, Any]:
        return {
            "user_id": agent.user_db_id,
            "username": agent.name,
            "bio": agent.description,
            "wallet_address": agent.wallet,
            "profile_picture_url": agent.pfp_url or agent.image_url,
            "banner_url": agent.banner_url,
            "banner_link": agent.banner_link,
            "token_name": agent.token_name or None,
            "ticker": agent.token_ticker or agent.ticker,
            "token_address": agent.token_address,
            "social_links": [],
            "followers": agent.followers,
            "following": len(agent.following),
        }

    # -- section 6: session-owner controls ---------------------------------------------
    def open_session(
        self, agent: Agent, title: str, category: str, tags: list[str], now: float
    ) -> Session:
        if agent.session is not None:
            raise Refused(409, "A session is already active; end it first.")
        agent.session = Session(
            self.next_id("session"), agent.user_db_id, title, now, category=category, tags=tags
        )
        return agent.session

    def owned_session(self, agent: Agent, session_id: str) -> Session:
        session = self.find_session(session_id)
        if session is None:
            raise Refused(404, f"Session '{session_id}' not found")
        if session.streamer_id != agent.user_db_id:
            raise Refused(403, "Only the session's owner can do this.")
        return session

    def find_session(self, session_id: str) -> Session | None:
        for a in self.agents.values():
            if a.session is not None and a.session.session_id == session_id:
                return a.session
        return next((s for s in self.sessions if s.session_id == session_id), None)

    def end_session(self, agent: Agent, session: Session, now: float) -> Session:
        if agent.session is not session:
            raise Refused(409, "No active session")
        self.stop(agent, now)
        return session

    def delete_session(self, agent: Agent, session: Session) -> None:
        if agent.session is session:
            agent.session = None
            agent.ingest_since = None
        self.sessions = [s for s in self.sessions if s is not session]

    def streamer(self, identifier: str) -> Agent:
        agent = self.agents.get(identifier) or self.find_by_name(identifier)
        if agent is None:
            raise Refused(404, f"Streamer '{identifier}' not found")
        return agent

    # -- verification -----------------------------------------------------------------
    def prepare_verify(self, agent: Agent) -> str:
        agent.verification_code = secrets.token_hex(4).upper()
        return VERIFY_TEXT + agent.verification_code

    def verify(self, agent: Agent, body: Any) -> bool:
        url = body.get("tweet_url") if isinstance(body, dict) else None
        if agent.verification_code is None:
            raise Refused(400, "No verification message found. Call prepare-verify first.")
        if not isinstance(url, str) or not TWEET_URL.match(url):
            raise Refused(400, "Invalid tweet URL. Use a Twitter/X status URL.")
        text = self.tweets.get(status_id(url) or "")
        if text is None and self.auto_tweets:
            text = VERIFY_TEXT + agent.verification_code
        if text is None or (VERIFY_TEXT + agent.verification_code) not in text:
            raise Refused(400, "Tweet does not contain the verification code.")
        agent.verified = True
        return True

    def post_tweet(self, url: str, text: str) -> str:
        sid = status_id(url)
        if not TWEET_URL.match(url) or sid is None:
            raise Refused(400, "not a Twitter/X status URL")
        self.tweets[sid] = text
        return sid

    # -- RTMP and sessions ------------------------------------------------------------
    def new_rtmp_key(self, agent: Agent) -> str:
        if agent.rtmp_key:
            agent.revoked.add(agent.rtmp_key)
        agent.rtmp_key = "sk_" + secrets.token_hex(16)
        return agent.rtmp_key

    def publish(self, key: str, now: float) -> bool:
        for agent in self.agents.values():
            if agent.rtmp_key == key and key not in agent.revoked:
                agent.ingest_since = now
                return True
        return False

    def publish_done(self, key: str) -> None:
        for agent in self.agents.values():
            if agent.rtmp_key == key or key in agent.revoked:
                agent.ingest_since = None

    def start(self, agent: Agent, now: float) -> tuple[Agent, bool]:
        """Returns the agent and whether this call opened a new session."""
        if not agent.verified:
            raise Refused(403, "Agent is not verified. Complete Twitter/X verification first.")
        if not agent.token_address:
            agent.token_address = b58encode(secrets.token_bytes(32))
            agent.token_ticker = agent.ticker
            agent.market_cap = 5000.0
        if agent.session is not None:
            return agent, False
        agent.session = Session(
            self.next_id("session"), agent.user_db_id, f"{agent.name} live", now
        )
        return agent, True

    def stop(self, agent: Agent, now: float) -> dict[str, Any]:
        if agent.session is None:
            raise Refused(409, "No active session")
        session = agent.session
        viewers = max(session.peak_viewers, agent.viewers(now))
        session.ended_at = now
        session.peak_viewers = viewers
        self.sessions.append(session)
        agent.session = None
        agent.ingest_since = None
        agent.viewers_override = None
        return {
            "status": "stopped",
            "duration_seconds": int(now - session.started_at),
            "viewers": viewers,
        }

    def status(self, agent: Agent, now: float) -> dict[str, Any]:
        if agent.session is not None:
            agent.session.peak_viewers = max(agent.session.peak_viewers, agent.viewers(now))
        return {
            "is_live": agent.is_live(),
            "viewers": agent.viewers(now),
            "uptime_seconds": agent.uptime(now),
            "token_address": agent.token_address,
            "userDbId": agent.user_db_id,
        }

    # -- chat -------------------------------------------------------------------------
    def add_comment(
        self,
        streamer_id: str,
        text: str,
        now: float,
        *,
        username: str,
        wallet: str = "",
        fid: int = 0,
    ) -> dict[str, Any]:
        if streamer_id not in self.agents:
            raise Refused(404, f"User '{streamer_id}' not found")
        earlier = self.comments.get(streamer_id)
        if earlier:  # a server stamps each message: no two alike, like a real one
            now = max(now, earlier[-1]["_at"] + 0.001)
        comment = {
            "_id": self.next_id("comment"),
            "streamId": streamer_id,
            "text": text,
            "timestamp": iso(now),
            "author": {
                "walletAddress": wallet,
                "fusername": username,
                "fid": fid,
                "favatar": f"https://retake.tv/avatars/{username}.png",
            },
        }
        self.comments.setdefault(streamer_id, []).append({**comment, "_at": now})
        self.add_chat_event(
            streamer_id, "message", username, text, now, event_id=str(comment["_id"])
        )
        return comment

    def add_chat_event(
        self,
        streamer_id: str,
        kind: str,
        username: str,
        text: str | None,
        now: float,
        *,
        event_id: str | None = None,
        tip_data: dict[str, Any] | None = None,
        trade_data: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        agent = self.agents.get(streamer_id)
        event = {
            "_id": event_id or self.next_id(kind),
            "chat_event_id": event_id or None,
            "type": kind,
            "session_id": agent.session.session_id if agent and agent.session else None,
            "streamer_id": streamer_id,
            "sender_username": username,
            "text": text,
            "timestamp": iso(now),
            "tip_data": tip_data,
            "trade_data": trade_data,
        }
        event["chat_event_id"] = event["_id"]
        self.chat_events.setdefault(streamer_id, []).append(event)
        return event

    def page(
        self,
        items: list[dict[str, Any]],
        limit: int,
        before: str | None,
        key: str,
        *,
        oldest_first: bool = False,
    ) -> list[dict[str, Any]]:
        """The newest ``limit`` items before ``before`` (the id of the oldest item of the
        previous page), newest first, or oldest first when ``oldest_first``."""
        if not 1 <= limit <= MAX_COMMENTS:
            raise Refused(400, f"limit must be 1-{MAX_COMMENTS}")
        newest_first = list(reversed(items))
        if before is not None:
            index = next((i for i, c in enumerate(newest_first) if c[key] == before), None)
            if index is None:
                raise Refused(404, f"Message '{before}' not found")
            newest_first = newest_first[index + 1 :]
        page = [{k: v for k, v in item.items() if k != "_at"} for item in newest_first[:limit]]
        return page[::-1] if oldest_first else page

    # -- trades and tips --------------------------------------------------------------
    def add_trade(
        self, agent: Agent, action: str, usd_amount: float, now: float, username: str
    ) -> dict[str, Any]:
        if not agent.token_address:
            raise Refused(409, "This agent has no token yet (it is created on the first stream).")
        trade = {
            "id": self.next_id("trade"),
            "address": agent.token_address,
            "token_address": agent.token_address,
            "action": action,
            "usdAmount": usd_amount,
            "tokenTicker": agent.token_ticker,
            "ticker": agent.token_ticker,
            "trader": username,
            "timestamp": iso(now),
            "at": now,
        }
        agent.market_cap = max(
            0.0, agent.market_cap + (usd_amount if action == "buy" else -usd_amount)
        )
        self.trades.append(trade)
        return trade

    def add_tip(self, agent: Agent, username: str, amount: float) -> None:
        totals = self.tips.setdefault(agent.user_db_id, {})
        totals[username] = totals.get(username, 0.0) + amount

    # -- discovery --------------------------------------------------------------------
    def ranked(self) -> list[Agent]:
        with_token = [a for a in self.agents.values() if a.token_address]
        return sorted(with_token, key=lambda a: (-a.market_cap, a.name))

    def rank_of(self, agent: Agent) -> int | None:
        ranked = self.ranked()
        return ranked.index(agent) + 1 if agent in ranked else None

    def summary(self, agent: Agent) -> dict[str, Any]:
        return {
            "user_id": agent.user_db_id,
            "username": agent.name,
            "ticker": agent.token_ticker or agent.ticker,
            "token_address": agent.token_address,
            "market_cap": agent.market_cap,
            "rank": self.rank_of(agent),
            "profile_picture_url": agent.image_url,
        }
