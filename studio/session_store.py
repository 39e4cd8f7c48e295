"""Platform sessions kept on disk so a restarted studio recovers instead of duplicating.

Holds the ClawCast slot JWT (with its slot's timing) and the baseFM session token in
one JSON file, mode 0600, written atomically. Entries are plain dicts per platform;
secret values inside are registered with the redaction layer when loaded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from studio import redaction
from studio.secure_file import read_json, write_private_json

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

    def put(self, platform: str, entry: dict[str, Any]) -> None:
        data = self._all()
        data[platform] = entry
        write_private_json(self.path, data)

    def clear(self, platform: str) -> None:
        data = self._all()
        if data.pop(platform, None) is not None:
            write_private_json(self.path, data)
