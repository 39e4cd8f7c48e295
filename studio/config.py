"""Where the platforms are and where the studio keeps its files.

Each platform's origin is configurable so that tests and the rehearsal mode can point
the studio at the sandbox; the real platforms are the defaults.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs

from studio.errors import StudioError

RETAKE_DEFAULT = "https://retake.tv"
CLAWCAST_DEFAULT = "https://tvterminal.com"
# The baseFM document does not name its host; the service's public deployment is the default.
BASEFM_DEFAULT = "https://agentbot.raveculture.xyz"


ORIGIN_VARIABLES = {
    "retake": "STUDIO_RETAKE_URL",
    "clawcast": "STUDIO_CLAWCAST_URL",
    "basefm": "STUDIO_BASEFM_URL",
}


class ConfigProblem(StudioError):
    """A setting the studio cannot use; nothing was sent."""


def _origin(value: str) -> str:
    return value.rstrip("/")


def is_loopback(host: str | None) -> bool:
    if not host:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def origin_problem(url: str) -> str | None:
    """Why ``url`` cannot be a platform origin, or ``None``: https everywhere, plain
    http only on loopback (the sandbox), since every call carries a credential."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "is not an http(s) URL"
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        return "uses plain http to a host other than loopback; credentials would travel unencrypted"
    return None


def same_origin(a: str, b: str) -> bool:
    """Whether two URLs name the same origin (scheme, host and port)."""

    def key(url: str) -> tuple[str, str, int | None]:
        parts = urlsplit(url)
        default = {"http": 80, "https": 443}.get(parts.scheme)
        return parts.scheme, (parts.hostname or "").lower(), parts.port or default

    return key(a) == key(b)


@dataclass(frozen=True)
class PlatformUrls:
    retake: str = RETAKE_DEFAULT
    clawcast: str = CLAWCAST_DEFAULT
    basefm: str = BASEFM_DEFAULT

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, *, check: bool = True) -> PlatformUrls:
        """The origins from ``STUDIO_*_URL``; with ``check``, each must be https (or
        http on loopback), or a ``ConfigProblem`` names the variable and the rule."""
        env = dict(os.environ) if env is None else env
        urls = cls(
            retake=_origin(env.get("STUDIO_RETAKE_URL") or RETAKE_DEFAULT),
            clawcast=_origin(env.get("STUDIO_CLAWCAST_URL") or CLAWCAST_DEFAULT),
            basefm=_origin(env.get("STUDIO_BASEFM_URL") or BASEFM_DEFAULT),
        )
        if check:
            for platform, variable in ORIGIN_VARIABLES.items():
                url = getattr(urls, platform)
                problem = origin_problem(url)
                if problem:
                    raise ConfigProblem(
                        f"{variable}={url} {problem}: a platform origin must be https, "
                        "or http on loopback (127.0.0.1, ::1, localhost) for the sandbox.",
                        fix=f"Set {variable} to an https:// origin, or unset it to use "
                        f"{getattr(cls, platform)}.",
                    )
        return urls


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
