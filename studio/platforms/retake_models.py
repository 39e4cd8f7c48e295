"""retake.tv replies as typed models.

The documented fields are typed; anything else the server adds is kept (``extra="allow"``)
so a new field never breaks the studio. The public discovery endpoints are documented
by field names only, so their models are permissive: every field optional.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, SecretStr

from studio.inert_text import ViewerText
from studio.redaction import SecretValue, reveal


class _Reply(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True, populate_by_name=True)


# -- agent ------------------------------------------------------------------------------


class Registration(_Reply):
    access_token: SecretValue
    agent_id: str
    user_db_id: str = Field(alias="userDbId")
    wallet_address: str | None = None
    token_address: str | None = ""
    token_ticker: ShownTicker | None = ""


class VerificationPrompt(_Reply):
    verification_message: str


class Verified(_Reply):
    verified: bool


class RtmpCredentials(_Reply):
    url: str
    key: SecretValue

    @property
    def publish_url(self) -> SecretStr:
        """``url/key``, what FFmpeg pushes to; a secret because it carries the key."""
        return SecretStr(f"{self.url.rstrip('/')}/{reveal(self.key)}")


Count = Annotated[int, Field(ge=0)]
"""Viewers, seconds: never negative, so a reply that says so is refused where it enters."""
Amount = Annotated[float, Field(ge=0)]
ShownTicker = Annotated[ViewerText, Field(max_length=20)]
"""A ticker as the kiosk can show it (the document's own limit is 10)."""


class StreamToken(_Reply):
    name: ViewerText | None = None
    ticker: ShownTicker | None = None
    image_url: str | None = Field(None, alias="imageUrl")
    token_address: str | None = Field(None, alias="tokenAddress")
    token_type: str | None = Field(None, alias="tokenType")


class StreamStart(_Reply):
    success: bool
    token: StreamToken | None = None


class StreamStatus(_Reply):
    is_live: bool
    viewers: Count = 0
    uptime_seconds: Count = 0
    token_address: str | None = None
    user_db_id: str | None = Field(None, alias="userDbId")


class ThumbnailUploaded(_Reply):
    message: str | None = None
    thumbnail_url: str | None = None


class StreamStopped(_Reply):
    status: str
    duration_seconds: Count = 0
    viewers: Count = 0


class ChatSent(_Reply):
    """The document does not show this reply; whatever comes back is kept."""


class CommentAuthor(_Reply):
    wallet_address: str | None = Field(None, alias="walletAddress")
    fusername: ViewerText | None = None
    fid: int | None = None
    favatar: str | None = None


class Comment(_Reply):
    id: str = Field(alias="_id")
    stream_id: str | None = Field(None, alias="streamId")
    text: ViewerText
    timestamp: str | None = None
    author: CommentAuthor = Field(default_factory=CommentAuthor)


class Comments(_Reply):
    comments: list[Comment] = Field(default_factory=list)


# -- public discovery --------------------------------------------------------------------


class UserSummary(_Reply):
    user_id: str | None = Field(None, validation_alias=AliasChoices("user_id", "userDbId", "id"))
    username: ViewerText | None = None
    ticker: ViewerText | None = None
    token_address: str | None = None
    market_cap: float | None = None
    rank: int | None = None
    profile_picture_url: str | None = None


class UserMetadata(_Reply):
    username: ViewerText | None = None
    bio: ViewerText | None = None
    wallet_address: str | None = None
    social_links: list[Any] = Field(default_factory=list)
    profile_picture_url: str | None = None


class SessionInfo(_Reply):
    session_id: str | None = Field(None, validation_alias=AliasChoices("session_id", "id"))
    streamer_id: str | None = None
    title: ViewerText | None = None
    started_at: str | None = None
    ended_at: str | None = None
    scheduled_for: str | None = None


class Streamer(_Reply):
    streamer_id: str | None = None
    username: ViewerText | None = None
    bio: ViewerText | None = None
    ticker: ViewerText | None = None
    token_address: str | None = None
    is_live: bool | None = None
    session: SessionInfo | None = None


class JoinToken(_Reply):
    """A LiveKit viewer token: a credential, so it is held as a secret."""

    token: SecretValue
    url: str | None = None
    room: str | None = None


class TopToken(_Reply):
    user_id: str | None = None
    name: ViewerText | None = None
    ticker: ViewerText | None = None
    address: str | None = None
    current_market_cap: float | None = None
    rank: int | None = None


class TrendingToken(_Reply):
    username: ViewerText | None = None
    ticker: ViewerText | None = None
    growth_24h: float | None = None
    market_cap: float | None = None


class TokenGrowth(_Reply):
    h1: float | None = Field(None, alias="1h")
    h6: float | None = Field(None, alias="6h")
    h24: float | None = Field(None, alias="24h")


class TokenStats(_Reply):
    current_price: float | None = None
    market_cap: Amount | None = None
    all_time_high: float | None = None
    growth: TokenGrowth | None = None
    volume: float | dict[str, Any] | None = None
    earnings: float | dict[str, Any] | None = None


class Trade(_Reply):
    id: str | None = Field(None, validation_alias=AliasChoices("id", "_id", "trade_id"))
    token_address: str | None = Field(
        None, validation_alias=AliasChoices("token_address", "address")
    )
    ticker: ViewerText | None = Field(None, validation_alias=AliasChoices("ticker", "tokenTicker"))
    action: str | None = Field(None, validation_alias=AliasChoices("action", "type"))
    usd_amount: float | None = Field(None, validation_alias=AliasChoices("usd_amount", "usdAmount"))
    timestamp: str | None = None


class TradePage(_Reply):
    trades: list[Trade] = Field(default_factory=list)
    next_cursor: str | None = Field(
        None, validation_alias=AliasChoices("next_cursor", "nextCursor", "cursor")
    )


class TokenVolume(_Reply):
    token_address: str | None = Field(
        None, validation_alias=AliasChoices("token_address", "address")
    )
    ticker: ViewerText | None = None
    volume: float | None = None
    window: str | None = None


class TokenTradeCount(_Reply):
    token_address: str | None = Field(
        None, validation_alias=AliasChoices("token_address", "address")
    )
    ticker: ViewerText | None = None
    count: int | None = None


class ChatEvent(_Reply):
    chat_event_id: str | None = Field(
        None, validation_alias=AliasChoices("chat_event_id", "_id", "id")
    )
    sender_username: ViewerText | None = None
    text: ViewerText | None = None
    type: ViewerText | None = None
    tip_data: dict[str, Any] | None = None
    trade_data: dict[str, Any] | None = None
    timestamp: str | None = None


class PublicChat(_Reply):
    chats: list[ChatEvent] = Field(default_factory=list)


class Tipper(_Reply):
    username: ViewerText | None = None
    user_id: str | None = None
    total_amount: float | None = Field(
        None, validation_alias=AliasChoices("total_amount", "amount", "total")
    )


# -- skill file --------------------------------------------------------------------------


class SkillManifest(_Reply):
    version: str


class SkillCheck(BaseModel):
    """Result of comparing ``/skill.json`` with the cached version."""

    model_config = ConfigDict(frozen=True)

    version: str
    cached: str | None
    changed: bool
    skill_md: str | None = None
    """The re-fetched ``/skill.md`` when the version changed."""
