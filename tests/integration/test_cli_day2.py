"""The day-2 commands as scripts run them: `hostdeck` in a child process against the Hetzner simulator over real
sockets, checking the state the simulator holds afterwards, --yes and read-only refusing before anything is sent."""

from __future__ import annotations

import json
import subprocess
from decimal import Decimal

import pytest

from hostdeck.backends.sim.hetzner import HetznerSim
from tests.support.cli import run_cli
from tests.support.cli import sim_env
from tests.support.fixtures import sim_fixture

from .hz import plain_server

TOKEN = "SENTINEL-TOKEN-day2-77c1"


sim = sim_fixture(lambda: HetznerSim(servers=40, seed=15, token=TOKEN, action_seconds=0.1))


@pytest.fixture
def env(tmp_path, sim):
    return sim_env(tmp_path, sim, "HZ", TOKEN, shutdown_wait_seconds=5)


def hostdeck(env, *args: str) -> subprocess.CompletedProcess:
    proc = run_cli(env, *args)
    assert TOKEN not in proc.stdout + proc.stderr
    return proc


def ok_json(proc: subprocess.CompletedProcess):
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def now(sim: HetznerSim, sid: int) -> dict:
    sim.advance()
    return sim.servers[sid]


def writes(sim: HetznerSim) -> int:
    return sum(1 for r in sim.request_log if r["method"] in ("POST", "PUT", "DELETE"))


def test_rescue_needs_yes_then_prints_the_password_once(env, sim):
    sid, raw = plain_server(sim, rescue_enabled=False)
    sent = writes(sim)
    proc = hostdeck(env, "server", "rescue", "enable", "hz", raw["name"])
    assert proc.returncode == 2 and "--yes" in proc.stderr and writes(sim) == sent   # read only, nothing changed
    doc = ok_json(hostdeck(env, "server", "rescue", "enable", "hz", raw["name"], "--ssh-key", "ops-key", "--yes", "--json"))
    assert doc["rescue"] is True and len(doc["root_password"]) >= 16 and doc["server"] == raw["name"]
    assert now(sim, sid)["rescue_enabled"] is True
    twice = hostdeck(env, "server", "rescue", "enable", "hz", str(sid), "--yes")
    assert twice.returncode == 1 and "already on" in twice.stderr
    text = hostdeck(env, "server", "rescue", "disable", "hz", str(sid), "--yes")
    assert text.returncode == 0 and "rescue disabled" in text.stdout and "no billing link" in text.stderr
    assert now(sim, sid)["rescue_enabled"] is False


def test_rebuild_prints_the_new_password_and_refuses_protection(env, sim):
    sid, raw = plain_server(sim)
    doc = ok_json(hostdeck(env, "server", "rebuild", "hz", raw["name"], "--image", "debian-12", "--yes", "--json"))
    assert doc["root_password"] and doc["image"] == "debian-12"
    assert now(sim, sid)["image"]["name"] == "debian-12"
    text = hostdeck(env, "server", "rebuild", "hz", str(sid), "--image", "ubuntu-24.04", "--yes")
    assert text.returncode == 0 and "shown once" in text.stderr and len(text.stdout.strip().splitlines()[-1]) >= 16
    sim.servers[sid]["protection"]["rebuild"] = True
    sent = writes(sim)
    refused = hostdeck(env, "server", "rebuild", "hz", str(sid), "--image", "debian-12", "--yes")
    assert refused.returncode == 1 and "--rebuild off" in refused.stderr and writes(sim) == sent


