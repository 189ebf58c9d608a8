"""Read-only is read-only: the SSO link (a full panel session) is refused, and the commands that write the sync map
refuse up front, send nothing and write nothing (no link, no log row, no error row). Runs `--demo` (the simulators of
every backend) with a data dir of its own, so what was written can be read afterwards."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.support.cli import demo_env
from tests.support.cli import run_cli
from tests.support.cli import store_rows as _rows


@pytest.fixture
def env(tmp_path):
    return demo_env(tmp_path)


def hostdeck(env, *args) -> subprocess.CompletedProcess:
    return run_cli(env, "--demo", *args)


def test_read_only_refuses_sso_and_sync_map_writes_up_front(env):
    servers = json.loads(hostdeck(env, "servers", "--backend", "vps", "--json").stdout)
    before_api = _rows(env, "SELECT count(*) FROM events WHERE kind='api'")[0][0]
    for args in (["server", "sso", "vps", servers[0]["id"], "--print"], ["sync", "link", "1", "41"],
                 ["sync", "unlink", "1"], ["sync", "services", "--accept-all"], ["sync", "services", "--accept", "1"],
                 ["sync", "services", "--reject", "1"], ["sync", "services", "--link", "1", "hz", "1"],
                 ["sync", "services", "--unlink", "1"], ["sync", "clients", "--push"], ["sync", "clients", "--update"],
                 ["sync", "panel"], ["sync", "panel", "--adopt", "hz", "1", "5"], ["sync", "panel", "--link-user", "1", "41"],
                 ["sync", "panel", "--unlink-user", "1"], ["sync", "panel", "--retry-create", "hz", "1"]):
        proc = hostdeck(env, "--read-only", *args, "--json")
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert json.loads(proc.stdout)["error"]["category"] == "read_only", args
        assert "read-only mode is on" in proc.stderr and "Traceback" not in proc.stderr
        assert "url" not in json.loads(proc.stdout)  # no link printed
    assert _rows(env, "SELECT count(*) FROM sync_links") == [(0,)]
    assert _rows(env, "SELECT count(*) FROM sync_log") == [(0,)]
    assert _rows(env, "SELECT count(*) FROM events WHERE kind='api'")[0][0] == before_api  # nothing was sent


def test_read_only_check_reports_without_writing_and_the_writes_work_otherwise(env):
    accepted = hostdeck(env, "sync", "services", "--accept-all", "--yes", "--json")
    assert accepted.returncode == 0, accepted.stderr
    linked = _rows(env, "SELECT count(*) FROM sync_links")[0][0]
    assert linked > 0  # the same command writes when read-only is off
    log = _rows(env, "SELECT count(*) FROM sync_log")[0][0]
    checked = hostdeck(env, "--read-only", "sync", "clients", "--check", "--json")
    assert checked.returncode in (0, 1), checked.stderr
    assert "operation" in json.loads(checked.stdout)
    assert _rows(env, "SELECT count(*) FROM sync_log")[0][0] == log
    assert _rows(env, "SELECT count(*) FROM sync_links")[0][0] == linked


def test_read_only_refuses_a_disruptive_command_before_asking_for_yes(env):
    """`--yes` would not help: the refusal comes first, so nobody is told to add it only to be refused after."""
    server = json.loads(hostdeck(env, "servers", "--backend", "hz", "--json").stdout)[0]
    for args in (["server", "power", "hz", server["id"], "reboot"], ["server", "reset-password", "hz", server["id"]],
                 ["server", "suspend", "hz", server["id"]], ["server", "delete", "hz", server["id"]]):
        proc = hostdeck(env, "--read-only", *args)
        assert proc.returncode == 1 and "read-only mode is on" in proc.stderr, (args, proc.stderr)
        assert "--yes" not in proc.stderr, (args, proc.stderr)


def test_read_only_from_the_config_refuses_before_a_plan_is_read(tmp_path, env):
    """`[general] read_only = true` counts like --read-only: refused at once, not "run again with --yes"."""
    config = tmp_path / "ro.toml"
    config.write_text('[general]\nread_only = true\n[sync]\nbilling = "billing"\npanel = "vps"\n'
                      '[[backends]]\nname = "billing"\nkind = "whmcs"\nurl = "http://127.0.0.1:9"\n'
                      '[[backends]]\nname = "vps"\nkind = "convoy"\nurl = "http://127.0.0.1:9"\n')
    for args in (["sync", "clients", "--push"], ["sync", "services", "--accept-all"], ["server", "power", "vps", "x",
                                                                                       "reboot"]):
        proc = run_cli(env, "--config", str(config), *args)
        assert proc.returncode == 1 and "read-only mode is on" in proc.stderr, (args, proc.stderr)
        assert "--yes" not in proc.stderr, (args, proc.stderr)
