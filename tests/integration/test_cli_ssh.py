"""`hostdeck server ssh`: the argv handed to the system ssh, recorded by a fake `ssh` first on PATH."""

from __future__ import annotations

import json
import os

import pytest

from hostdeck.backends.sim.hetzner import HetznerSim
from tests.support.cli import cli_env
from tests.support.cli import run_cli
from tests.support.fake_ssh import fake_ssh

TOKEN = "ssh-test-token-5e1d"


@pytest.fixture
def sim():
    with HetznerSim(servers=12, seed=17, token=TOKEN, action_seconds=0.05) as s:
        yield s


def env_for(tmp_path, sim, bin_dir, extra: str = ""):
    config = tmp_path / "config.toml"
    config.write_text(f'[[backends]]\nname = "hz"\nkind = "hetzner"\nurl = "{sim.base_url}"\n{extra}')
    env = cli_env(config=config, data=tmp_path / "data", HOSTDECK_SECRET_HZ_TOKEN=TOKEN,
                  XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    env["PATH"] = f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"
    return env


def a_server(sim):
    record = next(s for s in sim.servers.values() if s["public_net"]["ipv4"])
    return record["name"], record["public_net"]["ipv4"]["ip"]


def test_ssh_runs_the_system_ssh_as_root_to_the_servers_address(tmp_path, sim):
    bin_dir, record = fake_ssh(tmp_path)
    name, ip = a_server(sim)
    done = run_cli(env_for(tmp_path, sim, bin_dir), "server", "ssh", "hz", name)
    assert done.returncode == 0, done.stderr
    argv = json.loads(record.read_text())
    assert argv == ["-l", "root", "--", ip]
    assert not any("StrictHostKeyChecking" in a or "UserKnownHostsFile" in a for a in argv)  # known_hosts is honoured


def test_ssh_user_from_the_config_and_a_quoted_remote_command(tmp_path, sim):
    bin_dir, record = fake_ssh(tmp_path)
    name, ip = a_server(sim)
    env = env_for(tmp_path, sim, bin_dir, 'ssh_user = "deploy"\n')
    done = run_cli(env, "server", "ssh", "hz", name, "--", "ls", "-l", "my file; rm -rf /")
    assert done.returncode == 0, done.stderr
    assert json.loads(record.read_text()) == ["-l", "deploy", "--", ip, "ls -l 'my file; rm -rf /'"]


def test_ssh_exit_code_is_the_commands(tmp_path, sim):
    bin_dir, _record = fake_ssh(tmp_path, code=255)
    name, _ip = a_server(sim)
    done = run_cli(env_for(tmp_path, sim, bin_dir), "server", "ssh", "hz", name)
    assert done.returncode == 255


def test_a_bad_ssh_user_is_refused_before_ssh_runs(tmp_path, sim):
    bin_dir, record = fake_ssh(tmp_path)
    name, _ip = a_server(sim)
    env = env_for(tmp_path, sim, bin_dir, 'ssh_user = "-oProxyCommand=evil"\n')
    done = run_cli(env, "server", "ssh", "hz", name)
    assert done.returncode == 2
    assert "ssh_user" in done.stderr and not record.exists()


def test_an_unknown_server_is_an_error_and_ssh_never_runs(tmp_path, sim):
    bin_dir, record = fake_ssh(tmp_path)
    done = run_cli(env_for(tmp_path, sim, bin_dir), "server", "ssh", "hz", "no-such-server")
    assert done.returncode == 1
    assert "no-such-server" in done.stderr and not record.exists()


def test_an_ipv6_only_server_is_reached_at_its_networks_first_address():
    from hostdeck.backends.models import Server
    from hostdeck.backends.models import ServerStatus
    from hostdeck.backends.ssh_command import ssh_argv

    server = Server(backend="hz", id="1", name="v6", status=ServerStatus.RUNNING, raw_status="running",
                    ipv6="2001:db8:1:2::/64")
    assert ssh_argv(server, user="root") == ["ssh", "-l", "root", "--", "2001:db8:1:2::1"]
