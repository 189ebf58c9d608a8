"""`hostdeck site …` and `hostdeck cloudpanel …` as scripts use them: subprocesses against the SSH and Matomo simulators."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from hostdeck.backends.sim.cloudpanel import CloudPanelSim
from hostdeck.backends.sim.matomo import MatomoSim
from tests.support.cli import cli_env
from tests.support.cli import run_cli

MATOMO_TOKEN = "cli-matomo-token-0123456789abcdef"


@pytest.fixture
def env(tmp_path):
    with CloudPanelSim(cert_seconds=0.05) as panel, MatomoSim(sites=2, token=MATOMO_TOKEN) as matomo:
        host, port = panel.address
        config = tmp_path / "config.toml"
        config.write_text(f"""
[[backends]]
name = "web1"
kind = "cloudpanel"
host = "{host}"
port = {port}
key_file = "{panel.client_key_file}"

[[backends]]
name = "stats"
kind = "matomo"
url = "{matomo.base_url}"
""")
        e = cli_env(config=config, data=tmp_path / "data", HOSTDECK_SECRET_STATS_TOKEN=MATOMO_TOKEN)
        yield e, panel, matomo


def hostdeck(env, *args) -> subprocess.CompletedProcess:
    return run_cli(env, *args)


def test_unknown_host_key_is_refused_until_trusted(env):
    e, panel, _ = env
    refused = hostdeck(e, "test", "web1", "--json")
    (report,) = json.loads(refused.stdout)
    assert refused.returncode == 1 and panel.fingerprint in report["error"] and "hostdeck cloudpanel trust web1" in report["error"]
    shown = hostdeck(e, "cloudpanel", "trust", "web1")
    assert shown.returncode == 2 and panel.fingerprint in shown.stderr and not any("site:add" in c for c in panel.commands)
    trusted = hostdeck(e, "cloudpanel", "trust", "web1", "--yes", "--json")
    assert trusted.returncode == 0 and json.loads(trusted.stdout)["fingerprint"] == panel.fingerprint
    assert hostdeck(e, "test", "web1").returncode == 0
    panel.rotate_host_key()
    changed = hostdeck(e, "test", "web1", "--json")
    assert changed.returncode == 1 and "CHANGED" in json.loads(changed.stdout)[0]["error"]


def test_site_add_list_retry_delete_and_password_reset(env):
    e, panel, matomo = env
    assert hostdeck(e, "cloudpanel", "trust", "web1", "--yes").returncode == 0
    panel.state.dns_unresolved.add("shop.example.com")
    added = hostdeck(e, "site", "add", "web1", "shop.example.com", "--site-user", "hdshop", "--alt", "www.shop.example.com",
                     "--json")
    doc = json.loads(added.stdout)
    assert added.returncode == 1 and doc["status"] == "failed" and doc["steps"]["certificate"]["status"] == "failed"
    assert doc["site_user_password"] and doc["site_user_password"] not in "".join(panel.commands)
    panel.state.dns_unresolved.clear()
    retried = hostdeck(e, "site", "retry", "shop.example.com", "--json")
    assert retried.returncode == 0 and json.loads(retried.stdout)["status"] == "done"
    listed = json.loads(hostdeck(e, "site", "list", "--json").stdout)
    assert [j["domain"] for j in listed] == ["shop.example.com"] and listed[0]["result"]["matomo_site_id"]
    header, row = hostdeck(e, "site", "list").stdout.splitlines()
    assert header.split() == ["DOMAIN", "BACKEND", "TYPE", "STATUS", "CREATE_SITE", "CERTIFICATE", "ANALYTICS"]
    assert row.split() == ["shop.example.com", "web1", "php", "done", "done", "done", "done"]
    again = hostdeck(e, "site", "analytics", "shop.example.com")
    assert again.returncode == 0 and len(matomo.sites_with_url("https://shop.example.com")) == 1
    assert hostdeck(e, "site", "delete", "shop.example.com").returncode == 2  # needs --yes
    assert hostdeck(e, "site", "delete", "shop.example.com", "--yes").returncode == 0
    assert "shop.example.com" not in panel.sites
    users = [u for u in panel.users]
    reset = hostdeck(e, "cloudpanel", "reset-password", "web1", users[0], "--yes", "--json")
    assert reset.returncode == 0, reset.stderr
    password = json.loads(reset.stdout)["password"]
    data = Path(e["HOSTDECK_DATA_DIR"])
    for path in [p for p in data.rglob("*") if p.is_file()]:
        assert password.encode() not in path.read_bytes() and doc["site_user_password"].encode() not in path.read_bytes()
