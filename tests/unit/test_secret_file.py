"""The opt-in secrets file: read only when chosen, private from the first byte, and named as the source."""

from __future__ import annotations

import os
import stat
import tempfile
import tomllib

import pytest

from hostdeck.backends.config import Config
from hostdeck.backends.config import GeneralConfig
from hostdeck.backends.errors import SecretError
from hostdeck.backends.secret_file import SecretFile
from hostdeck.backends.secrets import Secrets
from hostdeck.backends.secrets import secrets_for


@pytest.fixture
def no_secret_env(monkeypatch):
    for name in [k for k in os.environ if k.startswith("HOSTDECK_SECRET_")]:
        monkeypatch.delenv(name)


def test_only_a_config_that_opted_in_uses_the_file(tmp_path):
    assert secrets_for(Config(path=tmp_path / "config.toml")).file is None
    chosen = secrets_for(Config(path=tmp_path / "config.toml", general=GeneralConfig(secret_store="file")))
    assert chosen.file is not None and chosen.file.path == tmp_path / "secrets.toml"


def test_the_file_is_the_store_and_the_source_when_there_is_no_keyring(no_keyring, no_secret_env, tmp_path):
    secrets = Secrets(file=SecretFile(tmp_path / "secrets.toml"))
    assert secrets.store_problem() is None
    secrets.set("hz", "token", "from-the-file")
    assert secrets.get("hz", "token") == ("from-the-file", "file") and secrets.require("hz", "token") == "from-the-file"
    assert secrets.get("cv", "token") == (None, "missing")
    with pytest.raises(SecretError, match="secrets file") as err:
        secrets.require("cv", "token")
    assert "No usable keyring" not in str(err.value)  # the person chose the file: the keyring is not the problem
    assert secrets.delete("hz", "token") is True and secrets.delete("hz", "token") is False
    assert tomllib.loads((tmp_path / "secrets.toml").read_text()) == {}


def test_the_environment_still_overrides_the_file(no_keyring, no_secret_env, monkeypatch, tmp_path):
    secrets = Secrets(file=SecretFile(tmp_path / "secrets.toml"))
    secrets.set("hz", "token", "from-the-file")
    monkeypatch.setenv("HOSTDECK_SECRET_HZ_TOKEN", "from-env")
    assert secrets.get("hz", "token") == ("from-env", "env")


def test_a_keyring_that_stores_nothing_is_refused_before_it_forgets(no_secret_env):
    import keyring
    from keyring.backends.null import Keyring as NullKeyring

    previous = keyring.get_keyring()
    keyring.set_keyring(NullKeyring())
    try:
        secrets = Secrets()
        assert "stores nothing" in (secrets.store_problem() or "")
        with pytest.raises(SecretError, match="No usable keyring"):
            secrets.set("hz", "token", "would-be-lost")
    finally:
        keyring.set_keyring(previous)


def test_the_file_is_never_readable_by_others_not_even_while_it_is_written(tmp_path, monkeypatch):
    """With a permissive umask, the temporary file is already 0600 when it is created, before any secret is in it."""
    seen: list[int] = []
    real_mkstemp = tempfile.mkstemp

    def watching(*args, **kwargs):
        fd, name = real_mkstemp(*args, **kwargs)
        seen.append(stat.S_IMODE(os.stat(name).st_mode))
        return fd, name

    monkeypatch.setattr(tempfile, "mkstemp", watching)
    old_umask = os.umask(0)
    try:
        store = SecretFile(tmp_path / "conf" / "secrets.toml")
        store.set("hz", "token", "t0p")
        store.set("hz", "other", "s3cond")
    finally:
        os.umask(old_umask)
    assert seen == [0o600, 0o600]
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.path.parent.stat().st_mode) == 0o700
    assert [p.name for p in store.path.parent.iterdir()] == ["secrets.toml"]  # no temporary file left behind


def test_a_wider_file_is_tightened_when_read_and_a_broken_one_is_said_without_values(tmp_path):
    path = tmp_path / "secrets.toml"
    path.write_text('[hz]\ntoken = "abc"\n')
    path.chmod(0o644)
    assert SecretFile(path).get("hz", "token") == "abc"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    path.write_text('[hz]\ntoken = "sekrit\n')
    with pytest.raises(SecretError, match="not valid TOML") as err:
        SecretFile(path).get("hz", "token")
    assert "sekrit" not in str(err.value)
