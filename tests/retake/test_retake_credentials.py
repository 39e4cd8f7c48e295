"""The credentials file: 0600 from the first byte, atomic, env token first."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from studio.config import ConfigProblem, Paths, PlatformUrls
from studio.platforms.retake import RetakeClient
from studio.platforms.retake_credentials import (
    CredentialsProblem,
    RetakeCredentials,
    load_credentials,
    require_credentials,
    save_credentials,
    update_token_info,
)
from studio.redaction import reveal

FILE_TOKEN = "rtk_fromthefile123"
ENV_TOKEN = "rtk_fromtheenv4567"


def creds(**overrides: object) -> RetakeCredentials:
    data: dict[str, object] = {
        "access_token": FILE_TOKEN,
        "agent_name": "Studio_Bot",
        "agent_id": "agent_1",
        "userDbId": "user_1",
        "wallet_address": "W",
        "ticker": "STUDIO",
    }
    data.update(overrides)
    return RetakeCredentials.model_validate(data)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_default_path_is_the_documented_one(isolated_env: Path) -> None:
    assert (
        Paths.from_env().retake_credentials
        == isolated_env / ".config" / "retake" / "credentials.json"
    )


def test_save_writes_the_documented_shape_0600(isolated_env: Path) -> None:
    paths = Paths.from_env()
    path = save_credentials(paths, creds())
    assert mode(path) == 0o600
    assert json.loads(path.read_text()) == {
        "access_token": FILE_TOKEN,
        "agent_name": "Studio_Bot",
        "agent_id": "agent_1",
        "userDbId": "user_1",
        "wallet_address": "W",
        "ticker": "STUDIO",
        "token_address": "",
        "token_ticker": "",
    }
    assert [p.name for p in path.parent.iterdir()] == ["credentials.json"]  # no temp file left


def test_save_never_exposes_the_file_even_briefly(isolated_env: Path) -> None:
    paths = Paths.from_env()
    save_credentials(paths, creds())
    os.chmod(paths.retake_credentials, 0o644)  # an old, too-open file is replaced…
    save_credentials(paths, creds(agent_name="Renamed"))
    assert mode(paths.retake_credentials) == 0o600  # …by a new inode created 0600


def test_env_token_wins_and_the_file_gives_the_rest(isolated_env: Path) -> None:
    paths = Paths.from_env()
    save_credentials(paths, creds())
    loaded = load_credentials(paths, env={"RETAKE_ACCESS_TOKEN": ENV_TOKEN})
    assert loaded is not None and loaded.access_token is not None
    assert reveal(loaded.access_token) == ENV_TOKEN and loaded.token_from_env
    assert (loaded.user_db_id, loaded.agent_name) == ("user_1", "Studio_Bot")
    from_file = load_credentials(paths, env={})
    assert from_file is not None and from_file.access_token is not None
    assert reveal(from_file.access_token) == FILE_TOKEN and not from_file.token_from_env


def test_env_only_and_nothing_at_all(isolated_env: Path) -> None:
    paths = Paths.from_env()
    assert load_credentials(paths, env={}) is None
    only_env = load_credentials(paths, env={"RETAKE_ACCESS_TOKEN": ENV_TOKEN})
    assert only_env is not None and only_env.user_db_id is None
    with pytest.raises(CredentialsProblem, match="studio retake register"):
        require_credentials(paths, env={})


def test_an_env_token_is_never_copied_into_the_file(isolated_env: Path) -> None:
    paths = Paths.from_env()
    save_credentials(paths, creds(access_token=None))
    loaded = load_credentials(paths, env={"RETAKE_ACCESS_TOKEN": ENV_TOKEN})
    assert loaded is not None
    save_credentials(paths, loaded.model_copy(update={"token_address": "Addr"}))
    text = paths.retake_credentials.read_text()
    assert ENV_TOKEN not in text and "Addr" in text


def test_a_readable_file_is_narrowed_with_a_warning(
    isolated_env: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = Paths.from_env()
    save_credentials(paths, creds())
    os.chmod(paths.retake_credentials, 0o644)
    with caplog.at_level(logging.WARNING):
        assert load_credentials(paths, env={}) is not None
    assert mode(paths.retake_credentials) == 0o600
    assert "readable by others" in caplog.text and FILE_TOKEN not in caplog.text


@pytest.mark.parametrize(
    "content,match",
    [
        ("{not json", "not valid JSON"),
        ("[1]", "not a JSON object"),
        ('{"agent_name": 5}', "wrong type"),
    ],
)
def test_a_malformed_file_says_how_to_fix_it(isolated_env: Path, content: str, match: str) -> None:
    paths = Paths.from_env()
    paths.retake_credentials.parent.mkdir(parents=True)
    paths.retake_credentials.write_text(content)
    with pytest.raises(CredentialsProblem, match=match) as info:
        load_credentials(paths, env={})
    assert info.value.fix and "register" in info.value.fix


def test_update_token_info_after_the_first_stream(isolated_env: Path) -> None:
    paths = Paths.from_env()
    save_credentials(paths, creds())
    updated = update_token_info(paths, token_address="TokenAddr111", ticker="STUDIO")
    assert (updated.token_address, updated.token_ticker) == ("TokenAddr111", "STUDIO")
    on_disk = json.loads(paths.retake_credentials.read_text())
    assert on_disk["token_address"] == "TokenAddr111" and on_disk["access_token"] == FILE_TOKEN
    assert mode(paths.retake_credentials) == 0o600


async def test_client_from_env_uses_the_loaded_token(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = Paths.from_env()
    save_credentials(paths, creds(origin="http://127.0.0.1:9"))
    monkeypatch.setenv("STUDIO_RETAKE_URL", "http://127.0.0.1:9/")
    client = RetakeClient.from_env(paths)
    assert client.origin == "http://127.0.0.1:9" and client.has_token
    assert client.credentials is not None and client.credentials.user_db_id == "user_1"
    assert FILE_TOKEN not in repr(client.credentials)
    await client.aclose()


def test_a_token_without_a_recorded_origin_is_retake_tvs(
    isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = Paths.from_env()
    save_credentials(paths, creds())  # a file written before origins were recorded
    monkeypatch.setenv("STUDIO_RETAKE_URL", "http://127.0.0.1:9")
    with pytest.raises(CredentialsProblem, match="issued by https://retake.tv") as info:
        RetakeClient.from_env(paths)
    assert info.value.fix and "Unset STUDIO_RETAKE_URL" in info.value.fix
    assert FILE_TOKEN not in str(info.value)
    monkeypatch.delenv("STUDIO_RETAKE_URL")
    assert RetakeClient.from_env(paths).has_token
    env_token = load_credentials(paths, env={"RETAKE_ACCESS_TOKEN": ENV_TOKEN})
    assert env_token is not None and env_token.issued_by == "https://retake.tv"
    with pytest.raises(CredentialsProblem, match="RETAKE_ACCESS_TOKEN"):
        env_token.token_for("http://localhost:8700")


@pytest.mark.parametrize(
    ("variable", "url"),
    [
        ("STUDIO_RETAKE_URL", "http://retake.example"),
        ("STUDIO_CLAWCAST_URL", "http://10.0.0.5:8080"),
        ("STUDIO_BASEFM_URL", "ftp://basefm.example"),
        ("STUDIO_BASEFM_URL", "https://basefm.example:notaport"),
    ],
)
def test_platform_origins_must_be_https_unless_loopback(variable: str, url: str) -> None:
    with pytest.raises(ConfigProblem) as info:
        PlatformUrls.from_env({variable: url})
    assert info.value.message.startswith(f"{variable}={url} ")
    assert "https" in info.value.message and info.value.fix and variable in info.value.fix
    for fine in (
        "https://x.example",
        "http://127.0.0.1:8700",
        "http://[::1]:9",
        "http://localhost",
    ):
        assert getattr(PlatformUrls.from_env({variable: fine}), variable.split("_")[1].lower())
