"""The Done-when of the control room, from the console alone, at 80x24 and 200x50.

A new operator with no credentials and no broadcast: F9 opens the Go live form, the
three sandboxed platforms are chosen and the form is filled; the broadcast starts as
the same detached service ``studio golive --detach`` starts (a real process, with
Xvfb and FFmpeg, against the sandbox and nginx-rtmp on loopback); the console
attaches to it, registers on retake.tv, shows the verification text (the test plays
the human and posts the tweet on the sandbox), sends the tweet's link, answers
baseFM's 402 with a txHash, sees the three legs live, stops with confirmation, and
the service ends.
"""

from __future__ import annotations

import io
import json
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console as RichConsole
from textual.pilot import Pilot
from textual.widgets import Input, Static

from studio.config import Paths
from studio.console.app import ConsoleApp
from studio.console.screens.confirm_stop import ConfirmStop
from studio.console.screens.golive_form import GoLiveForm
from studio.console.service_client import ServiceClient
from studio.control.endpoint import read_service_file
from studio.sandbox.rehearsal import rehearsal_world
from tests.broadcast.broadcast_helpers import need, need_rtmp
from tests.console.console_helpers import LARGE, SMALL, frozen_config
from tests.control.test_control_service import running

pytestmark = pytest.mark.processes

WALLET = "0x" + "ab" * 20
TX_HASH = "0x" + "cd" * 32
TWEET = "https://x.com/console_human/status/1862000000000000001"
REGISTRATION = {
    "agent_name": "console_bot",
    "agent_description": "An agent that went live from the console",
    "image_url": "https://example.com/avatar.png",
    "wallet_address": "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV",
    "ticker": "CNSL",
}


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    need("Xvfb", "ffmpeg")
    need_rtmp()
    with rehearsal_world(tmp_path / "rec", auto_tweets=False) as w:
        # the console finds the sandbox as the CLI does, from the environment, and the
        # service it starts inherits it
        for key, value in w.env().items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("STUDIO_STATE_DIR", str(tmp_path / "state"))
        monkeypatch.setenv("STUDIO_RETAKE_CREDENTIALS", str(tmp_path / "retake" / "creds.json"))
        monkeypatch.delenv("RETAKE_ACCESS_TOKEN", raising=False)
        monkeypatch.delenv("CLAWCAST_API_KEY", raising=False)
        yield w


async def until(pilot: Pilot[None], condition: Callable[[], Any], within: float = 90.0) -> Any:
    """Poll ``condition`` while the console runs; its value."""
    deadline = time.monotonic() + within
    while not (value := condition()):
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within:g} s: {condition.__doc__ or condition}")
        await pilot.pause(0.05)
    return value


def pending(app: ConsoleApp, need_: str) -> Any:
    return next((p for p in app.model.pending.values() if p.need == need_), None)


async def type_into(pilot: Pilot[None], widget: Input, text: str) -> None:
    widget.focus()
    await pilot.pause()
    await pilot.press(*text)


def legs_text(app: ConsoleApp) -> str:
    """The legs table as the operator pane draws it."""
    out = RichConsole(width=120, record=True, file=io.StringIO())
    out.print(app.query_one("#legs", Static).content)
    return out.export_text()


