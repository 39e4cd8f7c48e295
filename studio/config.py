"""Where the platforms are and where the studio keeps its files.

Each platform's origin is configurable so that tests and the rehearsal mode can point
the studio at the sandbox; the real platforms are the defaults.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import platformdirs

RETAKE_DEFAULT = "https://retake.tv"
CLAWCAST_DEFAULT = "https://tvterminal.com"
# The baseFM document does not name its host; the service's public deployment is the default.
BASEFM_DEFAULT = "https://agentbot.raveculture.xyz"


def _origin(value: str) -> str:
    return value.rstrip("/")


@dataclass(frozen=True)
class PlatformUrls:
    retake: str = RETAKE_DEFAULT
    clawcast: str = CLAWCAST_DEFAULT
    basefm: str = BASEFM_DEFAULT

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> PlatformUrls:
        env = dict(os.environ) if env is None else env
        return cls(
            retake=_origin(env.get("STUDIO_RETAKE_URL") or RETAKE_DEFAULT),
            clawcast=_origin(env.get("STUDIO_CLAWCAST_URL") or CLAWCAST_DEFAULT),
            basefm=_origin(env.get("STUDIO_BASEFM_URL") or BASEFM_DEFAULT),
        )


@dataclass(frozen=True)
class Paths:
    """Files the studio reads and writes.

    ``retake_credentials`` follows the retake.tv document (``~/.config/retake``);
    everything else lives in the studio's own platform directories.
    """

    retake_credentials: Path = field(
        default_factory=lambda: Path.home() / ".config" / "retake" / "credentials.json"
    )
    state_dir: Path = field(
        default_factory=lambda: Path(platformdirs.user_state_dir("studio", appauthor=False))
    )
    config_dir: Path = field(
        default_factory=lambda: Path(platformdirs.user_config_dir("studio", appauthor=False))
    )

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Paths:
        env = dict(os.environ) if env is None else env
        paths = cls()
        if env.get("STUDIO_RETAKE_CREDENTIALS"):
            paths = Paths(Path(env["STUDIO_RETAKE_CREDENTIALS"]), paths.state_dir, paths.config_dir)
        if env.get("STUDIO_STATE_DIR"):
            paths = Paths(paths.retake_credentials, Path(env["STUDIO_STATE_DIR"]), paths.config_dir)
        return paths

    @property
    def sessions_file(self) -> Path:
        """ClawCast slot JWTs and baseFM session tokens, kept 0600 for recovery."""
        return self.state_dir / "sessions.json"

    @property
    def journal(self) -> Path:
        return self.state_dir / "journal.sqlite3"
