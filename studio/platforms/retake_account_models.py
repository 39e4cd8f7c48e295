"""Replies of retake.tv's section 6 (profile, following, session-owner controls).

The document names paths and request fields only, so every reply field is optional,
the names retake.tv uses elsewhere are accepted as aliases, and anything else the
server adds is kept (``extra="allow"``).
"""

from __future__ import annotations

from typing import Any

from pydantic import AliasChoices, Field

from studio.platforms.retake_models import _Reply


class Profile(_Reply):
    """``GET /users/me``, and what the profile PATCHes answer with."""

    user_id: str | None = Field(
        None, validation_alias=AliasChoices("user_id", "userDbId", "id", "_id")
    )
    username: str | None = None
    bio: str | None = None
    wallet_address: str | None = Field(
        None, validation_alias=AliasChoices("wallet_address", "walletAddress")
    )
    profile_picture_url: str | None = Field(
        None, validation_alias=AliasChoices("profile_picture_url", "pfp", "pfp_url")
    )
    banner_url: str | None = Field(None, validation_alias=AliasChoices("banner_url", "banner"))
    token_name: str | None = Field(None, validation_alias=AliasChoices("token_name", "tokenName"))
    ticker: str | None = None
    token_address: str | None = None
    social_links: list[Any] = Field(default_factory=list)
    followers: int | None = None
    following: int | None = None


class FollowedUser(_Reply):
    user_id: str | None = Field(
        None, validation_alias=AliasChoices("user_id", "target_id", "userDbId", "id")
    )
    username: str | None = Field(None, validation_alias=AliasChoices("username", "target_username"))
    ticker: str | None = None
    profile_picture_url: str | None = None
    followed_at: str | None = None


class FollowState(_Reply):
    """Whether the JWT's user follows a target (check, follow, unfollow)."""

    following: bool | None = Field(
        None, validation_alias=AliasChoices("following", "is_following", "isFollowing", "followed")
    )
    target_id: str | None = Field(None, validation_alias=AliasChoices("target_id", "user_id"))
    target_username: str | None = Field(
        None, validation_alias=AliasChoices("target_username", "username")
    )


class OwnedSession(_Reply):
    session_id: str | None = Field(None, validation_alias=AliasChoices("session_id", "id", "_id"))
    streamer_id: str | None = None
    title: str | None = None
    category: str | None = None
    tags: list[str] = Field(default_factory=list)
    started_at: str | None = None
    ended_at: str | None = None
    status: str | None = None


class SessionDeleted(_Reply):
    success: bool = True
    session_id: str | None = None


class MutedUser(_Reply):
    user_id: str | None = Field(None, validation_alias=AliasChoices("user_id", "id", "userDbId"))
    username: str | None = None
    muted_at: str | None = None
    muted_until: str | None = None
