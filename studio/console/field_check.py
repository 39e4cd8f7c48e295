"""Checking what the operator types with the shared validation, field by field.

The console never has rules of its own: every check is the core's
(``studio.validation``), the same the clients apply before anything is sent.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from studio.errors import Problem, ValidationFailed
from studio.golive.operator import yes_or_no
from studio.golive.plan import Plan
from studio.golive.retake_registration import FIELDS, valid_registration
from studio.validation import check, problems_from
from studio.validation.basefm import transaction_hash, wallet_address
from studio.validation.playlist_file import playlist_slides
from studio.validation.retake import RegisterRequest, VerifyRequest


def problems_by_field(model: type[BaseModel], data: Mapping[str, Any]) -> dict[str, str]:
    """``{field path: rule}`` for everything wrong in ``data``; empty when valid."""
    try:
        model.model_validate(dict(data))
    except ValidationError as exc:
        found: dict[str, str] = {}
        for problem in problems_from(exc):
            found.setdefault(problem.field, problem.rule)
        return found
    return {}


def _from_value_error(field: str, rule: Callable[[str], str]) -> Callable[[str], str]:
    def checked(value: str) -> str:
        try:
            return rule(value.strip())
        except ValueError as exc:
            raise ValidationFailed([Problem(field, str(exc))], what=field) from None

    return checked


def _tweet(value: str) -> str:
    return check(VerifyRequest, {"tweet_url": value.strip()}, what="tweet URL").tweet_url


def _choice(value: str) -> str:
    answer = value.strip().lower()
    if answer not in ("resume", "stop"):
        raise ValidationFailed([Problem("answer", "must be resume or stop")], what="answer")
    return answer


ANSWER_RULES: dict[str, Callable[[str], str]] = {
    "tweet_url": _tweet,
    "tx_hash": _from_value_error("txHash", transaction_hash),
    "wallet": _from_value_error("wallet", wallet_address),
    "open_session": _choice,
    "clawcast_rebook": yes_or_no,
    "registration": valid_registration,
}
"""How each operator step's answer is checked, by ``need``."""


def check_answer(need: str, value: str) -> str | None:
    """The rule an answer breaks, in the operator's words, or None when it is good."""
    rule = ANSWER_RULES.get(need)
    if rule is None:
        return None if value.strip() else "must not be empty"
    try:
        rule(value)
    except ValidationFailed as exc:
        return "; ".join(f"{p.field}: {p.rule}" for p in exc.problems)
    return None


REGISTER_FIELDS = FIELDS


def registration_problems(data: Mapping[str, str]) -> dict[str, str]:
    return problems_by_field(RegisterRequest, data)


PLATFORMS = ("retake", "clawcast", "basefm")
GOLIVE_TEXT_FIELDS = ("title", "duration", "log", "basefm_wallet", "clawcast_name",
                      "clawcast_url", "slides")  # fmt: skip
"""What the console's Go live form asks, named as ``Plan``'s fields."""


def golive_plan(values: Mapping[str, Any]) -> tuple[Plan | None, dict[str, str]]:
    """The plan a Go live form asks for, checked as ``studio golive`` checks its
    options (``Plan`` and ``Plan.problems``), or ``{field: rule}`` for what is wrong."""
    data: dict[str, Any] = {p: bool(values.get(p)) for p in PLATFORMS}
    found: dict[str, str] = {}
    if not any(data.values()):
        found["platforms"] = "choose at least one platform"
    data["kiosk"] = bool(values.get("kiosk", True))
    for name in GOLIVE_TEXT_FIELDS:
        text = str(values.get(name) or "").strip()
        if not text:
            continue
        if name == "slides":
            try:  # read and checked as `studio golive --slides` does
                data["slides"] = playlist_slides(Path(text).expanduser(), field="slides")
            except ValidationFailed as exc:
                found["slides"] = exc.problems[0].rule
        elif name == "log":
            data["log"] = str(Path(text).expanduser().absolute())
        else:
            data[name] = text
    found = {**problems_by_field(Plan, data), **found}
    if any(k in found for k in data if k != "slides"):
        return None, found
    plan = Plan.model_validate({k: v for k, v in data.items() if k not in found})
    for problem in plan.problems():
        found.setdefault(problem.field, problem.rule)
    return (None, found) if found else (plan, {})
