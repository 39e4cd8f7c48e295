"""Validation in one place, for the clients, the CLI and the UI alike.

Every rule of the platforms' documents is a pydantic model or field type in one module
per platform (``clawcast``, ``retake``, ``basefm``). ``check`` turns pydantic's
errors into ``Problem``s that name the field and the rule, and raises
``ValidationFailed`` so nothing is sent.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from studio.errors import Problem, ValidationFailed

M = TypeVar("M", bound=BaseModel)

_PREFIXES = ("Value error, ", "Assertion failed, ")
_UNION_TAGS: set[str] = set()


def register_union_tags(*tags: str) -> None:
    """Tags of discriminated unions, which pydantic adds to error locations."""
    _UNION_TAGS.update(tags)


def field_path(loc: tuple[int | str, ...]) -> str:
    """``("slides", 2, "content", "headline")`` → ``slides[2].content.headline``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or "(body)"


def problems_from(error: ValidationError, prefix: str = "") -> list[Problem]:
    problems: list[Problem] = []
    for item in error.errors(include_url=False, include_input=False):
        message = str(item["msg"])
        for p in _PREFIXES:
            if message.startswith(p):
                message = message[len(p) :]
        if item["type"] == "missing":
            message = "is required"
        elif item["type"] == "extra_forbidden":
            message = "is not a field the platform accepts"
        raw = item["loc"]
        loc = tuple(
            part
            for i, part in enumerate(raw)
            if not _is_union_tag(part)
            and not (part in _UNION_TAGS and (i == 0 or isinstance(raw[i - 1], int)))
        )
        path = field_path(loc)
        problems.append(Problem(f"{prefix}{path}" if prefix else path, message))
    return problems


def _is_union_tag(part: int | str) -> bool:
    # Tagged unions add the tag ("text", "poll", …) and function-validator names to loc.
    return isinstance(part, str) and ("[" in part or part.startswith("function-"))


def check(model: type[M], data: Any, *, what: str | None = None) -> M:
    """Validate ``data`` against ``model`` or raise ``ValidationFailed`` naming every problem."""
    if isinstance(data, model):
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(problems_from(exc), what=what or model.__name__) from None
