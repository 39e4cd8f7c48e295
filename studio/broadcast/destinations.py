"""Where the broadcast goes: one RTMP URL per destination, held as a secret.

A destination's URL contains its stream key, so it is a ``SecretValue``: masked in
reprs and registered for redaction, so FFmpeg's stderr lines and command lines that
print it are masked before any log or event.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, SecretStr, field_validator

from studio.redaction import SecretValue, register, reveal


class DestinationState(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    FAILED = "failed"
    RETRYING = "retrying"
    STOPPED = "stopped"


class Destination(BaseModel):
    """``name`` is what the operator sees ("retake", "basefm", "extra-1");
    ``url`` is the full publish URL including the key (``rtmp://host/app/key``)."""

    model_config = ConfigDict(frozen=True)

    name: str
    url: SecretValue

    @field_validator("url")
    @classmethod
    def _rtmp_only(cls, value):  # noqa: ANN001, ANN206
        url = reveal(value)
        if not url.startswith(("rtmp://", "rtmps://")):
            raise ValueError("a destination URL starts with rtmp:// or rtmps://")
        # the key is the last path segment; register it alone too, in case FFmpeg
        # prints it apart from the URL
        key = url.rstrip("/").rsplit("/", 1)[-1]
        register(key)
        return value

    @classmethod
    def from_parts(cls, name: str, base_url: str, key: str) -> Destination:
        """From the ``url`` + ``key`` pair the platforms hand out."""
        register(key)
        return cls.model_validate({"name": name, "url": f"{base_url.rstrip('/')}/{key}"})

    @property
    def key(self) -> SecretStr:
        """The stream key: the URL's last path segment."""
        return SecretStr(reveal(self.url).rstrip("/").rsplit("/", 1)[-1])

    @property
    def secret_url(self) -> str:
        """The real URL, for the FFmpeg command line only."""
        return reveal(self.url)
