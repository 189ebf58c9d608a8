import pytest

from hostdeck.backends.errors import SecretError
from hostdeck.backends.secrets import Secrets
from hostdeck.backends.secrets import env_name


def test_env_name():
    assert env_name("hz", "token") == "HOSTDECK_SECRET_HZ_TOKEN"
    assert env_name("my-billing.1", "api key") == "HOSTDECK_SECRET_MY_BILLING_1_API_KEY"


def test_env_overrides_keyring(memory_keyring, monkeypatch):
    s = Secrets()
    s.set("hz", "token", "from-keyring")
    assert memory_keyring[("hostdeck", "hz:token")] == "from-keyring"
    assert s.get("hz", "token") == ("from-keyring", "keyring")
    monkeypatch.setenv("HOSTDECK_SECRET_HZ_TOKEN", "from-env")
    assert s.get("hz", "token") == ("from-env", "env")
    assert s.require("hz", "token") == "from-env"


def test_missing_secret_names_both_fixes(memory_keyring, monkeypatch):
    monkeypatch.delenv("HOSTDECK_SECRET_HZ_TOKEN", raising=False)
    with pytest.raises(SecretError) as err:
        Secrets().require("hz", "token")
    assert "hostdeck secret set hz token" in str(err.value)
    assert "HOSTDECK_SECRET_HZ_TOKEN" in str(err.value)


def test_no_keyring_is_plain_and_never_plaintext(no_keyring, monkeypatch, tmp_path):
    monkeypatch.delenv("HOSTDECK_SECRET_HZ_TOKEN", raising=False)
    s = Secrets()
    assert s.get("hz", "token") == (None, "missing")
    with pytest.raises(SecretError) as err:
        s.set("hz", "token", "sekrit-value")
    message = str(err.value)
    assert "No usable keyring" in message and "HOSTDECK_SECRET_HZ_TOKEN" in message and "dbus-run-session" in message
    assert "sekrit-value" not in message
    with pytest.raises(SecretError, match="No usable keyring"):
        s.require("hz", "token")


def test_delete(memory_keyring):
    s = Secrets()
    s.set("hz", "token", "x")
    assert s.delete("hz", "token") is True
    assert s.delete("hz", "token") is False
    assert s.source("hz", "token") == "missing"


def test_built_in_credentials_win_over_the_environment_in_every_lookup(memory_keyring, monkeypatch):
    """--demo's credentials are its own: a HOSTDECK_SECRET_* variable or a keyring entry never replaces them, and
    get, source and require agree."""
    from hostdeck.backends.demo import plan_demo

    secrets = plan_demo().secrets
    own = dict(plan_demo().demo_secrets)
    monkeypatch.setenv("HOSTDECK_SECRET_HZ_TOKEN", "from-env")
    monkeypatch.setenv("HOSTDECK_SECRET_BILLING_ACCESSKEY", "from-env")
    Secrets().set("vps", "token", "from-keyring")
    for (backend, field), value in own.items():
        assert secrets.get(backend, field) == (value, "demo")
        assert secrets.require(backend, field) == value
    monkeypatch.setenv("HOSTDECK_SECRET_OTHER_TOKEN", "from-env")
    assert secrets.get("other", "token") == (None, "missing")  # the demo uses nothing from outside
    with pytest.raises(SecretError, match="demo has no token"):
        secrets.require("other", "token")


def test_get_and_require_agree_for_every_source(memory_keyring, monkeypatch):
    s = Secrets(overlay={("a", "token"): "built-in", ("d", "token"): "built-in"})
    monkeypatch.setenv("HOSTDECK_SECRET_A_TOKEN", "from-env")
    monkeypatch.setenv("HOSTDECK_SECRET_B_TOKEN", "from-env")
    s.set("c", "token", "from-keyring")
    expected = {"a": ("from-env", "env"), "b": ("from-env", "env"), "c": ("from-keyring", "keyring"),
                "d": ("built-in", "demo")}
    for backend, pair in expected.items():
        assert s.get(backend, "token") == pair and s.require(backend, "token") == pair[0]
