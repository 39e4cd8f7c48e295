"""retake.tv request bodies and query values, as retake-tv-skill.txt describes them.

Where the document is silent the rules are the studio's choice, stated in the message:

* ``agent_name`` is also the stream URL path (``https://retake.tv/<name>``), so it is
  kept to 1-32 letters, digits, ``_`` and ``-``;
* ``ticker`` is 1-10 letters or digits (the document says only "max 10 characters");
* ``image_url`` must be a public https URL ending in .jpg, .jpeg or .png. Whether the
  image is square cannot be told from its URL: ``check_square_image`` checks the bytes,
  and ``check_avatar`` fetches the URL and checks what it serves (``studio retake
  register`` and the go-live's registration step both call it before registering).
"""

from __future__ import annotations

import io
import re
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
)

from studio.errors import Problem, ValidationFailed
from studio.validation.common import not_blank

AGENT_NAME = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
TICKER = re.compile(r"^[A-Za-z0-9]{1,10}$")
TWEET_URL = re.compile(
    r"^https?://(?:www\.)?(?:twitter\.com|x\.com)/[A-Za-z0-9_]{1,15}/status/[0-9]+/?(?:\?[^#\s]*)?$"
)
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
MAX_DESCRIPTION = 500
MAX_CHAT = 500
MAX_COMMENTS = 100
DEFAULT_COMMENTS = 50
MAX_TRADES = 100

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_INDEX = {c: i for i, c in enumerate(_B58)}


def b58decode(text: str) -> bytes:
    """Decode Bitcoin/Solana base58; ``ValueError`` on a character outside the alphabet."""
    number = 0
    for char in text:
        digit = _B58_INDEX.get(char)
        if digit is None:
            raise ValueError(f"{char!r} is not a base58 character")
        number = number * 58 + digit
    body = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    zeros = len(text) - len(text.lstrip("1"))
    return b"\x00" * zeros + body


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, digit = divmod(number, 58)
        out = _B58[digit] + out
    zeros = len(data) - len(data.lstrip(b"\x00"))
    return "1" * zeros + out


def _agent_name(value: str) -> str:
    if not AGENT_NAME.match(value):
        raise ValueError(
            "must be 1-32 characters of letters, digits, '_' and '-' "
            "(it is also your stream URL: https://retake.tv/<name>)"
        )
    return value


def _description(value: str) -> str:
    not_blank(value)
    if len(value) > MAX_DESCRIPTION:
        raise ValueError(f"must be at most {MAX_DESCRIPTION} characters (got {len(value)})")
    return value


def _image_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be a public https:// URL")
    if parts.username or parts.password:
        raise ValueError("must not carry a user name or password")
    if not parts.path.lower().endswith(IMAGE_SUFFIXES):
        raise ValueError("must point at a .jpg, .jpeg or .png image")
    return value


def _wallet(value: str) -> str:
    try:
        raw = b58decode(value)
    except ValueError as exc:
        raise ValueError(f"must be a Solana base58 public key ({exc})") from None
    if len(raw) != 32:
        raise ValueError(
            f"must be a Solana base58 public key that decodes to 32 bytes (got {len(raw)})"
        )
    return value


def _ticker(value: str) -> str:
    if not TICKER.match(value):
        raise ValueError("must be 1-10 letters or digits")
    return value


def _tweet_url(value: str) -> str:
    if not TWEET_URL.match(value):
        raise ValueError(
            "must be a Twitter/X status URL such as https://x.com/<user>/status/<digits>"
        )
    return value


def _chat(value: str) -> str:
    not_blank(value)
    if len(value) > MAX_CHAT:
        raise ValueError(f"must be at most {MAX_CHAT} characters (got {len(value)})")
    return value


def _id(value: str) -> str:
    if not value.strip():
        raise ValueError("must not be blank")
    if any(c in value for c in "/?#&") or any(c.isspace() for c in value):
        raise ValueError("must be an id without spaces, '/', '?', '#' or '&'")
    return value


