"""Fetching a picture from the web: https on every hop, a size cap, a short timeout.

Redirects are followed by hand (at most ``MAX_REDIRECTS``) so that each ``Location``
is checked before it is requested: a redirect to plain http, or to anything that is
not a valid https URL, is refused. The body is read as a stream and abandoned as soon
as it passes ``max_bytes``, whatever ``Content-Length`` claims (and a claim over the
cap is refused before reading).
"""

from __future__ import annotations

import httpx

from studio.redaction import redact

MAX_REDIRECTS = 5


class FetchRefused(Exception):
    """The picture was not fetched; ``str()`` says why, with the URL redacted."""

    def __init__(self, reason: str, *, too_large: bool = False) -> None:
        super().__init__(redact(reason))
        self.too_large = too_large


async def fetch_https(
    url: str,
    *,
    max_bytes: int,
    seconds: float = 5.0,
    transport: httpx.AsyncBaseTransport | None = None,
) -> bytes:
    try:
        async with httpx.AsyncClient(
            timeout=seconds, follow_redirects=False, transport=transport
        ) as client:
            target = httpx.URL(url)
            for _ in range(MAX_REDIRECTS + 1):
                if target.scheme != "https":
                    raise FetchRefused(f"{target} is not https; only https is fetched")
                async with client.stream("GET", target) as response:
                    if response.is_redirect:
                        target = response.url.join(response.headers.get("location", ""))
                        continue
                    return await _body(response, max_bytes)
            raise FetchRefused(f"{url}: more than {MAX_REDIRECTS} redirects")
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        raise FetchRefused(f"{url} could not be fetched ({type(exc).__name__})") from None


async def _body(response: httpx.Response, max_bytes: int) -> bytes:
    if response.status_code != 200:
        raise FetchRefused(f"{response.url}: HTTP {response.status_code}")
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise FetchRefused(f"{response.url} is larger than {max_bytes} bytes", too_large=True)
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > max_bytes:
            raise FetchRefused(f"{response.url} is larger than {max_bytes} bytes", too_large=True)
        chunks.append(chunk)
    return b"".join(chunks)
