"""``studio doctor``: is this machine ready to broadcast?

Each check returns ok or a problem with the exact fix. Checks marked not required
(the rehearsal receiver, retake.tv credentials for an operator who streams
elsewhere) warn but do not fail the run.
"""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from studio.broadcast.processes import run_capture
from studio.config import Paths, PlatformUrls, origin_problem
from studio.redaction import redact

INSTALL = "Run scripts/install (it installs the Debian packages the studio needs)."


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    detail: str
    fix: str | None = None
    required: bool = True
    skipped: bool = False

    @property
    def status(self) -> str:
        if self.skipped:
            return "skip"
        if self.ok:
            return "ok"
        return "FAIL" if self.required else "warn"


@dataclass
class DoctorContext:
    paths: Paths = field(default_factory=Paths.from_env)
    urls: PlatformUrls = field(default_factory=lambda: PlatformUrls.from_env(check=False))
    offline: bool = False
    env: Mapping[str, str] | None = None


Check = Callable[[DoctorContext], Awaitable[CheckResult]]


def _apt(package: str) -> str:
    return f"sudo apt-get install {package}  (or: {INSTALL})"


async def check_xvfb(ctx: DoctorContext) -> CheckResult:
    path = shutil.which("Xvfb")
    if path is None:
        return CheckResult("Xvfb", False, "Xvfb is not installed", _apt("xvfb"))
    if shutil.which("xauth") is None:
        return CheckResult(
            "Xvfb",
            False,
            "xauth is missing: the display cannot be locked with a cookie",
            _apt("xauth"),
        )
    return CheckResult("Xvfb", True, f"{path}, with an xauth cookie")


async def check_xterm(ctx: DoctorContext) -> CheckResult:
    missing = [
        name
        for name, pkg in (("xterm", "xterm"), ("xwininfo", "x11-utils"))
        if not shutil.which(name)
    ]
    if missing:
        packages = " ".join({"xterm": "xterm", "xwininfo": "x11-utils"}[m] for m in missing)
        return CheckResult("xterm", False, f"missing: {', '.join(missing)}", _apt(packages))
    code, out, err = await run_capture(["xterm", "-version"], limit=5)
    return CheckResult(
        "xterm", code == 0, (out or err).strip() or "xterm", None if code == 0 else _apt("xterm")
    )


FFMPEG_NEEDS = {
    "-devices": ("x11grab", "lavfi"),
    "-muxers": ("tee", "flv", "mpegts"),
    "-encoders": ("libx264", "aac"),
}


def _listed(listing: str, name: str) -> bool:
    return any(name in line.split()[1:2] for line in listing.splitlines() if line.strip())


async def check_ffmpeg(ctx: DoctorContext) -> CheckResult:
    if shutil.which("ffmpeg") is None:
        return CheckResult("FFmpeg", False, "ffmpeg is not installed", _apt("ffmpeg"))
    missing: list[str] = []
    for flag, names in FFMPEG_NEEDS.items():
        code, out, _ = await run_capture(["ffmpeg", "-hide_banner", flag], limit=10)
        missing += [n for n in names if code != 0 or not _listed(out, n)]
    if missing:
        return CheckResult(
            "FFmpeg",
            False,
            f"this FFmpeg lacks {', '.join(missing)}",
            "Install Debian's full build: sudo apt-get install ffmpeg (not a static or minimal build).",
        )
    if shutil.which("ffprobe") is None:
        return CheckResult("FFmpeg", False, "ffprobe is missing", _apt("ffmpeg"))
    return CheckResult(
        "FFmpeg", True, "x11grab, lavfi, tee, flv, mpegts, libx264 and aac are available"
    )


