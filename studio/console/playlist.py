"""The composer's playlist without a screen: slides as JSON objects, checked by the
shared validation, saved and loaded as files ``studio slides validate`` accepts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.console.field_check import problems_by_field
from studio.validation.clawcast import MAX_SLIDES, SLIDE_TYPES, PublishBatchRequest
from studio.validation.playlist_file import EXAMPLES, read_playlist, validate_playlist

__all__ = ["EXAMPLES", "MAX_SLIDES", "SLIDE_TYPES", "Playlist", "slide_problems"]


def slide_problems(slide: Any) -> dict[str, str]:
    """``{field: rule}`` for one slide (paths like ``content.options[1]``)."""
    found = problems_by_field(PublishBatchRequest, {"slides": [slide]})
    return {key.removeprefix("slides[0].").removeprefix("slides[0]") or "(slide)": rule
            for key, rule in found.items()}  # fmt: skip


@dataclass
class Playlist:
    slides: list[dict[str, Any]] = field(default_factory=list)

    def add(self, kind: str, at: int | None = None) -> int:
        if len(self.slides) >= MAX_SLIDES:
            raise ValueError(f"a playlist holds at most {MAX_SLIDES} slides")
        slide = json.loads(json.dumps(EXAMPLES[kind]))
        index = len(self.slides) if at is None else at
        self.slides.insert(index, slide)
        return index

    def delete(self, index: int) -> None:
        del self.slides[index]

    def move(self, index: int, by: int) -> int:
        target = max(0, min(len(self.slides) - 1, index + by))
        self.slides.insert(target, self.slides.pop(index))
        return target

    def problems(self) -> dict[str, str]:
        return problems_by_field(PublishBatchRequest, {"slides": self.slides})

    def save(self, path: Path) -> None:
        """Written as a publishBatch body; refused (nothing written) when invalid."""
        validate_playlist({"slides": self.slides})
        path.write_text(json.dumps({"slides": self.slides}, indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")  # fmt: skip

    @classmethod
    def load(cls, path: Path) -> Playlist:
        """Any playlist shape ``studio slides validate`` accepts; raises ``ValidationFailed``."""
        checked = validate_playlist(read_playlist(path))
        return cls([s.model_dump(mode="json", exclude_none=True) for s in checked.slides])
