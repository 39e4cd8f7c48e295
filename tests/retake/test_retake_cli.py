"""``studio retake register|verify|status|skill`` against the sandbox on a real socket."""

from __future__ import annotations

import http.server
import json
import os
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from studio.cli.retake_cmd import retake
from studio.config import Paths
from studio.sandbox.app import Sandbox, SandboxConfig
from studio.sandbox.server import serve_in_thread
from tests.retake.retake_helpers import TWEET, WALLET, png

ARGS = [
    "register",
    "--name",
    "Cli_Bot",
    "--description",
    "Streams its terminal.",
    "--image-url",
    "https://cdn.example.com/a.png",
    "--wallet",
    WALLET,
    "--ticker",
    "CLI",
]


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Sandbox, str]]:
    sandbox = Sandbox(SandboxConfig())
    with serve_in_thread(sandbox) as origin:
        monkeypatch.setenv("STUDIO_RETAKE_URL", origin)
        yield sandbox, origin


@pytest.fixture
def avatar(tmp_path: Path) -> Path:
    path = tmp_path / "avatar.png"
    path.write_bytes(png(64, 64))
    return path


def test_register_verify_status(served: tuple[Sandbox, str], avatar: Path) -> None:
    sandbox, origin = served
    runner = CliRunner()
    result = runner.invoke(retake, [*ARGS, "--image-file", str(avatar)])
    assert result.exit_code == 0, result.output
    assert "image is square (64x64)" in result.output and "studio retake verify" in result.output
    path = Paths.from_env().retake_credentials
    saved = json.loads(path.read_text())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert saved["agent_name"] == "Cli_Bot" and saved["access_token"].startswith("rtk_")
    assert saved["access_token"] not in result.output

    again = runner.invoke(retake, [*ARGS, "--skip-image-check"], standalone_mode=False)
    assert again.exception is not None and "--force" in str(again.exception)

    status = runner.invoke(retake, ["status"])
    assert status.exit_code == 0, status.output
    assert "verified: no" in status.output and f"{origin}/Cli_Bot" in status.output
    assert saved["access_token"] not in status.output

    # The human has not tweeted: retake.tv says the tweet lacks the code.
    refused = runner.invoke(retake, ["verify", "--tweet-url", TWEET], standalone_mode=False)
    assert "Claiming my Livestreaming Agent on @retakedottv. Code: " in refused.output
    assert refused.exception is not None and "exact" in str(refused.exception)

    # A rehearsal: any status URL counts; a bad URL at the prompt is asked again.
    sandbox.retake.auto_tweets = True
    ok = runner.invoke(retake, ["verify"], input=f"https://example.com/nope\n{TWEET}\n")
    assert ok.exit_code == 0, ok.output
    assert "must be a Twitter/X status URL" in ok.output and "verified:" in ok.output
    assert "already verified" in runner.invoke(retake, ["verify"]).output
    assert "verified: yes" in runner.invoke(retake, ["status"]).output


def test_verify_with_the_exact_tweet(served: tuple[Sandbox, str], avatar: Path) -> None:
    sandbox, origin = served
    runner = CliRunner()
    assert runner.invoke(retake, [*ARGS, "--image-file", str(avatar)]).exit_code == 0
    shown = runner.invoke(retake, ["verify"], input="")  # shows the message, no URL yet
    message = next(line for line in shown.output.splitlines() if "Code:" in line).strip()
    with httpx.Client(base_url=origin) as control:  # the human tweets it
        control.post("/_sandbox/retake/tweets", json={"url": TWEET, "text": message})
    result = runner.invoke(retake, ["verify", "--skip-prepare", "--tweet-url", TWEET])
    assert result.exit_code == 0, result.output
    assert "Code:" not in result.output  # no new code was asked for
    assert next(iter(sandbox.retake.world.agents.values())).verified


