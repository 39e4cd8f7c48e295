import logging
import os
import stat

import pytest
from pydantic import BaseModel

from studio import redaction
from studio.errors import StudioError
from studio.redaction import MASK, SecretValue, redact, redact_data, register
from studio.secure_file import read_json, write_private_json


def test_registered_values_are_masked_inside_other_text():
    register("abcdef123456")
    assert redact("rtmp://host/app/abcdef123456?x=1") == f"rtmp://host/app/{MASK}?x=1"


@pytest.mark.parametrize(
    "text",
    [
        "rtk_9f8e7d6c5b4a",
        "sk_live0123456789",
        "sk-ab12-cd34-ef56",
        "tvt_your_key_here",
        "eyJhbGciOiJIUzI1NiIs.eyJzdWIiOiIxMjM0.sig_nature-1",
        "Bearer opaque-token-value",
    ],
)
def test_secret_shapes_are_masked_without_registration(text):
    out = redact(f"before {text} after")
    assert "before" in out and "after" in out
    assert text.split(" ")[-1] not in out


def test_ordinary_text_is_left_alone():
    text = "joined room live_user_abc and user_abc; key rotation at 12:00"
    assert redact(text) == text


def test_short_values_are_not_registered():
    register("abc")
    assert redact("abc abc") == "abc abc"


def test_secret_fields_hide_in_repr_and_register():
    class Creds(BaseModel):
        token: SecretValue

    creds = Creds(token="plainsecretvalue1")
    assert "plainsecretvalue1" not in repr(creds)
    assert "plainsecretvalue1" not in str(creds.model_dump())
    assert redact("x plainsecretvalue1 y") == f"x {MASK} y"
    assert redaction.reveal(creds.token) == "plainsecretvalue1"


def test_redact_data_walks_nested_structures():
    register("nestedsecret99")
    data = {"a": ["ok", {"b": "nestedsecret99"}], "c": ("nestedsecret99",)}
    assert redact_data(data) == {"a": ["ok", {"b": MASK}], "c": (MASK,)}


def test_errors_are_redacted():
    register("errsecret12345")
    err = StudioError("server said errsecret12345", fix="do not paste errsecret12345")
    assert "errsecret12345" not in str(err)
    assert "errsecret12345" not in repr(err)


def test_log_records_are_redacted(caplog):
    register("logsecret123456")
    logger = logging.getLogger("studio.test")
    handler = logging.StreamHandler()
    caplog.handler.addFilter(redaction.RedactingFilter())
    logger.addHandler(handler)
    try:
        logger.warning("key is %s", "logsecret123456")
        try:
            raise RuntimeError("boom logsecret123456")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    assert "logsecret123456" not in caplog.text
    assert MASK in caplog.text


def test_private_file_is_0600_and_atomic(tmp_path):
    path = tmp_path / "dir" / "credentials.json"
    old_umask = os.umask(0)
    try:
        write_private_json(path, {"access_token": "rtk_first"})
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        write_private_json(path, {"access_token": "rtk_second"})
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert read_json(path) == {"access_token": "rtk_second"}
    assert [p.name for p in path.parent.iterdir()] == ["credentials.json"]


def test_private_file_never_visible_with_wider_mode(tmp_path, monkeypatch):
    """The temporary file is 0600 before a byte is written."""
    seen = []
    real_fdopen = os.fdopen

    def spy(fd, *args, **kwargs):
        seen.append(stat.S_IMODE(os.fstat(fd).st_mode))
        return real_fdopen(fd, *args, **kwargs)

    monkeypatch.setattr(os, "fdopen", spy)
    write_private_json(tmp_path / "c.json", {"k": "v"})
    assert seen == [0o600]


def test_failed_write_leaves_old_file(tmp_path, monkeypatch):
    path = tmp_path / "store" / "c.json"
    write_private_json(path, {"v": 1})

    def explode(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", explode)
    with pytest.raises(OSError):
        write_private_json(path, {"v": 2})
    assert read_json(path) == {"v": 1}
    assert [p.name for p in path.parent.iterdir()] == ["c.json"]


def test_session_store_roundtrip_is_private(tmp_path):
    from studio.session_store import SessionStore

    store = SessionStore(tmp_path / "state" / "sessions.json")
    assert store.get("clawcast") is None
    store.put("clawcast", {"slot_jwt": "eyJslotjwt.payload12.sig", "slot_ends_at": 10})
    store.put("basefm", {"session_token": "sessiontoken-123456"})
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    redaction.forget_all()
    assert store.get("basefm") == {"session_token": "sessiontoken-123456"}
    assert "sessiontoken-123456" not in redact("token sessiontoken-123456")
    store.clear("basefm")
    assert store.get("basefm") is None
    assert store.get("clawcast")["slot_ends_at"] == 10
