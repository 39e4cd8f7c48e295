"""Section 6 of the retake.tv document against the in-process sandbox: profile,
following and session-owner controls with a Privy user JWT, and the JWT kept apart
from the agent's access token."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from studio.config import Paths
from studio.errors import ValidationFailed
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_account import RetakeAccount
from studio.platforms.retake_errors import (
    RetakeBadInput,
    RetakeJwtRejected,
    RetakeNotFound,
    RetakeNotOwner,
    RetakeSessionConflict,
)
from studio.platforms.retake_jwt import (
    PrivyJwt,
    PrivyJwtProblem,
    WrongCredential,
    jwt_file,
    load_privy_jwt,
    require_privy_jwt,
    save_privy_jwt,
)
from studio.redaction import MASK, redact, reveal
from tests.retake.retake_helpers import png, verified_agent

SANDBOX = "http://sandbox.test"


@pytest.fixture(params=["full", "bare"])
def replies(request, sandbox) -> str:
    """Where the document shows no reply, the sandbox answers with the object itself or
    with a bare acknowledgement (boolean, array, wrapper, 204); the client takes both."""
    sandbox.retake.account_replies = request.param
    return request.param


async def account_for(transport, control, name: str) -> tuple[RetakeClient, RetakeAccount, str]:
    """A verified agent, its Privy JWT from the sandbox, and an account client."""
    client = RetakeClient(SANDBOX, transport=transport)
    reg = await verified_agent(client, control, name)
    reply = await control.post("/_sandbox/retake/privy", json={"agent": name})
    jwt = PrivyJwt(reply.json()["jwt"])
    return client, RetakeAccount(SANDBOX, jwt=jwt, transport=transport), reg.user_db_id


async def test_profile_read_and_every_patch(transport, control, sandbox, replies):
    _, account, user_id = await account_for(transport, control, "Prof_Bot")
    me = await account.me()
    assert me.user_id == user_id and me.username == "Prof_Bot"
    assert me.bio == "A terminal studio that streams its own build logs."

    assert (await account.set_bio("Now with a voice.")).bio == "Now with a voice."
    assert (await account.set_username("Prof_Bot2")).username == "Prof_Bot2"
    assert sandbox.retake.world.agents[user_id].name == "Prof_Bot2"
    assert (await account.set_token_name("Professor Coin")).token_name == "Professor Coin"

    picture = png(32, 32)
    pfp = await account.set_profile_picture(picture)
    assert pfp.profile_picture_url and pfp.profile_picture_url.startswith(
        f"http://sandbox.test/images/{user_id}/pfp/"
    )
    assert sandbox.retake.world.agents[user_id].pfp == picture

    banner_png = png(64, 16)
    banner = await account.set_banner(banner_png, url="https://example.com/home")
    assert sandbox.retake.world.agents[user_id].banner == banner_png
    assert banner.model_extra and banner.model_extra["banner_link"] == "https://example.com/home"
    by_url = await account.set_banner(url="https://cdn.example.com/banner.png")
    assert by_url.banner_url == "https://cdn.example.com/banner.png"

    again = await account.me()
    assert (again.bio, again.username, again.token_name) == (
        "Now with a voice.",
        "Prof_Bot2",
        "Professor Coin",
    )


async def test_bad_profile_input_is_refused_before_sending(transport, control, sandbox):
    _, account, _ = await account_for(transport, control, "Strict_Bot")
    before = len(sandbox.retake.requests)
    cases = [
        (account.set_bio(" "), "bio: must not be blank"),
        (account.set_bio("x" * 501), "bio: must be at most 500 characters"),
        (account.set_username("no spaces allowed"), "username: must be 1-32 characters"),
        (account.set_token_name("line\nbreak"), "token_name: must not contain control"),
        (account.set_token_name("x" * 33), "token_name: must be at most 32"),
        (account.set_banner(), "url: is required when no image is given"),
        (account.set_banner(url="http://plain.example/b.png"), "url: must be a public https://"),
        (account.set_profile_picture(b"GIF89a"), "image: is not a readable JPEG or PNG"),
        (account.follow("a/b"), "target_id: must be an id without spaces"),
        (account.start_session("", "coding"), "title: must not be blank"),
        (
            account.start_session("t", "c", [f"t{i}" for i in range(11)]),
            "tags: must be at most 10 tags",
        ),
        (account.update_session("session_1"), "give at least one to update"),
    ]
    for call, expected in cases:
        with pytest.raises(ValidationFailed) as info:
            await call
        assert expected in str(info.value)
    assert len(sandbox.retake.requests) == before, "nothing was sent"


async def test_username_taken_is_a_400(transport, control):
    client, account, _ = await account_for(transport, control, "First_Bot")
    await verified_agent(client, control, "Second_Bot")
    with pytest.raises(RetakeBadInput, match="already taken"):
        await account.set_username("Second_Bot")


async def test_following_list_check_follow_unfollow(transport, control, sandbox, replies):
    client, account, _ = await account_for(transport, control, "Fan_Bot")
    star = await verified_agent(client, control, "Star_Bot")
    assert await account.following() == []
    assert await account.is_following("Star_Bot") is False

    state = await account.follow(star.user_db_id)
    assert state.following is True and state.target_id == star.user_db_id
    assert sandbox.retake.world.agents[star.user_db_id].followers == 1
    again = await account.follow(star.user_db_id)  # idempotent: still one follower
    assert again.following is True
    assert sandbox.retake.world.agents[star.user_db_id].followers == 1

    listed = await account.following()
    assert [(f.user_id, f.username) for f in listed] == [(star.user_db_id, "Star_Bot")]
    assert await account.is_following("Star_Bot") is True

    assert (await account.unfollow(star.user_db_id)).following is False
    assert await account.is_following("Star_Bot") is False
    assert sandbox.retake.world.agents[star.user_db_id].followers == 0

    with pytest.raises(RetakeNotFound):
        await account.follow("user_999999")
    with pytest.raises(RetakeNotFound):
        await account.is_following("Nobody_Here")
    me = await account.me()
    assert me.user_id is not None
    with pytest.raises(RetakeBadInput, match="yourself"):
        await account.follow(me.user_id)


async def test_session_owner_controls(transport, control, sandbox, replies):
    client, account, user_id = await account_for(transport, control, "Host_Bot")
    started = await account.start_session("Building a compiler", "coding", ["rust", "live"])
    assert started.session_id and started.streamer_id == user_id
    assert (started.title, started.category, started.tags) == (
        "Building a compiler",
        "coding",
        ["rust", "live"],
    )
    active = await client.active_sessions(user_id)
    assert [s.session_id for s in active] == [started.session_id]
    with pytest.raises(RetakeSessionConflict, match="already active"):
        await account.start_session("Another", "coding")

    sid = started.session_id
    updated = await account.update_session(sid, title="Compiler, part 2", tags=["rust"])
    assert (updated.title, updated.category, updated.tags) == (
        "Compiler, part 2",
        "coding",
        ["rust"],
    )

    await control.post("/_sandbox/retake/mute", json={"session_id": sid, "username": "troll42"})
    muted = await account.muted_users(sid)
    assert [m.username for m in muted] == ["troll42"] and muted[0].muted_at

    # another user's JWT may not touch this session
    _, other, _ = await account_for(transport, control, "Other_Bot")
    for call in (
        other.end_session(sid),
        other.update_session(sid, title="mine now"),
        other.delete_session(sid),
        other.muted_users(sid),
    ):
        with pytest.raises(RetakeNotOwner):
            await call

    ended = await account.end_session(sid)
    assert ended.ended_at is not None and ended.session_id == sid
    assert await client.active_sessions() == []
    assert [s.session_id for s in await client.recorded_sessions(user_id)] == [sid]
    with pytest.raises(RetakeSessionConflict, match="No active session"):
        await account.end_session(sid)

    deleted = await account.delete_session(sid)
    assert deleted.success and deleted.session_id == sid
    assert await client.recorded_sessions(user_id) == []
    with pytest.raises(RetakeNotFound):
        await account.delete_session(sid)


async def test_jwt_and_access_token_are_never_confused(transport, control, sandbox):
    client, account, _ = await account_for(transport, control, "Apart_Bot")
    access_token = reveal(client._token)  # type: ignore[arg-type]
    jwt = account._jwt

    with pytest.raises(WrongCredential, match="access_token"):
        PrivyJwt(access_token)
    with pytest.raises(WrongCredential, match="Privy user JWT was given"):
        RetakeClient(SANDBOX, access_token=jwt)  # type: ignore[arg-type]
    with pytest.raises(WrongCredential, match="a JWT was given"):
        RetakeClient(SANDBOX, access_token=jwt.reveal())
    with pytest.raises(WrongCredential, match="takes a PrivyJwt"):
        RetakeAccount(SANDBOX, jwt=access_token)  # type: ignore[arg-type]
    with pytest.raises(PrivyJwtProblem, match="not a JWT"):
        PrivyJwt("not-a-token-at-all")

    # the sandbox, like retake.tv, tells the two apart on the wire as well
    impostor = RetakeAccount(SANDBOX, jwt=jwt, transport=transport)
    impostor._jwt = object.__new__(PrivyJwt)
    object.__setattr__(impostor._jwt, "_value", access_token)
    with pytest.raises(RetakeJwtRejected, match="not the agent access_token"):
        await impostor.me()
    swapped = RetakeClient(SANDBOX, transport=transport)
    swapped._token = type(client._token)(jwt.reveal())  # type: ignore[arg-type,misc]
    with pytest.raises(Exception, match="Invalid or missing access_token"):
        await swapped.verification_status()

    # masked everywhere
    assert jwt.reveal() not in repr(jwt) and MASK in repr(jwt)
    assert redact(f"token={jwt.reveal()}") == f"token={MASK}"


async def test_expired_jwt_is_a_401_with_a_fix(transport, control, clock):
    client = RetakeClient(SANDBOX, transport=transport)
    await verified_agent(client, control, "Late_Bot")
    reply = await control.post(
        "/_sandbox/retake/privy", json={"agent": "Late_Bot", "expires_in": 60}
    )
    jwt = PrivyJwt(reply.json()["jwt"])
    assert jwt.expires_at == int(clock.now() + 60)
    account = RetakeAccount(SANDBOX, jwt=jwt, transport=transport)
    assert (await account.me()).username == "Late_Bot"
    clock.advance(61)
    with pytest.raises(RetakeJwtRejected) as info:
        await account.me()
    assert info.value.status == 401 and "expired" in str(info.value)
    assert "RETAKE_PRIVY_JWT" in (info.value.fix or "")
    assert jwt.reveal() not in str(info.value)


async def test_jwt_from_env_or_a_0600_file(transport, control, caplog):
    client = RetakeClient(SANDBOX, transport=transport)
    await verified_agent(client, control, "Kept_Bot")
    value = (await control.post("/_sandbox/retake/privy", json={"agent": "Kept_Bot"})).json()["jwt"]
    paths = Paths.from_env()
    assert load_privy_jwt(paths, {}) is None
    with pytest.raises(PrivyJwtProblem, match="RETAKE_PRIVY_JWT"):
        require_privy_jwt(paths, {})

    path = save_privy_jwt(paths, PrivyJwt(value))
    assert path == jwt_file(paths) and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_privy_jwt(paths, {}) == PrivyJwt(value)

    os.chmod(path, 0o644)
    with caplog.at_level(logging.WARNING):
        assert load_privy_jwt(paths, {}) == PrivyJwt(value)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "now 0600" in caplog.text and value not in caplog.text

    env_value = (await control.post("/_sandbox/retake/privy", json={"agent": "Kept_Bot"})).json()[
        "jwt"
    ]
    assert load_privy_jwt(paths, {"RETAKE_PRIVY_JWT": env_value}) == PrivyJwt(env_value)
    account = RetakeAccount.from_env(
        paths,
        {"RETAKE_PRIVY_JWT": env_value, "STUDIO_RETAKE_URL": "http://localhost"},
        transport=transport,
    )
    assert (await account.me()).username == "Kept_Bot"
