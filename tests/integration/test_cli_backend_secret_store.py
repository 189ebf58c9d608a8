"""`hostdeck backend add` on a machine without a usable keyring, and with a CloudPanel host whose SSH host key is new:
real subprocesses, the simulators over real sockets. Nothing falls back silently: the secrets file is used only after
`--secret-store file`, and a host key only after it was shown and trusted."""

from __future__ import annotations

import json
import stat
import tomllib
from pathlib import Path

import pytest

from hostdeck.backends.sim.cloudpanel import CloudPanelSim

from .test_cli_backend import COMMENTED
from .test_cli_backend import TOKEN
from .test_cli_backend import env  # noqa: F401 - a fixture
from .test_cli_backend import hostdeck
from .test_cli_backend import keyring
from .test_cli_backend import sim  # noqa: F401 - a fixture

NO_KEYRING = "keyring.backends.fail.Keyring"


def secrets_file(env) -> Path:
    return Path(env["HOSTDECK_CONFIG"]).parent / "secrets.toml"


@pytest.mark.parametrize("backend", [NO_KEYRING, "keyring.backends.null.Keyring"])
def test_without_a_keyring_nothing_is_asked_or_saved_and_the_ways_out_are_named(env, sim, backend):
    e = dict(env, PYTHON_KEYRING_BACKEND=backend)
    before = Path(e["HOSTDECK_CONFIG"]).read_text()
    proc = hostdeck(e, "backend", "add", "hz", "--kind", "hetzner", "--url", sim.base_url, stdin=TOKEN + "\n")
    assert proc.returncode == 2, proc.stderr
    assert "No usable keyring" in proc.stderr and "HOSTDECK_SECRET_HZ_TOKEN" in proc.stderr
    assert "--secret-store file" in proc.stderr and str(secrets_file(e)) in proc.stderr
    assert TOKEN not in proc.stderr + proc.stdout and "Traceback" not in proc.stderr
    assert Path(e["HOSTDECK_CONFIG"]).read_text() == before and not secrets_file(e).exists()
    assert not sim.request_log  # refused before the test: no token was sent anywhere


def test_the_secrets_file_is_an_explicit_choice_kept_0600_and_read_back(env, sim):
    e = dict(env, PYTHON_KEYRING_BACKEND=NO_KEYRING)
    added = hostdeck(e, "backend", "add", "hz", "--kind", "hetzner", "--url", sim.base_url, "--secret-store", "file",
                     stdin=TOKEN + "\n")
    assert added.returncode == 0, added.stderr
    assert f"token stored in the secrets file {secrets_file(e)}" in added.stderr
    text = Path(e["HOSTDECK_CONFIG"]).read_text()
    assert text.startswith(COMMENTED.split("\n")[0]) and TOKEN not in text
    assert tomllib.loads(text)["general"] == {"refresh_interval": 30, "secret_store": "file"}
    path = secrets_file(e)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert tomllib.loads(path.read_text()) == {"hz": {"token": TOKEN}}

    servers = hostdeck(e, "servers", "--json")  # no variable set, no keyring: read from the file
    assert servers.returncode == 0, servers.stderr
    assert len(json.loads(servers.stdout)) == len(sim.servers)
    listed = json.loads(hostdeck(e, "backend", "list", "--json").stdout)
    assert [(r["name"], r["credential_source"]) for r in listed] == [("hz", "file")]

    removed = hostdeck(e, "backend", "remove", "hz", "--yes", "--json")
    assert removed.returncode == 0, removed.stderr
    assert json.loads(removed.stdout)["secrets_deleted"] == ["token"]
    assert tomllib.loads(path.read_text()) == {} and stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_secret_in_the_environment_is_tested_with_and_stored_nowhere(env, sim):
    e = dict(env, PYTHON_KEYRING_BACKEND=NO_KEYRING, HOSTDECK_SECRET_HZ_TOKEN=TOKEN)
    added = hostdeck(e, "backend", "add", "hz", "--kind", "hetzner", "--url", sim.base_url, stdin="")
    assert added.returncode == 0, added.stderr
    assert "read from the environment (stored nowhere)" in added.stderr
    assert not secrets_file(e).exists() and TOKEN not in Path(e["HOSTDECK_CONFIG"]).read_text()
    listed = json.loads(hostdeck(e, "backend", "list", "--json").stdout)
    assert listed[0]["credential_source"] == "env"


@pytest.fixture
def panel():
    with CloudPanelSim(cert_seconds=0.05) as s:
        yield s


def cloudpanel_args(panel) -> list[str]:
    host, port = panel.address
    return ["backend", "add", "web1", "--kind", "cloudpanel", "--set", f"host={host}", "--set", f"port={port}",
            "--set", f"key_file={panel.client_key_file}"]


def test_a_new_cloudpanel_host_key_is_shown_and_saved_only_once_trusted(env, panel):
    before = Path(env["HOSTDECK_CONFIG"]).read_text()
    asked = hostdeck(env, *cloudpanel_args(panel), stdin="\n")
    assert asked.returncode == 2, asked.stderr
    assert f"presents the SSH host key ecdsa-sha2-nistp256 {panel.fingerprint}" in asked.stderr
    assert f"--trust-host-key {panel.fingerprint}" in asked.stderr
    assert Path(env["HOSTDECK_CONFIG"]).read_text() == before and not panel.commands  # nothing was run

    wrong = hostdeck(env, *cloudpanel_args(panel), "--trust-host-key", "SHA256:" + "A" * 43, stdin="\n")
    assert wrong.returncode == 2 and panel.fingerprint in wrong.stderr, wrong.stderr
    assert Path(env["HOSTDECK_CONFIG"]).read_text() == before and not panel.commands

    trusted = hostdeck(env, *cloudpanel_args(panel), "--trust-host-key", panel.fingerprint, stdin="\n")
    assert trusted.returncode == 0, trusted.stderr
    table = tomllib.loads(Path(env["HOSTDECK_CONFIG"]).read_text())["backends"][0]
    assert table["host_key_fingerprint"] == panel.fingerprint
    assert keyring(env) == {}  # a key without a passphrase: no secret to store
    assert hostdeck(env, "test", "web1").returncode == 0


def test_in_a_terminal_the_host_key_is_asked_about_and_a_yes_trusts_it(env, panel):
    """stdin a terminal (a pseudo-terminal here): the key is shown on stderr with a yes/no question."""
    import os
    import pty
    import subprocess
    import sys

    from .test_cli_backend import ROOT

    controller, terminal = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "hostdeck.cli.main", *cloudpanel_args(panel)], env=env, cwd=ROOT,
                            stdin=terminal, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    err = b""
    try:
        # answered once asked: getpass flushes what was typed before its prompt, as a terminal does
        for prompt, answer in ((b"Enter for none): ", b"\n"), (b"Trust it? [y/N] ", b"y\n")):
            while prompt not in err:
                chunk = os.read(proc.stderr.fileno(), 4096)
                assert chunk, err.decode()
                err += chunk
            os.write(controller, answer)
        out, rest = proc.communicate(timeout=60)
    finally:
        proc.kill()
        os.close(terminal)
        os.close(controller)
    err += rest
    assert proc.returncode == 0, err.decode()
    assert panel.fingerprint.encode() in err and out == b""  # stdout stays clean for --json
    table = tomllib.loads(Path(env["HOSTDECK_CONFIG"]).read_text())["backends"][0]
    assert table["host_key_fingerprint"] == panel.fingerprint
