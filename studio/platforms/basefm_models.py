"""baseFM replies, parsed permissively (unknown fields are kept, documented ones typed).

Stream keys, full RTMP URLs, session access tokens and the ffmpeg commands (which
embed the full RTMP URL) are ``SecretValue``: masked in every repr and registered with
the redaction layer the moment a reply is parsed.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from studio.inert_text import ViewerText
from studio.platforms._timestamps import epoch_or_none
from studio.redaction import SecretValue

MAX_SESSION_SECONDS = 7200
TOKEN_GRACE_SECONDS = 3600
"""The session token stays valid for the session plus this grace period."""


class _Reply(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class Ffmpeg(_Reply):
    command: SecretValue | None = None
    audioOnlyCommand: SecretValue | None = None  # noqa: N815
    playlistCommand: SecretValue | None = None  # noqa: N815
    artworkCommand: SecretValue | None = None  # noqa: N815
    inputHint: str | None = None  # noqa: N815


class Origin(_Reply):
    status: str
    playbackId: str | None = None  # noqa: N815
    hlsUrl: str | None = None  # noqa: N815


class FirstParty(_Reply):
    status: str
    pageUrl: str | None = None  # noqa: N815
    note: str | None = None


class Relay(_Reply):
    """A relay destination as ``/distribution`` and ``/relays`` list it (camelCase)."""

    key: str
    name: str | None = None
    type: str | None = None
    required: bool = False
    enabled: bool = True
    status: str | None = None
    viewerUrl: str | None = None  # noqa: N815
    probeUrl: str | None = None  # noqa: N815
    note: str | None = None
    lastHealthyAt: str | None = None  # noqa: N815
    lastErrorAt: str | None = None  # noqa: N815
    lastErrorMessage: str | None = None  # noqa: N815


class Distribution(_Reply):
    origin: Origin
    firstParty: FirstParty | None = None  # noqa: N815
    relays: list[Relay] = Field(default_factory=list)
    requiredRelayStatus: str | None = None  # noqa: N815
    overallStatus: str | None = None  # noqa: N815


class LiveDj(_Reply):
    id: str
    name: ViewerText | None = None  # another DJ's own words
    wallet: str | None = None
    playbackId: str | None = None  # noqa: N815
    streamKey: SecretValue | None = None  # noqa: N815
    status: str | None = None
    startedAt: str | float | None = None  # noqa: N815
    source: str | None = None
    hlsUrl: str | None = None  # noqa: N815
    embedUrl: str | None = None  # noqa: N815


class LiveResponse(_Reply):
    djs: list[LiveDj] = Field(default_factory=list)
    count: int = 0
    primaryDj: LiveDj | None = None  # noqa: N815
    availability: str
    distribution: Distribution | None = None
    error: str | None = None


class Stream(_Reply):
    """The stream controls: in a create reply, a recovery reply and ``GET /streams``."""

    id: str
    name: str | None = None
    wallet: str | None = None
    streamKey: SecretValue | None = None  # noqa: N815
    rtmpUrl: str | None = None  # noqa: N815
    fullRtmpUrl: SecretValue | None = None  # noqa: N815
    playbackId: str | None = None  # noqa: N815
    status: str | None = None
    accessGrantedBy: str | None = None  # noqa: N815
    ffmpeg: Ffmpeg | None = None


class CreatedSession(_Reply):
    id: int | str
    wallet: str | None = None
    maxDuration: int = MAX_SESSION_SECONDS  # noqa: N815
    remaining: int | None = None
    expiresAt: str | None = None  # noqa: N815
    accessToken: SecretValue | None = None  # noqa: N815

    @property
    def expires_at(self) -> float | None:
        return epoch_or_none(self.expiresAt)


class CreateStreamResponse(_Reply):
    success: bool = True
    reconnected: bool = False
    stream: Stream
    session: CreatedSession
    ffmpeg: Ffmpeg | None = None


class SessionDetails(_Reply):
    id: int | str
    wallet: str | None = None
    djName: str | None = None  # noqa: N815
    muxStreamId: str | None = None  # noqa: N815
    playbackId: str | None = None  # noqa: N815
    startedAt: str | None = None  # noqa: N815
    elapsed: int | None = None
    remaining: int | None = None
    remainingMinutes: int | None = None  # noqa: N815
    expiresAt: str | None = None  # noqa: N815

    @property
    def expires_at(self) -> float | None:
        return epoch_or_none(self.expiresAt)


class SessionResponse(_Reply):
    """``GET /api/basefm/streams``: the active session's controls, or ``active: false``."""

    active: bool
    stream: Stream | None = None
    ffmpeg: Ffmpeg | None = None
    session: SessionDetails | None = None
    message: str | None = None


class EndSessionResponse(_Reply):
    success: bool = True
    message: str | None = None


class StatusSession(_Reply):
    id: int | str
    djName: str | None = None  # noqa: N815
    muxStreamId: str | None = None  # noqa: N815
    playbackId: str | None = None  # noqa: N815
    status: str | None = None


class MuxState(_Reply):
    id: str | None = None
    status: str | None = None
    playbackId: str | None = None  # noqa: N815
    recentAssetIds: list[str] = Field(default_factory=list)  # noqa: N815


class StreamStatusResponse(_Reply):
    active: bool
    session: StatusSession | None = None
    mux: MuxState | None = None
    distribution: Distribution | None = None
    streamHealth: str | None = None  # noqa: N815
    pickupRecommended: bool = False  # noqa: N815
    message: str | None = None


class SyncStatusResponse(_Reply):
    success: bool
    synced: bool = False
    muxStatus: str | None = None  # noqa: N815
    playbackId: str | None = None  # noqa: N815
    streamHealth: str | None = None  # noqa: N815
    message: str | None = None


class DistributionResponse(_Reply):
    distribution: Distribution


class RelaysResponse(_Reply):
    relays: list[Relay] = Field(default_factory=list)


class RelayRecord(_Reply):
    """A relay as the upsert and probe replies give it (the database row, snake_case)."""

    id: int | str | None = None
    key: str
    name: str | None = None
    type: str | None = None
    required: bool = False
    enabled: bool = True
    status: str | None = None
    viewer_url: str | None = None
    probe_url: str | None = None
    last_healthy_at: str | None = None
    last_error_at: str | None = None
    last_error_message: str | None = None


class UpsertRelayResponse(_Reply):
    relay: RelayRecord


class ProbeRelayResponse(_Reply):
    ok: bool
    error: str | None = None
    relay: RelayRecord | None = None
