"""`hostdeck backend add|list|remove` as a new user runs them: real subprocesses, the Hetzner simulator over a real
socket, a keyring that lives in the test's folder. A backend is saved only after it answered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from hostdeck.backends.sim.hetzner import HetznerSim

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "RIGHT-TOKEN-7d1e0c55aa"
COMMENTED = "# our hosting\n[general]\nrefresh_interval = 30  # seconds\n"


@pytest.fixture
def sim():
    with HetznerSim(servers=12, seed=5, token=TOKEN) as s:
        yield s


@pytest.fixture
def env(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(COMMENTED)
    e = {k: v for k, v in os.environ.items() if not k.startswith("HOSTDECK_")}
    e.update(HOSTDECK_CONFIG=str(config), HOSTDECK_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT),
             PYTHON_KEYRING_BACKEND="tests.memkeyring.FileKeyring",
             HOSTDECK_TEST_KEYRING_FILE=str(tmp_path / "keyring.json"), XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    return e


def hostdeck(env, *args, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hostdeck.cli.main", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, input=stdin, timeout=120)


def keyring(env) -> dict:
    path = Path(env["HOSTDECK_TEST_KEYRING_FILE"])
    return json.loads(path.read_text()) if path.exists() else {}


def test_a_wrong_token_exits_non_zero_and_writes_nothing(env, sim):
    before = Path(env["HOSTDECK_CONFIG"]).read_text()
    proc = hostdeck(env, "backend", "add", "hz", "--kind", "hetzner", "--url", sim.base_url, stdin="wrong-token\n")
    assert proc.returncode == 1, proc.stderr
    assert "nothing was saved" in proc.stderr and "wrong-token" not in proc.stderr + proc.stdout
    assert Path(env["HOSTDECK_CONFIG"]).read_text() == before and keyring(env) == {}
    # the advice fits a backend that was not saved: add it again, with a token made where the console makes them
    assert "secret set" not in proc.stderr and "token was rejected" in proc.stderr
    assert "run `hostdeck backend add hz --kind hetzner ...` again with the right API token (project > Security > API " \
           "tokens)" in proc.stderr


def test_the_right_token_goes_to_the_keyring_and_the_fleet_lists_with_no_variable_set(env, sim):
    proc = hostdeck(env, "backend", "add", "hz", "--kind", "hetzner", "--url", sim.base_url, stdin=TOKEN + "\n")
    assert proc.returncode == 0, proc.stderr
    text = Path(env["HOSTDECK_CONFIG"]).read_text()
    assert TOKEN not in text and text.startswith(COMMENTED)  # the person's comments and order are kept
    assert 'name = "hz"' in text and 'kind = "hetzner"' in text
    assert Path(env["HOSTDECK_CONFIG"]).stat().st_mode & 0o777 == 0o600
    assert list(keyring(env).values()) == [TOKEN]
    servers = hostdeck(env, "servers", "--json")
    assert servers.returncode == 0 and len(json.loads(servers.stdout)) == len(sim.servers)

    listed = json.loads(hostdeck(env, "backend", "list", "--json").stdout)
    tested_at = listed[0].pop("last_test_at")  # the test `add` ran before it saved
    assert listed == [{"name": "hz", "kind": "hetzner", "url": sim.base_url, "credential_source": "keyring",
                       "last_test": "ok"}] and tested_at.endswith("+00:00")


def test_remove_asks_for_yes_then_takes_the_secret_too(env, sim):
    assert hostdeck(env, "backend", "add", "hz", "--kind", "hetzner", "--url", sim.base_url,
                    stdin=TOKEN + "\n").returncode == 0
    asked = hostdeck(env, "backend", "remove", "hz")
    assert asked.returncode == 2 and "--yes" in asked.stderr and keyring(env)
    done = hostdeck(env, "backend", "remove", "hz", "--yes", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"removed": "hz", "secrets_deleted": ["token"]}
    assert keyring(env) == {} and Path(env["HOSTDECK_CONFIG"]).read_text().rstrip() == COMMENTED.rstrip()


def test_no_keyring_names_the_variable_and_leaves_the_config_unchanged(env, sim):
    e = dict(env, PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    before = Path(e["HOSTDECK_CONFIG"]).read_text()
    proc = hostdeck(e, "backend", "add", "hz", "--kind", "hetzner", "--url", sim.base_url, stdin=TOKEN + "\n")
    assert proc.returncode == 2
    assert "HOSTDECK_SECRET_HZ_TOKEN" in proc.stderr and "Traceback" not in proc.stderr and TOKEN not in proc.stderr
    assert Path(e["HOSTDECK_CONFIG"]).read_text() == before


def test_a_name_that_is_taken_or_invalid_is_refused_before_anything_is_asked(env, sim):
    assert hostdeck(env, "backend", "add", "hz", "--kind", "hetzner", "--url", sim.base_url,
                    stdin=TOKEN + "\n").returncode == 0
    again = hostdeck(env, "backend", "add", "hz", "--kind", "hetzner", "--url", sim.base_url, stdin=TOKEN + "\n")
    assert again.returncode == 2 and "already configured" in again.stderr
    bad = hostdeck(env, "backend", "add", "Bad Name", "--kind", "hetzner", stdin=TOKEN + "\n")
    assert bad.returncode == 2 and "not valid" in bad.stderr


def test_a_closed_pipe_ends_the_listing_quietly(env, sim):
    """`hostdeck servers | head -1`: the reader leaves early; no BrokenPipeError traceback reaches the terminal."""
    e = dict(env, HOSTDECK_SECRET_HZ_TOKEN=TOKEN)
    Path(e["HOSTDECK_CONFIG"]).write_text(f'[[backends]]\nname = "hz"\nkind = "hetzner"\nurl = "{sim.base_url}"\n')
    proc = subprocess.Popen([sys.executable, "-m", "hostdeck.cli.main", "servers"], env=e, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    proc.stdout.close()  # like `head` after its line: everything written from now on has no reader
    _, err = proc.communicate(timeout=120)
    assert "Traceback" not in err and "BrokenPipe" not in err, err
    assert proc.returncode == 141


def test_a_cloudpanel_command_on_another_kind_names_the_site_hosts(env, sim):
    e = dict(env, HOSTDECK_SECRET_HZ_TOKEN=TOKEN)
    Path(e["HOSTDECK_CONFIG"]).write_text(f'[[backends]]\nname = "hz"\nkind = "hetzner"\nurl = "{sim.base_url}"\n')
    proc = hostdeck(e, "cloudpanel", "trust", "hz")
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert "hz is a hetzner backend, not a site host" in proc.stderr and "none is configured" in proc.stderr


def test_the_list_shows_the_newest_connection_test_of_each_backend(env, sim):
    Path(env["HOSTDECK_CONFIG"]).write_text(
        f'[[backends]]\nname = "hz"\nkind = "hetzner"\nurl = "{sim.base_url}"\n'
        f'[[backends]]\nname = "spare"\nkind = "hetzner"\nurl = "{sim.base_url}"\n')
    good = dict(env, HOSTDECK_SECRET_HZ_TOKEN=TOKEN, HOSTDECK_SECRET_SPARE_TOKEN=TOKEN)
    assert hostdeck(good, "test", "hz").returncode == 0
    listed = {row["name"]: row for row in json.loads(hostdeck(good, "backend", "list", "--json").stdout)}
    assert listed["hz"]["last_test"] == "ok" and listed["hz"]["last_test_at"].endswith("+00:00")
    assert listed["spare"]["last_test"] == "never" and listed["spare"]["last_test_at"] is None

    wrong = dict(good, HOSTDECK_SECRET_HZ_TOKEN="wrong-token-0000")
    assert hostdeck(wrong, "test", "hz").returncode == 1
    listed = {row["name"]: row for row in json.loads(hostdeck(good, "backend", "list", "--json").stdout)}
    assert listed["hz"]["last_test"].startswith("failed: ") and "wrong-token" not in listed["hz"]["last_test"]
    shown = hostdeck(good, "backend", "list").stdout
    assert "LAST TEST" in shown and "UTC failed: " in shown and "never" in shown
