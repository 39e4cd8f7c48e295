"""Getting slide images: over HTTPS with a short timeout and a bounded on-disk cache.

Only https is fetched, on every hop: redirects are followed by hand (at most
``MAX_REDIRECTS``), each ``Location`` checked before it is requested, and the body is
capped at ``MAX_IMAGE_BYTES`` whatever the headers claim. Cache files are written
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

from studio.redaction import redact
from studio.secure_file import write_private

log = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 8 * 1024 * 1024
CACHE_BYTES = 64 * 1024 * 1024
MAX_REDIRECTS = 5


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
            async with httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=False, transport=self._transport
            ) as client:
                target = httpx.URL(url)
                for _ in range(MAX_REDIRECTS + 1):
                    if target.scheme != "https":
                        log.info("image %s refused: only https is fetched", redact(str(target)))
                        return None
                    async with client.stream("GET", target) as response:
                        if response.is_redirect:
                            target = response.url.join(response.headers.get("location", ""))
                            continue
                        return await self._body(response)
                log.info("image %s: more than %d redirects", redact(url), MAX_REDIRECTS)
                return None
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
            log.info("image %s could not be fetched: %s", redact(url), type(exc).__name__)
            return None

    @staticmethod
    async def _body(response: httpx.Response) -> bytes | None:
        where = redact(str(response.url))
        if response.status_code != 200:
            log.info("image %s: HTTP %s", where, response.status_code)
            return None
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > MAX_IMAGE_BYTES:
            log.info("image %s is larger than %d bytes", where, MAX_IMAGE_BYTES)
            return None
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > MAX_IMAGE_BYTES:
                log.info("image %s is larger than %d bytes", where, MAX_IMAGE_BYTES)
                return None
            chunks.append(chunk)
        return b"".join(chunks)

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