async def check_sound(ctx: DoctorContext) -> CheckResult:
    """Start the studio's own sound server briefly; without one the stream is silent."""
    from studio.broadcast.sound_server import SoundServer, ffmpeg_reads_pulse, missing_programs

    name = "sound"
    silent = "; the stream will carry a silent track and `studio say` cannot speak"
    missing = missing_programs()
    if missing:
        return CheckResult(
            name,
            False,
            f"no sound server: {', '.join(missing)} missing{silent}",
            _apt("pulseaudio pulseaudio-utils"),
            required=False,
        )
    if not await ffmpeg_reads_pulse():
        return CheckResult(
            name,
            False,
            f"this FFmpeg cannot record from PulseAudio (no pulse input){silent}",
            "Install Debian's full build: sudo apt-get install ffmpeg.",
            required=False,
        )
    server = SoundServer()
    try:
        await server.start(limit=10)
        _, info, _ = await server.pactl("info")
    except Exception as exc:
        return CheckResult(name, False, f"{exc}{silent}", INSTALL, required=False)
    finally:
        await server.stop()
    version = next(
        (line.split(":", 1)[1].strip() for line in info.splitlines() if "Server Version" in line),
        "?",
    )
    if shutil.which("espeak-ng") is None:
        return CheckResult(
            name,
            False,
            f"PulseAudio {version} runs, but espeak-ng is missing, so `studio say` cannot speak",
            _apt("espeak-ng"),
            required=False,
        )
    return CheckResult(
        name, True, f"PulseAudio {version} with a private sink; speech by espeak-ng", required=False
    )


async def check_rtmp_receiver(ctx: DoctorContext) -> CheckResult:
    from studio.sandbox.rtmp_receiver import RTMP_MODULE

    if shutil.which("nginx") is None:
        return CheckResult(
            "RTMP receiver",
            False,
            "nginx is not installed (needed for rehearsals only)",
            _apt("nginx libnginx-mod-rtmp"),
            required=False,
        )
    if not RTMP_MODULE.exists():
        return CheckResult(
            "RTMP receiver",
            False,
            f"the nginx RTMP module is missing ({RTMP_MODULE})",
            _apt("libnginx-mod-rtmp"),
            required=False,
        )
    return CheckResult("RTMP receiver", True, f"nginx with {RTMP_MODULE.name}", required=False)


async def check_fonts(ctx: DoctorContext) -> CheckResult:
    from studio.broadcast.terminal import FONT

    if shutil.which("fc-list") is None:
        return CheckResult("fonts", False, "fontconfig (fc-list) is missing", _apt("fontconfig"))
    code, out, _ = await run_capture(["fc-list", ":spacing=mono", "family"], limit=10)
    families = {f.strip() for line in out.splitlines() for f in line.split(",")}
    if FONT not in families:
        return CheckResult(
            "fonts",
            False,
            f"{FONT} is not installed; the on-air terminal would not be 160x45",
            _apt("fonts-dejavu-core"),
        )
    extra = " and JetBrains Mono" if "JetBrains Mono" in families else ""
    return CheckResult("fonts", True, f"{FONT}{extra}")


async def check_display(ctx: DoctorContext) -> CheckResult:
    """Start Xvfb and the on-air xterm briefly; measure the terminal."""
    from studio.broadcast.display import VirtualDisplay
    from studio.broadcast.terminal import Terminal
    from studio.broadcast.thumbnails import capture

    if shutil.which("Xvfb") is None:
        return CheckResult("display smoke test", False, "Xvfb is missing", _apt("xvfb"))
    display = VirtualDisplay()
    try:
        name = await display.start(limit=10)
        shot = await asyncio.to_thread(capture, name)
        detail = f"Xvfb {name} at {shot.width}x{shot.height}"
        if shutil.which("xterm") and shutil.which("xwininfo"):
            terminal = Terminal(name, ["sleep", "30"])
            try:
                await terminal.start(limit=10)
            finally:
                await terminal.stop()
            detail += f"; terminal {terminal.grid[0]}x{terminal.grid[1]} cells"
            if not terminal.fills_frame:
                return CheckResult(
                    "display smoke test",
                    False,
                    detail + " does not fill 1280x720 exactly (other fonts on this host)",
                    _apt("fonts-dejavu-core"),
                    required=False,
                )
            detail += ", filling 1280x720 exactly"
        return CheckResult("display smoke test", True, detail)
    except Exception as exc:
        return CheckResult("display smoke test", False, str(exc), INSTALL)
    finally:
        await display.stop()


