"""How a console runs: its theme, its clock, where frames come from, and test switches."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from studio.ui.themes import DEFAULT_THEME

if TYPE_CHECKING:
    from PIL import Image

    from studio.kiosk.images.fetcher import ImageFetcher

FrameSource = Callable[[str], "Image.Image | None"]
"""Grabs the on-air picture of an X display (``":99"``); None when it cannot."""


def _grab_display(display: str) -> Image.Image | None:
    from studio.console.panes.viewer.frame_grab import grab

    return grab(display)


@dataclass
class ConsoleConfig:
    theme: str = DEFAULT_THEME
    theme_folders: tuple[Path, ...] | None = None
    now: Callable[[], float] = time.time
    grab: FrameSource = field(default=_grab_display)
    frame_interval: float = 0.4
    """Seconds between grabs of the on-air frame while the viewer is visible (>= 2/s)."""
    queue_interval: float = 5.0
    frozen: bool = False
    """Tests: no timers, no cursor blink, no animation, so every picture is the same."""
    playlist_dir: Path = field(default_factory=Path.cwd)
    fetcher: ImageFetcher | None = None
    """Pictures for the slide preview (GIF backgrounds, images); None: the kiosk's own
    cache over HTTPS (``HttpImageFetcher``), made when the slides pane is first shown."""
