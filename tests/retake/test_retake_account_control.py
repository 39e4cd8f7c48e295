"""The account commands of the control API (what the console's account pane sends):
each field's rule named before anything is sent, images read and checked, the JWT read
as the CLI reads it and never in a reply."""

from __future__ import annotations

from pathlib import Path

import pytest

from studio.control.client import CommandFailed, ControlClient
from studio.platforms.retake import RetakeClient
from tests.control.control_helpers import SANDBOX, served
from tests.retake.retake_helpers import png, verified_agent


async def test_profile_changes_are_checked_then_sent_with_the_services_jwt(
    transport,
    control,
    sandbox,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
) -> None:
    client = RetakeClient(SANDBOX, transport=transport)
    reg = await verified_agent(client, control, "Ctl_Bot")
    await client.aclose()
    jwt = (await control.post("/_sandbox/retake/privy", json={"agent": "Ctl_Bot"})).json()["jwt"]
    async with served(transport=transport) as s:
        api = await ControlClient.connect(s.socket_path, events=[])
        try:
            with pytest.raises(CommandFailed) as none:
                await api.call("retake.profile")
            assert none.value.response.code == 409
            assert "RETAKE_PRIVY_JWT" in none.value.response.comment
            monkeypatch.setenv("RETAKE_PRIVY_JWT", jwt)
            me = await api.call("retake.profile")
            assert me["username"] == "Ctl_Bot" and me["user_id"] == reg.user_db_id
            not_image = tmp_path / "pfp.png"
            not_image.write_text("hello")
            with pytest.raises(CommandFailed) as bad:
                await api.call("retake.profile.set", bio="b" * 501, username="a b",
                               picture=str(not_image), banner=str(tmp_path / "none.png"))  # fmt: skip
            problems = {p["field"]: p["rule"] for p in bad.value.response.problems}
            assert problems["bio"] == "must be at most 500 characters (got 501)"
            assert set(problems) == {"bio", "username", "picture", "banner"}
            assert "cannot be read" in problems["banner"]
            assert sandbox.retake.world.agents[reg.user_db_id].description != "b" * 501
            picture = tmp_path / "me.png"
            picture.write_bytes(png(24, 24))
            changed = await api.call("retake.profile.set", bio="Checked, then sent.",
                                     picture=str(picture))  # fmt: skip
            agent = sandbox.retake.world.agents[reg.user_db_id]
            assert agent.description == "Checked, then sent." and agent.pfp == png(24, 24)
            assert changed["bio"] == "Checked, then sent."
            with pytest.raises(CommandFailed) as empty:
                await api.call("retake.profile.set")
            assert empty.value.response.code == 400
            assert jwt not in repr(bad.value.response) and jwt not in repr(changed)
        finally:
            await api.close()