@pytest.mark.parametrize("size", [SMALL, LARGE], ids=["80x24", "200x50"])
async def test_go_live_answer_every_step_and_stop_from_the_console(
    world, tmp_path: Path, size: tuple[int, int]
) -> None:
    paths = Paths.from_env()
    assert not paths.retake_credentials.exists() and read_service_file(paths) is None
    agent_log = tmp_path / "agent.log"
    app = ConsoleApp(ServiceClient(), frozen_config())
    pid = None
    try:
        async with app.run_test(size=size, notifications=True) as pilot:
            await until(pilot, lambda: "not attached" in app.sub_title)
            # no broadcast: F9 offers the Go live form
            await pilot.press("f9")
            form = await until(pilot, lambda: isinstance(app.screen, GoLiveForm) and app.screen)
            for key in ("space", "tab", "space", "tab", "space", "tab", "space"):
                await pilot.press(key)  # retake, ClawCast, baseFM on; the kiosk off
            assert form.values()["retake"] and form.values()["clawcast"]
            assert form.values()["basefm"] and not form.values()["kiosk"]
            assert form.query_one("#go").disabled  # baseFM needs its wallet
            await type_into(pilot, form.query_one("#gl-basefm_wallet", Input), "0x12")
            await until(pilot, lambda: form.query_one("#gl-basefm_wallet").has_class("-invalid"))
            problem = str(form.query_one("#gl-basefm_wallet-problem").render())
            assert problem.startswith("basefm_wallet: must be an EVM wallet address")
            form.query_one("#gl-basefm_wallet", Input).value = ""
            await type_into(pilot, form.query_one("#gl-basefm_wallet", Input), WALLET)
            await type_into(pilot, form.query_one("#gl-title", Input), "Live from the console")
            await type_into(pilot, form.query_one("#gl-duration", Input), "600")
            form.query_one("#gl-log", Input).value = ""
            await type_into(pilot, form.query_one("#gl-log", Input), str(agent_log))
            await until(pilot, lambda: not form.query_one("#go").disabled)
            await pilot.press("ctrl+g")

            # the detached service starts and asks for the registration
            step = await until(pilot, lambda: pending(app, "registration"))
            info = read_service_file(paths)
            assert info is not None and app.attached.is_set()
            pid = info.pid
            assert not isinstance(app.screen, GoLiveForm)
            await until(pilot, lambda: app.query("#reg-agent_name"))
            wrong = {**REGISTRATION, "wallet_address": "not-a-wallet"}
            for name, value in wrong.items():
                await type_into(pilot, app.query_one(f"#reg-{name}", Input), value)
            await until(pilot, lambda: app.query_one("#reg-wallet_address").has_class("-invalid"))
            assert app.query_one("#register").disabled  # nothing is sent while one is wrong
            assert world.sandbox.retake.world.agents == {}
            app.query_one("#reg-wallet_address", Input).value = ""
            await type_into(
                pilot, app.query_one("#reg-wallet_address", Input), REGISTRATION["wallet_address"]
            )
            await until(pilot, lambda: not app.query_one("#register").disabled)
            await pilot.press("enter")

            # registered with the sandbox, saved 0600; then the verification text
            tweet = await until(pilot, lambda: pending(app, "tweet_url"))
            assert step.id not in app.model.pending
            agents = list(world.sandbox.retake.world.agents.values())
            assert [a.name for a in agents] == ["console_bot"]
            saved = json.loads(paths.retake_credentials.read_text())
            assert stat.S_IMODE(paths.retake_credentials.stat().st_mode) == 0o600
            assert saved["agent_name"] == "console_bot" and saved["origin"] == world.origin
            assert saved["access_token"] == agents[0].access_token
            message = tweet.data["verification_message"]
            copy = await until(pilot, lambda: app.query("#copy-text"))
            assert message in str(copy.first().render())
            # the human posts it (on the sandbox's stand-in for X), then the link is sent
            async with httpx.AsyncClient(base_url=world.origin) as control:
                posted = await control.post(
                    "/_sandbox/retake/tweets", json={"url": TWEET, "text": message}
                )
                posted.raise_for_status()
            await type_into(pilot, app.query_one(".answer", Input), TWEET)
            await pilot.press("enter")

            # baseFM's 402: the fee, then a txHash
            payment = await until(pilot, lambda: pending(app, "tx_hash"))
            assert payment.platform == "basefm"
            await until(pilot, lambda: app.query(".answer"))
            await type_into(pilot, app.query_one(".answer", Input), TX_HASH)
            await pilot.press("enter")

            # the three legs live, in the operator pane
            def all_live() -> bool:
                legs = app.model.legs
                return all(p in legs and legs[p].live for p in ("retake", "basefm", "clawcast"))

            await until(pilot, all_live, within=120)
            await pilot.pause()
            drawn = legs_text(app)
            rows = {line.split()[0]: line for line in drawn.splitlines() if line.strip()}
            for platform in ("retake", "basefm", "clawcast"):
                assert "LIVE" in rows[platform], drawn
            assert agents[0].verified and agents[0].is_live()

            # stop, with confirmation; the service ends
            await pilot.press("f10")
            await until(pilot, lambda: isinstance(app.screen, ConfirmStop))
            await pilot.press("y")
            await until(pilot, lambda: app.model.ended is not None, within=60)
            await until(pilot, lambda: not running(pid), within=60)
            assert read_service_file(paths) is None
            assert app.model.ended.ok, app.model.ended.reason
            assert "stopped by the operator" in app.model.ended.reason
    finally:
        if pid is not None and running(pid):
            os.kill(pid, 15)
    async with httpx.AsyncClient(base_url=world.origin) as control:
        basefm = (await control.get("/_sandbox/basefm/state")).json()
    assert [s["status"] for s in basefm["sessions"]] == ["ended"]
    assert not agents[0].is_live()


