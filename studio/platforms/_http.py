"""The HTTP layer every platform client shares.

* one ``httpx.AsyncClient`` per platform, bound to the platform's origin;
* redirects are followed only within that origin, so a credential never travels to
  another host;
* timeouts, connection failures and 5xx replies are retried with capped exponential
  backoff and jitter, but only for calls that are safe to repeat;
* every error reply becomes a ``PlatformError`` via the platform's own mapper, with a
  message and a fix for the operator, and with secrets redacted;
* whatever a reply holds (a corrupt compressed body, a broken redirect, JSON nested
  past reason, a body past ``MAX_BODY``), the caller gets a ``PlatformError`` and
  nothing else: reply bodies are read streamed and reading stops past the limit.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from typing import Any, TypeVar
from urllib.parse import urljoin, urlsplit

import httpx
from pydantic import BaseModel, ValidationError

from studio.backoff import HTTP_RETRY, Backoff
from studio.errors import StudioError
from studio.redaction import redact, redact_data

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

RETRYABLE_STATUS = frozenset({500, 502, 503, 504})
MAX_REDIRECTS = 5
MAX_BODY = 2 * 1024 * 1024
"""The largest reply body read (decoded), in bytes: no documented reply comes near it."""


class PlatformError(StudioError):
    """A platform answered with an error, or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        platform: str,
        status: int | None = None,
        fix: str | None = None,
        payload: Any = None,
    ) -> None:
        self.platform = platform
        self.status = status
        self.payload = redact_data(payload)
        prefix = f"{platform}" + (f" {status}" if status is not None else "")
        super().__init__(f"{prefix}: {message}", fix=fix)


class PlatformUnreachable(PlatformError):
    """The platform did not answer (timeout or connection failure)."""


class UnexpectedResponse(PlatformError):
    """The platform answered with something the document does not describe."""


class RedirectRefused(PlatformError):
    """A redirect pointed away from the platform's origin and was not followed."""


