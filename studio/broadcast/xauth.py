"""Only the studio's own clients get onto its virtual displays: an X auth cookie.

Each Xvfb starts with ``-auth`` and a fresh MIT-MAGIC-COOKIE-1 (never ``-ac``), so a
local user who finds the display's socket can neither capture the picture nor type
into the kiosk. The studio's clients (xterm, FFmpeg's x11grab, xwininfo, the
console's viewer pane, ``studio doctor``) find the cookie through ``XAUTHORITY``, which
points to one file per studio process in a private (0700) folder: ``client_authority``
sets it for this process and so for every child it starts. (Thumbnails are no X client:
they read the screen Xvfb shares with the studio alone, ``studio.broadcast.framebuffer``.)

Cookies go to ``xauth`` on its standard input, never on a command line (which every
local user can read in ``/proc``).
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile
from pathlib import Path

from studio import redaction
from studio.broadcast.processes import ProcessFailed, run_capture

PROTOCOL = "MIT-MAGIC-COOKIE-1"

_folder: Path | None = None


def private_folder() -> Path:
    """This process's private folder for X authority files (0700, removed at exit)."""
    global _folder
    if _folder is None or not _folder.is_dir():
        _folder = Path(tempfile.mkdtemp(prefix="studio-x-"))
        atexit.register(shutil.rmtree, _folder, True)
    return _folder


def client_authority() -> Path:
    """The file this process's X clients read cookies from; ``XAUTHORITY`` points to it."""
    path = private_folder() / "Xauthority"
    path.touch(mode=0o600, exist_ok=True)
    os.environ["XAUTHORITY"] = str(path)
    return path


def new_cookie() -> str:
    cookie = secrets.token_hex(16)
    redaction.register(cookie)
    return cookie


async def xauth(authority: Path, commands: str) -> None:
    """Run ``xauth`` commands (one a line) on the file ``authority``."""
    code, _, err = await run_capture(
        ["xauth", "-q", "-f", str(authority), "source", "-"], limit=10, input=commands.encode()
    )
    if code != 0:
        raise ProcessFailed(
            f"xauth could not write the display's cookie: {err.strip() or f'exit code {code}'}",
            fix="Install xauth (scripts/install), then try again.",
        )


async def server_authority(cookie: str) -> Path:
    """A file for Xvfb's ``-auth``: the server accepts the cookie whatever its number."""
    path = Path(tempfile.mkstemp(prefix="server-", dir=private_folder())[1])
    await xauth(path, f"add :0 {PROTOCOL} {cookie}\n")
    return path


async def grant(display: str, cookie: str) -> None:
    """Let this process and its children onto ``display``."""
    await xauth(client_authority(), f"add {display} {PROTOCOL} {cookie}\n")


async def revoke(display: str) -> None:
    await xauth(client_authority(), f"remove {display}\n")
