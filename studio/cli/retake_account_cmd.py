"""``studio retake profile|following|follow|unfollow|session|message|jwt``: the account
behind the agent (retake.tv section 6) and the socket ``message``, with the Privy user
JWT from RETAKE_PRIVY_JWT or its 0600 file. Neither the JWT nor the access token is
ever printed. Every value is validated before anything is sent."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click

from studio.config import Paths, PlatformUrls
from studio.errors import Problem, StudioError, ValidationFailed
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_account import RetakeAccount, active_session_id, follow_target
from studio.platforms.retake_account_models import OwnedSession, Profile
from studio.platforms.retake_credentials import load_credentials
from studio.platforms.retake_jwt import (
    ENV_JWT,
    PrivyJwt,
    jwt_file,
    load_privy_jwt,
    require_privy_jwt,
    save_privy_jwt,
)
from studio.validation import check
from studio.validation.retake import (
    BannerRequest,
    BioRequest,
    SessionStartRequest,
    SessionUpdateRequest,
    SocketMessage,
    TokenNameRequest,
    UsernameRequest,
    check_image_upload,
)

T = TypeVar("T")


def _run(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(work())


def _account() -> RetakeAccount:
    return RetakeAccount.from_env(Paths.from_env())


def _read_image(path: Path | None, what: str) -> bytes | None:
    if path is None:
        return None
    data = path.read_bytes()
    check_image_upload(data, what=what)
    return data


def _show_profile(profile: Profile) -> None:
    click.echo(f"{profile.username or '?'} (user_id {profile.user_id or '?'})")
    rows = [
        ("bio", profile.bio),
        ("token name", profile.token_name),
        ("ticker", profile.ticker),
        ("token address", profile.token_address),
        ("profile picture", profile.profile_picture_url),
        ("banner", profile.banner_url),
        ("followers", profile.followers),
        ("following", profile.following),
    ]
    for label, value in rows:
        if value not in (None, ""):
            click.echo(f"  {label}: {value}")


def _show_session(session: OwnedSession, verb: str) -> None:
    tags = ", ".join(session.tags) or "none"
    click.echo(
        f"{verb} session {session.session_id}: {session.title or '?'} "
        f"[{session.category or '?'}] tags: {tags}"
    )
    if session.ended_at:
        click.echo(f"  ended at {session.ended_at}")


# -- profile ---------------------------------------------------------------------------


@click.command()
@click.option("--bio", help="New bio (at most 500 characters).")
@click.option("--username", help="New username; also the stream URL path.")
@click.option(
    "--picture",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="New profile picture (JPEG or PNG).",
)
@click.option(
    "--banner",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="New banner image (JPEG or PNG).",
)
@click.option("--banner-url", help="The banner's url field (https).")
@click.option("--token-name", help="Custom token display name (1-32 characters).")
def profile(
    bio: str | None,
    username: str | None,
    picture: Path | None,
    banner: Path | None,
    banner_url: str | None,
    token_name: str | None,
) -> None:
    """Show the account's profile, or change it: every change is validated first, and
    nothing is sent unless all of them are valid."""
    problems: list[Problem] = []

    def valid(model: Any, data: dict[str, Any], what: str, flag: str) -> None:
        try:
            check(model, data, what=what)
        except ValidationFailed as exc:
            problems.extend(Problem(flag, p.rule) for p in exc.problems)

    if bio is not None:
        valid(BioRequest, {"bio": bio}, "bio", "--bio")
    if username is not None:
        valid(UsernameRequest, {"username": username}, "username", "--username")
    if token_name is not None:
        valid(TokenNameRequest, {"token_name": token_name}, "token name", "--token-name")
    if banner_url is not None:
        valid(BannerRequest, {"url": banner_url, "has_image": True}, "banner", "--banner-url")
    images: dict[str, bytes | None] = {}
    for flag, path in (("--picture", picture), ("--banner", banner)):
        try:
            images[flag] = _read_image(path, flag)
        except ValidationFailed as exc:
            problems.extend(exc.problems)
    if problems:
        raise ValidationFailed(problems, what="profile change")
    paths = Paths.from_env()

    async def work() -> None:
        async with _account() as account:
            changed = None
            if bio is not None:
                changed = await account.set_bio(bio)
                click.echo("bio updated")
            if username is not None:
                changed = await account.set_username(username)
                click.echo(
                    f"username is now {changed.username}: the stream URL is "
                    f"{account.origin}/{changed.username}"
                )
                creds = load_credentials(paths)
                if creds is not None and creds.agent_name and creds.agent_name != username:
                    click.echo(
                        f"  note: {paths.retake_credentials} still names the agent "
                        f"{creds.agent_name}; update agent_name there for the stream link"
                    )
            if images["--picture"] is not None:
                changed = await account.set_profile_picture(images["--picture"])
                click.echo("profile picture updated")
            if images["--banner"] is not None or banner_url is not None:
                changed = await account.set_banner(images["--banner"], banner_url)
                click.echo("banner updated")
            if token_name is not None:
                changed = await account.set_token_name(token_name)
                click.echo("token name updated")
            _show_profile(await account.me() if changed is None else changed)

    _run(work)


# -- following -------------------------------------------------------------------------


async def _target_id(target: str) -> tuple[str, str | None]:
    async with RetakeClient(PlatformUrls.from_env().retake) as public:
        return await follow_target(public, target)


@click.command()
@click.argument("username", required=False)
def following(username: str | None) -> None:
    """List the agents the account follows, or check one USERNAME."""

    async def work() -> None:
        async with _account() as account:
            if username is not None:
                yes = await account.is_following(username)
                click.echo(f"{'following' if yes else 'not following'} {username}")
                return
            rows = await account.following()
            if not rows:
                click.echo("following nobody yet")
            for row in rows:
                click.echo(f"{row.username or '?'} (user_id {row.user_id or '?'})")

    _run(work)


@click.command()
@click.argument("target")
def follow(target: str) -> None:
    """Follow TARGET (a username or a userDbId)."""

    async def work() -> None:
        target_id, name = await _target_id(target)
        async with _account() as account:
            state = await account.follow(target_id)
        click.echo(f"{'following' if state.following else 'not following'} {name or target_id}")

    _run(work)


@click.command()
@click.argument("target")
def unfollow(target: str) -> None:
    """Stop following TARGET (a username or a userDbId)."""

    async def work() -> None:
        target_id, name = await _target_id(target)
        async with _account() as account:
            state = await account.unfollow(target_id)
        click.echo(f"{'following' if state.following else 'not following'} {name or target_id}")

    _run(work)


# -- session-owner controls ----------------------------------------------------------------


async def _current_session(account: RetakeAccount) -> str:
    async with RetakeClient(account.origin) as public:
        return await active_session_id(account, public)


@click.group()
def session() -> None:
    """The session-owner controls: start, end, update, delete, muted users."""


@session.command("start")
@click.option("--title", required=True, help="1-140 characters.")
@click.option("--category", required=True, help="1-50 characters.")
@click.option("--tag", "tags", multiple=True, help="A tag (1-30 characters); repeat, up to 10.")
def session_start(title: str, category: str, tags: tuple[str, ...]) -> None:
    """Create a session with a title, a category and tags."""
    check(
        SessionStartRequest,
        {"title": title, "category": category, "tags": list(tags)},
        what="session",
    )

    async def work() -> None:
        async with _account() as account:
            _show_session(await account.start_session(title, category, tags), "started")

    _run(work)


@session.command("end")
@click.argument("session_id", required=False)
def session_end(session_id: str | None) -> None:
    """End SESSION_ID (default: the account's active session)."""

    async def work() -> None:
        async with _account() as account:
            sid = session_id or await _current_session(account)
            _show_session(await account.end_session(sid), "ended")

    _run(work)


@session.command("update")
@click.argument("session_id", required=False)
@click.option("--title", help="1-140 characters.")
@click.option("--category", help="1-50 characters.")
@click.option("--tag", "tags", multiple=True, help="Replace the tags; repeat, up to 10.")
def session_update(
    session_id: str | None, title: str | None, category: str | None, tags: tuple[str, ...]
) -> None:
    """Change a session's title, category or tags (default: the active session)."""
    new_tags = list(tags) if tags else None
    check(
        SessionUpdateRequest,
        {"title": title, "category": category, "tags": new_tags},
        what="session update",
    )

    async def work() -> None:
        async with _account() as account:
            sid = session_id or await _current_session(account)
            updated = await account.update_session(
                sid, title=title, category=category, tags=new_tags
            )
            _show_session(updated, "updated")

    _run(work)


@session.command("delete")
@click.argument("session_id")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def session_delete(session_id: str, yes: bool) -> None:
    """Delete SESSION_ID (its record and recording listing)."""
    if not yes:
        click.confirm(f"Delete session {session_id}?", abort=True)

    async def work() -> None:
        async with _account() as account:
            deleted = await account.delete_session(session_id)
        click.echo(f"deleted session {deleted.session_id}")

    _run(work)


@session.command("muted")
@click.argument("session_id", required=False)
def session_muted(session_id: str | None) -> None:
    """List the users muted in SESSION_ID (default: the active session)."""

    async def work() -> None:
        async with _account() as account:
            sid = session_id or await _current_session(account)
            rows = await account.muted_users(sid)
        if not rows:
            click.echo(f"nobody is muted in {sid}")
        for row in rows:
            click.echo(
                f"{row.username or '?'} (user_id {row.user_id or '?'}) since {row.muted_at or '?'}"
            )

    _run(work)


# -- the socket message --------------------------------------------------------------------


@click.command()
@click.argument("text", required=False)
@click.option("--to", "streamer", help="The streamer (username or userDbId); default: this agent.")
@click.option("--tip", type=float, help="Send a tip of this amount to the streamer.")
@click.option("--buy", type=float, help="Buy the streamer's token for this amount.")
@click.option("--sell", type=float, help="Sell the streamer's token for this amount.")
@click.option("--tx-hash", help="The transaction hash of the tip or trade, if any.")
def message(
    text: str | None,
    streamer: str | None,
    tip: float | None,
    buy: float | None,
    sell: float | None,
    tx_hash: str | None,
) -> None:
    """Send TEXT, a tip or a trade as the Socket.IO message, signed with the Privy JWT."""
    if sum(x is not None for x in (tip, buy, sell)) > 1:
        raise ValidationFailed([Problem("--tip/--buy/--sell", "give at most one")], what="message")
    paths = Paths.from_env()
    jwt = require_privy_jwt(paths)

    async def work() -> None:
        origin = PlatformUrls.from_env().retake
        async with RetakeAccount(origin, jwt=jwt) as account:
            me = await account.me()
        creds = load_credentials(paths)
        target = streamer or (creds.user_db_id if creds else None) or me.user_id
        if not target:
            raise StudioError("no streamer to send to", fix="Pass --to <username>.")
        async with RetakeClient(origin) as public:
            found = await public.streamer(target)
        if found.session is None or not found.session.session_id:
            raise StudioError(
                f"{found.username or target} is not live: there is no session to send to",
                fix="Wait until the stream is live (retake.tv answers 409 otherwise).",
            )
        payload: dict[str, Any] = {
            "type": "message",
            "session_id": found.session.session_id,
            "streamer_id": found.streamer_id or target,
            "sender_username": me.username or "",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        if text is not None:
            payload["text"] = text
        if tip is not None:
            payload["type"] = "tip"
            payload["tip_data"] = {"receiver_id": payload["streamer_id"], "amount": tip}
            if tx_hash:
                payload["tip_data"]["tx_hash"] = tx_hash
        elif buy is not None or sell is not None:
            payload["type"] = "trade"
            payload["trade_data"] = {
                "amount": buy if buy is not None else sell,
                "type": "buy" if buy is not None else "sell",
            }
            if tx_hash:
                payload["trade_data"]["tx_hash"] = tx_hash
        check(SocketMessage, payload, what="message")
        from studio.platforms.retake_socket_message import send_socket_message  # socketio: slow

        ack = await send_socket_message(origin, jwt, payload)
        kind = payload["type"] if payload["type"] != "message" else "chat message"
        click.echo(
            f"{kind} sent to {found.username or target}" + (f" (id {ack.id})" if ack.id else "")
        )

    _run(work)


# -- another agent's rooms: joinRoom and leaveRoom -------------------------------------------

WATCHED = ("retake.chat", "retake.tip", "retake.trade", "retake.follow", "retake.session_started")


@click.command()
@click.argument("target")
@click.option(
    "--count",
    type=click.IntRange(min=1),
    help="Leave after this many chat messages, tips, trades, follows and go-lives.",
)
@click.option(
    "--seconds", type=click.FloatRange(min=0, min_open=True), help="Leave after this long."
)
def watch(target: str, count: int | None, seconds: float | None) -> None:
    """Join TARGET's rooms (joinRoom, TARGET a username or userDbId) and print its chat,
    tips, trades, follows and go-lives as JSON lines, viewer text cleaned; then leave
    them (leaveRoom) after --count events, after --seconds, or on Ctrl-C or SIGTERM.
    Reads chat history with this agent's access token when there is one."""
    import signal

    from studio.platforms.retake_live import RetakeLive

    paths = Paths.from_env()

    async def work() -> None:
        async with RetakeClient.from_env(paths) as client:
            found = await client.streamer(target)
            user_db_id = found.streamer_id or target
            done = asyncio.Event()
            seen = 0

            def on_event(event: Any) -> None:
                nonlocal seen
                if event.kind in WATCHED or event.kind == "retake.feed":
                    click.echo(event.to_json())
                if event.kind in WATCHED:
                    seen += 1
                    if count is not None and seen >= count:
                        done.set()

            live = RetakeLive(client, user_db_id, on_event)
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, done.set)
            await live.start()
            try:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), seconds)
            finally:
                for room in list(live.rooms):
                    await live.leave(room)
                await live.stop()

    _run(work)


