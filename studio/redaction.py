"""One redaction layer for every secret the studio handles.

Secrets are access tokens, RTMP keys, slot JWTs, API keys and baseFM session tokens.
They are masked in three ways, all through this module:

* values the studio has seen are registered (``register``) and replaced wherever they
  appear, whole or as part of a URL;
* well-known shapes (``rtk_…``, ``sk_…``, ``tvt_…``, JWTs, ``Bearer …``) are masked
  even if they were never registered;
* a ``logging.Filter`` applies both to every log record.

Models hold secrets as ``pydantic.SecretStr`` (see ``SecretValue``) so a repr never
shows them; ``reveal`` is the one way to read the value when it must be sent.
"""

from __future__ import annotations

import logging
import re
import threading
from typing import Annotated, Any

from pydantic import AfterValidator, SecretStr

MASK = "[REDACTED]"
_MIN_LEN = 6

_lock = threading.Lock()
_known: set[str] = set()
_pattern: re.Pattern[str] | None = None

_SHAPES = re.compile(
    r"""
    (?:rtk|sk|tvt)_[A-Za-z0-9_\-]{6,}                # retake tokens, RTMP keys, ClawCast API keys
    | sk-[A-Za-z0-9]{2,}(?:-[A-Za-z0-9]{2,}){2,}      # Mux-style stream keys
    | eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*   # JWTs
    | (?<=Bearer\ )[A-Za-z0-9._\-~+/]{6,}=*           # bearer credentials
    """,
    re.VERBOSE,
)


def register(value: str | SecretStr | None) -> None:
    """Remember a secret value so that it is masked wherever it appears."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if not value or len(value) < _MIN_LEN:
        return
    global _pattern
    with _lock:
        if value in _known:
            return
        _known.add(value)
        ordered = sorted(_known, key=len, reverse=True)
        _pattern = re.compile("|".join(re.escape(v) for v in ordered))


def forget_all() -> None:
    """Clear the registry (tests only)."""
    global _pattern
    with _lock:
        _known.clear()
        _pattern = None


def redact(text: str) -> str:
    """Mask every registered secret and every secret-shaped string in ``text``."""
    if not text:
        return text
    pattern = _pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    return _SHAPES.sub(MASK, text)


def redact_data(data: Any) -> Any:
    """Redact every string inside nested dicts, lists and tuples."""
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, SecretStr):
        return MASK
    if isinstance(data, dict):
        return {k: redact_data(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(redact_data(v) for v in data)
    return data


def reveal(value: SecretStr | str) -> str:
    """The secret's real value, for the one place that must send it."""
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    return value


def _register_and_keep(value: SecretStr) -> SecretStr:
    register(value)
    return value


SecretValue = Annotated[SecretStr, AfterValidator(_register_and_keep)]
"""A pydantic field type for secrets: masked in reprs and registered for redaction."""


class RedactingFilter(logging.Filter):
    """Masks secrets in every record that passes through a handler."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg = redact(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> None:
    """Attach the redacting filter to every handler of ``logger`` (root by default)."""
    target = logger or logging.getLogger()
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
