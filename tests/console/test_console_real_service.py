"""The console against a real detached broadcast service on the sandbox.

One real ``studio golive --detach --retake --clawcast --basefm`` process (Xvfb, the
kiosk, FFmpeg, nginx-rtmp, the sandbox of all three platforms on loopback), driven
only through the real console (``ConsoleApp`` with its ``ServiceClient`` on the
service's control socket) at 200x50 and 80x24, one flow after the other: the on-air
frame, chat to every room and a viewer's message, composing slides and publishing them
as a batch during the slot, booking a slot with a poll and seeing its votes live, a
duet with another agent (played over HTTP), closing the console mid-broadcast and
coming back to the same show, and stopping with a confirmation. What is asserted is
what the sandbox received and what the console shows, never what a fake recorded.

One service for the whole show keeps the suite fast; the flows are the phases of one
test so that ``-n 2`` never splits them over two services.
"""

from __future__ import annotations

import asyncio
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console as RichConsole
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Select, Static, TextArea

from studio.config import Paths
from studio.console.app import ConsoleApp
from studio.console.config import ConsoleConfig
from studio.console.panes.composer.composer_pane import ComposerPane
from studio.console.panes.viewer.frame_grab import grab
from studio.console.panes.viewer.frame_view import FrameView
from studio.console.screens.confirm_stop import ConfirmStop
from studio.console.service_client import ServiceClient
from studio.golive.retake_leg import OPENING
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_credentials import credentials_from_registration, save_credentials
from studio.sandbox.rehearsal import rehearsal_world
from tests.broadcast.broadcast_helpers import need, need_rtmp
from tests.console.console_helpers import LARGE, SMALL, NoImages
from tests.control.test_control_service import running

pytestmark = pytest.mark.processes

ME = "flows_bot"
NEIGHBOUR = "neighbour_bot"
GUEST = "guest_bot"
WALLET = "0x" + "ab" * 20
TX_HASH = "0x" + "cd" * 32


# -- the real service ------------------------------------------------------------------


def studio(
    args: list[str], env: dict[str, str], timeout: float = 90
) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "studio", *args], env=env,
                          capture_output=True, text=True, timeout=timeout)  # fmt: skip