AgentName = Annotated[str, AfterValidator(_agent_name)]
Description = Annotated[str, AfterValidator(_description)]
ImageUrl = Annotated[str, AfterValidator(_image_url)]
WalletAddress = Annotated[str, AfterValidator(_wallet)]
Ticker = Annotated[str, AfterValidator(_ticker)]
TweetUrl = Annotated[str, AfterValidator(_tweet_url)]
ChatText = Annotated[str, AfterValidator(_chat)]
Identifier = Annotated[str, AfterValidator(_id)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RegisterRequest(_Strict):
    agent_name: AgentName
    agent_description: Description
    image_url: ImageUrl
    wallet_address: WalletAddress
    ticker: Ticker


class VerifyRequest(_Strict):
    tweet_url: TweetUrl


class ChatSendRequest(_Strict):
    message: ChatText
    destination_user_id: Identifier


class CommentsQuery(_Strict):
    userDbId: Identifier
    limit: int = Field(DEFAULT_COMMENTS, ge=1, le=MAX_COMMENTS)
    beforeId: Identifier | None = None


class PublicChatQuery(_Strict):
    streamer_id: Identifier
    limit: int = Field(DEFAULT_COMMENTS, ge=1, le=MAX_COMMENTS)
    before_chat_event_id: Identifier | None = None


class TradesQuery(_Strict):
    limit: int | None = Field(None, ge=1, le=MAX_TRADES)
    cursor: str | None = None


class TopVolumeQuery(_Strict):
    limit: int | None = Field(None, ge=1, le=MAX_TRADES)
    window: Annotated[str, Field(pattern=r"^[0-9]+[mhdw]$")] = "24h"


class IdPath(_Strict):
    """A value that becomes one segment of a URL path (a user id, name or address)."""

    value: Identifier


def check_square_image(data: bytes, *, what: str = "image") -> tuple[int, int]:
    """Check that ``data`` is a square JPEG or PNG; returns its size.

    The document asks for a square (1:1) jpg/png avatar. A URL cannot show that, so
    the CLI calls this on a local file, or on the bytes it fetched from ``image_url``.
    """
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt, size = image.format, image.size
    except (UnidentifiedImageError, OSError, ValueError):
        raise ValidationFailed(
            [Problem(what, "is not a readable JPEG or PNG image")], what=what
        ) from None
    if fmt not in ("JPEG", "PNG"):
        raise ValidationFailed([Problem(what, f"must be a JPEG or PNG (got {fmt})")], what=what)
    width, height = size
    if width != height:
        raise ValidationFailed(
            [Problem(what, f"must be square (1:1); it is {width}x{height}")], what=what
        )
    return size


AVATAR_MAX_BYTES = 10 * 1024 * 1024


async def check_avatar(image_url: str, *, transport: Any = None) -> str:
    """Fetch ``image_url`` and check it is a square JPEG or PNG (the document's "square
    (1:1), jpg/png"): ``ValidationFailed`` naming ``image_url`` when it is not; a sentence
    for the operator when it is, or when it could not be fetched (then retake.tv judges).

    ``transport`` is the studio's network in tests (the sandbox, in process)."""
    from studio.https_fetch import FetchRefused, fetch_https

    try:
        data = await fetch_https(image_url, max_bytes=AVATAR_MAX_BYTES, transport=transport)
    except FetchRefused as exc:
        if exc.too_large:
            return "image_url is over 10 MB; not checked for squareness"
        return f"could not fetch image_url to check that it is square ({exc}); make sure it is 1:1"
    width, height = check_square_image(data, what="image_url")
    return f"image is square ({width}x{height})"


def check_image_upload(data: bytes, *, what: str = "image") -> str:
    """A thumbnail must decode as JPEG or PNG; returns ``"JPEG"`` or ``"PNG"``."""
    from PIL import Image, UnidentifiedImageError

    if not data:
        raise ValidationFailed([Problem(what, "is empty")], what=what)
    try:
        with Image.open(io.BytesIO(data)) as image:
            fmt = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise ValidationFailed(
            [Problem(what, "is not a readable JPEG or PNG image")], what=what
        ) from None
    if fmt not in ("JPEG", "PNG"):
        raise ValidationFailed([Problem(what, f"must be a JPEG or PNG (got {fmt})")], what=what)
    return fmt


# -- section 6: the account, with a Privy user JWT ------------------------------------
#
# The document gives paths and field names only. The studio's rules, stated in each
# message: a username is also the stream URL path, so it follows agent_name's rule; a
# bio follows agent_description's; a token name is 1-32 printable characters; a
# session title 1-140, a category 1-50, and at most 10 tags of 1-30 characters each.

MAX_TOKEN_NAME = 32
MAX_TITLE = 140
MAX_CATEGORY = 50
MAX_TAGS = 10
MAX_TAG = 30
MAX_SOCKET_NAME = 64
MAX_TX_HASH = 128
ISO_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})$")


def _printable(value: str, limit: int) -> str:
    not_blank(value)
    if value != value.strip():
        raise ValueError("must not start or end with spaces")
    if any(not c.isprintable() for c in value):
        raise ValueError("must not contain control characters or line breaks")
    if len(value) > limit:
        raise ValueError(f"must be at most {limit} characters (got {len(value)})")
    return value


def _token_name(value: str) -> str:
    return _printable(value, MAX_TOKEN_NAME)


def _title(value: str) -> str:
    return _printable(value, MAX_TITLE)