async def check_credentials(ctx: DoctorContext) -> CheckResult:
    try:
        from studio.platforms.retake_credentials import load_credentials
    except ImportError:
        return CheckResult(
            "retake.tv credentials",
            True,
            "not checked (this build has no retake.tv client)",
            skipped=True,
        )
    try:
        creds = load_credentials(ctx.paths, ctx.env)
    except Exception as exc:  # a broken file: say so, whatever its kind
        return CheckResult("retake.tv credentials", False, str(exc), getattr(exc, "fix", None))
    if creds is None or creds.access_token is None:
        return CheckResult(
            "retake.tv credentials",
            False,
            f"none (no RETAKE_ACCESS_TOKEN, nothing in {ctx.paths.retake_credentials})",
            "Register once with `studio retake register`, or set RETAKE_ACCESS_TOKEN. "
            "Needed only to stream on retake.tv.",
            required=False,
        )
    source = "RETAKE_ACCESS_TOKEN" if creds.token_from_env else str(ctx.paths.retake_credentials)
    who = f" for {creds.agent_name}" if creds.agent_name else ""
    return CheckResult("retake.tv credentials", True, f"access token{who} from {source}")


def _verified(answer: Any) -> bool:
    if isinstance(answer, bool):
        return answer
    return bool(getattr(answer, "verified", False))


async def check_verification(ctx: DoctorContext) -> CheckResult:
    name = "retake.tv verification"
    if ctx.offline:
        return CheckResult(name, True, "skipped (--offline)", skipped=True)
    try:
        from studio.platforms.retake import RetakeClient
        from studio.platforms.retake_credentials import load_credentials

        creds = load_credentials(ctx.paths, ctx.env)
    except Exception:
        return CheckResult(name, True, "skipped (no retake.tv client or credentials)", skipped=True)
    if creds is None or creds.access_token is None:
        return CheckResult(name, True, "skipped (no credentials)", skipped=True)
    try:
        token = creds.token_for(ctx.urls.retake)
        async with RetakeClient(ctx.urls.retake, access_token=token) as client:
            answer = await client.verification_status()
    except Exception as exc:
        return CheckResult(
            name,
            False,
            redact(str(getattr(exc, "message", exc))),
            getattr(exc, "fix", None) or "Check the network, or run `studio doctor --offline`.",
        )
    if not _verified(answer):
        return CheckResult(
            name,
            False,
            "the agent is not verified yet, so retake.tv will not let it stream",
            "Post the verification message as the document says, then `studio retake verify`.",
        )
    return CheckResult(name, True, "verified")


async def check_platform_urls(ctx: DoctorContext) -> CheckResult:
    urls = {"retake.tv": ctx.urls.retake, "ClawCast": ctx.urls.clawcast, "baseFM": ctx.urls.basefm}
    problems = [f"{name} {url} {p}" for name, url in urls.items() if (p := origin_problem(url))]
    detail = ", ".join(f"{name} {url}" for name, url in urls.items())
    if problems:
        return CheckResult(
            "platform URLs",
            False,
            "; ".join(problems),
            "Fix STUDIO_RETAKE_URL / STUDIO_CLAWCAST_URL / STUDIO_BASEFM_URL (https, or http on loopback for the sandbox).",
        )
    return CheckResult("platform URLs", True, detail)


CHECKS: list[Check] = [
    check_xvfb,
    check_xterm,
    check_ffmpeg,
    check_fonts,
    check_display,
    check_sound,
    check_rtmp_receiver,
    check_platform_urls,
    check_credentials,
    check_verification,
]


async def run_checks(
    ctx: DoctorContext | None = None, checks: list[Check] | None = None
) -> list[CheckResult]:
    """Every check in order; a check that crashes is reported as a failure, not raised."""
    ctx = ctx or DoctorContext()
    results: list[CheckResult] = []
    for check in checks or CHECKS:
        try:
            results.append(await check(ctx))
        except Exception as exc:  # a doctor must finish its round
            name = check.__name__.removeprefix("check_")
            results.append(
                CheckResult(name, False, f"the check itself failed: {redact(str(exc))}", INSTALL)
            )
    return results


def all_required_ok(results: list[CheckResult]) -> bool:
    return all(r.ok or not r.required for r in results)
