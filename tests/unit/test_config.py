from pathlib import Path

import pytest

from hostdeck.backends.config import load_config
from hostdeck.backends.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "config.toml"
    p.write_text(text)
    return p


def test_full_config_parses(tmp_path):
    p = write(tmp_path, """
[general]
read_only = true
catalog_ttl_hours = 6
refresh_interval = 15
theme = "nord"
[keymap]
"servers.refresh" = "f5"
[[backends]]
name = "hz"
kind = "hetzner"
url = "https://api.hetzner.cloud/v1"
default_location = "fsn1"
max_concurrency = 4
""")
    cfg = load_config(p)
    assert cfg.general.read_only is True
    assert cfg.general.catalog_ttl_hours == 6
    assert cfg.keymap == {"servers.refresh": "f5"}
    hz = cfg.backend("hz")
    assert (hz.kind, hz.url, hz.max_concurrency, hz.option("default_location")) == ("hetzner", "https://api.hetzner.cloud/v1", 4, "fsn1")


@pytest.mark.parametrize("text, key, fix_word", [
    ("[[backends]]\nkind='hetzner'", "backends[0]", "name"),
    ("[[backends]]\nname='Bad Name'\nkind='hetzner'", "backends[0].name", "lower case"),
    ("[[backends]]\nname='hz'\nkind='aws'", "backends[0].kind", "hetzner"),
    ("[[backends]]\nname='hz'\nkind='hetzner'\ntoken='abc'", "backends[0].token", "hostdeck secret set hz token"),
    ("[[backends]]\nname='hz'\nkind='hetzner'\n[[backends]]\nname='hz'\nkind='hetzner'", "backends[1].name", "own name"),
    ("[general]\nread_only='yes'", "general.read_only", "true or false"),
    ("[general]\nrefresh_interval=0.5", "general.refresh_interval", "2"),
    ("[general]\ncolour='red'", "general.colour", "known keys"),
    ("[[backends]]\nname='hz'\nkind='hetzner'\nurl='ftp://x'", "backends[0].url", "https://"),
])
def test_errors_name_file_key_and_fix(tmp_path, text, key, fix_word):
    p = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        load_config(p)
    message = str(err.value)
    assert str(p) in message
    assert f"[{key}]" in message
    assert "Fix:" in message and fix_word in message
    assert "abc" not in message  # a secret put in the config is not echoed back


def test_invalid_toml_names_the_file(tmp_path):
    p = write(tmp_path, "[general\nread_only = true")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(p)


def test_path_resolution(tmp_path, monkeypatch):
    monkeypatch.delenv("HOSTDECK_CONFIG", raising=False)
    explicit = write(tmp_path, "[[backends]]\nname='a'\nkind='hetzner'")
    env_file = tmp_path / "env.toml"
    env_file.write_text("[[backends]]\nname='b'\nkind='hetzner'")
    monkeypatch.setenv("HOSTDECK_CONFIG", str(env_file))
    assert load_config(explicit).backends[0].name == "a"  # --config wins
    assert load_config().backends[0].name == "b"  # then HOSTDECK_CONFIG
    monkeypatch.delenv("HOSTDECK_CONFIG")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    cfg = load_config()  # then the platform dir; a missing default file is an empty config
    assert cfg.backends == [] and cfg.path is None
    (tmp_path / "xdg" / "hostdeck").mkdir(parents=True)
    (tmp_path / "xdg" / "hostdeck" / "config.toml").write_text("[[backends]]\nname='c'\nkind='hetzner'")
    assert load_config().backends[0].name == "c"


def test_named_missing_file_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "nope.toml")