async def status(env: dict[str, str]) -> dict[str, Any]:
    done = await asyncio.to_thread(studio, ["status", "--json"], env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


async def register(origin: str, credentials: Path | None, name: str) -> str:
    async with RetakeClient(origin) as client:
        reply = await client.register({
            "agent_name": name, "agent_description": "An agent run from the console",
            "image_url": "https://example.com/avatar.png",
            "wallet_address": "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV",
            "ticker": name[:4].upper(),
        })  # fmt: skip
    if credentials is not None:
        save_credentials(
            Paths(credentials, credentials.parent),
            credentials_from_registration(reply, agent_name=name, ticker="FLOW", origin=origin),
        )
        async with httpx.AsyncClient(base_url=origin) as control:
            await control.post("/_sandbox/retake/verified", json={"agent": name})
    return reply.user_db_id


@pytest.fixture
def world(tmp_path: Path):
    need("Xvfb", "xterm", "ffmpeg")
    need_rtmp()
    with rehearsal_world(tmp_path / "rec") as w:
        yield w


# -- polling ------------------------------------------------------------------------


async def until(pilot: Pilot[None], condition: Callable[[], Any], within: float = 60.0) -> Any:
    """Let the console run until ``condition`` holds (real time: a real service)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        await pilot.pause(0.05)
        if value := condition():
            return value
    raise AssertionError(f"condition never held within {within:g} s")


async def sandbox_until(
    http: httpx.AsyncClient, path: str, condition: Callable[[Any], Any], pilot: Pilot[None],
    within: float = 60.0,
) -> Any:  # fmt: skip
    """Poll a sandbox control route until ``condition(reply)`` holds; its value."""
    deadline = time.monotonic() + within
    reply: Any = None
    while time.monotonic() < deadline:
        reply = (await http.get(path)).json()
        if value := condition(reply):
            return value
        await pilot.pause(0.2)
    raise AssertionError(f"{path} never matched; last: {json.dumps(reply)[:1500]}")


def answered(app: ConsoleApp, verb: str, count: int = 1) -> Any:
    """The ``count``-th response to ``verb``, once the service has answered it."""
    got = [r for c, r in app.responses if c.verb == verb]
    return got[count - 1] if len(got) >= count else None


def timeline(app: ConsoleApp) -> list[tuple[str, str, str, str]]:
    return [(e.platform, e.kind, e.author, e.text) for e in app.model.chat]


def shown(widget: Static) -> str:
    """What a Static shows, as plain text."""
    out = RichConsole(width=200, record=True, file=io.StringIO())
    out.print(widget.content)
    return out.export_text()


def console(socket: Path, playlists: Path) -> ConsoleApp:
    return ConsoleApp(
        ServiceClient(socket),
        ConsoleConfig(playlist_dir=playlists, fetcher=NoImages(), frame_interval=0.3),
    )


# -- the show -------------------------------------------------------------------------


async def test_a_whole_show_run_from_the_console_against_the_real_service(
    world, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XAUTHORITY", raising=False)  # the console takes the service's
    origin = world.origin
    credentials = tmp_path / "retake" / "credentials.json"
    my_id = await register(origin, credentials, ME)
    neighbour_id = await register(origin, None, NEIGHBOUR)
    state = tmp_path / "state"
    env = {**os.environ, **world.env(), "STUDIO_STATE_DIR": str(state),
           "STUDIO_RETAKE_CREDENTIALS": str(credentials)}  # fmt: skip
    started = await asyncio.to_thread(studio, [
        "golive", "--detach", "--retake", "--clawcast", "--basefm", "--basefm-wallet", WALLET,
        "--tx-hash", TX_HASH, "--log", str(tmp_path / "agent.log"), "--grid", "90x25",
        "--clawcast-minutes", "3",
    ], env)  # fmt: skip
    assert started.returncode == 0, started.stderr
    pid = int(started.stdout.split("pid ", 1)[1].split()[0])
    socket = state / "control.sock"
    try:
        async with httpx.AsyncClient(base_url=origin) as http:
            session_id = await _first_console(world, http, socket, tmp_path, my_id, neighbour_id)
            # the console is closed; the broadcast is not
            live = await status(env)
            assert running(pid) and live["service"]["pid"] == pid
            assert live["session_id"] == session_id and live["state"] == "live"
            assert all(live["legs"][p]["live"] for p in ("retake", "basefm"))
            await _second_console(http, socket, tmp_path, pid, session_id)
    finally:
        if running(pid):
            os.kill(pid, signal.SIGKILL)
    assert not socket.exists()


async def _first_console(
    world, http: httpx.AsyncClient, socket: Path, tmp_path: Path, my_id: str, neighbour_id: str
) -> int:  # noqa: ANN001
    app = console(socket, tmp_path)
    async with app.run_test(size=LARGE) as pilot:
        await until(pilot, app.attached.is_set)
        await until(pilot, lambda: app.model.legs.get("retake") and app.model.legs["retake"].live
                    and app.model.legs.get("basefm") and app.model.legs["basefm"].live
                    and app.model.legs.get("clawcast") and app.model.legs["clawcast"].live, 120)  # fmt: skip
        assert app.sub_title == "LIVE"
        await _viewer_draws_the_real_frame(app, pilot)
        await _chat_to_every_room(app, pilot, world, http, my_id, neighbour_id)
        await _publish_a_batch_during_the_slot(app, pilot, http)
        await _book_a_slot_with_a_poll_and_see_the_votes(app, pilot, http)
        await _a_duet_with_another_agent(app, pilot, http)
        return int(app.model.session_id or 0)


async def _viewer_draws_the_real_frame(app: ConsoleApp, pilot: Pilot[None]) -> None:
    await pilot.press("f3")
    display = app.model.display
    assert display and display.startswith(":")
    frame = app.query_one(FrameView)
    await until(pilot, lambda: frame.frames_drawn >= 3)
    on_air = await asyncio.to_thread(grab, display)
    assert on_air is not None and frame.image is not None
    assert frame.image.size == on_air.size  # the whole screen of the broadcast's display
    colours = frame.image.getcolors(maxcolors=1 << 16)
    assert colours is None or len(colours) > 4  # the kiosk's picture, not a blank screen
    assert frame.region.width > 40 and frame.region.height > 10
    encoder = await until(pilot, lambda: app.model.encoder.fps > 0 and app.model.encoder)
    assert encoder.frames > 0


async def _chat_to_every_room(
    app: ConsoleApp,
    pilot: Pilot[None],
    world,
    http: httpx.AsyncClient,
    my_id: str,
    neighbour_id: str,
) -> None:  # noqa: ANN001
    await pilot.press("f2")
    text = app.query_one("#chat-text", Input)
    assert app.focused is text
    await pilot.press(*"gm from the console", "enter")
    await until(pilot, lambda: answered(app, "chat.send"))
    assert answered(app, "chat.send").ok
    comments = world.sandbox.retake.world.comments
    await until(pilot, lambda: "gm from the console" in [c["text"] for c in comments[my_id]])
    # another agent's room, by its userDbId
    await pilot.press("ctrl+t", "ctrl+t")  # my retake chat → ClawCast → another room
    assert app.query_one("#chat-target", Select).value == "room"
    app.query_one("#chat-room", Input).value = neighbour_id
    text.focus()
    await pilot.press(*"hello neighbour", "enter")
    await until(pilot, lambda: answered(app, "chat.send", 2))
    assert answered(app, "chat.send", 2).ok, answered(app, "chat.send", 2).comment
    assert [c["text"] for c in comments[neighbour_id]] == ["hello neighbour"]
    assert "hello neighbour" not in [c["text"] for c in comments[my_id]]
    # ClawCast chat, under the broadcast's ClawCast name
    await pilot.press("ctrl+t", "ctrl+t")  # room → my retake chat → ClawCast
    assert app.query_one("#chat-target", Select).value == "clawcast"
    text.focus()
    await pilot.press(*"hello claw", "enter")
    activity = await sandbox_until(
        http, "/_sandbox/clawcast/activity",
        lambda r: [a for a in r["activity"] if a["source"] == "api"], pilot,
    )  # fmt: skip
    assert [(a["name"], a["text"]) for a in activity] == [(ME, "hello claw")]
    # the console's own lines, each marked with the room it went to
    await until(pilot, lambda: ("clawcast", "sent", ME, "hello claw") in timeline(app)
                or ("clawcast", "sent", "you", "hello claw") in timeline(app))  # fmt: skip
    sent = [(p, a, t) for p, k, a, t in timeline(app) if k == "sent"]
    assert ("retake", "gm from the console") in [(p, t) for p, _, t in sent]
    assert any(p == "retake" and a.endswith(f"→ {neighbour_id}") and t == "hello neighbour"
               for p, a, t in sent)  # fmt: skip
    # a viewer of the sandbox writes in our room: it reaches the timeline
    await http.post("/_sandbox/retake/chat",
                    json={"streamer_id": my_id, "text": "hi from the sandbox", "username": "viewer42"})  # fmt: skip
    await until(
        pilot, lambda: ("retake", "chat", "viewer42", "hi from the sandbox") in timeline(app)
    )
    # retake.tv echoes the studio's own lines through the feed, before that viewer's line:
    # each is one YOU line; a viewer saying the same words is the viewer's line
    assert [c["text"] for c in comments[my_id]].count("gm from the console") == 1
    await http.post("/_sandbox/retake/chat",
                    json={"streamer_id": my_id, "text": "gm from the console", "username": "viewer42"})  # fmt: skip
    await until(
        pilot, lambda: ("retake", "chat", "viewer42", "gm from the console") in timeline(app)
    )
    said = [(k, a) for p, k, a, t in timeline(app) if p == "retake" and t == "gm from the console"]
    assert [k for k, _ in said] == ["sent", "chat"] and said[1][1] == "viewer42", said
    opening = [k for p, k, _, t in timeline(app) if p == "retake" and t == OPENING]
    assert opening == ["sent"], timeline(app)


async def _publish_a_batch_during_the_slot(
    app: ConsoleApp, pilot: Pilot[None], http: httpx.AsyncClient
) -> None:
    await pilot.press("f5")
    composer = app.query_one(ComposerPane)
    for kind in ("text", "data"):
        app.query_one("#slide-type", Select).value = kind
        await pilot.press("ctrl+n")
    await until(pilot, lambda: [s["type"] for s in composer.playlist.slides] == ["text", "data"])
    editor = app.query_one("#slide-json", TextArea)
    slide = json.loads(editor.text)
    slide["content"]["rows"][0]["value"] = "42"
    editor.text = json.dumps(slide)
    await until(pilot, lambda: composer.playlist.slides[1]["content"]["rows"][0]["value"] == "42")
    await pilot.press("ctrl+e")
    await until(pilot, lambda: answered(app, "clawcast.batch"))
    assert answered(app, "clawcast.batch").ok, answered(app, "clawcast.batch").comment
    live = await sandbox_until(http, "/_sandbox/clawcast/state",
                               lambda r: r["live"] and r["live"]["batch"] and r["live"], pilot)  # fmt: skip
    assert live["streamer_name"] == ME
    assert [s["type"] for s in live["batch"]["slides"]] == ["text", "data"]
    assert live["batch"]["slides"][1]["content"]["rows"][0]["value"] == "42"


async def _book_a_slot_with_a_poll_and_see_the_votes(
    app: ConsoleApp, pilot: Pilot[None], http: httpx.AsyncClient
) -> None:
    composer = app.query_one(ComposerPane)
    app.query_one("#slide-type", Select).value = "poll"
    await pilot.press("ctrl+n")
    await until(pilot, lambda: len(composer.playlist.slides) == 3)
    await pilot.press("ctrl+k", "ctrl+k")  # the poll first: it plays as the slot starts
    assert [s["type"] for s in composer.playlist.slides] == ["poll", "text", "data"]
    question = composer.playlist.slides[0]["content"]["question"]
    # one slot at a time: the booking is refused while the first slot (the batch) plays
    booked = None
    deadline = time.monotonic() + 90
    while booked is None and time.monotonic() < deadline:
        count = len([c for c, _ in app.responses if c.verb == "clawcast.book"])
        await pilot.press("ctrl+b")
        response = await until(pilot, lambda n=count + 1: answered(app, "clawcast.book", n))
        if response.ok:
            booked = response
        else:
            assert response.code == 409 and "one slot at a time" in response.comment
            await pilot.pause(1.0)
    assert booked is not None, "the first slot never ended"
    assert booked.data["streamer_name"] == ME
    # ClawCast's own queue (the public endpoint) shows the slot, live or queued
    queue = (await http.get("/api/getQueue")).json()
    names = [(queue.get("live") or {}).get("streamer_name")] + [
        q["streamer_name"] for q in queue.get("queue") or []
    ]
    assert ME in names, queue
    playing = await sandbox_until(http, "/_sandbox/clawcast/state",
                                  lambda r: r["live"] and r["live"]["streamer_name"] == ME
                                  and r["live"]["batch"]
                                  and r["live"]["batch"]["slides"][0]["type"] == "poll"
                                  and r["live"], pilot)  # fmt: skip
    assert [s["type"] for s in playing["batch"]["slides"]] == ["poll", "text", "data"]
    assert playing["batch"]["slides"][0]["content"]["question"] == question
    slot = await until(pilot, lambda: app.model.clawcast_slot)
    assert slot.streamer_name == ME
    # viewers vote through the sandbox; the results are live in the Slides pane
    votes = (await http.post("/_sandbox/clawcast/votes",
                             json={"option_index": 1, "count": 3, "viewer_id": "v"})).json()  # fmt: skip
    assert votes["accepted"] == 3
    await http.post("/_sandbox/clawcast/votes", json={"option_index": 3, "viewer_id": "w"})
    await until(pilot, lambda: app.model.poll_results[:4] == (0, 3, 0, 1), 30)
    options = composer.playlist.slides[0]["content"]["options"]
    box = await until(pilot, lambda: (text := shown(app.query_one("#poll-live", Static)))
                      and f"On air: {question}" in text and text)  # fmt: skip
    votes_shown = [int(line[24:].split()[0]) for line in box.splitlines()[1:]]
    assert votes_shown == [0, 3, 0, 1]
    # the votes are activity in the timeline
    counts = " · ".join(f"{o} {n}" for o, n in zip(options, [0, 3, 0, 1], strict=True))
    await until(pilot, lambda: ("clawcast", "activity", "poll", f"4 votes: {counts}")
                in timeline(app))  # fmt: skip
    # the Queue pane marks our slot
    await pilot.press("f4")
    queue_text = app.query_one("#queue-clawcast", Static)
    await until(pilot, lambda: f"You ({ME})" in shown(queue_text))


async def _a_duet_with_another_agent(
    app: ConsoleApp, pilot: Pilot[None], http: httpx.AsyncClient
) -> None:
    await pilot.press("f5")
    app.query_one("#duet-question", Input).value = "Tabs or spaces?"
    await pilot.click("#duet-request")
    await until(pilot, lambda: answered(app, "clawcast.duet.request"))
    assert answered(app, "clawcast.duet.request").ok
    request_id = answered(app, "clawcast.duet.request").data["request_id"]
    await pilot.click("#duet-browse")
    requests = app.query_one("#duet-requests", OptionList)
    await until(pilot, lambda: requests.option_count == 1
                and requests.get_option_at_index(0).id == request_id)  # fmt: skip
    assert str(requests.get_option_at_index(0).prompt) == f"{ME}: Tabs or spaces?"
    # the other agent accepts over HTTP, and passes its pending id to the host
    accepted = (await http.post("/api/acceptDuet", json={
        "request_id": request_id, "name": GUEST, "url": "https://github.com/guest/agent",
        "answer": "Spaces, always.",
    })).json()  # fmt: skip
    assert accepted["ok"], accepted
    app.query_one("#duet-pending", Input).value = accepted["pending_id"]
    app.query_one("#duet-text", Input).value = "Then we agree."
    await pilot.click("#duet-reply")
    await until(pilot, lambda: answered(app, "clawcast.duet.reply"))
    assert answered(app, "clawcast.duet.reply").ok, answered(app, "clawcast.duet.reply").comment
    channel = (await http.get("/_sandbox/clawcast/state")).json()
    duet = [s for s in channel["slots"] if s["kind"] == "duet"]
    assert len(duet) == 1 and duet[0]["streamer_name"] == ME
    # the turns are activity lines in the timeline
    await until(pilot, lambda: any(e.kind == "activity" and e.text.endswith("Then we agree.")
                                   for e in app.model.chat))  # fmt: skip


async def _second_console(
    http: httpx.AsyncClient, socket: Path, tmp_path: Path, pid: int, session_id: int
) -> None:
    app = console(socket, tmp_path)
    async with app.run_test(size=SMALL) as pilot:
        await until(pilot, app.attached.is_set)
        await until(pilot, lambda: app.model.session_id == session_id and app.model.live)
        lines = timeline(app)
        assert ("retake", "chat", "viewer42", "hi from the sandbox") in lines
        assert "gm from the console" in [t for p, k, a, t in lines if k == "sent"]
        basefm = (await http.get("/_sandbox/basefm/state")).json()
        assert [s["status"] for s in basefm["sessions"]] != ["ended"]
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, ConfirmStop))
        assert set(app.screen.live) >= {"retake", "basefm"}
        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, ConfirmStop))
        await pilot.pause(0.5)
        assert running(pid) and answered(app, "stop") is None
        await pilot.press("f10")
        await until(pilot, lambda: isinstance(app.screen, ConfirmStop))
        await pilot.press("y")
        await until(pilot, lambda: answered(app, "stop"), 90)
        assert answered(app, "stop").ok, answered(app, "stop").comment
        await until(pilot, lambda: not running(pid), 60)
    basefm = (await http.get("/_sandbox/basefm/state")).json()
    assert [s["status"] for s in basefm["sessions"]] == ["ended"]
    agents = (await http.get("/_sandbox/retake/state")).json()["agents"]
    assert [a["live"] for a in agents if a["name"] == ME] == [False]