def test_register_validates_before_sending(served: tuple[Sandbox, str], tmp_path: Path) -> None:
    sandbox, _ = served
    wide = tmp_path / "wide.png"
    wide.write_bytes(png(64, 32))
    runner = CliRunner()
    args = [a if a != "CLI" else "TOO_LONG_TICKER" for a in ARGS]
    bad = runner.invoke(retake, args, standalone_mode=False)
    assert bad.exception is not None and "ticker" in str(bad.exception)
    not_square = runner.invoke(retake, [*ARGS, "--image-file", str(wide)], standalone_mode=False)
    assert not_square.exception is not None and "must be square" in str(not_square.exception)
    assert sandbox.retake.world.agents == {} and sandbox.retake.requests == []
    assert not Paths.from_env().retake_credentials.exists()


def test_status_without_credentials_says_what_to_do(served: tuple[Sandbox, str]) -> None:
    result = CliRunner().invoke(retake, ["status"], standalone_mode=False)
    assert "studio retake register" in str(result.exception)


def test_skill_command_caches_the_version(served: tuple[Sandbox, str]) -> None:
    runner = CliRunner()
    first = runner.invoke(retake, ["skill"])
    assert first.exit_code == 0 and "skill version 2.1.2: unchanged" in first.output
    served[0].retake.skill_version = "2.3.0"
    changed = runner.invoke(retake, ["skill"])
    assert "skill version 2.3.0 (cached: 2.1.2); skill.md re-fetched" in changed.output
    assert (Paths.from_env().state_dir / "retake-skill.md").exists()
    assert "2.3.0: unchanged" in runner.invoke(retake, ["skill"]).output


class _Listener(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802
        self.seen.append(f"{self.path} {self.headers.get('Authorization')}")
        self.send_response(404)
        self.end_headers()

    def log_message(self, *_: object) -> None:
        pass


def test_the_token_goes_only_to_the_origin_that_issued_it(
    served: tuple[Sandbox, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    sandbox, origin = served
    runner = CliRunner()
    assert runner.invoke(retake, [*ARGS, "--skip-image-check"]).exit_code == 0
    saved = json.loads(Paths.from_env().retake_credentials.read_text())
    assert saved["origin"] == origin  # recorded at registration
    elsewhere = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Listener)
    thread = threading.Thread(target=elsewhere.serve_forever, daemon=True)
    thread.start()
    try:
        other = f"http://127.0.0.1:{elsewhere.server_address[1]}"
        monkeypatch.setenv("STUDIO_RETAKE_URL", other)  # a leftover pointing elsewhere
        refused = runner.invoke(retake, ["status"])
    finally:
        elsewhere.shutdown()
        elsewhere.server_close()
    assert refused.exit_code != 0
    problem = str(refused.exception)  # `studio` prints it as "error: …", exit code 1
    assert f"issued by {origin}" in problem and f"points at {other}" in problem
    assert "Unset STUDIO_RETAKE_URL" in problem
    assert _Listener.seen == []  # not one request, so not the token
    assert saved["access_token"] not in problem + refused.output
    monkeypatch.setenv("STUDIO_RETAKE_URL", origin)
    assert runner.invoke(retake, ["status"]).exit_code == 0


def test_the_image_check_fetches_https_only() -> None:
    from studio.cli.retake_cmd import _check_image

    said = _check_image("http://cdn.example.com/avatar.png", None)
    assert "could not fetch image_url" in said and "only https is fetched" in said


async def test_a_rehearsal_registers_again_on_a_new_sandbox(isolated_env: Path) -> None:
    from studio.cli.rehearse_cmd import _register
    from studio.platforms.retake_credentials import load_credentials

    paths = Paths.from_env()
    paths.retake_credentials.parent.mkdir(parents=True)
    paths.retake_credentials.write_text(
        json.dumps({"access_token": "rtk_fromanoldsandbox1", "origin": "http://127.0.0.1:9"})
    )
    with serve_in_thread(Sandbox(SandboxConfig())) as origin:
        await _register(origin, paths, auto=True)
    creds = load_credentials(paths)
    assert creds is not None and creds.origin == origin
    assert creds.access_token is not None
    assert creds.access_token.get_secret_value() != "rtk_fromanoldsandbox1"