def test_image_then_list_and_delete_with_yes(env, sim):
    sid, raw = plain_server(sim, backup_window=None)
    doc = ok_json(hostdeck(env, "server", "image", "hz", raw["name"], "--description", "pre-upgrade", "--json"))
    assert doc["type"] == "snapshot" and doc["description"] == "pre-upgrade" and doc["server_id"] == str(sid)
    listed = ok_json(hostdeck(env, "images", "--json"))
    assert doc["id"] in {i["id"] for i in listed} and {i["type"] for i in listed} <= {"snapshot", "backup"}
    mine = next(i for i in listed if i["id"] == doc["id"])
    assert mine["server"] == doc["server"] == raw["name"] and mine["server_id"] == doc["server_id"] == str(sid)
    text = hostdeck(env, "images", "--backend", "hz")
    row = next(line for line in text.stdout.splitlines() if line.split()[1:2] == [doc["id"]])
    assert raw["name"] in row.split() and str(sid) not in row.split()
    sent = writes(sim)
    refused = hostdeck(env, "images", "delete", "hz", doc["id"])
    assert refused.returncode == 2 and writes(sim) == sent
    assert f"snapshot {doc['id']} (pre-upgrade) of {raw['name']} (id {sid}) on hz, no billing link" in refused.stderr
    gone = ok_json(hostdeck(env, "images", "delete", "hz", "pre-upgrade", "--yes", "--json"))
    assert gone == {"backend": "hz", "image": doc["id"], "deleted": True}
    assert doc["id"] not in {str(i["id"]) for i in sim.images}
    backup = hostdeck(env, "server", "image", "hz", raw["name"], "--type", "backup")
    assert backup.returncode == 1 and "backups are not enabled" in backup.stderr


def test_change_type_refuses_a_running_server_unless_shutdown(env, sim):
    sid, raw = plain_server(sim)
    sent = writes(sim)
    assert hostdeck(env, "server", "change-type", "hz", raw["name"], "cx52").returncode == 2
    proc = hostdeck(env, "server", "change-type", "hz", raw["name"], "cx52", "--yes")
    assert proc.returncode != 0 and "the server is running: shut it down first (hostdeck server power hz " in proc.stderr
    assert writes(sim) == sent
    disk = raw["primary_disk_size"]
    doc = ok_json(hostdeck(env, "server", "change-type", "hz", raw["name"], "cx52", "--shutdown", "--yes", "--json"))
    assert doc["to"] == "cx52" and doc["upgrade_disk"] is False and doc["monthly_difference"]
    assert now(sim, sid)["server_type"]["name"] == "cx52" and now(sim, sid)["primary_disk_size"] == disk
    choices = ok_json(hostdeck(env, "server", "change-type", "hz", str(sid), "--json"))   # no TYPE: the choices
    by_name = {c["name"]: c for c in choices["choices"]}
    assert choices["type"] == "cx52" and not by_name["cax11"]["allowed"] and by_name["cx42"]["monthly_difference"][0] == "-"
    arm = hostdeck(env, "server", "change-type", "hz", str(sid), "cax11", "--shutdown", "--yes")
    assert arm.returncode == 1 and "may not fit" in arm.stderr and "architecture is arm" in arm.stderr


def test_backups_name_the_price(env, sim):
    sid, raw = plain_server(sim, backup_window=None)
    sent = writes(sim)
    asked = hostdeck(env, "server", "backups", "enable", "hz", str(sid))
    assert asked.returncode == 2 and writes(sim) == sent and not now(sim, sid)["backup_window"]
    price = next(p for p in raw["server_type"]["prices"] if p["location"] == raw["location"]["name"])
    surcharge = (Decimal(price["price_monthly"]["gross"]) * 20 / 100).quantize(Decimal("0.01"))
    assert f"For {raw['name']}: +{surcharge} EUR a month gross (20% of the server's price)" in asked.stderr
    proc = hostdeck(env, "server", "backups", "enable", "hz", str(sid), "--yes")
    assert proc.returncode == 0 and f"+{surcharge} EUR a month gross (20% of the server's price)" in proc.stderr
    assert now(sim, sid)["backup_window"]
    doc = ok_json(hostdeck(env, "server", "backups", "disable", "hz", str(sid), "--yes", "--json"))
    assert doc["backups"] is False and doc["status"] == "success" and now(sim, sid)["backup_window"] is None


