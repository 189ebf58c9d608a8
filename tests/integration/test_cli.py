"""The command line as scripts use it: real subprocesses against the simulator, JSON on stdout, honest exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hostdeck.backends.sim.hetzner import HetznerSim
from tests.support.cli import cli_env
from tests.support.cli import run_cli

from .net import free_port

ROOT = Path(__file__).resolve().parents[2]
SENTINEL = "SENTINEL-TOKEN-4f7c2a9e1b"


@pytest.fixture
def sim():
    with HetznerSim(servers=120, seed=11, token=SENTINEL, action_seconds=0.1) as s:
        yield s


@pytest.fixture
def env(tmp_path, sim):
    config = tmp_path / "config.toml"
    config.write_text(f'[[backends]]\nname = "hz"\nkind = "hetzner"\nurl = "{sim.base_url}"\n'
                      'default_location = "fsn1"\naction_poll_seconds = 0.05\n')
    return cli_env(config=config, data=tmp_path / "data", keyring_file=tmp_path / "keyring.json",
                   HOSTDECK_SECRET_HZ_TOKEN=SENTINEL, XDG_CONFIG_HOME=str(tmp_path / "xdg"))


class Run:
    outputs: list[str] = []


def hostdeck(env, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    proc = run_cli(env, *args, stdin=stdin)
    Run.outputs += [proc.stdout, proc.stderr]
    return proc


def as_json(proc):
    assert proc.stdout.strip(), proc.stderr
    return json.loads(proc.stdout)


def first_running(sim) -> tuple[int, dict]:
    return next((sid, s) for sid, s in sorted(sim.servers.items())
                if s["status"] == "running" and not s["protection"]["delete"] and not s["name"].startswith("legacy"))


def test_servers_json_is_complete_with_the_documented_keys(env, sim):
    proc = hostdeck(env, "servers", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = as_json(proc)
    assert len(rows) == 120
    assert {"backend", "id", "name", "status", "ipv4", "ipv6", "plan", "location"} <= set(rows[0])
    assert {r["id"] for r in rows} == {str(i) for i in sim.servers}


def test_test_json_and_exit_codes(env, sim, tmp_path):
    proc = hostdeck(env, "test", "--json")
    (report,) = as_json(proc)
    assert proc.returncode == 0
    assert {"backend", "kind", "ok", "latency_ms", "version", "error", "credential_source"} <= set(report)
    assert report["ok"] is True and report["credential_source"] == "env"
    bad = dict(env, HOSTDECK_SECRET_HZ_TOKEN="wrong")
    proc = hostdeck(bad, "test", "--json")
    (report,) = as_json(proc)
    assert proc.returncode == 1 and report["ok"] is False and "token was rejected" in report["error"]


def test_disruptive_commands_need_yes(env, sim):
    sid, raw = first_running(sim)
    before = len(sim.request_log)
    for args in (["server", "power", "hz", raw["name"], "off"], ["server", "reset-password", "hz", str(sid)]):
        proc = hostdeck(env, *args)
        assert proc.returncode == 2 and "--yes" in proc.stderr
    assert len(sim.request_log) == before  # nothing was sent
    proc = hostdeck(env, "server", "delete", "hz", str(sid))   # names whom it would delete: reads only
    assert proc.returncode == 2 and "--yes" in proc.stderr and f"{raw['name']} (id {sid}) on hz" in proc.stderr
    assert {r["method"] for r in sim.request_log[before:]} == {"GET"} and sid in sim.servers
    proc = hostdeck(env, "server", "power", "hz", raw["name"], "off", "--yes", "--json")
    assert proc.returncode == 0, proc.stderr
    assert as_json(proc)["status"] == "success" and sim.servers[sid]["status"] == "off"


def test_reset_password_json(env, sim):
    sid, raw = first_running(sim)
    proc = hostdeck(env, "server", "reset-password", "hz", raw["name"], "--yes", "--json")
    assert proc.returncode == 0, proc.stderr
    doc = as_json(proc)
    assert doc["backend"] == "hz" and doc["server"] == raw["name"] and len(doc["password"]) >= 8


def test_show_console_create_delete(env, sim):
    sid, raw = first_running(sim)
    show = as_json(hostdeck(env, "server", "show", "hz", str(sid), "--json"))
    assert show["name"] == raw["name"] and show["raw"]["id"] == sid
    console = as_json(hostdeck(env, "server", "console", "hz", raw["name"], "--json"))
    assert console["url"].startswith("wss://") and console["password"]
    created = hostdeck(env, "server", "create", "hz", "--name", "cli-new-1", "--type", "cx22", "--image", "ubuntu-24.04",
                       "--label", "customer=c-1", "--json")
    assert created.returncode == 0, created.stderr
    doc = as_json(created)
    assert doc["name"] == "cli-new-1" and doc["root_password"] and doc["location"] == "fsn1"
    bad = hostdeck(env, "server", "create", "hz", "--name", "bad name", "--type", "cx22", "--image", "ubuntu-24.04")
    assert bad.returncode == 1 and "invalid server name" in bad.stderr
    gone = hostdeck(env, "server", "delete", "hz", "cli-new-1", "--yes", "--json")
    assert gone.returncode == 0 and int(doc["id"]) not in sim.servers


def test_delete_refuses_protected_servers(env, sim):
    sid = next(i for i, s in sim.servers.items() if s["protection"]["delete"])
    proc = hostdeck(env, "server", "delete", "hz", str(sid), "--yes")
    assert proc.returncode == 1 and "delete protection" in proc.stderr
    assert sid in sim.servers


def test_catalog_cache_then_fallback(env, sim, tmp_path):
    refreshed = hostdeck(env, "catalog", "refresh", "--json")
    assert refreshed.returncode == 0, refreshed.stderr
    (doc,) = as_json(refreshed)
    assert doc["source"] == "live" and any(i["kind"] == "server_type" for i in doc["items"])
    calls = len([r for r in sim.request_log if r["path"].endswith("/server_types")])
    (cached,) = as_json(hostdeck(env, "catalog", "--json"))
    assert cached["source"] == "cache" and cached["age_seconds"] >= 0 and len(cached["items"]) == len(doc["items"])
    assert len([r for r in sim.request_log if r["path"].endswith("/server_types")]) == calls  # no API call while fresh
    dead = free_port()
    down = tmp_path / "down.toml"
    down.write_text(f'[[backends]]\nname = "hz"\nkind = "hetzner"\nurl = "http://127.0.0.1:{dead}/v1"\n')
    (stale,) = as_json(hostdeck(dict(env, HOSTDECK_CONFIG=str(down)), "catalog", "refresh", "--json"))
    assert stale["source"] == "cache" and "live catalog failed" in stale["note"]
    fresh_dir = dict(env, HOSTDECK_CONFIG=str(down), HOSTDECK_DATA_DIR=str(tmp_path / "empty"))
    proc = hostdeck(fresh_dir, "catalog", "--json")
    (fallback,) = as_json(proc)
    assert proc.returncode == 0 and fallback["source"] == "fallback" and fallback["age_seconds"] is None
    assert hostdeck(fresh_dir, "catalog", "refresh", "--json").returncode == 1  # cron sees the failure


def test_secret_set_list_delete_via_keyring(env, sim):
    e = {k: v for k, v in env.items() if k != "HOSTDECK_SECRET_HZ_TOKEN"}
    assert as_json(hostdeck(e, "secret", "list", "--json")) == [{"backend": "hz", "field": "token", "source": "missing"}]
    proc = hostdeck(e, "secret", "set", "hz", "token", stdin=SENTINEL + "\n")
    assert proc.returncode == 0 and SENTINEL not in proc.stderr + proc.stdout
    assert as_json(hostdeck(e, "secret", "list", "--json"))[0]["source"] == "keyring"
    assert hostdeck(e, "test").returncode == 0
    assert hostdeck(e, "secret", "delete", "hz", "token").returncode == 0
    proc = hostdeck(e, "servers")
    assert proc.returncode == 2 and "hostdeck secret set hz token" in proc.stderr


def test_secret_set_for_a_backend_not_configured_stores_nothing(env, tmp_path):
    e = {**{k: v for k, v in env.items() if k != "HOSTDECK_SECRET_HZ_TOKEN"},
         "PYTHON_KEYRING_BACKEND": "tests.memkeyring.FileKeyring", "HOSTDECK_TEST_KEYRING_FILE": str(tmp_path / "kr")}
    proc = hostdeck(e, "secret", "set", "hx", "token", stdin="value-xyz\n")
    assert proc.returncode == 2 and "no backend named 'hx'" in proc.stderr and "configured backends are hz" in proc.stderr
    assert "hostdeck backend add hx --kind KIND" in proc.stderr and "value-xyz" not in proc.stderr
    assert not (tmp_path / "kr").exists() or "value-xyz" not in (tmp_path / "kr").read_text()
    assert hostdeck(e, "secret", "set", "database", "password", stdin="pw-for-the-store\n").returncode == 0
    kept = (tmp_path / "kr").read_text()
    assert "database:password" in kept and "hx:" not in kept and "value-xyz" not in kept


def test_no_keyring_is_a_plain_message(env):
    e = dict(env, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    proc = hostdeck(e, "secret", "set", "hz", "token", stdin="value-xyz\n")
    assert proc.returncode == 2
    assert "No usable keyring" in proc.stderr and "HOSTDECK_SECRET_HZ_TOKEN" in proc.stderr
    assert "Traceback" not in proc.stderr and "value-xyz" not in proc.stderr


def test_config_error_names_file_key_and_fix(env, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[[backends]]\nname = "hz"\nkind = "hetzner"\ntoken = "abc"\n')
    proc = hostdeck(dict(env, HOSTDECK_CONFIG=str(bad)), "servers", "--json")
    assert proc.returncode == 2
    assert str(bad) in proc.stderr and "backends[0].token" in proc.stderr and "Fix:" in proc.stderr
    assert json.loads(proc.stdout)["error"]["category"] == "config"


def test_info_json(env):
    doc = as_json(hostdeck(env, "info", "--json"))
    assert doc["data_dir"] == env["HOSTDECK_DATA_DIR"] and doc["backends"][0]["credential_source"] == "env"
    assert doc["config_path"] == env["HOSTDECK_CONFIG"]


def test_demo_works_with_nothing_configured(tmp_path):
    e = cli_env(keyring="keyring.backends.fail.Keyring", XDG_CONFIG_HOME=str(tmp_path / "none"),
                XDG_DATA_HOME=str(tmp_path / "data"))
    proc = hostdeck(e, "--demo", "servers", "--json")
    assert proc.returncode == 0, proc.stderr
    assert len(json.loads(proc.stdout)) >= 100
    assert not (tmp_path / "data").exists()  # a demo run keeps nothing


def test_the_sentinel_token_appears_nowhere(env, sim, tmp_path):
    """After a full run of the CLI commands, the token is in no file of the data dir, no log and no output."""
    sid, raw = first_running(sim)
    for args in (["info", "--json"], ["test", "--json"], ["servers", "--json"], ["server", "show", "hz", str(sid)],
                 ["server", "power", "hz", str(sid), "reboot", "--yes"], ["server", "console", "hz", str(sid)],
                 ["server", "reset-password", "hz", str(sid), "--yes"], ["catalog", "refresh"], ["catalog", "--json"],
                 ["secret", "list", "--json"]):
        hostdeck(env, *args)
    hostdeck(dict(env, HOSTDECK_SECRET_HZ_TOKEN=SENTINEL + "x"), "servers")  # a failing run too
    data = Path(env["HOSTDECK_DATA_DIR"])
    files = [p for p in data.rglob("*") if p.is_file()]
    assert any(p.name.startswith("hostdeck.db") for p in files)  # the store was written
    for path in files:
        assert SENTINEL.encode() not in path.read_bytes(), path
    import sqlite3

    log_lines = (data / "logs" / "hostdeck.log").read_text().splitlines()
    assert len(log_lines) > 10 and any('"status": 401' in line for line in log_lines)
    rows = sqlite3.connect(data / "hostdeck.db").execute("SELECT * FROM events").fetchall()
    assert len(rows) > 10 and SENTINEL not in repr(rows)
    assert all(SENTINEL not in out for out in Run.outputs)


def exported_by_bash(lines: str) -> dict[str, str]:
    """What `eval "$lines"` exports in bash: the HOSTDECK_SECRET_* variables of a clean environment."""
    proc = subprocess.run(["bash", "-c", 'eval "$HINTS" && env -0'], env={"HINTS": lines, "PATH": os.environ["PATH"]},
                          capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0, proc.stderr
    pairs = (item.partition("=") for item in proc.stdout.split("\0") if item.startswith("HOSTDECK_SECRET_"))
    return {name: value for name, _, value in pairs}


def expected_demo_exports() -> dict[str, str]:
    from hostdeck.backends.demo import plan_demo
    from hostdeck.backends.secrets import env_name

    return {env_name(b, f): v for (b, f), v in plan_demo().demo_secrets.items()}


def test_demo_ignores_secret_variables_of_the_environment(tmp_path):
    e = cli_env(HOSTDECK_SECRET_HZ_TOKEN="wrong-token", HOSTDECK_SECRET_VPS_TOKEN="wrong-token")
    proc = run_cli(e, "--demo", "test", "hz", "vps", "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [(r["ok"], r["credential_source"]) for r in json.loads(proc.stdout)] == [(True, "demo"), (True, "demo")]


def test_sim_runs_in_the_foreground_and_prints_a_working_config(tmp_path):
    import signal
    import tomllib

    e = cli_env(keyring=None)
    proc = subprocess.Popen([sys.executable, "-m", "hostdeck.cli.main", "sim", "--servers", "25"], env=e, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        lines = []
        while not (lines and lines[-1] == "# end of config"):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line.rstrip("\n"))
        config = tmp_path / "sim.toml"
        config.write_text("\n".join(lines))
        parsed = tomllib.loads(config.read_text())
        assert parsed["backends"][0]["kind"] == "hetzner"
        hints = []
        while True:  # every hint line, up to "press ctrl+c"
            line = proc.stderr.readline()
            assert line, "hostdeck sim stopped"
            if "ctrl+c" in line:
                break
            if line.startswith("  "):
                hints.append(line.strip())
        credentials = exported_by_bash("\n".join(hints))
        assert credentials == expected_demo_exports()  # `1|demo-…` and empty values survive the shell
        env = dict(e, HOSTDECK_CONFIG=str(config), HOSTDECK_DATA_DIR=str(tmp_path / "d"), **credentials)
        out = run_cli(env, "servers", "--backend", "hz", "--json", timeout=60)
        assert out.returncode == 0, out.stderr
        assert len(json.loads(out.stdout)) == 25
        tested = run_cli(env, "test", "--json", timeout=60)
        assert tested.returncode == 0, tested.stdout  # every simulator answers with the printed credentials
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


def test_read_only_test_sends_no_post_and_the_scope_probe_is_logged_as_info(env, sim, tmp_path):
    import sqlite3

    sim.request_log.clear()
    proc = hostdeck(env, "--read-only", "test", "--json")
    (report,) = as_json(proc)
    assert proc.returncode == 0 and report["ok"] is True, proc.stderr
    assert [r["method"] for r in sim.request_log] and {r["method"] for r in sim.request_log} == {"GET"}
    assert report["details"]["token"] == "not checked (read-only mode)"

    sim.request_log.clear()
    proc = hostdeck(env, "test", "--json")
    (report,) = as_json(proc)
    assert report["details"]["token"] == "read-write"
    assert [r["path"] for r in sim.request_log if r["method"] == "POST"] == ["/v1/servers/0/actions/poweron"]
    with sqlite3.connect(tmp_path / "data" / "hostdeck.db") as db:
        levels = db.execute("SELECT level FROM events WHERE message LIKE 'token scope probe%'").fetchall()
    assert levels and {lv for (lv,) in levels} == {"info"}


def test_server_show_names_who_pays_from_the_service_links(env, sim, tmp_path):
    """`billing_link` in `server show` comes from the sync map's link and that one WHMCS service."""
    from hostdeck.backends.sim.whmcs import WhmcsSim

    with WhmcsSim(clients=15, seed=2) as whmcs:
        config = Path(env["HOSTDECK_CONFIG"])
        config.write_text(config.read_text() + f'\n[[backends]]\nname = "wh"\nkind = "whmcs"\nurl = "{whmcs.base_url}"\n')
        e = {**env, "HOSTDECK_SECRET_WH_IDENTIFIER": whmcs.identifier, "HOSTDECK_SECRET_WH_SECRET": whmcs.secret,
             "HOSTDECK_SECRET_WH_ACCESSKEY": ""}
        sid, server = first_running(sim)
        unlinked = as_json(hostdeck(e, "server", "show", "hz", str(sid), "--json"))
        assert unlinked["billing_link"] is None
        service_id, service = next((i, s) for i, s in sorted(whmcs.services.items()) if s["status"] == "Active")
        linked = hostdeck(e, "sync", "services", "--link", str(service_id), "hz", str(sid))
        assert linked.returncode == 0, linked.stdout + linked.stderr
        shown = as_json(hostdeck(e, "server", "show", "hz", str(sid), "--json"))
        assert f"#{service_id} Active" in shown["billing_link"]
        client = whmcs.clients[int(service["clientid"])]
        assert client["lastname"] in shown["billing_link"]


def test_no_backends_is_said_with_the_config_path(tmp_path):
    e = cli_env(data=tmp_path / "data", XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    for args in (["servers"], ["servers", "--cached"], ["test"]):
        proc = hostdeck(e, *args)
        assert proc.returncode == 1, (args, proc.stderr)
        assert "no backends configured" in proc.stderr and str(tmp_path / "xdg") in proc.stderr, (args, proc.stderr)
