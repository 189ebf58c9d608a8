"""Nothing heavy before the first rows: a fresh `hostdeck` process paints the stored inventory with SQLAlchemy,
SQLModel, paramiko and httpx still unimported (they come with the refresh, after the first paint)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from hostdeck.backends.sim.hetzner import HetznerSim

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "first-rows-token"


def _env(tmp_path: Path, url: str) -> dict:
    config = tmp_path / "config.toml"
    config.write_text(f'[[backends]]\nname = "hz"\nkind = "hetzner"\nurl = "{url}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOSTDECK_")}
    env.update(HOSTDECK_CONFIG=str(config), HOSTDECK_DATA_DIR=str(tmp_path / "data"), HOSTDECK_SECRET_HZ_TOKEN=TOKEN,
               PYTHONPATH=str(ROOT), PYTHON_KEYRING_BACKEND="tests.memkeyring.FileKeyring",
               HOSTDECK_TEST_KEYRING_FILE=str(tmp_path / "keyring.json"), XDG_CONFIG_HOME=str(tmp_path / "xdg"))
    return env


def _run(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_the_first_rows_are_painted_before_any_heavy_import(tmp_path):
    with HetznerSim(servers=40, seed=3, token=TOKEN) as sim:
        env = _env(tmp_path, sim.base_url)
        listed = _run(env, "-m", "hostdeck.cli.main", "servers", "--json")  # fills the store, as an earlier run would
        assert listed.returncode == 0, listed.stderr
        sim.stop()  # the API is down for the start below
        probe = _run(env, str(ROOT / "tests" / "tui" / "first_rows_probe.py"))
    assert probe.returncode == 0, probe.stderr
    seen = json.loads(probe.stdout.strip().splitlines()[-1])
    assert seen["rows"] == 40
    assert seen["status"].endswith("(cached)")
    assert seen["heavy"] == []