# -- the JWT itself --------------------------------------------------------------------------


@click.group()
def jwt() -> None:
    """The Privy user JWT: save it (0600) or see where it comes from."""


@jwt.command("save")
def jwt_save() -> None:
    """Read the JWT on standard input (never as an argument) and keep it 0600."""
    value = sys.stdin.readline().strip()
    if not value:
        raise ValidationFailed([Problem("stdin", "must hold the JWT")], what="Privy JWT")
    path = save_privy_jwt(Paths.from_env(), PrivyJwt(value))
    click.echo(f"Privy JWT saved to {path} (mode 0600; never commit it)")


@jwt.command("status")
def jwt_status() -> None:
    """Where the JWT comes from and when it expires (never the JWT itself)."""
    import os

    paths = Paths.from_env()
    found = load_privy_jwt(paths)
    if found is None:
        click.echo(f"no Privy JWT: set {ENV_JWT} or run `studio retake jwt save`")
        return
    source = ENV_JWT if os.environ.get(ENV_JWT) else str(jwt_file(paths))
    click.echo(f"Privy JWT from {source}")
    if found.expires_at is not None:
        when = datetime.fromtimestamp(found.expires_at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        click.echo(f"  expires {when}")


COMMANDS: list[click.Command] = [
    profile,
    following,
    follow,
    unfollow,
    session,
    message,
    watch,
    jwt,
]
