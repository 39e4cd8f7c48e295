"""The one cleaner for text the studio did not write: viewer chat, names, poll and duet
text, the agent's log.

A terminal obeys what it is sent. A viewer's chat line carrying ``ESC [2J`` clears the
picture, ``ESC ]50;…`` changes xterm's font, ``ESC ]52;…`` writes the operator's
clipboard, and a newline followed by ``>>> Paste the txHash`` fakes an operator prompt.
So text from outside is made inert where it enters the core:

* every escape sequence is removed whole (ECMA-48: CSI, OSC, DCS, SOS, PM, APC, and
  the two-byte and ``nF`` escapes), in its 7-bit form and its 8-bit (C1) form;
* every other C0 and C1 control goes; line breaks and tabs become a space (one line of
  chat stays one line) unless the caller keeps line breaks;
* bidi embeddings, overrides and isolates go (they reorder what the operator reads).

Letters of every script, emoji and combining marks are kept as they are.
``sgr_only`` is the agent's own log: its colours (SGR) are kept, every other sequence
goes the same way.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from pydantic import BeforeValidator

__all__ = ["ViewerText", "inert", "inert_data", "json_safe", "sgr_only"]

_ST = r"(?:\x1b\\|\x9c|\x07)"
"""String terminator: ST in both forms, or BEL (xterm ends OSC with it too)."""

_SEQUENCE = re.compile(
    rf"""
      (?:\x1b\[|\x9b) [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]?           # CSI
    | (?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f]) .*? (?:{_ST}|\Z)         # OSC DCS SOS PM APC
    | \x1b [\x20-\x2f]* [\x30-\x7e]?                                   # other escapes
    """,
    re.VERBOSE | re.DOTALL,
)
_SGR = re.compile(r"\x1b\[[0-9;:]*m")
_BREAKS = re.compile(r"\r\n|[\n\r\t\v\f\x85\u2028\u2029]")
_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
"""C0, DEL, C1, and the bidi embeddings, overrides and isolates."""


def inert(text: str | None, *, newlines: bool = False) -> str:
    """``text`` with no escape sequence, control or bidi override left.

    Line breaks (and tabs) become a space, or with ``newlines`` a ``\\n`` each (tabs
    still a space)."""
    if not text:
        return ""
    text = _SEQUENCE.sub("", text)
    text = _BREAKS.sub(lambda m: "\n" if newlines and m.group() not in "\t\v\f" else " ", text)
    if newlines:
        return "\n".join(_CONTROLS.sub("", line) for line in text.split("\n"))
    return _CONTROLS.sub("", text)


def sgr_only(line: str) -> str:
    """One line of the agent's log with its colours (SGR) kept and nothing else.

    Tabs stay (the caller expands them); what follows the last carriage return is
    what a terminal would show."""
    line = line.rsplit("\r", 1)[-1]
    kept: list[str] = []
    last = 0
    for match in _SEQUENCE.finditer(line):
        kept.append(_keep_tabs(line[last : match.start()]))
        if _SGR.fullmatch(match.group()):
            kept.append(match.group())
        last = match.end()
    kept.append(_keep_tabs(line[last:]))
    return "".join(kept)


def _keep_tabs(piece: str) -> str:
    return "\t".join(_CONTROLS.sub("", part) for part in piece.split("\t"))


def inert_data(data: Any, *, newlines: bool = False) -> Any:
    """Every string inside nested dicts and lists made inert (keys too)."""
    if isinstance(data, str):
        return inert(data, newlines=newlines)
    if isinstance(data, dict):
        return {inert_data(k): inert_data(v, newlines=newlines) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return type(data)(inert_data(v, newlines=newlines) for v in data)
    return data


_JSON_INVISIBLE = re.compile(r"[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def json_safe(text: str) -> str:
    """JSON text (``json.dumps(..., ensure_ascii=False)``) with the characters JSON
    leaves raw but a terminal may act on (DEL, C1, bidi overrides, line separators)
    written as ``\\uXXXX`` escapes: the same JSON value, inert on a terminal."""
    return _JSON_INVISIBLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _inert_field(value: Any) -> Any:
    return inert(value) if isinstance(value, str) else value


ViewerText = Annotated[str, BeforeValidator(_inert_field)]
"""A pydantic field type for text a viewer or another streamer wrote."""