def test_protect_label_iso_rdns(env, sim):
    sid, raw = plain_server(sim)
    ok_json(hostdeck(env, "server", "protect", "hz", str(sid), "--delete", "on", "--json"))
    assert now(sim, sid)["protection"] == {"delete": True, "rebuild": False}
    ok_json(hostdeck(env, "server", "protect", "hz", str(sid), "--delete", "off", "--rebuild", "on", "--json"))
    assert now(sim, sid)["protection"] == {"delete": False, "rebuild": True}
    assert hostdeck(env, "server", "protect", "hz", str(sid)).returncode == 2   # bad usage

    before = dict(raw["labels"])
    doc = ok_json(hostdeck(env, "server", "label", "hz", str(sid), "tier=gold", "owner=ops", "--remove", "role", "--json"))
    expected = {k: v for k, v in before.items() if k != "role"} | {"tier": "gold", "owner": "ops"}
    assert doc["labels"] == expected == sim.servers[sid]["labels"]

    ok_json(hostdeck(env, "server", "iso", "attach", "hz", str(sid), "systemrescue-11.02-amd64.iso", "--json"))
    assert now(sim, sid)["iso"]["name"] == "systemrescue-11.02-amd64.iso"
    assert hostdeck(env, "server", "iso", "attach", "hz", str(sid)).returncode == 2   # no ISO named
    ok_json(hostdeck(env, "server", "iso", "detach", "hz", str(sid), "--json"))
    assert now(sim, sid)["iso"] is None

    ip = raw["public_net"]["ipv4"]["ip"]
    doc = ok_json(hostdeck(env, "server", "rdns", "hz", str(sid), ip, "www.example.com", "--json"))
    assert doc["dns_ptr"] == "www.example.com" and now(sim, sid)["public_net"]["ipv4"]["dns_ptr"] == "www.example.com"
    ok_json(hostdeck(env, "server", "rdns", "hz", str(sid), ip, "--reset", "--json"))
    assert now(sim, sid)["public_net"]["ipv4"]["dns_ptr"].endswith(".clients.your-server.de")


def test_metrics_json_carries_the_series_values(env, sim):
    sid, raw = plain_server(sim)
    doc = ok_json(hostdeck(env, "server", "metrics", "hz", raw["name"], "--type", "disk", "--period", "1h", "--json"))
    assert doc["backend"] == "hz" and doc["server_id"] == str(sid) and doc["type"] == "disk" and doc["period"] == "1h"
    assert doc["server"] == raw["name"]
    assert set(doc["series"]) == {"disk.0.iops.read", "disk.0.iops.write", "disk.0.bandwidth.read",
                                  "disk.0.bandwidth.write"}
    values = doc["series"]["disk.0.iops.read"]["values"]
    assert values and all(isinstance(t, float) and isinstance(v, float) for t, v in values)
    text = hostdeck(env, "server", "metrics", "hz", raw["name"])
    assert text.returncode == 0 and "cpu" in text.stdout and "percent" in text.stdout


@pytest.mark.parametrize("args", [
    ["server", "rescue", "enable", "hz", "{sid}", "--yes"], ["server", "rebuild", "hz", "{sid}", "--image", "debian-12", "--yes"],
    ["server", "image", "hz", "{sid}"], ["server", "change-type", "hz", "{sid}", "cx52", "--yes"],
    ["server", "backups", "enable", "hz", "{sid}", "--yes"], ["server", "protect", "hz", "{sid}", "--delete", "on"],
    ["server", "label", "hz", "{sid}", "a=b"], ["server", "iso", "detach", "hz", "{sid}"],
    ["server", "rdns", "hz", "{sid}", "192.0.2.1", "--reset"], ["images", "delete", "hz", "1", "--yes"]])
def test_read_only_refuses_before_anything_is_sent(env, sim, args):
    sid, _ = plain_server(sim)
    sent = len(sim.request_log)
    proc = hostdeck(env, "--read-only", *[a.replace("{sid}", str(sid)) for a in args])
    assert proc.returncode != 0 and "read-only" in proc.stderr
    assert len(sim.request_log) == sent


def test_a_read_only_token_is_refused_by_the_api(tmp_path, sim, env):
    env = dict(env, HOSTDECK_SECRET_HZ_TOKEN="demo-hetzner-readonly")
    sid, _ = plain_server(sim)
    proc = hostdeck(env, "server", "protect", "hz", str(sid), "--delete", "on")
    assert proc.returncode == 1 and "403 forbidden" in proc.stderr