def _category(value: str) -> str:
    return _printable(value, MAX_CATEGORY)


def _tag(value: str) -> str:
    _printable(value, MAX_TAG)
    if "," in value:
        raise ValueError("must not contain ',' (give each tag on its own)")
    return value


def _tags(value: list[str]) -> list[str]:
    if len(value) > MAX_TAGS:
        raise ValueError(f"must be at most {MAX_TAGS} tags (got {len(value)})")
    lowered = [t.lower() for t in value]
    if len(set(lowered)) != len(lowered):
        raise ValueError("must not repeat a tag")
    return value


def _https(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError("must be a public https:// URL")
    if parts.username or parts.password:
        raise ValueError("must not carry a user name or password")
    return value


def _tx_hash(value: str) -> str:
    if not value or len(value) > MAX_TX_HASH or any(c.isspace() or c in "/?#&" for c in value):
        raise ValueError(f"must be a transaction hash: 1-{MAX_TX_HASH} characters, no spaces")
    return value


def _timestamp(value: str) -> str:
    if not ISO_TIMESTAMP.match(value):
        raise ValueError("must be an ISO 8601 time such as 2025-02-01T14:20:00Z")
    return value


def _socket_name(value: str) -> str:
    return _printable(value, MAX_SOCKET_NAME)


TokenName = Annotated[str, AfterValidator(_token_name)]
SessionTitle = Annotated[str, AfterValidator(_title)]
SessionCategory = Annotated[str, AfterValidator(_category)]
Tag = Annotated[str, AfterValidator(_tag)]
Tags = Annotated[list[Tag], AfterValidator(_tags)]
HttpsUrl = Annotated[str, AfterValidator(_https)]
TxHash = Annotated[str, AfterValidator(_tx_hash)]
Timestamp = Annotated[str, AfterValidator(_timestamp)]
SenderName = Annotated[str, AfterValidator(_socket_name)]
Amount = Annotated[float, Field(gt=0, le=1_000_000_000, allow_inf_nan=False)]


class BioRequest(_Strict):
    bio: Description


class UsernameRequest(_Strict):
    username: AgentName


class TokenNameRequest(_Strict):
    token_name: TokenName


class BannerRequest(_Strict):
    """``PATCH /users/me/banner`` is "multipart: image + url": the studio sends whichever
    the operator gives, and asks for at least one."""

    has_image: bool = False
    url: HttpsUrl | None = Field(None, validate_default=True)

    @field_validator("url")
    @classmethod
    def _one(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and not info.data.get("has_image"):
            raise ValueError("is required when no image is given (give an image, a url, or both)")
        return value


class SessionStartRequest(_Strict):
    title: SessionTitle
    category: SessionCategory
    tags: Tags = []


class SessionUpdateRequest(_Strict):
    title: SessionTitle | None = None
    category: SessionCategory | None = None
    tags: Tags | None = Field(None, validate_default=True)

    @field_validator("tags")
    @classmethod
    def _some(cls, value: list[str] | None, info: ValidationInfo) -> list[str] | None:
        if value is None and not info.data.get("title") and not info.data.get("category"):
            raise ValueError("title, category or tags: give at least one to update")
        return value


class TipData(_Strict):
    receiver_id: Identifier
    amount: Amount
    tx_hash: TxHash | None = None


class TradeData(_Strict):
    amount: Amount
    type: Literal["buy", "sell"]
    tx_hash: TxHash | None = None


class SocketMessage(_Strict):
    """The Socket.IO client-to-server ``message`` (section 7), without ``sender_token``:
    the Privy user JWT is added when it is sent, never kept here.

    A chat ``message`` needs ``text``; a ``tip`` needs ``tip_data``, a ``trade``
    ``trade_data`` (their ``text`` is optional)."""

    type: Literal["message", "tip", "trade"] = "message"
    session_id: Identifier
    streamer_id: Identifier
    sender_username: SenderName
    timestamp: Timestamp
    text: ChatText | None = Field(None, validate_default=True)
    tip_data: TipData | None = Field(None, validate_default=True)
    trade_data: TradeData | None = Field(None, validate_default=True)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None and info.data.get("type", "message") == "message":
            raise ValueError("is required for a chat message (type message)")
        return value

    @field_validator("tip_data", "trade_data")
    @classmethod
    def _money(cls, value: Any, info: ValidationInfo) -> Any:
        kind = "tip" if info.field_name == "tip_data" else "trade"
        if value is None and info.data.get("type") == kind:
            raise ValueError(f"is required with type {kind}")
        if value is not None and "type" in info.data and info.data["type"] != kind:
            raise ValueError(f"is only for type {kind}")
        return value
