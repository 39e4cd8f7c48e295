"""Which way a page of retake.tv comments is sorted, since the document does not say.

``GET /agent/stream/comments`` pages back with ``beforeId`` ("the ``_id`` of the oldest
message in the previous response") but never says whether a page comes newest first
or oldest first. The studio accepts both: a page's direction is read from its
timestamps, else from where the comments already seen sit in it (they are older than
the unseen ones), else from what an earlier page showed, else newest first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

from studio.platforms._timestamps import epoch_or_none
from studio.platforms.retake_models import Comment

Order = Literal["newest_first", "oldest_first"]


def stamp(comment: Comment) -> float | None:
    """A comment's time as epoch seconds, or ``None`` when it has none that parses."""
    return epoch_or_none(comment.timestamp)


def page_order(page: Sequence[Comment], seen: Callable[[str], bool] | None = None) -> Order | None:
    """The direction ``page`` reveals, or ``None`` when it reveals none."""
    stamps = [t for t in (stamp(c) for c in page) if t is not None]
    if len(stamps) >= 2 and stamps[0] != stamps[-1]:
        return "newest_first" if stamps[0] > stamps[-1] else "oldest_first"
    if seen is not None:
        known = [seen(c.id) for c in page]
        if any(known) and not all(known):
            first_seen = known.index(True)
            last_unseen = len(known) - 1 - known[::-1].index(False)
            if last_unseen < first_seen:
                return "newest_first"  # the unseen (newer) ones come first
            first_unseen = known.index(False)
            last_seen = len(known) - 1 - known[::-1].index(True)
            if last_seen < first_unseen:
                return "oldest_first"
    return None


def in_time_order(page: Sequence[Comment], order: Order) -> list[Comment]:
    """``page`` oldest first; comments whose times parse are also sorted by time."""
    ordered = list(page) if order == "oldest_first" else list(reversed(page))
    stamps = [t for t in (stamp(c) for c in ordered) if t is not None]
    if len(stamps) == len(ordered):
        ordered = [c for _, c in sorted(zip(stamps, ordered, strict=True), key=lambda p: p[0])]
    return ordered
