"""``studio retake profile|following|follow|unfollow|session|message|watch|jwt`` against
the sandbox on a real socket: every section-6 endpoint, the socket ``message`` (chat, tip,
trade) and ``joinRoom``/``leaveRoom`` from the CLI."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from studio.cli.retake_cmd import retake
from studio.config import Paths
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_jwt import jwt_file
from studio.sandbox.app import Sandbox, SandboxConfig
from studio.sandbox.server import serve_in_thread
from tests.retake.retake_helpers import png, verified_agent


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox(SandboxConfig())
    with serve_in_thread(sandbox) as origin:
        monkeypatch.setenv("STUDIO_RETAKE_URL", origin)
        yield sandbox, origin


def agents(origin: str, *names: str) -> dict[str, str]:
    """Verified agents; returns name -> userDbId."""

    async def make() -> dict[str, str]:
        out = {}
        async with httpx.AsyncClient(base_url=origin) as control:
            for name in names:
                async with RetakeClient(origin) as client:
                    out[name] = (await verified_agent(client, control, name)).user_db_id
        return out

    return asyncio.run(make())


def jwt_for(origin: str, name: str) -> str:
    reply = httpx.post(f"{origin}/_sandbox/retake/privy", json={"agent": name})
    return reply.json()["jwt"]


def ok(result) -> str:  # noqa: ANN001
    assert result.exit_code == 0, (result.output, result.exception)
    return result.output


def test_profile_following_and_sessions_from_the_cli(
    served: tuple[Sandbox, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sandbox, origin = served
    ids = agents(origin, "Cli_Host", "Cli_Star")
    value = jwt_for(origin, "Cli_Host")
    runner = CliRunner()

    missing = runner.invoke(retake, ["profile"])
    assert missing.exit_code != 0 and "RETAKE_PRIVY_JWT" in str(missing.exception)

    # the JWT kept 0600 from standard input, never an argument
    out = ok(runner.invoke(retake, ["jwt", "save"], input=value + "\n"))
    path = jwt_file(Paths.from_env())
    assert str(path) in out and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert "expires" in ok(runner.invoke(retake, ["jwt", "status"]))

    shown = ok(runner.invoke(retake, ["profile"]))
    assert f"Cli_Host (user_id {ids['Cli_Host']})" in shown

    picture = tmp_path / "pfp.png"
    picture.write_bytes(png(24, 24))
    changed = ok(
        runner.invoke(
            retake,
            [
                "profile",
                "--bio",
                "Builds compilers on air.",
                "--token-name",
                "Host Coin",
                "--picture",
                str(picture),
                "--banner-url",
                "https://cdn.example.com/banner.png",
            ],
        )
    )
    agent = sandbox.retake.world.agents[ids["Cli_Host"]]
    assert (agent.description, agent.token_name, agent.pfp) == (
        "Builds compilers on air.",
        "Host Coin",
        picture.read_bytes(),
    )
    assert agent.banner_url == "https://cdn.example.com/banner.png"
    assert "bio: Builds compilers on air." in changed

    # one bad value: nothing is sent, every problem named by its flag
    before = len(sandbox.retake.requests)
    bad = runner.invoke(retake, ["profile", "--bio", " ", "--username", "has space"])
    assert bad.exit_code != 0
    assert "--bio: must not be blank" in str(bad.exception)
    assert "--username: must be 1-32" in str(bad.exception)
    assert len(sandbox.retake.requests) == before

    # the banner as the document has it: multipart image + url, together
    banner = tmp_path / "banner.png"
    banner.write_bytes(png(60, 20))
    ok(
        runner.invoke(
            retake,
            ["profile", "--banner", str(banner), "--banner-url", "https://host.example/link"],
        )
    )
    assert (agent.banner, agent.banner_link) == (banner.read_bytes(), "https://host.example/link")

    renamed = ok(runner.invoke(retake, ["profile", "--username", "Cli_Host2"]))
    assert f"{origin}/Cli_Host2" in renamed and agent.name == "Cli_Host2"

    assert "following nobody yet" in ok(runner.invoke(retake, ["following"]))
    assert "following Cli_Star" in ok(runner.invoke(retake, ["follow", "Cli_Star"]))
    assert ids["Cli_Star"] in agent.following
    assert f"Cli_Star (user_id {ids['Cli_Star']})" in ok(runner.invoke(retake, ["following"]))
    assert "following Cli_Star" in ok(runner.invoke(retake, ["following", "Cli_Star"]))
    assert "not following Cli_Star" in ok(runner.invoke(retake, ["unfollow", ids["Cli_Star"]]))
    assert agent.following == {}

    started = ok(
        runner.invoke(
            retake,
            ["session", "start", "--title", "Compilers", "--category", "coding", "--tag", "rust"],
        )
    )
    assert agent.session is not None
    sid = agent.session.session_id
    assert f"started session {sid}: Compilers [coding] tags: rust" in started
    updated = ok(runner.invoke(retake, ["session", "update", "--title", "Compilers II"]))
    assert (
        f"updated session {sid}: Compilers II" in updated and agent.session.title == "Compilers II"
    )
    httpx.post(f"{origin}/_sandbox/retake/mute", json={"session_id": sid, "username": "spammer"})
    assert "spammer" in ok(runner.invoke(retake, ["session", "muted"]))
    assert f"ended session {sid}" in ok(runner.invoke(retake, ["session", "end"]))
    assert agent.session is None
    assert f"deleted session {sid}" in ok(
        runner.invoke(retake, ["session", "delete", sid, "--yes"])
    )
    assert sandbox.retake.world.find_session(sid) is None

    nothing = runner.invoke(retake, ["session", "end"])
    assert nothing.exit_code != 0 and "no active session" in str(nothing.exception)

    for result in (shown, changed, renamed, started, updated):
        assert value not in result


def test_socket_message_chat_tip_and_trade_from_the_cli(
    served: tuple[Sandbox, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox, origin = served
    ids = agents(origin, "Sock_Star", "Sock_Fan")
    star = ids["Sock_Star"]

    async def go_live() -> None:
        async with RetakeClient(origin) as client:
            agent = sandbox.retake.world.agents[star]
            client.set_token(agent.access_token)
            key = (await client.rtmp()).key.get_secret_value()
            await client.stream_start()
            assert sandbox.publish("retake", key)

    monkeypatch.setenv("RETAKE_PRIVY_JWT", jwt_for(origin, "Sock_Fan"))
    runner = CliRunner()
    offline = runner.invoke(retake, ["message", "hi", "--to", "Sock_Star"])
    assert offline.exit_code != 0 and "not live" in str(offline.exception)

    asyncio.run(go_live())
    out = ok(runner.invoke(retake, ["message", "gm from the CLI", "--to", "Sock_Star"]))
    assert "chat message sent to Sock_Star" in out
    comments = sandbox.retake.world.comments[star]
    assert (comments[-1]["text"], comments[-1]["author"]["fusername"]) == (
        "gm from the CLI",
        "Sock_Fan",
    )
    assert "tip sent" in ok(runner.invoke(retake, ["message", "--to", "Sock_Star", "--tip", "3"]))
    assert sandbox.retake.world.tips[star] == {"Sock_Fan": 3.0}
    assert "trade sent" in ok(
        runner.invoke(retake, ["message", "--to", "Sock_Star", "--buy", "25"])
    )
    trade = sandbox.retake.world.trades[-1]
    assert (trade["action"], trade["usdAmount"], trade["trader"]) == ("buy", 25.0, "Sock_Fan")
    assert "trade sent" in ok(runner.invoke(retake, ["message", "--to", star, "--sell", "5"]))
    trade = sandbox.retake.world.trades[-1]
    assert (trade["action"], trade["usdAmount"], trade["trader"]) == ("sell", 5.0, "Sock_Fan")

    bad = runner.invoke(retake, ["message", "--to", "Sock_Star", "--tip", "-1"])
    assert bad.exit_code != 0 and "tip_data.amount" in str(bad.exception)
    assert len(sandbox.retake.world.tips[star]) == 1


def test_watching_another_agents_rooms_joins_and_then_leaves_them(
    served: tuple[Sandbox, str],
) -> None:
    """``studio retake watch``: joinRoom for the streamer's two rooms, its chat as JSON
    lines (viewer text cleaned), and leaveRoom for both once --count events are seen."""
    sandbox, origin = served
    star = agents(origin, "Watch_Star")["Watch_Star"]
    rooms = {star, f"live_{star}"}
    watcher = subprocess.Popen(
        [sys.executable, "-m", "studio", "retake", "watch", "Watch_Star", "--count", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while {room for _, room in sandbox.retake.joins} < rooms:
            assert watcher.poll() is None, watcher.stderr.read() if watcher.stderr else ""
            assert time.monotonic() < deadline, "the watcher never joined the rooms"
            time.sleep(0.05)
        (sid,) = {sid for sid, room in sandbox.retake.joins if room in rooms}
        injected = httpx.post(
            f"{origin}/_sandbox/retake/chat",
            json={"streamer_id": star, "text": "gm \x1b[31mred\x1b[0m watchers", "username": "fan"},
        )
        assert injected.status_code == 200
        out, err = watcher.communicate(timeout=60)
    finally:
        if watcher.poll() is None:
            watcher.kill()
            watcher.wait()
    assert watcher.returncode == 0, err
    chat = [json.loads(line) for line in out.splitlines() if '"retake.chat"' in line]
    assert [(c["author"], c["text"], c["streamer_id"]) for c in chat] == [
        ("fan", "gm red watchers", star)
    ]
    assert {room for left_sid, room in sandbox.retake.leaves if left_sid == sid} == rooms
