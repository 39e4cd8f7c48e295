"""retake.tv registration as an operator step (step 1 of its skill document).

When the studio has no retake.tv credentials, the retake leg asks the operator for
the fields of ``POST /api/v1/agent/register`` as one JSON object, checks them field by
field with the shared rules (nothing is sent while one is wrong), registers with the
leg's own ``RetakeClient`` and saves the credentials the way ``studio retake
register`` does (0600). The avatar's squareness needs its picture, so the leg checks it
(``studio.validation.retake.check_avatar``, as the command does) once the answer is in.
"""

from __future__ import annotations

import json

from studio.errors import Problem, ValidationFailed
from studio.golive.operator import Need
from studio.validation import check
from studio.validation.retake import RegisterRequest

FIELDS = tuple(RegisterRequest.model_fields)
"""agent_name, agent_description, image_url, wallet_address, ticker."""

PROMPT = (
    "This studio has no retake.tv credentials. Register the agent once (its credentials "
    "are then saved, 0600): give " + ", ".join(FIELDS) + " as one JSON object."
)


def registration_body(value: str) -> RegisterRequest:
    """The registration an answer asks for, or ``ValidationFailed`` naming each field."""
    try:
        data = json.loads(value)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        raise ValidationFailed(
            [Problem("registration", "must be a JSON object of " + ", ".join(FIELDS))],
            what="retake.tv registration",
        )
    return check(RegisterRequest, data, what="retake.tv registration")


def valid_registration(value: str) -> str:
    """The cleaned answer (the body as JSON), for ``Need.validate``."""
    return registration_body(value).model_dump_json()


def registration_need(platform: str = "retake") -> Need:
    return Need(
        platform=platform,
        need="registration",
        prompt=PROMPT,
        validate=valid_registration,
        data={"fields": list(FIELDS), "endpoint": "POST /api/v1/agent/register"},
        flags="`studio retake register` before going live",
    )
