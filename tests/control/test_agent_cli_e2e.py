"""A whole broadcast driven the way an agent drives it: nothing but ``studio`` processes.

The test plays three parts. The agent uses only the CLI (``golive --detach``, ``events``,
``answer``, ``status``, ``chat send``, ``slides push``, ``batch``, ``book``, ``poll``,
``vote``, ``duet``, ``queue``, ``reconnect``, ``say``, ``music``, ``volume``, ``mute``
and ``stop``). The human posts the verification tweet through the
sandbox's ``/_sandbox`` route. The rest of the world (another retake.tv agent, another
ClawCast streamer) uses the platforms' own APIs on the sandbox. Assertions read what the
platforms got and what nginx-rtmp recorded."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from studio.broadcast.ffmpeg_command import FRAMERATE
from studio.golive.retake_leg import OPENING
from studio.platforms.retake import RetakeClient
from studio.sandbox.rehearsal import RehearsalWorld, rehearsal_world
from tests.audio.audio_helpers import SILENT_DB, levels, loudest, median_db, spans, tone
from tests.broadcast.broadcast_helpers import need, need_rtmp
from tests.control.test_control_service import TX_HASH, WALLET, running, studio, wait_gone

pytestmark = pytest.mark.processes

AGENT = "e2e_agent"
OTHER = "other_agent"
GUEST = "guest_streamer"


class EventStream:
    """``studio events`` as the agent reads it: one JSON object a line, kept in order."""

    def __init__(self, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "studio", "events"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.seen: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._changed:
                self.seen.append(json.loads(line))
                self._changed.notify_all()
        with self._changed:
            self._changed.notify_all()

    def of(self, kind: str, **fields: Any) -> list[dict[str, Any]]:
        with self._changed:
            return [
                e
                for e in self.seen
                if e["event"] == kind and all(e.get(k) == v for k, v in fields.items())
            ]

    def wait(self, kind: str, limit: float = 60.0, after: int = 0, **fields: Any) -> dict:
        """The first ``kind`` event with these fields, at index ``after`` or later."""
        with self._changed:
            found = self._changed.wait_for(
                lambda: self._find(kind, after, fields) or self.proc.poll() is not None, limit
            )
            event = self._find(kind, after, fields)
            if event is None:
                tail = [e.get("event") for e in self.seen[-30:]]
                raise AssertionError(f"no {kind} {fields} in {limit} s ({found=}); last: {tail}")
            return event

    def _find(self, kind: str, after: int, fields: dict[str, Any]) -> dict | None:
        for event in self.seen[after:]:
            if event["event"] == kind and all(event.get(k) == v for k, v in fields.items()):
                return event
        return None

    def asked(self, need: str, limit: float = 60.0) -> dict:
        """The operator step waiting for ``need``: in the snapshot the stream starts
        with (asked before the agent attached) or in a later ``operator.needed``."""
        with self._changed:
            self._changed.wait_for(lambda: self.seen or self.proc.poll() is not None, limit)
        for step in self.seen[0].get("pending", []) if self.seen else []:
            if step["need"] == need:
                return step
        return self.wait("operator.needed", limit, need=need)

    def mark(self) -> int:
        with self._changed:
            return len(self.seen)

    def out_time(self) -> float:
        """Seconds encoded so far (the clock of the recording, give or take)."""
        with self._changed:
            return self._out_time_locked()

    def encoded_past(self, seconds: float, limit: float = 60.0) -> None:
        with self._changed:
            ok = self._changed.wait_for(lambda: self._out_time_locked() >= seconds, limit)
        assert ok, f"the encoder never passed {seconds:.1f} s: {self.of('encoder.stats')[-1:]}"

    def _out_time_locked(self, upto: int | None = None) -> float:
        stats = [
            e
            for e in self.seen[:upto]
            if e["event"] == "encoder.stats" and not e["source"].startswith("relay:")
        ]
        if not stats:
            return 0.0
        # FFmpeg may report out_time as N/A; its frame count is always there
        return stats[-1]["out_time"] or stats[-1]["frame"] / FRAMERATE

    def out_time_at(self, event: dict) -> float:
        """Seconds encoded when ``event`` happened (the newest stats before it)."""
        with self._changed:
            index = next(i for i, e in enumerate(self.seen) if e is event)
            return self._out_time_locked(index)

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def ok(args: list[str], env: dict[str, str], timeout: float = 60) -> str:
    done = studio(args, env, timeout=timeout)
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return done.stdout


def refused(args: list[str], env: dict[str, str]) -> str:
    done = studio(args, env)
    assert done.returncode == 1, (args, done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    return done.stderr


def status(env: dict[str, str]) -> dict:
    return json.loads(ok(["status", "--json"], env))


def wait_status(env: dict[str, str], predicate: Callable[[dict], bool], limit: float = 60) -> dict:
    deadline = time.monotonic() + limit
    snapshot: dict = {}
    while time.monotonic() < deadline:  # each `studio status` takes a moment: no sleep needed
        snapshot = status(env)
        if predicate(snapshot):
            return snapshot
    raise AssertionError(f"the state never matched; last: {json.dumps(snapshot)[:3000]}")


async def register_other(origin: str) -> str:
    async with RetakeClient(origin) as client:
        reply = await client.register(
            {
                "agent_name": OTHER,
                "agent_description": "Another agent on retake.tv",
                "image_url": "https://example.com/other.png",
                "wallet_address": "9xQeWvG816bUx9EPjHmaT23yvVM2ZWbrrpZb9PusVFin",
                "ticker": "OTH",
            }
        )
    return reply.user_db_id


def playlist(path: Path, slides: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps({"slides": slides}))
    return path


@pytest.fixture
def world(tmp_path: Path) -> Iterator[RehearsalWorld]:
    need("Xvfb", "xterm", "ffmpeg", "ffprobe", "pulseaudio", "paplay", "espeak-ng")
    need_rtmp()
    with rehearsal_world(tmp_path / "rec", auto_tweets=False) as w:
        yield w


def test_an_agent_runs_a_whole_broadcast_from_the_cli(world: RehearsalWorld, tmp_path: Path):
    origin = world.origin
    sandbox = world.sandbox
    env = {**os.environ, **world.env(), "STUDIO_STATE_DIR": str(tmp_path / "state")}
    env.pop("RETAKE_ACCESS_TOKEN", None)
    control = httpx.Client(base_url=origin, timeout=10)
    other_id = asyncio.run(register_other(origin))
    music = tone(tmp_path / "tone.wav", 12000, 3)
    log = tmp_path / "agent.log"
    log.write_text("$ agent: going live from the command line\n")

    # -- the agent registers and goes live; the platforms ask, the agent answers ------
    registered = ok(
        [
            "retake",
            "register",
            "--name",
            AGENT,
            "--description",
            "An agent that needs nothing but the CLI",
            "--image-url",
            "https://example.com/agent.png",
            "--wallet",
            "7EcDhSYGxXyscszYEp35KHN8vvw3svAuLKTzXwCFLtV",
            "--ticker",
            "CLI",
            "--skip-image-check",
        ],
        env,
    )
    own_id = registered.split("(userDbId ", 1)[1].split(")", 1)[0]
    assert sandbox.retake.world.agents[own_id].name == AGENT

    started = ok(
        [
            "golive",
            "--detach",
            "--retake",
            "--clawcast",
            "--basefm",
            "--basefm-wallet",
            WALLET,
            "--clawcast-minutes",
            "3",
            "--log",
            str(log),
        ],
        env,
        timeout=90,
    )
    pid = int(started.split("pid ", 1)[1].split()[0])
    events = EventStream(env)
    try:
        snapshot = events.wait("snapshot")
        assert snapshot["service"]["pid"] == pid and snapshot["service"]["kiosk"] is True

        tweet = events.asked("tweet_url")
        message = tweet["data"]["verification_message"]
        url = "https://x.com/the_human/status/1864000000000000001"
        # the human posts the message (the sandbox's route stands in for X)
        posted = control.post("/_sandbox/retake/tweets", json={"url": url, "text": message})
        assert posted.status_code == 200, posted.text
        assert f"answered {tweet['id']}" in ok(["answer", tweet["id"], url], env)
        assert sandbox.retake.world.agents[own_id].verified

        payment = events.asked("tx_hash")
        bad = refused(["answer", payment["id"], "0x1234"], env)
        assert "txHash" in bad
        assert [p["need"] for p in status(env)["pending"]] == ["tx_hash"]
        ok(["answer", "tx_hash", TX_HASH], env)

        live = wait_status(
            env,
            lambda s: all(
                s["legs"].get(p, {}).get("live") for p in ("retake", "basefm", "clawcast")
            ),
        )
        assert live["state"] == "live" and live["pending"] == []
        human = ok(["status"], env)
        for leg in ("retake", "basefm", "clawcast"):
            assert f"{leg}: ● live" in human
        assert "  encoder: " in human and " fps, " in human
        basefm = control.get("/_sandbox/basefm/state").json()
        assert basefm["usedTxHashes"] == [TX_HASH]
        assert [s["status"] for s in basefm["sessions"]] == ["live"]
        clawcast_state = control.get("/_sandbox/clawcast/state").json()
        assert clawcast_state["live"]["streamer_name"] == AGENT

        (ffmpeg,) = events.of("process.started", process="ffmpeg")
        encoder_pid = ffmpeg["pid"]

        # -- chat: own room, another agent's room, ClawCast; bad input sends nothing -----
        comments = sandbox.retake.world.comments
        # the studio's own opening line comes first (late on a loaded machine)
        deadline = time.monotonic() + 30
        while OPENING not in [c["text"] for c in comments.get(own_id, [])]:
            assert time.monotonic() < deadline, "the opening line never reached the room"
            time.sleep(0.1)
        ok(["chat", "send", "hello, my own room"], env)
        assert comments[own_id][-1]["text"] == "hello, my own room"
        ok(["chat", "send", "--to", other_id, "hello from next door"], env)
        assert comments[other_id][-1]["text"] == "hello from next door"
        assert comments[other_id][-1]["author"]["fusername"] == AGENT
        ok(["chat", "send", "--clawcast", "hello ClawCast"], env)
        activity = control.get("/_sandbox/clawcast/activity").json()["activity"]
        assert [a["text"] for a in activity if a["name"] == AGENT][-1] == "hello ClawCast"
        before = (len(comments[own_id]), len(comments[other_id]), len(activity))
        both = refused(["chat", "send", "--to", other_id, "--clawcast", "where?"], env)
        assert "to" in both and "clawcast" in both
        too_long = refused(["chat", "send", "x" * 2001], env)
        assert "text" in too_long and "2000" in too_long
        activity = control.get("/_sandbox/clawcast/activity").json()["activity"]
        assert (len(comments[own_id]), len(comments[other_id]), len(activity)) == before

        queue = json.loads(ok(["queue"], env))
        assert queue["now"]["streamer_name"] == AGENT and queue["now"]["live"] is True

        # -- slides on the kiosk, a batch on the live ClawCast slot ---------------------
        mark = events.mark()
        kiosk = playlist(
            tmp_path / "kiosk.json",
            [{"type": "text", "content": {"headline": "On the kiosk", "body": "from the CLI"}}],
        )
        assert "1 slides on the kiosk" in ok(["slides", "push", str(kiosk), "--loop"], env)
        pushed = events.wait("slides.on_air", after=mark, platform="studio")
        assert pushed["slides"][0]["content"]["headline"] == "On the kiosk" and pushed["loop"]
        batch = playlist(
            tmp_path / "batch.json",
            [
                {"type": "text", "content": {"headline": "Batch one"}, "duration_seconds": 3},
                {
                    "type": "data",
                    "content": {"rows": [{"label": "Viewers", "value": "3"}]},
                    "duration_seconds": 3,
                },
            ],
        )
        json.loads(ok(["batch", str(batch)], env))
        on_clawcast = json.dumps(control.get("/_sandbox/clawcast/state").json()["live"])
        assert "Batch one" in on_clawcast and "Viewers" in on_clawcast
        events.wait("slides.on_air", after=mark, platform="clawcast")
        invalid = playlist(
            tmp_path / "invalid.json",
            [{"type": "poll", "content": {"question": "?", "options": ["one"]}}],
        )
        assert "slides[0].content.options" in refused(["batch", str(invalid)], env)

        # -- the batch shortened the slot: once it is over, book one with a poll -------
        over = events.wait("golive.off_air", platform="clawcast", limit=30)
        assert over["reason"] == "the ClawCast slot is over"
        assert status(env)["legs"]["clawcast"]["live"] is False
        mark = events.mark()
        show = playlist(
            tmp_path / "show.json",
            [
                {
                    "type": "poll",
                    "content": {
                        "question": "Which language next?",
                        "options": ["Rust", "Zig", "Go"],
                    },
                    "duration_seconds": 30,
                },
                # the poll takes votes while its slot is on air: time for slow machines
                *(
                    {
                        "type": "text",
                        "content": {"headline": f"Booked by the agent, part {n}"},
                        "duration_seconds": 30,
                    }
                    for n in range(1, 6)
                ),
            ],
        )
        slot = json.loads(ok(["book", str(show), "--minutes", "3"], env))
        assert slot["streamer_name"] == AGENT and slot["position_in_queue"] == 0
        events.wait("slides.on_air", after=mark, platform="clawcast")
        held = control.get("/_sandbox/clawcast/state").json()
        assert held["live"]["streamer_name"] == AGENT
        assert "Booked by the agent, part 5" in json.dumps(held["live"])
        booked_id = held["live"]["slot_id"]
        assert "one slot at a time" in refused(["book", str(show)], env)
        opened = json.loads(ok(["poll"], env))  # the poll is the booked slot's first slide
        assert (opened["question"], opened["results"]) == ("Which language next?", [0, 0, 0])
        poll_id = opened["poll_id"]
        voted = json.loads(ok(["vote", poll_id, "1", "--viewer", "viewer-7"], env))
        assert voted["results"][:3] == [0, 1, 0]
        again = refused(["vote", poll_id, "1", "--viewer", "viewer-7"], env)
        assert "Already voted" in again
        assert json.loads(ok(["poll"], env))["results"][:3] == [0, 1, 0]

        # -- duets: the agent asks and replies as host; it accepts another's ------------
        asked = json.loads(ok(["duet", "request", "What should an agent stream next?"], env))
        request_id = asked["request_id"]
        listed = json.loads(ok(["duet", "list"], env))
        assert [r["id"] for r in listed if r["host_name"] == AGENT] == [request_id]
        accepted = control.post(
            "/api/acceptDuet",
            json={
                "request_id": request_id,
                "name": GUEST,
                "url": "https://example.com/guest",
                "answer": "A compiler, live.",
            },
        ).json()
        duet = json.loads(ok(["duet", "reply", accepted["pending_id"], "Deal: on air next."], env))
        slots = control.get("/_sandbox/clawcast/state").json()["slots"]
        assert [
            (s["streamer_name"], s["kind"]) for s in slots if s["slot_id"] == duet["slot_id"]
        ] == [(AGENT, "duet")]
        theirs = control.post(
            "/api/requestDuet",
            json={"name": GUEST, "url": "https://example.com/guest", "question": "Pair on a bug?"},
        ).json()
        mine = json.loads(ok(["duet", "accept", theirs["request_id"], "Yes, now."], env))
        assert mine["pending_id"]
        pending = control.get("/_sandbox/clawcast/state").json()["duet_pending"]
        assert [(p["host_name"], p["guest_name"], p["answer"]) for p in pending] == [
            (GUEST, AGENT, "Yes, now.")
        ]

        # -- sound: say, music, volume, mute; the same FFmpeg throughout ----------------
        events.encoded_past(4)
        mark = events.mark()
        queued = ok(["say", "Hello viewers, this is the agent speaking live."], env)
        utterance = int(queued.rsplit("utterance ", 1)[1])
        said = events.wait("audio.speech_started", after=mark, utterance=utterance)
        said_at = events.out_time_at(said)
        events.wait("audio.speech_finished", after=mark, utterance=utterance, limit=60)
        loud = refused(["volume", "151", "--target", "speech"], env)
        assert "percent" in loud and "150" in loud
        events.encoded_past(events.out_time() + 2)

        mark = events.mark()
        assert "playing 1 track(s)" in ok(["music", "play", str(music), "--loop"], env)
        music_at = events.out_time_at(events.wait("audio.track_started", after=mark, title="tone"))
        ok(["volume", "80", "--target", "music"], env)
        assert events.wait("audio.mixer", after=mark)["volumes"]["music"] == 80
        events.encoded_past(music_at + 4)
        mark = events.mark()
        assert ok(["mute"], env).strip() == "muted"
        muted_at = events.out_time_at(events.wait("audio.mixer", after=mark, muted=True))
        events.encoded_past(muted_at + 5)
        mark = events.mark()
        assert ok(["mute", "--off"], env).strip() == "unmuted"
        unmuted_at = events.out_time_at(events.wait("audio.mixer", after=mark, muted=False))
        events.encoded_past(unmuted_at + 4)
        ended_at = events.out_time()
        assert ok(["music", "stop"], env).strip() == "music: stop"
        assert [e["pid"] for e in events.of("process.started", process="ffmpeg")] == [encoder_pid]
        assert running(encoder_pid)

        # -- reconnect now: nothing is waiting, nothing breaks ----------------------------
        assert ok(["reconnect"], env).strip() == "reconnecting now"
        assert [e["pid"] for e in events.of("process.started", process="ffmpeg")] == [encoder_pid]

        # -- stop: every session ends, baseFM's only now ------------------------------------
        basefm = control.get("/_sandbox/basefm/state").json()
        assert [s["status"] for s in basefm["sessions"]] == ["live"]
        assert "the broadcast ended" in ok(["stop"], env, timeout=90)
        wait_gone(pid)
    finally:
        events.close()
        if running(pid):
            os.kill(pid, signal.SIGKILL)
    basefm = control.get("/_sandbox/basefm/state").json()
    assert [s["status"] for s in basefm["sessions"]] == ["ended"]
    agents = control.get("/_sandbox/retake/state").json()["agents"]
    assert {a["name"]: a["live"] for a in agents} == {AGENT: False, OTHER: False}
    booked = next(
        s
        for s in control.get("/_sandbox/clawcast/state").json()["slots"]
        if s["slot_id"] == booked_id
    )
    # the stop ended the booked slot (endSlot), unless a slow machine played it out first
    stopped = events.of("golive.stopped", platform="clawcast")[-1]["stats"]
    assert (booked["end_reason"], stopped["ended"]) in (
        ("ended early", "endSlot"),
        ("its slides have played", "slot already over"),
    ), (booked, stopped)
    ended = events.of("golive.ended")[-1]
    assert (ended["ok"], ended["reason"]) == (True, "stopped by the operator"), ended

    # -- what viewers heard: the voice after `say`, the music, silence while muted -------
    recording = world.receiver.recordings("retake")[-1]
    early = 1.5  # the encoder's out_time and the recording's timestamps: two clocks
    speech = levels(recording, pre=",".join(["lowpass=f=3000"] * 4))
    voiced = spans(speech)
    print("speech spans:", voiced, "said at", said_at)
    assert any(said_at - early <= a <= said_at + 3 for a, _ in voiced), voiced
    assert loudest(speech, 0.5, said_at - early) < SILENT_DB
    tone_levels = levels(recording, pre=",".join(["highpass=f=11000"] * 3))
    playing = median_db(tone_levels, music_at + 1, muted_at - early)
    silent = loudest(levels(recording), muted_at + 1.0, unmuted_at - early)
    back = median_db(tone_levels, unmuted_at + 1.0, ended_at - early)
    print(f"music {playing:.1f} dB, muted {silent:.1f} dB, unmuted {back:.1f} dB")
    assert playing > -40 and back > -40 and silent < SILENT_DB
