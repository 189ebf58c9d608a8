"""A team on one PostgreSQL store: two consoles (two data dirs) push the client sync at once against the simulators,
through the real command line. Both finish (one may first be told the other runs, and is run again), no panel user is
made twice, every client is linked, both read the same sync map and log, and no SQLite file appears."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from hostdeck.backends.sim.cluster import Cluster
from hostdeck.backends.sim.convoy import ConvoySim
from hostdeck.backends.sim.whmcs import WhmcsSim
from tests.support.cli import ROOT
from tests.support.cli import cli_env
from tests.support.cli import run_cli

from . import cv
from . import wh
from .sync_env import write_sync_config

CLIENTS = 120
PASSWORD = "team-db-pass-4711"


@pytest.fixture
def team(tmp_path, pg_url):
    """The simulators, and two consoles' environments: a data dir each, one database. The password comes from the
    keyring's stand-in (HOSTDECK_SECRET_DATABASE_PASSWORD), never the URL (the cluster trusts loopback anyway)."""
    with WhmcsSim(clients=CLIENTS, seed=17, identifier=wh.IDENTIFIER, secret=wh.SECRET, latency_ms=5) as whmcs, \
            ConvoySim(servers=4, users=5, seed=17, token=cv.TOKEN, cluster=Cluster(), latency_ms=5) as convoy:
        envs = []
        for name in ("alice", "bob"):
            home = tmp_path / name
            home.mkdir()
            config = write_sync_config(home / "config.toml", whmcs, convoy, concurrency=8, database=pg_url)
            envs.append(cli_env(config=config, data=home / "data", HOSTDECK_SECRET_BILLING_IDENTIFIER=wh.IDENTIFIER,
                                HOSTDECK_SECRET_BILLING_SECRET=wh.SECRET, HOSTDECK_SECRET_VPS_TOKEN=cv.TOKEN,
                                HOSTDECK_SECRET_DATABASE_PASSWORD=PASSWORD))
        yield whmcs, convoy, envs, pg_url


def _push(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "hostdeck.cli.main", "sync", "clients", "--push", "--yes", "--json"],
                            env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_two_consoles_push_at_once_without_a_duplicate_or_a_lost_link(team):
    whmcs, convoy, envs, url = team
    runs = [_push(env) for env in envs]
    results = [(run.wait(timeout=180), *run.communicate()) for run in runs]
    for env, (code, out, err) in zip(envs, results):
        if code != 0:   # told the other console runs the push: it says who, and a rerun finishes the job
            assert "another client sync is running" in err and "@" in err and "since" in err, err
            again = run_cli(env, "sync", "clients", "--push", "--yes", "--json", timeout=180)
            assert again.returncode == 0, again.stderr
        assert PASSWORD not in out + err
    emails = [u["email"].lower() for u in convoy.users.values()]
    assert len(emails) == len(set(emails)), "two consoles made the same panel user"
    maps = [json.loads(run_cli(env, "sync", "status", "--json").stdout) for env in envs]
    assert maps[0] == maps[1] and maps[0]["client"] == {"synced": CLIENTS}, maps
    logs = [json.loads(run_cli(env, "sync", "log", "--limit", "1000", "--json").stdout) for env in envs]
    assert logs[0] == logs[1] and len(logs[0]) >= CLIENTS
    users = {str(u["id"]): u["email"].lower() for u in convoy.users.values()}
    clients = {str(c["id"]): c["email"].lower() for c in whmcs.clients.values()}
    import sqlalchemy

    engine = sqlalchemy.create_engine(url)
    with engine.connect() as conn:
        links = conn.execute(sqlalchemy.text("SELECT left_id, right_id FROM sync_links WHERE entity = 'client'")).all()
        actors = {row[0] for row in conn.execute(sqlalchemy.text("SELECT DISTINCT actor FROM events"))}
    engine.dispose()
    assert len(links) == CLIENTS and all(users[right] == clients[left] for left, right in links)
    assert actors and all(actor and "@" in actor for actor in actors)   # every event names user@host
    for env in envs:
        assert not list(Path(env["HOSTDECK_DATA_DIR"]).rglob("*.db*")), "a SQLite file appeared beside PostgreSQL"


def test_db_status_names_postgresql_at_the_newest_revision_and_never_the_password(tmp_path, pg_cluster):
    from hostdeck.backends.store.version import HEAD

    url = pg_cluster.new_database().replace("postgresql+psycopg://postgres@", f"postgresql://postgres:{PASSWORD}@")
    config = tmp_path / "config.toml"
    config.write_text(f'[general]\ndatabase = "{url}"\n')
    env = cli_env(config=config, data=tmp_path / "data")
    status = run_cli(env, "db", "status", "--json")
    assert status.returncode == 0, status.stderr
    doc = json.loads(status.stdout)
    assert doc["engine"] == "postgresql" and doc["schema"] == doc["latest"] == HEAD
    assert ":***@" in doc["url"]
    info = run_cli(env, "info", "--json")
    assert json.loads(info.stdout)["database"].count("***") == 1
    broken = config.read_text().replace(url.rsplit("/", 1)[1], "no_such_db")
    config.write_text(broken)
    failed = run_cli(env, "db", "status", "--json")
    assert failed.returncode != 0 and "no_such_db" in failed.stderr
    for proc in (status, info, failed):
        assert PASSWORD not in proc.stdout + proc.stderr
    assert not list((tmp_path / "data").rglob("*.db*"))


def test_db_upgrade_then_db_copy_moves_an_old_sqlite_store_in_and_a_rerun_adds_nothing(tmp_path, pg_url):
    from sqlalchemy import create_engine

    from hostdeck.backends.store import legacy
    from hostdeck.backends.store.version import HEAD

    data = tmp_path / "data"
    data.mkdir(mode=0o700)
    old = create_engine(f"sqlite:///{data / 'hostdeck.db'}")
    with old.begin() as conn:   # a store of hand-written version 4, with an event in it
        legacy.create_v1(conn)
        for version in (1, 2, 3):
            legacy.UPGRADES[version](conn)
        conn.exec_driver_sql("UPDATE meta SET value='4' WHERE key='schema_version'")
        conn.exec_driver_sql("INSERT INTO events (ts, backend, kind, level, message, detail) "
                             "VALUES ('2026-01-01 00:00:00', 'hz', 'action', 'info', 'old reboot', '{}')")
    old.dispose()
    (tmp_path / "config.toml").write_text("[general]\n")
    env = cli_env(config=tmp_path / "config.toml", data=data)
    upgraded = run_cli(env, "db", "upgrade", "--json")
    assert upgraded.returncode == 0, upgraded.stderr
    assert json.loads(upgraded.stdout) | {"url": None} == {"url": None, "from": "v4", "to": HEAD, "latest": HEAD,
                                                           "changed": True}
    target = pg_url.replace("postgresql+psycopg://postgres@", f"postgresql://postgres:{PASSWORD}@")
    first = run_cli(env, "db", "copy", "--to", target, "--json")
    assert first.returncode == 0, first.stderr
    tables = {t["table"]: t for t in json.loads(first.stdout)["tables"]}
    assert tables["events"]["written"] == 1 and "sync_links" in tables and "alembic_version" not in tables
    again = run_cli(env, "db", "copy", "--to", target, "--json")
    assert all(t["written"] == 0 for t in json.loads(again.stdout)["tables"])
    assert "password" in first.stderr   # warned: a password on the command line is visible in the process list
    for proc in (upgraded, first, again):
        assert PASSWORD not in proc.stdout + proc.stderr
