"""Builds a ready-to-run ``GoLive`` from a ``Plan``: clients, legs, operator, pipeline,
kiosk link and journal, all from the environment's configuration."""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from studio.broadcast.destinations import Destination
from studio.config import Paths, PlatformUrls
from studio.errors import StudioError
from studio.events import EventBus
from studio.golive.events import Notice
from studio.golive.kiosk_feed import KioskFeed
from studio.golive.leg import Leg, LegContext, Timing
from studio.golive.operator import Operator
from studio.golive.plan import Plan
from studio.golive.sequence import GoLive
from studio.journal import Journal
from studio.onair.client import KioskLink
from studio.secure_file import private_dir

FIRST_PICTURE_WAIT = 20.0
"""Seconds a thumbnail waits for the kiosk's first frame (a cold start under load)."""


def kiosk_command(
    socket_path: Path,
    log: Path,
    *,
    name: str = "",
    title: str = "",
    platforms: Sequence[str] = (),
    link: str = "",
) -> list[str]:
    """The kiosk, started with what its opening card shows (no secret among them)."""
    command = [sys.executable, "-m", "studio", "kiosk", "run", "--socket", str(socket_path)]
    command += ["--log", str(log), "--name", name, "--title", title, "--link", link]
    command += ["--await-secrets"]
    for platform in platforms:
        command += ["--platform", platform]
    return command


def build(
    plan: Plan,
    *,
    bus: EventBus,
    operator: Operator,
    urls: PlatformUrls | None = None,
    paths: Paths | None = None,
    timing: Timing | None = None,
    transport: Any = None,
    resume_session: int | None = None,
    pipeline_factory: Callable[..., Any] | None = None,
) -> GoLive:
    urls = urls or PlatformUrls.from_env()
    paths = paths or Paths.from_env()
    loose = private_dir(paths.state_dir)
    if loose is not None:
        bus.publish(
            Notice(
                platform="studio",
                level="warning",
                text=f"The state folder {paths.state_dir} was open to other users "
                f"(mode {loose:03o}); it is now 0700, as it holds session tokens.",
            )
        )
    plan.log.touch(exist_ok=True)
    # a private folder of its own: short enough for a Unix socket path (107 bytes)
    socket_path = Path(tempfile.mkdtemp(prefix="studio-kiosk-")) / "kiosk.sock"
    kiosk = KioskLink(socket_path) if plan.kiosk else None
    ctx = LegContext(
        bus=bus,
        operator=operator,
        timing=timing or Timing(thumbnail_every=plan.thumbnail_every),
        kiosk=kiosk,
    )
    legs: list[Leg] = []
    retake_leg: Any = None
    if plan.retake:
        retake_leg = _retake_leg(ctx, plan, urls, paths, transport)
        legs.append(retake_leg)
    if plan.basefm:
        legs.append(_basefm_leg(ctx, plan, urls, paths, transport))
    if plan.clawcast:
        legs.append(_clawcast_leg(ctx, plan, urls, paths, transport, retake_leg))
    extras = [Destination(name=f"rtmp-{i + 1}", url=url) for i, url in enumerate(plan.rtmp)]

    def agent_and_link() -> tuple[str, str]:
        """Read when the broadcast starts: a retake.tv agent registers while preparing."""
        agent = plan.clawcast_name or plan.basefm_name or ""
        if retake_leg is not None:
            return retake_leg.agent_name or agent, retake_leg.watch_url
        return agent, plan.clawcast_url or ""

    # The kiosk masks what it cannot recognise by shape: every --rtmp URL and its key.
    ctx.protect(*(secret for extra in extras for secret in (extra.url, extra.key)))
    _add_playbook(ctx, plan, retake_leg)

    def default_pipeline(
        destinations: list[Destination], refresh_all: Any, refresh_one: Any
    ) -> Any:
        from studio.broadcast.pipeline import BroadcastPipeline
        from studio.broadcast.terminal import on_air_grid

        agent, link = agent_and_link()
        command = (
            kiosk_command(
                socket_path,
                plan.log,
                name=agent,
                title=plan.title or "",
                platforms=plan.platforms,
                link=link,
            )
            if plan.kiosk
            else ["tail", "-F", str(plan.log)]
        )
        pipeline = BroadcastPipeline(
            destinations,
            command,
            bus=bus,
            refresh_destinations=refresh_all,
            refresh_destination=refresh_one,
            on_air_grid=on_air_grid(plan.grid),
            x264=plan.x264,
        )
        if pipeline.sound is not None:
            from studio.golive.audio_setup import audio_desk

            golive.audio = audio_desk(plan, pipeline.sound, bus)
        return pipeline

    journal = Journal(paths.journal)
    golive = GoLive(
        ctx,
        legs,
        pipeline_factory=pipeline_factory or default_pipeline,
        extra_destinations=extras,
        duration=plan.duration,
        journal=journal,
        resume_session=resume_session,
        all_or_nothing=plan.all_or_nothing,
    )

    drawn = False

    async def thumbnail() -> bytes:
        """What is on air (the opening card until the agent writes) under a title band."""
        from studio.broadcast.thumbnails import (
            TitleBand,
            band_jpeg,
            capture,
            changed_share,
            is_empty_frame,
        )

        pipeline = golive.pipeline
        if pipeline is None or not pipeline.display_name:
            raise StudioError(
                "there is no display to take a thumbnail of", fix="Start the broadcast first."
            )
        nonlocal drawn
        picture = await asyncio.to_thread(capture, pipeline.display_name)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + FIRST_PICTURE_WAIT
        while not drawn and loop.time() < deadline:
            # The kiosk may still be starting: wait for its first settled frame (drawn,
            # and the same half a second later but for the pulse), never sell an empty one.
            await asyncio.sleep(0.5)
            previous = picture
            picture = await asyncio.to_thread(capture, pipeline.display_name)
            drawn = not is_empty_frame(picture) and changed_share(previous, picture) < 0.01
        band = TitleBand(agent_and_link()[0], plan.title or "")
        return await asyncio.to_thread(band_jpeg, picture, band)

    kept = 0

    def keep_thumbnail(data: bytes) -> Path:
        """Each uploaded thumbnail, in the journal's folder, one folder a session."""
        from studio.broadcast.thumbnails import keep

        nonlocal kept
        kept += 1
        folder = paths.journal.parent / "thumbnails" / f"session-{ctx.session_id or 0}"
        return keep(data, folder, kept)

    ctx.thumbnail = thumbnail
    ctx.keep_thumbnail = keep_thumbnail
    if kiosk is not None:
        golive.detach_kiosk = bus.add_listener(KioskFeed(kiosk, captions=plan.captions))
    return golive


