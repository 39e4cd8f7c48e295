"""Platform sessions kept on disk so a restarted studio recovers instead of duplicating.

Holds the ClawCast slot JWT (with its slot's timing) and the baseFM session token in
one JSON file, mode 0600, written atomically. Entries are plain dicts per platform;
secret values inside are registered with the redaction layer when loaded.

Several studio processes may share the file (a studio and ``studio journal``, a
resumed studio and the one stopping a crashed session): every read-modify-write holds
an exclusive ``flock`` on a lock file beside it, so no process's entry is lost.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from studio import redaction
from studio.secure_file import private_dir, read_json, write_private_json

SECRET_FIELDS = ("slot_jwt", "session_token", "access_token", "api_key")


class SessionStore:
    def __init__(self, path: Path) -> None:
        self.path = path

    def _all(self) -> dict[str, Any]:
        data = read_json(self.path)
        if not isinstance(data, dict):
            return {}
        for entry in data.values():
            if isinstance(entry, dict):
                for name in SECRET_FIELDS:
                    if isinstance(entry.get(name), str):
                        redaction.register(entry[name])
        return data

    def get(self, platform: str) -> dict[str, Any] | None:
        entry = self._all().get(platform)
        return entry if isinstance(entry, dict) else None

    @contextmanager
    def _locked(self) -> Iterator[None]:
        private_dir(self.path.parent)
        fd = os.open(self.path.with_name(self.path.name + ".lock"), os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)  # releases the lock

    def put(self, platform: str, entry: dict[str, Any]) -> None:
        with self._locked():
            data = self._all()
            data[platform] = entry
            write_private_json(self.path, data)

    def clear(self, platform: str) -> None:
        with self._locked():
            data = self._all()
            if data.pop(platform, None) is not None:
                write_private_json(self.path, data)
