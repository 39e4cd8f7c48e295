"""What the operator asked for: which platforms, for how long, with which details.

Validated as a whole before anything is sent, with the same rules as everywhere.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator

from studio.broadcast.terminal import DEFAULT_GRID, on_air_grid
from studio.errors import Problem, StudioError
from studio.validation.basefm import transaction_hash, wallet_address
from studio.validation.clawcast import StreamerName, WebUrl


def _title(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be blank")
    if any(not ch.isprintable() for ch in value):
        raise ValueError("must be plain text (no control characters)")
    return value


def _grid(value: str) -> str:
    return on_air_grid(value).name


def _rtmp_url(value: str) -> str:
    if not value.startswith(("rtmp://", "rtmps://")):
        raise ValueError("must be an rtmp:// or rtmps:// URL (with its stream key)")
    return value


class Plan(BaseModel):
    model_config = ConfigDict(extra="forbid")

    retake: bool = False
    clawcast: bool = False
    basefm: bool = False
    duration: Annotated[float, Field(gt=0, le=7 * 24 * 3600)] | None = None
    rtmp: list[Annotated[str, AfterValidator(_rtmp_url)]] = []
    headless: bool = False
    log: Path = Path("/tmp/stream.log")
    opening_message: Annotated[str, Field(min_length=1, max_length=500)] = (
        "I'm live. What should we explore today?"
    )
    thumbnail_every: Annotated[float, Field(ge=120, le=300)] = 180.0
    title: Annotated[str, Field(max_length=100), AfterValidator(_title)] | None = None
    """The stream's title or hook: on the opening card and every thumbnail."""
    grid: Annotated[str, AfterValidator(_grid)] = DEFAULT_GRID
    """The on-air grid (``studio.broadcast.terminal.ON_AIR_GRIDS``): bigger cells read on phones."""
    tweet_url: str | None = None
    tx_hash: Annotated[str, AfterValidator(transaction_hash)] | None = None
    basefm_wallet: Annotated[str, AfterValidator(wallet_address)] | None = None
    basefm_name: str | None = None
    basefm_city: Annotated[str, Field(max_length=80)] | None = None
    clawcast_name: StreamerName | None = None
    clawcast_url: WebUrl | None = None
    clawcast_minutes: Annotated[int, Field(ge=1, le=3)] = 1
    slides: list[dict[str, Any]] | None = None
    kiosk: bool = True
    x264: Literal["terminal", "seed"] = "terminal"
    """The encoder's settings: tuned for terminal content, or the seed's own."""
    resume: bool | None = None
    all_or_nothing: bool = False
    """End the whole broadcast when one platform fails to prepare or confirm (by
    default that platform is dropped and the others go on)."""
    music: Path | None = None
    loop: bool = False
    tip_sound: Path | None = None
    follow_sound: Path | None = None
    voice: Annotated[str, Field(pattern=r"^[A-Za-z0-9_+-]{1,40}$")] = "en-us"
    voice_model: Path | None = None
    captions: bool = True
    notify_command: Annotated[str, Field(min_length=1, max_length=4000)] | None = None
    heartbeat_hours: Annotated[float, Field(ge=4, le=7 * 24)] = 4.0
    low_viewers: Annotated[int, Field(ge=0, le=1_000_000)] = 3
    large_tip: Annotated[float, Field(gt=0)] = 10.0
    quiet_after: Annotated[float, Field(ge=10, le=3600)] = 120.0
    dead_air_lines: Path | None = None
    dead_air_every: Annotated[float, Field(ge=60, le=24 * 3600)] = 300.0

    @model_validator(mode="after")
    def _needs(self) -> Plan:
        if not (self.retake or self.clawcast or self.basefm or self.rtmp):
            self.retake = True  # "go live on retake", the seed's default
        return self

    def problems(self) -> list[Problem]:
        """Rules that span fields, and the files and command the plan names."""
        from studio.errors import ValidationFailed
        from studio.golive.dead_air import load_rotation
        from studio.golive.notify_command import parse_notify_command

        found = []
        if self.dead_air_every < self.quiet_after:
            found.append(
                Problem("dead_air_every", "must be at least quiet_after (one line per quiet spell)")
            )
        if self.notify_command is not None:
            try:
                parse_notify_command(self.notify_command, flag="notify_command")
            except ValidationFailed as exc:
                found += exc.problems
        if self.dead_air_lines is not None:
            try:
                load_rotation(self.dead_air_lines)
            except ValidationFailed as exc:
                found += [Problem("dead_air_lines", f"{p.field}: {p.rule}") for p in exc.problems]
            except StudioError as exc:
                found.append(Problem("dead_air_lines", exc.message))
        if self.basefm and not self.basefm_wallet:
            found.append(
                Problem(
                    "basefm_wallet",
                    "is required with basefm (the DJ's wallet on Base, 0x + 40 hex)",
                )
            )
        if self.clawcast and not self.retake:
            for field in ("clawcast_name", "clawcast_url"):
                if not getattr(self, field):
                    found.append(Problem(field, "is required with clawcast unless retake gives it"))
        found += self._audio_problems()
        return found

    def _audio_problems(self) -> list[Problem]:
        from studio.audio.music import audio_file_problem, playlist

        found: list[Problem] = []
        if self.music is not None:
            found += playlist(self.music, "music")[1]
        elif self.loop:
            found.append(Problem("loop", "needs music to loop (a file or a folder)"))
        for field in ("tip_sound", "follow_sound"):
            path = getattr(self, field)
            if path is not None and (problem := audio_file_problem(path, field)):
                found.append(problem)
        if self.voice_model is not None and not self.voice_model.is_file():
            found.append(Problem("voice_model", f"{self.voice_model} is not a file"))
        return found

    @property
    def platforms(self) -> list[str]:
        return [p for p in ("retake", "basefm", "clawcast") if getattr(self, p)]
