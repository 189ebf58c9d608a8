"""kill -9 a client sync at random points, rerun it: no duplicate panel user, and a sync map that tells the truth."""

from __future__ import annotations

import json
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hostdeck.backends.sim.cluster import Cluster
from hostdeck.backends.sim.convoy import ConvoySim
from hostdeck.backends.sim.whmcs import WhmcsSim
from tests.support.cli import cli_env
from tests.support.cli import run_cli

from . import cv
from . import wh
from .sync_env import write_sync_config

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def world(tmp_path):
    # latency makes the run long enough to be killed in the middle of its creates
    with WhmcsSim(clients=300, seed=9, identifier=wh.IDENTIFIER, secret=wh.SECRET, latency_ms=25) as whmcs, \
            ConvoySim(servers=4, users=5, seed=9, token=cv.TOKEN, cluster=Cluster(), latency_ms=25) as convoy:
        config = write_sync_config(tmp_path / "config.toml", whmcs, convoy, concurrency=4)
        env = cli_env(config=config, data=tmp_path / "data", HOSTDECK_SECRET_BILLING_IDENTIFIER=wh.IDENTIFIER,
                      HOSTDECK_SECRET_BILLING_SECRET=wh.SECRET, HOSTDECK_SECRET_VPS_TOKEN=cv.TOKEN)
        yield whmcs, convoy, env, tmp_path


def sync(env, timeout=120) -> subprocess.CompletedProcess:
    return run_cli(env, "sync", "clients", "--push", "--yes", "--json", timeout=timeout)


def test_killed_syncs_rerun_to_a_true_map_without_duplicates(world):
    whmcs, convoy, env, tmp = world
    rng = random.Random(1234)
    kills = 0
    for _ in range(4):
        proc = subprocess.Popen([sys.executable, "-m", "hostdeck.cli.main", "sync", "clients", "--push",
                                 "--yes"], env=env, cwd=ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        # Killed after a random number of new panel users, not after a time: on a loaded machine start-up alone can
        # outlast any fixed delay, and the point is to die in the middle of the creates.
        target = len(convoy.users) + rng.randint(1, 40)
        deadline = time.monotonic() + 60
        while len(convoy.users) < target and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        if proc.poll() is None:
            proc.send_signal(signal.SIGKILL)
            kills += 1
        proc.wait()
    assert kills >= 2, "the syncs finished before they could be killed: raise the latency"
    assert 0 < len(convoy.users) - 5 < 300  # the killed runs made some users, not all
    final = sync(env)
    assert final.returncode == 0, final.stderr
    report = json.loads(final.stdout)
    assert report["counts"].get("error", 0) == 0
    emails = [u["email"].lower() for u in convoy.users.values()]
    assert len(emails) == len(set(emails)), "a rerun made a duplicate panel user"
    rows = sqlite3.connect(tmp / "data" / "hostdeck.db").execute(
        "SELECT left_id, right_id, status, intent FROM sync_links WHERE entity='client'").fetchall()
    assert len(rows) == 300 and all(status == "synced" and intent is None for _, _, status, intent in rows)
    users = {str(u["id"]): u["email"].lower() for u in convoy.users.values()}
    clients = {str(c["id"]): c["email"].lower() for c in whmcs.clients.values()}
    for left_id, right_id, _, _ in rows:
        assert users[right_id] == clients[left_id]  # every link points at the user with that client's email
    again = json.loads(sync(env).stdout)
    assert again["outcomes"] == []
