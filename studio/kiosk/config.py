"""Everything the kiosk is started with; tests build one with a fake clock and images."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from studio.kiosk.images.fetcher import HttpImageFetcher, ImageFetcher
from studio.kiosk.on_air_state import Storefront
from studio.onair.protocol import default_socket_path
from studio.ui.themes import DEFAULT_THEME

DEFAULT_LOG = Path("/tmp/stream.log")
"""The seed's convention: the agent writes here and the picture follows."""


class Clock(Protocol):
    def now(self) -> float: ...


class WallClock:
    def now(self) -> float:
        return time.time()


@dataclass
class KioskConfig:
    socket_path: Path | None = field(default_factory=default_socket_path)
    log_path: Path | None = DEFAULT_LOG
    theme: str = DEFAULT_THEME
    idle_seconds: float = 60.0
    """Quiet terminal and chat for this long and the filler takes the air."""
    filler_rotate_seconds: float = 10.0
    alert_seconds: float = 6.0
    max_lines: int = 2000
    refresh_hz: float = 30.0
    """At most this many terminal redraws a second (the capture rate)."""
    frozen: bool = False
    """Tests and snapshots: no animation, no timers; time moves only with ``clock``."""
    clock: Clock = field(default_factory=WallClock)
    fetcher: ImageFetcher = field(default_factory=HttpImageFetcher)
    theme_folders: tuple[Path, ...] | None = None
    storefront: Storefront = field(default_factory=Storefront)
    """The opening card's agent, title, platforms and link (also the filler's QR code)."""
    await_secrets: bool = False
    """Started by the studio: draw none of the log until the secrets' fingerprints
    have arrived (the first command of every connection), so a restarted kiosk never
    shows a backlog holding a key it cannot mask yet."""
