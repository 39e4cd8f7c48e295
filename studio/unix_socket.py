"""What a Unix socket path may be: the kiosk's and the control API's sockets."""

from __future__ import annotations

import os
from pathlib import Path

MAX_SOCKET_PATH = 107
"""Bytes in a Unix socket path (sun_path is 108 with its terminating NUL on Linux)."""


def socket_path_problem(path: Path) -> str | None:
    """Why ``path`` cannot be a Unix socket, or None."""
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        return f"{path} is longer than the {MAX_SOCKET_PATH} bytes a Unix socket path may have"
    return None
