"""The console's account pane against the real control API and the sandbox's section-6
routes: the service holds the Privy JWT, the console never sees it, and what is typed
reaches retake.tv (the very bio, the follow, the session)."""

from __future__ import annotations

import pytest
from textual.widgets import Button, Input, Label

from studio.console.app import ConsoleApp
from studio.console.panes.account.account_pane import AccountPane
from studio.console.service_client import ServiceClient
from studio.platforms.retake import RetakeClient
from tests.console.console_helpers import LARGE, SMALL, click, frozen_config, until
from tests.control.control_helpers import SANDBOX, served
from tests.retake.retake_helpers import verified_agent


def screen_text(app: ConsoleApp) -> str:
    return app.export_screenshot()


async def agent_with_jwt(transport, control, name: str) -> tuple[str, str]:  # noqa: ANN001
    client = RetakeClient(SANDBOX, transport=transport)
    reg = await verified_agent(client, control, name)
    await client.aclose()
    jwt = (await control.post("/_sandbox/retake/privy", json={"agent": name})).json()["jwt"]
    return reg.user_db_id, jwt


async def test_without_a_jwt_the_pane_says_how_to_give_one(transport) -> None:  # noqa: ANN001
    async with served(transport=transport) as s:
        app = ConsoleApp(ServiceClient(s.socket_path), frozen_config())
        async with app.run_test(size=SMALL) as pilot:
            await until(pilot, app.attached.is_set)
            await pilot.press("f12")
            pane = app.query_one(AccountPane)
            await until(pilot, lambda: pane.refusal)
            assert "Privy user JWT" in pane.refusal and "RETAKE_PRIVY_JWT" in pane.refusal
            (command, response), *_ = app.responses
            assert command.verb == "retake.profile" and response.code == 409


async def test_the_account_pane_edits_follows_and_owns_sessions(
    transport,
    control,
    sandbox,
    monkeypatch: pytest.MonkeyPatch,  # noqa: ANN001
) -> None:
    user_id, jwt = await agent_with_jwt(transport, control, "Acct_Bot")
    other_id, _ = await agent_with_jwt(transport, control, "Other_Bot")
    monkeypatch.setenv("RETAKE_PRIVY_JWT", jwt)  # where the service starts: as the CLI reads it
    world = sandbox.retake.world
    async with served(transport=transport) as s:
        app = ConsoleApp(ServiceClient(s.socket_path), frozen_config())
        async with app.run_test(size=LARGE, notifications=True) as pilot:
            await until(pilot, app.attached.is_set)
            await pilot.press("f12")
            pane = app.query_one(AccountPane)
            await until(pilot, lambda: pane.profile and pane.following is not None)
            assert pane.profile["username"] == "Acct_Bot" and pane.profile["user_id"] == user_id
            assert pane.following == []
            # checked as typed by the shared rule: nothing is sent
            bio = app.query_one("#acc-bio", Input)
            bio.value = "x" * 501
            problem = app.query_one("#acc-bio-problem", Label)
            await until(pilot, lambda: not problem.has_class("hidden"))
            assert str(problem.content) == "must be at most 500 characters (got 501)"
            assert app.query_one("#profile-save", Button).disabled
            app.query_one("#acc-username", Input).value = "no spaces allowed"
            await until(pilot, lambda: app.query_one("#acc-username").has_class("-invalid"))
            app.query_one("#acc-username", Input).value = ""
            # the very bio typed reaches retake.tv
            typed = "Now speaking on air, from the console."
            bio.value = typed
            app.query_one("#acc-token_name", Input).value = "Console Coin"
            await until(pilot, lambda: not app.query_one("#profile-save", Button).disabled)
            await click(pilot, "#profile-save")
            await until(pilot, lambda: pane.profile.get("token_name") == "Console Coin")
            assert world.agents[user_id].description == typed
            assert world.agents[user_id].token_name == "Console Coin"
            assert pane.profile["bio"] == typed and bio.value == ""
            # follow by username: listed in the pane and on retake.tv
            app.query_one("#follow-target", Input).value = "Other_Bot"
            await click(pilot, "#follow")
            await until(pilot, lambda: pane.following)
            assert [(f["username"], f["user_id"]) for f in pane.following] == [
                ("Other_Bot", other_id)
            ]
            assert other_id in world.agents[user_id].following
            await click(pilot, "#follow-check")
            await until(pilot, lambda: app.responses[-1][0].verb == "retake.following")
            assert app.responses[-1][1].data == {"username": "Other_Bot", "following": True}
            # session-owner controls: start with title, category and tags; muted; end
            app.query_one("#sess-title", Input).value = "Building a parser"
            app.query_one("#sess-category", Input).value = "coding"
            app.query_one("#sess-tags", Input).value = "python, live," + "t" * 31
            tags = app.query_one("#sess-tags-problem", Label)
            await until(pilot, lambda: not tags.has_class("hidden"))
            assert "must be at most 30 characters" in str(tags.content)
            assert app.query_one("#session-start", Button).disabled
            app.query_one("#sess-tags", Input).value = "python, live"
            await until(pilot, lambda: not app.query_one("#session-start", Button).disabled)
            await click(pilot, "#session-start")
            session_id = await until(pilot, lambda: app.query_one("#sess-session_id", Input).value)
            session = world.agents[user_id].session
            assert session is not None and session.session_id == session_id
            assert (session.title, session.category, session.tags) == (
                "Building a parser", "coding", ["python", "live"],
            )  # fmt: skip
            await control.post("/_sandbox/retake/mute",
                               json={"session_id": session_id, "username": "troll_1"})  # fmt: skip
            await click(pilot, "#session-muted")
            await until(pilot, lambda: app.responses[-1][0].verb == "retake.session.muted")
            muted = app.responses[-1][1].data
            assert [m["username"] for m in muted["muted"]] == ["troll_1"]
            app.query_one("#sess-session_id", Input).value = ""  # the active session
            await click(pilot, "#session-end")
            await until(pilot, lambda: app.responses[-1][0].verb == "retake.session.end")
            assert app.responses[-1][1].ok, app.responses[-1][1]
            assert world.agents[user_id].session is None
            # the JWT is never on the screen, in a response or a notification
            assert jwt not in screen_text(app)
            assert all(jwt not in repr(r) for _, r in app.responses)
            assert all(jwt not in n.message for n in app._notifications)
