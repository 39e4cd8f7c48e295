"""Getting slide images: over HTTPS with a short timeout and a bounded on-disk cache.

Only https is fetched, on every hop, and the body is capped at ``MAX_IMAGE_BYTES``
whatever the headers claim (``studio.https_fetch``). Cache files are written
atomically (a temporary file renamed into place), so a reader never sees half a file.
Anything that fails (no network, a 404, plain http, a huge file, not an image) yields
``None`` and the slide shows a placeholder card instead.
"""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path
from typing import Protocol

import httpx
import platformdirs

from studio.https_fetch import FetchRefused, fetch_https
from studio.secure_file import write_private

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 8 * 1024 * 1024
CACHE_BYTES = 64 * 1024 * 1024


class ImageFetcher(Protocol):
    async def fetch(self, url: str) -> bytes | None: ...


def default_cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("studio", appauthor=False)) / "kiosk-images"


class HttpImageFetcher:
    def __init__(
        self,
        cache_dir: Path | None = None,
        *,
        timeout: float = 4.0,
        cache_bytes: int = CACHE_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.cache_dir = cache_dir or default_cache_dir()
        self.timeout = timeout
        self.cache_bytes = cache_bytes
        self._transport = transport

    def _cached(self, url: str) -> Path:
        return self.cache_dir / hashlib.sha256(url.encode()).hexdigest()

    async def fetch(self, url: str) -> bytes | None:
        path = self._cached(url)
        if path.is_file():
            path.touch()
            return path.read_bytes()
        data = await self._download(url)
        if data is not None:
            self._store(path, data)
        return data

    async def _download(self, url: str) -> bytes | None:
        try:
            return await fetch_https(
                url, max_bytes=MAX_IMAGE_BYTES, seconds=self.timeout, transport=self._transport
            )
        except FetchRefused as exc:
            log.info("image not fetched: %s", exc)
            return None

    def _store(self, path: Path, data: bytes) -> None:
        try:
            write_private(path, data)
            self._evict()
        except OSError as exc:
            log.info("image cache not written: %s", exc)

    def _evict(self) -> None:
        files = sorted(self.cache_dir.iterdir(), key=lambda p: p.stat().st_mtime, reverse=True)
        total = 0
        for file in files:
            total += file.stat().st_size
            if total > self.cache_bytes:
                file.unlink(missing_ok=True)


class LocalImageFetcher:
    """Maps URLs to files on disk: for tests, snapshots and rehearsals without a network."""

    def __init__(self, files: dict[str, Path]) -> None:
        self.files = files

    async def fetch(self, url: str) -> bytes | None:
        path = self.files.get(url)
        if path is None or not path.is_file():
            return None
        return path.read_bytes()
