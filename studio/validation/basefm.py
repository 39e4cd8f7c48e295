"""baseFM request bodies and path segments, as basefm-streaming-api.txt describes them.

The document gives the fields; the rules it leaves implicit are the chain's: a wallet
is an EVM address (``0x`` + 40 hex digits), a transaction hash is ``0x`` + 64 hex
digits. ``city`` is "trimmed and capped at 80 characters" by the platform; the studio
refuses a longer one instead of letting the platform cut it silently.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from studio.errors import Problem, ValidationFailed
from studio.validation import check
from studio.validation.common import not_blank, web_url

WALLET = re.compile(r"^0x[0-9a-fA-F]{40}$")
TX_HASH = re.compile(r"^0x[0-9a-fA-F]{64}$")
RELAY_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
ZERO_WALLET = "0x" + "0" * 40

DEFAULT_NAME = "DJ"
NAME_MAX = 64
CITY_MAX = 80
RELAY_NAME_MAX = 100
RELAY_TYPES = ("hls-consumer", "rtmp", "youtube", "custom")


def wallet_address(value: str) -> str:
    value = value.strip()
    if not WALLET.match(value):
        raise ValueError("must be an EVM wallet address: 0x followed by 40 hex digits")
    if value.lower() == ZERO_WALLET:
        raise ValueError("must not be the zero address")
    return value


def transaction_hash(value: str) -> str:
    value = value.strip()
    if not TX_HASH.match(value):
        raise ValueError(
            "must be a Base transaction hash: 0x followed by 64 hex digits "
            "(the hash of the $5 USDC transfer)"
        )
    return value


def relay_key(value: str) -> str:
    if not RELAY_KEY.match(value):
        raise ValueError(
            "must be 1-64 characters of letters, digits, dots, underscores and dashes, "
            "starting with a letter or digit"
        )
    return value


def _dj_name(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be blank (leave it out for the default, DJ)")
    if len(value) > NAME_MAX:
        raise ValueError(f"must be at most {NAME_MAX} characters (got {len(value)})")
    return value


def _city(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if len(value) > CITY_MAX:
        raise ValueError(
            f"must be at most {CITY_MAX} characters after trimming (got {len(value)}); "
            "baseFM would cut it, so shorten it yourself"
        )
    return value or None


def _relay_name(value: str) -> str:
    value = not_blank(value).strip()
    if len(value) > RELAY_NAME_MAX:
        raise ValueError(f"must be at most {RELAY_NAME_MAX} characters (got {len(value)})")
    return value


def _text(value: object) -> object:
    if value is not None and not isinstance(value, str):
        raise ValueError("must be text")
    return value


Wallet = Annotated[str, BeforeValidator(_text), AfterValidator(wallet_address)]
TxHash = Annotated[str, BeforeValidator(_text), AfterValidator(transaction_hash)]
RelayKey = Annotated[str, BeforeValidator(_text), AfterValidator(relay_key)]
WebUrl = Annotated[str, BeforeValidator(_text), AfterValidator(web_url)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class CreateStreamRequest(_Strict):
    """``POST /api/basefm/streams``. ``txHash`` is needed only for a paid session."""

    wallet: Wallet
    name: Annotated[str, BeforeValidator(_text), AfterValidator(_dj_name)] = DEFAULT_NAME
    city: Annotated[str | None, BeforeValidator(_text), AfterValidator(_city)] = None
    txHash: TxHash | None = None  # noqa: N815 - the platform's field name

    def body(self) -> dict[str, str]:
        return self.model_dump(exclude_none=True)


class RelayUpsertRequest(_Strict):
    """``POST /api/basefm/relays`` (admin): creates or updates the relay with ``key``."""

    key: RelayKey
    name: Annotated[str, BeforeValidator(_text), AfterValidator(_relay_name)]
    type: Literal["hls-consumer", "rtmp", "youtube", "custom"] = "custom"
    viewerUrl: WebUrl | None = None  # noqa: N815
    probeUrl: WebUrl | None = None  # noqa: N815
    required: bool = Field(default=False, strict=True)
    enabled: bool = Field(default=True, strict=True)

    def body(self) -> dict[str, object]:
        return self.model_dump(exclude_none=True)


def _one(field: str, rule: object, value: object, what: str) -> str:
    try:
        if not isinstance(value, str):
            raise ValueError("must be text")
        return rule(value)  # type: ignore[operator,no-any-return]
    except ValueError as exc:
        raise ValidationFailed([Problem(field, str(exc))], what=what) from None


def check_wallet(value: object) -> str:
    return _one("wallet", wallet_address, value, "wallet")


def check_tx_hash(value: object) -> str:
    """For the operator's answer when baseFM asks for the $5 payment."""
    return _one("txHash", transaction_hash, value, "transaction hash")


def check_relay_key(value: object) -> str:
    return _one("relayKey", relay_key, value, "relay key")


def create_stream_request(
    wallet: str, name: str | None = None, city: str | None = None, tx_hash: str | None = None
) -> CreateStreamRequest:
    data: dict[str, object] = {"wallet": wallet}
    if name is not None:
        data["name"] = name
    if city is not None:
        data["city"] = city
    if tx_hash is not None:
        data["txHash"] = tx_hash
    return check(CreateStreamRequest, data, what="baseFM stream request")