def _add_playbook(ctx: LegContext, plan: Plan, retake_leg: Any) -> None:
    """The builder's notifications and, with retake.tv's chat, the dead-air watch: bus
    listeners on the studio's clock."""
    from studio.golive.dead_air import DeadAirSettings, DeadAirWatch, load_rotation
    from studio.golive.playbook import Playbook, PlaybookSettings

    settings = PlaybookSettings(
        heartbeat_every=plan.heartbeat_hours * 3600,
        low_viewers=plan.low_viewers,
        large_tip=plan.large_tip,
    )
    ctx.bus.add_listener(Playbook(ctx, settings, platforms=plan.platforms))
    if retake_leg is None:
        return
    lines = load_rotation(plan.dead_air_lines) if plan.dead_air_lines else ()

    async def send(text: str) -> Any:
        return await retake_leg.client.chat_send(text, retake_leg.user_db_id)

    watch = DeadAirWatch(
        ctx,
        DeadAirSettings(quiet_after=plan.quiet_after, lines=lines, min_gap=plan.dead_air_every),
        send=send,
    )
    ctx.bus.add_listener(watch)


def _retake_leg(
    ctx: LegContext, plan: Plan, urls: PlatformUrls, paths: Paths, transport: Any
) -> Leg:
    from studio.golive.chat_bridge import chat_feed
    from studio.golive.retake_leg import RetakeLeg
    from studio.platforms.retake import RetakeClient
    from studio.platforms.retake_credentials import RetakeCredentials, load_credentials
    from studio.platforms.retake_jwt import load_privy_jwt

    # no credentials: the leg asks the operator to register while preparing
    creds = load_credentials(paths) or RetakeCredentials()
    token = creds.token_for(urls.retake)
    client = RetakeClient(urls.retake, access_token=token, transport=transport)
    try:  # the account's JWT is not needed to go live, but is masked on air if it exists
        jwt = load_privy_jwt(paths)
    except StudioError:
        jwt = None
    return RetakeLeg(
        ctx,
        client,
        creds,
        paths=paths,
        opening_message=plan.opening_message,
        skill_cache=paths.state_dir / "retake-skill",
        chat_feed=chat_feed(ctx.timing),
        account_secrets=[jwt.reveal()] if jwt is not None else [],
        avatar_transport=transport,
    )


def _basefm_leg(
    ctx: LegContext, plan: Plan, urls: PlatformUrls, paths: Paths, transport: Any
) -> Leg:
    from studio.golive.basefm_leg import BasefmLeg
    from studio.platforms.basefm import BasefmClient
    from studio.session_store import SessionStore

    client = BasefmClient(urls.basefm, transport=transport, store=SessionStore(paths.sessions_file))
    assert plan.basefm_wallet is not None
    return BasefmLeg(
        ctx,
        client,
        wallet=plan.basefm_wallet,
        name=plan.basefm_name,
        city=plan.basefm_city,
        tx_hash=plan.tx_hash,
    )


def _clawcast_leg(
    ctx: LegContext, plan: Plan, urls: PlatformUrls, paths: Paths, transport: Any, retake_leg: Any
) -> Leg:
    import os

    from studio.golive.clawcast_leg import ClawcastLeg
    from studio.platforms.clawcast import ClawcastClient
    from studio.session_store import SessionStore

    def streamer() -> tuple[str | None, str | None]:
        """The name and link to book with; read again when ClawCast books, after a
        retake.tv agent has registered while preparing."""
        if retake_leg is None:
            return plan.clawcast_name, plan.clawcast_url
        return (
            plan.clawcast_name or retake_leg.agent_name or None,
            plan.clawcast_url or retake_leg.watch_url,
        )

    registering = retake_leg is not None and not retake_leg.client.has_token
    name, url = streamer()
    if not registering and (not name or not url):
        raise StudioError(
            "ClawCast needs a streamer name and a link",
            fix="Pass --clawcast-name and --clawcast-url (or go live on retake.tv too, whose name and link are used).",
        )
    client = ClawcastClient(
        urls.clawcast,
        api_key=os.environ.get("CLAWCAST_API_KEY") or None,
        transport=transport,
        store=SessionStore(paths.sessions_file),
    )
    return ClawcastLeg(
        ctx,
        client,
        streamer=streamer,
        duration_minutes=plan.clawcast_minutes,
        slides=plan.slides,
        mirror=plan.log,
    )


async def close_kiosk_link(golive: GoLive) -> None:
    """Close the link to the kiosk and remove its private socket folder."""
    golive.detach_kiosk()
    link = golive.ctx.kiosk
    if link is not None:
        await link.close()
        shutil.rmtree(link.socket_path.parent, ignore_errors=True)
