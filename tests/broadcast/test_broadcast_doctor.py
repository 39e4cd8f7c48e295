"""``studio doctor``: real checks on this machine, and exact fixes when things are missing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from studio.cli.doctor_cmd import doctor
from studio.config import Paths, PlatformUrls
from studio.doctor import (
    DoctorContext,
    all_required_ok,
    check_credentials,
    check_platform_urls,
    check_verification,
    run_checks,
)
from tests.broadcast.broadcast_helpers import need


@pytest.mark.processes
def test_doctor_passes_on_an_installed_machine() -> None:
    need("Xvfb", "xterm", "xwininfo", "ffmpeg", "fc-list")
    result = CliRunner().invoke(doctor, ["--offline", "--json"])
    rows = {row["check"]: row for row in map(json.loads, result.output.splitlines())}
    assert result.exit_code == 0, result.output
    for name in ("Xvfb", "xterm", "FFmpeg", "fonts", "display smoke test", "platform URLs"):
        assert rows[name]["status"] == "ok", rows[name]
    assert "160x45" in rows["display smoke test"]["detail"]
    if all(shutil.which(p) for p in ("pulseaudio", "pactl", "paplay", "espeak-ng")):
        assert rows["sound"]["status"] == "ok", rows["sound"]
        assert rows["sound"]["detail"].startswith("PulseAudio 1")
    assert rows["retake.tv verification"]["status"] == "skip"


async def test_missing_programs_fail_with_the_install_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    results = {r.name: r for r in await run_checks(DoctorContext(offline=True))}
    for name in ("Xvfb", "xterm", "FFmpeg", "display smoke test"):
        assert results[name].status == "FAIL", results[name]
        assert results[name].fix and "apt-get install" in results[name].fix
    assert results["RTMP receiver"].status == "warn"  # rehearsal only: not required
    sound = results["sound"]  # a silent stream still goes on air: a warning, and why
    assert sound.status == "warn" and "no sound server: pulseaudio (pulseaudio)" in sound.detail
    assert "silent track" in sound.detail and "pulseaudio pulseaudio-utils" in (sound.fix or "")
    assert not all_required_ok(list(results.values()))


def test_doctor_command_exits_1_and_prints_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    empty = tmp_path / "bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    outcome = CliRunner().invoke(doctor, ["--offline"])
    assert outcome.exit_code == 1, outcome.output
    assert "FAIL  Xvfb" in outcome.output and "fix: sudo apt-get install xvfb" in outcome.output
    assert "not ready" in outcome.output


async def test_credentials_found_broken_or_missing(isolated_env: Path) -> None:
    paths = Paths.from_env()
    missing = await check_credentials(DoctorContext(paths=paths, offline=True))
    assert missing.status in ("warn", "skip")
    paths.retake_credentials.parent.mkdir(parents=True)
    paths.retake_credentials.write_text("{not json")
    broken = await check_credentials(DoctorContext(paths=paths, offline=True))
    assert broken.status == "FAIL" and broken.fix
    paths.retake_credentials.write_text(
        json.dumps({"access_token": "rtk_doctorcheck123", "agent_name": "nova"})
    )
    paths.retake_credentials.chmod(0o600)
    found = await check_credentials(DoctorContext(paths=paths, offline=True))
    assert (
        found.status == "ok" and "nova" in found.detail and "rtk_doctorcheck123" not in found.detail
    )
    offline = await check_verification(DoctorContext(paths=paths, offline=True))
    assert offline.status == "skip"


async def test_platform_urls_must_be_https_or_loopback() -> None:
    good = PlatformUrls(retake="http://127.0.0.1:8700", clawcast="https://tvterminal.com")
    assert (await check_platform_urls(DoctorContext(urls=good))).ok
    bad = PlatformUrls(basefm="http://agentbot.example")
    result = await check_platform_urls(DoctorContext(urls=bad))
    assert (
        result.status == "FAIL"
        and "baseFM" in result.detail
        and "STUDIO_BASEFM_URL" in (result.fix or "")
    )


async def test_verification_is_asked_of_retake_when_credentials_exist(isolated_env: Path) -> None:
    import httpx

    from studio.sandbox.app import Sandbox
    from studio.sandbox.server import serve_in_thread
    from studio.validation.retake import b58encode

    body = {
        "agent_name": "Doctor_Bot",
        "agent_description": "Checks that the studio can broadcast.",
        "image_url": "https://cdn.example.com/doctor.png",
        "wallet_address": b58encode(bytes(range(1, 33))),
        "ticker": "DOC",
    }
    with serve_in_thread(Sandbox()) as origin:
        async with httpx.AsyncClient(base_url=origin) as http:
            reply = await http.post("/api/v1/agent/register", json=body)
            assert reply.status_code == 200, reply.text
            token = reply.json()["access_token"]
            paths = Paths.from_env()
            paths.retake_credentials.parent.mkdir(parents=True)
            paths.retake_credentials.write_text(
                json.dumps({"access_token": token, "agent_name": "Doctor_Bot", "origin": origin})
            )
            paths.retake_credentials.chmod(0o600)
            ctx = DoctorContext(paths=paths, urls=PlatformUrls(retake=origin))
            pending = await check_verification(ctx)
            assert pending.status == "FAIL" and "not verified" in pending.detail and pending.fix
            marked = await http.post("/_sandbox/retake/verified", json={"agent": "Doctor_Bot"})
            assert marked.status_code == 200
            assert (await check_verification(ctx)).status == "ok"
        assert token not in pending.detail
