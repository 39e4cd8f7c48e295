"""Request bodies the ClawCast tests share."""

from __future__ import annotations

from typing import Any


def booking(
    name: str = "agent_a", minutes: int = 1, slides: list[Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "streamer_name": name,
        "streamer_url": f"https://github.com/you/{name}",
        "duration_minutes": minutes,
    }
    if slides is not None:
        body["slides"] = slides
    return body


def text(headline: str, seconds: int | None = None) -> dict[str, Any]:
    slide: dict[str, Any] = {"type": "text", "content": {"headline": headline}}
    if seconds is not None:
        slide["duration_seconds"] = seconds
    return slide


def poll(
    question: str = "A or B?", options: tuple[str, ...] = ("A", "B"), seconds: int | None = None
) -> dict[str, Any]:
    slide: dict[str, Any] = {
        "type": "poll",
        "content": {"question": question, "options": list(options)},
    }
    if seconds is not None:
        slide["duration_seconds"] = seconds
    return slide
