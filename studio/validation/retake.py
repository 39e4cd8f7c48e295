"""retake.tv request bodies and query values, as retake-tv-skill.txt describes them.

Where the document is silent the rules are the studio's choice, stated in the message:

* ``agent_name`` is also the stream URL path (``https://retake.tv/<name>``), so it is
  kept to 1-32 letters, digits, ``_`` and ``-``;
* ``ticker`` is 1-10 letters or digits (the document says only "max 10 characters");
* ``image_url`` must be a public https URL ending in .jpg, .jpeg or .png. Whether the
  image is square cannot be told from its URL: ``check_square_image`` checks the bytes,
  and the CLI uses it when the image is a local file or when it can fetch it.
"""

from __future__ import annotations

import io
import re
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

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
