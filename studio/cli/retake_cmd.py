"""``studio retake``: register the agent, verify it on Twitter/X, show its status.

The access token is never printed: the commands say where it came from
(RETAKE_ACCESS_TOKEN or the credentials file), not what it is.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from studio.config import Paths, PlatformUrls
from studio.errors import StudioError, ValidationFailed
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_credentials import (
    credentials_from_registration,
    load_credentials,
    require_credentials,
    save_credentials,
)
from studio.validation import check
from studio.validation.retake import (
    RegisterRequest,
    VerifyRequest,
    check_avatar,
    check_square_image,
)

T = TypeVar("T")


def _run(work: Callable[[], Coroutine[Any, Any, T]]) -> T:
    return asyncio.run(work())


def _stream_url(origin: str, name: str | None) -> str:
    return f"{origin.rstrip('/')}/{name or '<YourAgentName>'}"


def _check_image(image_url: str, image_file: Path | None) -> str:
    """Check squareness on a local copy, or on the fetched image when it can be fetched."""
    if image_file is not None:
        size = check_square_image(image_file.read_bytes(), what="image_file")
        return f"image is square ({size[0]}x{size[1]})"
    return asyncio.run(check_avatar(image_url))


@click.group()
def retake() -> None:
    """retake.tv: register and verify the agent, its status, and the account behind it
    (profile, following, sessions, socket messages) with a Privy user JWT."""


@retake.command()
@click.option(
    "--name", "agent_name", required=True, help="Unique agent name; also your stream URL path."
)
@click.option(
    "--description", "agent_description", required=True, help="Short bio for your profile."
)
@click.option("--image-url", required=True, help="Public https URL of a square .jpg/.png avatar.")
@click.option("--wallet", "wallet_address", required=True, help="Solana base58 public key.")
@click.option("--ticker", required=True, help="Token symbol, 1-10 letters or digits.")
@click.option(
    "--image-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A local copy of the avatar, to check it is square without fetching the URL.",
)
@click.option(
    "--skip-image-check", is_flag=True, help="Do not fetch image_url to check it is square."
)
@click.option("--force", is_flag=True, help="Register even though credentials already exist.")
def register(
    agent_name: str,
    agent_description: str,
    image_url: str,
    wallet_address: str,
    ticker: str,
    image_file: Path | None,
    skip_image_check: bool,
    force: bool,
) -> None:
    """Create the agent account (once) and save its credentials (0600)."""
    paths = Paths.from_env()
    body = check(
        RegisterRequest,
        {
            "agent_name": agent_name,
            "agent_description": agent_description,
            "image_url": image_url,
            "wallet_address": wallet_address,
            "ticker": ticker,
        },
        what="retake.tv registration",
    )
    existing = load_credentials(paths)
    if existing and existing.access_token and not force:
        raise StudioError(
            f"retake.tv credentials already exist for agent {existing.agent_name or '(unnamed)'}",
            fix="An agent registers once; its credentials persist. Pass --force to register "
            "another agent and replace them.",
        )
    if not skip_image_check:
        click.echo(_check_image(image_url, image_file))

    async def work() -> None:
        async with RetakeClient(PlatformUrls.from_env().retake) as client:
            reply = await client.register(body)
            creds = credentials_from_registration(
                reply, agent_name=body.agent_name, ticker=body.ticker, origin=client.origin
            )
            path = save_credentials(paths, creds)
            click.echo(f"registered {body.agent_name} (userDbId {reply.user_db_id})")
            click.echo(f"credentials saved to {path} (mode 0600; never commit it)")
            click.echo(
                "next: `studio retake verify` to link a Twitter/X account (required to stream)"
            )

    _run(work)


@retake.command()
@click.option("--tweet-url", help="The URL of the tweet the human posted (asked for if missing).")
@click.option("--again", is_flag=True, help="Verify even if the agent is already verified.")
@click.option(
    "--skip-prepare",
    is_flag=True,
    help="Do not ask for a new code: the human already tweeted the message an earlier run showed.",
)
def verify(tweet_url: str | None, again: bool, skip_prepare: bool) -> None:
    """Link a Twitter/X account: show the message to tweet, then check the tweet.

    Each run asks retake.tv for a fresh code unless --skip-prepare is given with the
    URL of a tweet that holds the message an earlier run showed."""
    paths = Paths.from_env()
    require_credentials(paths)
    if tweet_url is not None:
        check(VerifyRequest, {"tweet_url": tweet_url}, what="verification")

    async def work() -> None:
        async with RetakeClient.from_env(paths) as client:
            if not again and await client.verification_status():
                click.echo("already verified; nothing to do")
                return
            if skip_prepare and tweet_url is None:
                raise StudioError(
                    "--skip-prepare needs --tweet-url", fix="Pass the URL of the tweet."
                )
            if not skip_prepare:
                prompt = await client.prepare_verify()
                click.echo("Ask the human operator to post this exact message in a tweet:")
                click.echo("")
                click.echo(f"    {prompt.verification_message}")
                click.echo("")
                click.echo("Then give the link to that tweet.")
            url = tweet_url
            for _ in range(3):
                if url is None:
                    url = click.prompt("Tweet URL (https://x.com/<user>/status/<digits>)").strip()
                try:
                    check(VerifyRequest, {"tweet_url": url}, what="verification")
                    break
                except ValidationFailed as exc:
                    click.secho(str(exc), fg="red", err=True)
                    url = None
            else:
                raise StudioError(
                    "no valid tweet URL was given",
                    fix="Run `studio retake verify --tweet-url <url>`.",
                )
            result = await client.verify(url)
            if result.verified:
                click.echo("verified: the agent can stream and its token can be created")
            else:
                raise StudioError(
                    "retake.tv did not verify the agent",
                    fix="Ask the human to post the exact message, then run this again.",
                )

    _run(work)


@retake.command()
def status() -> None:
    """Verification and stream status (the token is never shown)."""
    paths = Paths.from_env()
    creds = require_credentials(paths)

    async def work() -> None:
        async with RetakeClient.from_env(paths) as client:
            verified = await client.verification_status()
            stream = await client.stream_status()
            source = (
                "RETAKE_ACCESS_TOKEN" if creds.token_from_env else str(paths.retake_credentials)
            )
            click.echo(f"retake.tv at {client.origin}")
            click.echo(
                f"  agent: {creds.agent_name or '?'} (userDbId {stream.user_db_id or creds.user_db_id or '?'})"
            )
            click.echo(f"  token from: {source}")
            click.echo(f"  verified: {'yes' if verified else 'no (run `studio retake verify`)'}")
            if stream.is_live:
                click.echo(
                    f"  live: yes, {stream.viewers} viewers, up {stream.uptime_seconds // 60} min "
                    f"{stream.uptime_seconds % 60} s"
                )
            else:
                click.echo("  live: no")
            click.echo(
                f"  token address: {stream.token_address or creds.token_address or '(created on first stream)'}"
            )
            click.echo(f"  stream URL: {_stream_url(client.origin, creds.agent_name)}")

    _run(work)


@retake.command()
def skill() -> None:
    """Compare retake.tv's skill.json with the cached version (re-fetch skill.md if changed)."""
    paths = Paths.from_env()

    async def work() -> None:
        async with RetakeClient(PlatformUrls.from_env().retake) as client:
            result = await client.check_skill_version(cache_dir=paths.state_dir)
            if result.changed:
                click.echo(
                    f"skill version {result.version} (cached: {result.cached or 'none'}); "
                    f"skill.md re-fetched into {paths.state_dir}"
                )
            else:
                click.echo(f"skill version {result.version}: unchanged")

    _run(work)


def _add_account_commands() -> None:
    from studio.cli.retake_account_cmd import COMMANDS

    for command in COMMANDS:
        retake.add_command(command)


_add_account_commands()
