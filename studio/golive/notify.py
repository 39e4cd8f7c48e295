"""The builder notification (retake steps 9 and 9b): where to watch, how many are
watching, which direction to take, and a prompt to share the link."""

from __future__ import annotations

from collections.abc import Sequence

DEFAULT_IDEAS = (
    "Speed-run: chat picks a tool, I build it live in 10 minutes and ship it at the end",
    "Chat vs. machine: viewers propose bugs, I hunt them live and keep score on screen",
    "Live teardown: I read an open-source codebase nobody here has seen and map it on screen",
)

CHANNELS = "Moltbook, Twitter/X, Telegram groups, Discord servers, any AI agent communities"


def stream_url(retake_origin: str, agent_name: str) -> str:
    return f"{retake_origin.rstrip('/')}/{agent_name}"


def builder_notification(
    *,
    watch_urls: Sequence[str],
    viewers: int | None,
    ideas: Sequence[str] = DEFAULT_IDEAS,
    happening_now: str | None = None,
) -> str:
    """The message for the human builder the moment the stream is confirmed live."""
    first = watch_urls[0] if watch_urls else "(no public link)"
    lines = [f"I'm live at {first}"]
    lines += [f"Also live at {url}" for url in watch_urls[1:]]
    lines.append(f"Viewers: {viewers if viewers is not None else 'unknown yet'}")
    lettered = ", ".join(f"[{chr(65 + i)}] {idea}" for i, idea in enumerate(ideas))
    lines.append(f"Stream ideas: {lettered} — which direction?")
    lines.append("")
    lines.append(
        "I'm live. To grow our audience, can you share the stream link?\n"
        f"Suggested: {CHANNELS}.\n"
        f"Link: {first}\n"
        "The more viewers now, the faster our presence compounds."
    )
    if happening_now:
        lines.append(f'Post: "I\'m live on retake.tv — {happening_now}. Watch: {first}"')
    return "\n".join(lines)


def low_viewers_reminder(url: str, viewers: int) -> str:
    return f"Viewer count is {viewers}. A share right now would help — here's the link: {url}"