async def test_going_live_from_a_console_on_its_own_socket_listens_there(
    world, tmp_path: Path
) -> None:
    """``studio console --socket PATH``: the broadcast F9 starts listens at PATH (not at
    the state folder's socket), so this console attaches to it and runs its steps."""
    paths = Paths.from_env()
    socket = tmp_path / "ops" / "studio.sock"
    app = ConsoleApp(ServiceClient(socket), frozen_config())
    pid = None
    try:
        async with app.run_test(size=LARGE, notifications=True) as pilot:
            await until(pilot, lambda: "not attached" in app.sub_title)
            await pilot.press("f9")
            form = await until(pilot, lambda: isinstance(app.screen, GoLiveForm) and app.screen)
            for key in ("space", "tab", "tab", "tab", "space"):
                await pilot.press(key)  # retake.tv on; the kiosk off
            assert form.values()["retake"] and not form.values()["kiosk"]
            form.query_one("#gl-log", Input).value = str(tmp_path / "agent.log")
            await until(pilot, lambda: not form.query_one("#go").disabled)
            await pilot.press("ctrl+g")
            # the service runs, at this console's socket, and asks this console
            step = await until(pilot, lambda: pending(app, "registration"))
            assert step.platform == "retake" and app.attached.is_set()
            info = read_service_file(paths)
            assert info is not None and info.socket == str(socket)
            pid = info.pid
            assert socket.is_socket() and not (paths.state_dir / "control.sock").exists()
            await pilot.press("f10")
            await until(pilot, lambda: isinstance(app.screen, ConfirmStop))
            await pilot.press("y")
            await until(pilot, lambda: not running(pid), within=60)
            assert read_service_file(paths) is None and not socket.exists()
    finally:
        started = read_service_file(paths)  # one this console did not attach to, too
        for leftover in {pid, started and started.pid} - {None}:
            if running(leftover):
                os.kill(leftover, 15)


def test_a_socket_path_no_socket_can_have_is_refused_before_anything_starts(
    tmp_path: Path,
) -> None:
    from studio.control.service import spawn_detached
    from studio.errors import StudioError
    from studio.golive.plan import Plan

    paths = Paths(tmp_path / "creds.json", tmp_path / "state")
    too_long = tmp_path / ("s" * 120) / "control.sock"
    with pytest.raises(StudioError) as refused:
        spawn_detached(Plan(retake=True), paths=paths, socket_path=too_long)
    assert refused.value.message.startswith("STUDIO_CONTROL_SOCKET: ")
    assert "longer than the 107 bytes" in refused.value.message
    assert not paths.state_dir.exists()  # nothing written, nothing started