def test_the_confirmation_names_backend_server_and_customer(env, sim):
    """A costly or destructive action names whom it touches: the backend, the server and, from the service link, the
    customer who pays for it."""
    from pathlib import Path

    from hostdeck.backends.sim.whmcs import WhmcsSim

    with WhmcsSim(clients=15, seed=2) as whmcs:
        config = Path(env["HOSTDECK_CONFIG"])
        config.write_text(config.read_text() + f'\n[[backends]]\nname = "wh"\nkind = "whmcs"\nurl = "{whmcs.base_url}"\n')
        e = {**env, "HOSTDECK_SECRET_WH_IDENTIFIER": whmcs.identifier, "HOSTDECK_SECRET_WH_SECRET": whmcs.secret,
             "HOSTDECK_SECRET_WH_ACCESSKEY": ""}
        sid, raw = plain_server(sim, backup_window=None)
        service_id, service = next((i, s) for i, s in sorted(whmcs.services.items()) if s["status"] == "Active")
        assert hostdeck(e, "sync", "services", "--link", str(service_id), "hz", str(sid)).returncode == 0
        client = whmcs.clients[int(service["clientid"])]
        sent = writes(sim)
        for refused in (["server", "backups", "enable", "hz", raw["name"]], ["server", "rescue", "enable", "hz", raw["name"]],
                        ["server", "rebuild", "hz", raw["name"], "--image", "debian-12"],
                        ["server", "change-type", "hz", raw["name"], "cx52"], ["server", "delete", "hz", raw["name"]]):
            asked = hostdeck(e, *refused)   # without --yes: the same names, read only
            assert asked.returncode == 2 and "--yes" in asked.stderr, asked.stderr
            line = next(l for l in asked.stderr.splitlines() if raw["name"] in l)
            assert f"(id {sid}) on hz, customer " in line and client["lastname"] in line and f"#{service_id}" in line
        assert writes(sim) == sent and not now(sim, sid)["backup_window"]
        proc = hostdeck(e, "server", "backups", "enable", "hz", raw["name"], "--yes")
        assert proc.returncode == 0, proc.stderr
        line = next(l for l in proc.stderr.splitlines() if raw["name"] in l)
        assert f"(id {sid}) on hz, customer " in line and client["lastname"] in line and f"#{service_id}" in line


@pytest.mark.parametrize("args", [
    ["server", "protect", "hz", "{sid}"], ["server", "label", "hz", "{sid}", "noequals"], ["server", "label", "hz", "{sid}"],
    ["server", "rdns", "hz", "{sid}", "198.18.0.87"], ["server", "rdns", "hz", "{sid}", "198.18.0.87", "a.example", "--reset"],
    ["server", "iso", "attach", "hz", "{sid}"], ["server", "iso", "detach", "hz", "{sid}", "x.iso"],
    ["images", "delete", "hz"], ["images", "frobnicate"]])
def test_usage_errors_exit_2_before_anything_is_sent(env, sim, args):
    sid, _ = plain_server(sim)
    sent = len(sim.request_log)
    proc = hostdeck(env, *[a.replace("{sid}", str(sid)) for a in args], "--json")
    assert proc.returncode == 2, proc.stderr
    assert json.loads(proc.stdout)["error"]["category"] == "usage" and len(sim.request_log) == sent


def test_deleting_a_protected_server_names_the_protect_command(env, sim):
    sid, raw = plain_server(sim)
    assert hostdeck(env, "server", "protect", "hz", str(sid), "--delete", "on").returncode == 0
    proc = hostdeck(env, "server", "delete", "hz", raw["name"], "--yes")
    assert proc.returncode == 1 and f"hostdeck server protect hz {sid} --delete off" in proc.stderr
    assert "Hetzner console" not in proc.stderr and sid in sim.servers
    assert hostdeck(env, "server", "protect", "hz", str(sid), "--delete", "off").returncode == 0
    assert hostdeck(env, "server", "delete", "hz", raw["name"], "--yes").returncode == 0
    sim.advance()
    assert sid not in sim.servers
