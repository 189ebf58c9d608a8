"""The `server` commands on Convoy servers: resize keeps the addresses, rename, power through Proxmox, SSO."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hostdeck.backends.sim.cluster import Cluster
from hostdeck.backends.sim.convoy import ConvoySim
from hostdeck.backends.sim.proxmox import ProxmoxSim
from tests.support.cli import cli_env
from tests.support.cli import run_cli

from . import cv

PVE_SECRET = "cli-pve-secret"


@pytest.fixture
def env(tmp_path):
    cluster = Cluster()
    with ConvoySim(servers=8, users=4, seed=12, token=cv.TOKEN, cluster=cluster) as convoy, \
            ProxmoxSim(cluster=cluster, seed=12, token_secret=PVE_SECRET, task_seconds=0.05) as pve:
        config = tmp_path / "config.toml"
        config.write_text(f"""
[[backends]]
name = "vps"
kind = "convoy"
url = "{convoy.base_url}"
proxmox = "pve"
poll_seconds = 0.05

[[backends]]
name = "pve"
kind = "proxmox"
url = "{pve.base_url}"
token_id = "hostdeck@pve!hostdeck"
task_poll_seconds = 0.05
""")
        e = cli_env(config=config, data=tmp_path / "data", HOSTDECK_SECRET_VPS_TOKEN=cv.TOKEN,
                    HOSTDECK_SECRET_PVE_TOKEN_SECRET=PVE_SECRET)
        yield e, convoy, pve


def hostdeck(env, *args):
    return run_cli(env, *args)


def a_normal_server(convoy) -> str:
    return next(sid for sid, s in sorted(convoy.servers.items()) if s.get("status") is None)


def test_resize_keeps_the_addresses_and_rename(env):
    e, convoy, _ = env
    sid = a_normal_server(convoy)
    addresses_before = json.dumps(convoy.server_json(sid)["limits"]["addresses"], sort_keys=True)
    assert hostdeck(e, "server", "resize", "vps", sid, "--memory", "3072").returncode == 2  # needs --yes
    resized = hostdeck(e, "server", "resize", "vps", sid, "--memory", "3072", "--yes", "--json")
    assert resized.returncode == 0, resized.stderr
    assert json.loads(resized.stdout)["memory_mb"] == 3072
    assert json.dumps(convoy.server_json(sid)["limits"]["addresses"], sort_keys=True) == addresses_before
    renamed = hostdeck(e, "server", "rename", "vps", sid, "--name", "renamed box", "--json")
    assert renamed.returncode == 0 and json.loads(renamed.stdout)["name"] == "renamed box"


def test_power_goes_through_proxmox_and_sso_prints_a_fresh_link(env):
    e, convoy, pve = env
    sid = a_normal_server(convoy)
    off = hostdeck(e, "server", "power", "vps", sid, "off", "--yes", "--json")
    assert off.returncode == 0, off.stderr
    vmid = convoy.server_json(sid)["vmid"]
    assert any(vm.vmid == vmid and vm.status == "stopped" for vm in pve.cluster.vms.values())
    shown = json.loads(hostdeck(e, "server", "show", "vps", sid, "--json").stdout)
    assert shown["status"] == "off"
    sso = hostdeck(e, "server", "sso", "vps", sid, "--json")
    assert sso.returncode == 0 and "/authenticate?token=" in json.loads(sso.stdout)["url"]
    data = Path(e["HOSTDECK_DATA_DIR"])
    token = json.loads(sso.stdout)["url"].split("token=")[1]
    assert all(token.encode() not in p.read_bytes() for p in data.rglob("*") if p.is_file())
    printed = hostdeck(e, "server", "sso", "vps", sid, "--print")
    assert printed.returncode == 0 and "/authenticate?token=" in printed.stdout
    assert "without a Convoy session" in printed.stderr      # Convoy's /authenticate is guest-only


def test_plain_test_table_marks_insecure_tls(env):
    e, _, _ = env
    config = Path(e["HOSTDECK_CONFIG"])
    config.write_text(config.read_text() + "insecure_tls = true\n")
    proc = hostdeck(e, "test", "pve")
    assert proc.returncode == 0, proc.stderr
    row = next(line for line in proc.stdout.splitlines() if line.startswith("pve "))
    assert "INSECURE TLS" in row and "insecure_tls = true" in proc.stderr
    config.write_text(config.read_text().replace("insecure_tls = true\n", ""))
    assert "INSECURE" not in hostdeck(e, "test", "pve").stdout