def origin_of(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


ErrorMapper = Callable[[httpx.Response, Any], PlatformError]


def error_text(body: Any, *keys: str) -> str | None:
    """The first human-readable string in a JSON error body."""
    if isinstance(body, Mapping):
        for key in keys or ("message", "error", "detail", "reason"):
            value = body.get(key)
            if isinstance(value, str) and value:
                return value
    return None


class ApiClient:
    """Base of the platform clients: origin-locked, retrying, error-mapping."""

    platform = "platform"

    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 10.0,
        retry: Backoff = HTTP_RETRY,
        sleep: Callable[[float], Any] = asyncio.sleep,
        max_body: int = MAX_BODY,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.max_body = max_body
        self._origin = origin_of(self.base_url)
        self._retry = retry
        self._sleep = sleep
        self._http = httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            follow_redirects=False,
            headers={"User-Agent": "studio/0.1 (+agent broadcast studio)"},
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self):  # noqa: ANN204 - returns the subclass
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # -- to be provided by each platform -------------------------------------------
    def map_error(self, response: httpx.Response, body: Any) -> PlatformError:
        message = error_text(body) or response.reason_phrase or "request failed"
        return PlatformError(
            message, platform=self.platform, status=response.status_code, payload=body
        )

    # -- requests ------------------------------------------------------------------
    def url(self, path: str) -> str:
        return self.base_url + path

    async def request(
        self,
        method: str,
        path: str,
        *,
        idempotent: bool | None = None,
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """Send a request and return a 2xx response, or raise a ``PlatformError``.

        ``idempotent`` says whether a timeout or 5xx may be retried; by default GET,
        HEAD, PUT, DELETE and OPTIONS are. A connection that never opened is always
        safe to retry, since nothing reached the platform.
        """
        safe = (
            idempotent
            if idempotent is not None
            else method.upper()
            in {
                "GET",
                "HEAD",
                "PUT",
                "DELETE",
                "OPTIONS",
            }
        )
        delays = self._retry.delays()
        while True:
            try:
                response = await self._send(method, self.url(path), headers, kwargs)
            except httpx.TransportError as exc:
                never_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
                delay = next(delays, None) if safe or never_sent else None
                if delay is None:
                    raise self._unreachable(exc) from None
            except (httpx.HTTPError, httpx.InvalidURL) as exc:
                # not a transport failure: a reply or an address the client cannot use
                raise UnexpectedResponse(
                    f"{method} {path} failed: {type(exc).__name__}: {redact(str(exc))[:200]}",
                    platform=self.platform,
                    fix="The platform sent something the studio cannot use; try again later.",
                ) from None
            else:
                if response.is_success:
                    return response
                if safe and response.status_code in RETRYABLE_STATUS:
                    delay = next(delays, None)
                    if delay is not None:
                        log.info(
                            "%s %s %s answered %s; retrying in %.1fs",
                            self.platform,
                            method,
                            path,
                            response.status_code,
                            delay,
                        )
                        await self._sleep(delay)
                        continue
                raise self._error_of(response)
            log.info("%s %s %s failed; retrying in %.1fs", self.platform, method, path, delay)
            await self._sleep(delay)

    async def _send(
        self, method: str, url: str, headers: Mapping[str, str] | None, kwargs: dict[str, Any]
    ) -> httpx.Response:
        for _ in range(MAX_REDIRECTS + 1):
            request = self._http.build_request(method, url, headers=headers, **kwargs)
            response = await self._http.send(request, stream=True)
            if not response.is_redirect:
                return await self._read(response)
            await response.aclose()
            target = self._redirect_target(url, response)
            if origin_of(target) != self._origin:
                raise RedirectRefused(
                    f"the server redirected to another origin ({origin_of(target)[1]}); "
                    "the request was not repeated there",
                    platform=self.platform,
                    status=response.status_code,
                    fix=f"Check the configured {self.platform} URL; credentials are only ever "
                    f"sent to {self._origin[1]}.",
                )
            if response.status_code in (301, 302, 303) and method.upper() not in ("GET", "HEAD"):
                method = "GET"
                kwargs = {
                    k: v for k, v in kwargs.items() if k not in ("json", "data", "files", "content")
                }
            url = target
        raise UnexpectedResponse(
            "too many redirects", platform=self.platform, fix="Check the configured URL."
        )

    def _redirect_target(self, url: str, response: httpx.Response) -> str:
        """The absolute URL a redirect points to, or ``UnexpectedResponse`` when its
        ``Location`` is not a usable URL (no host, a port out of range, …)."""
        location = response.headers.get("location", "")
        try:
            target = urljoin(url, location)
            scheme, host, _port = origin_of(target)
            if scheme not in ("http", "https") or not host:
                raise ValueError("not an http(s) URL with a host")
        except ValueError as exc:
            raise UnexpectedResponse(
                f"the server redirected to an unusable address ({exc}); nothing was sent there",
                platform=self.platform,
                status=response.status_code,
                fix=f"Check the configured {self.platform} URL, or try again later.",
            ) from None
        return target

    async def _read(self, response: httpx.Response) -> httpx.Response:
        """Read a streamed reply's body, decoded, stopping past ``max_body`` bytes; the
        body comes back as a plain response whose content is already read."""
        chunks: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > self.max_body:
                    raise UnexpectedResponse(
                        f"the reply to {response.request.method} {response.request.url.path} "
                        f"is larger than {self.max_body // 1024} KiB; it was not read further",
                        platform=self.platform,
                        status=response.status_code,
                        fix="The platform may be misbehaving; try again later.",
                    )
                chunks.append(chunk)
        except httpx.DecodingError as exc:
            raise UnexpectedResponse(
                f"the reply to {response.request.method} {response.request.url.path} could "
                f"not be decoded ({type(exc).__name__}: {redact(str(exc))[:120]})",
                platform=self.platform,
                status=response.status_code,
                fix="The platform sent a corrupt reply; try again later.",
            ) from None
        finally:
            await response.aclose()
        headers = [
            (k, v)
            for k, v in response.headers.multi_items()
            if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")
        ]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=b"".join(chunks),
            request=response.request,
            extensions=response.extensions,
        )

    def _error_of(self, response: httpx.Response) -> PlatformError:
        """The platform's own error for a reply, whatever its body holds."""
        body = _json_or_text(response)
        try:
            return self.map_error(response, body)
        except Exception:  # noqa: BLE001 - a mapper tripped by an odd body still maps
            log.warning("%s: the error reply could not be read in full", self.platform)
            return ApiClient.map_error(self, response, body)

    def _unreachable(self, exc: Exception) -> PlatformUnreachable:
        kind = "timed out" if isinstance(exc, httpx.TimeoutException) else "could not be reached"
        return PlatformUnreachable(
            f"{self.base_url} {kind} ({type(exc).__name__})",
            platform=self.platform,
            fix="Check the network and the configured URL, then try again.",
        )

    async def call(self, model: type[M], method: str, path: str, **kwargs: Any) -> M:
        """``request`` and parse the JSON reply into ``model``."""
        response = await self.request(method, path, **kwargs)
        return self.parse(model, response)

    def parse(self, model: type[M], response: httpx.Response) -> M:
        try:
            return model.model_validate(response.json())
        except RecursionError:
            raise UnexpectedResponse(
                f"the reply to {response.request.method} {response.request.url.path} "
                "is nested too deeply to read",
                platform=self.platform,
                status=response.status_code,
                fix="The platform sent a malformed reply; try again later.",
            ) from None
        except (ValueError, ValidationError) as exc:
            detail = (
                exc.errors(include_input=False) if isinstance(exc, ValidationError) else str(exc)
            )
            raise UnexpectedResponse(
                f"the reply to {response.request.method} {response.request.url.path} "
                f"did not match the documented shape: {redact(str(detail))[:300]}",
                platform=self.platform,
                status=response.status_code,
                fix="The platform may have changed its API; check for an updated studio.",
            ) from None


def _json_or_text(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (ValueError, RecursionError):
        return response.text[:500]
