"""A broken store never becomes a traceback or a half-reported action: it is checked before any remote call (corrupt,
newer schema, unwritable: a clear error naming the file and the fix), and when recording fails after an action was
done, the result is printed, the exit code says done and the events are in the log file. Real subprocesses against
the Hetzner simulator; the store is broken the ways root cannot write through (an immutable file, a held lock)."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from hostdeck.backends.sim.hetzner import HetznerSim
from tests.support.store_lock import StoreLockThief

from .test_cli import SENTINEL  # noqa: F401 - env: the fixture, on this sim
from .test_cli import as_json  # noqa: F401 - env: the fixture, on this sim
from .test_cli import env  # noqa: F401 - env: the fixture, on this sim
from .test_cli import first_running  # noqa: F401 - env: the fixture, on this sim
from .test_cli import hostdeck  # noqa: F401 - env: the fixture, on this sim


class HookedSim(HetznerSim):
    """The simulator, calling `hook(req)` as each request arrives (before it is answered)."""

    hook = None

    def handle(self, req):
        if self.hook is not None:
            self.hook(req)
        return super().handle(req)


@pytest.fixture
def sim():
    with HookedSim(servers=20, seed=5, token=SENTINEL, action_seconds=0.05) as s:
        yield s


def _db(env) -> Path:
    return Path(env["HOSTDECK_DATA_DIR"]) / "hostdeck.db"


def _commands(sim) -> list[list[str]]:
    sid, raw = first_running(sim)
    return [["servers", "--json"], ["server", "power", "hz", raw["name"], "off", "--yes"],
            ["server", "reset-password", "hz", str(sid), "--yes", "--json"], ["server", "show", "hz", str(sid)],
            ["test"], ["catalog", "refresh"], ["site", "list"], ["sync", "status"], ["secret", "list"]]


def _assert_refused_before_any_call(env, sim, words: str) -> None:
    db = _db(env)
    sim.request_log.clear()
    for args in _commands(sim):
        proc = hostdeck(env, *args)
        assert proc.returncode in (1, 2), (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr, (args, proc.stderr)
        assert str(db) in proc.stderr and words in proc.stderr and "Fix:" in proc.stderr, (args, proc.stderr)
        if "--json" in args:
            assert json.loads(proc.stdout)["error"]["category"] == "store"
    assert sim.request_log == []  # refused before anything was sent
    assert all(s["status"] == "running" for s in sim.servers.values() if s["name"] == first_running(sim)[1]["name"])


def test_a_corrupt_store_is_a_clear_error_before_any_call(env, sim):
    db = _db(env)
    db.parent.mkdir(parents=True)
    db.write_bytes(os.urandom(16384))
    _assert_refused_before_any_call(env, sim, "not a readable SQLite database")
    info = hostdeck(env, "info", "--json")  # info still answers, and names the problem
    assert info.returncode == 1 and "not a readable SQLite database" in json.loads(info.stdout)["store"]


def test_a_newer_schema_is_a_clear_error_before_any_call(env, sim):
    assert hostdeck(env, "site", "list").returncode == 0  # makes the store
    with sqlite3.connect(_db(env)) as conn:
        conn.execute("UPDATE alembic_version SET version_num='0099'")
    _assert_refused_before_any_call(env, sim, "schema revision 0099, newer than this hostdeck")


def _immutable(path: Path, on: bool) -> bool:
    if shutil.which("chattr") is None:
        return False
    return subprocess.run(["chattr", "+i" if on else "-i", str(path)], capture_output=True).returncode == 0


def test_an_unwritable_store_is_a_clear_error_before_any_call(env, sim):
    assert hostdeck(env, "site", "list").returncode == 0
    db = _db(env)
    if not _immutable(db, True):
        pytest.skip("chattr +i is not available here (the only read-only file root cannot write through)")
    try:
        _assert_refused_before_any_call(env, sim, "cannot be opened for writing")
    finally:
        _immutable(db, False)


def test_reset_password_is_reported_done_when_the_store_breaks_after_it(env, sim):
    """The database becomes immutable while the reset is on the wire: the password is printed, exit 0, and the
    action's event is in the log file."""
    assert hostdeck(env, "site", "list").returncode == 0
    db = _db(env)
    if not _immutable(db, True):
        pytest.skip("chattr +i is not available here")
    _immutable(db, False)
    sid, raw = first_running(sim)

    def freeze(req):
        if req.method == "POST" and req.route_path.endswith("/actions/reset_password"):
            _immutable(db, True)

    sim.hook = freeze
    try:
        proc = hostdeck(env, "server", "reset-password", "hz", str(sid), "--yes", "--json")
    finally:
        sim.hook = None
        _immutable(db, False)
    assert proc.returncode == 0, proc.stderr
    assert len(as_json(proc)["password"]) >= 8 and "Traceback" not in proc.stderr
    assert "could not record" in proc.stderr and "hostdeck.log" in proc.stderr
    log = (Path(env["HOSTDECK_DATA_DIR"]) / "logs" / "hostdeck.log").read_text()
    assert "reset_password" in log
    assert [r for r in sim.request_log if r["path"].endswith("/actions/reset_password")]  # sent exactly once
    assert len([r for r in sim.request_log if r["path"].endswith("/actions/reset_password")]) == 1


def test_power_off_is_reported_done_when_another_process_locks_the_store(env, sim):
    """Another connection takes the write lock while the power-off is on the wire and holds it past the busy
    timeout: the server is off, exit 0, the events are in the log file."""
    assert hostdeck(env, "site", "list").returncode == 0
    db = _db(env)
    sid, raw = first_running(sim)
    thief = StoreLockThief(db)

    def take_lock(req):
        if req.method == "POST" and req.route_path.endswith("/actions/poweroff"):
            thief.take()

    sim.hook = take_lock
    try:
        proc = hostdeck(env, "server", "power", "hz", raw["name"], "off", "--yes")
    finally:
        sim.hook = None
        thief.release()
    assert thief.taken
    assert proc.returncode == 0, proc.stderr
    assert "off success" in proc.stdout and "Traceback" not in proc.stderr
    assert "could not record" in proc.stderr and "locked" in proc.stderr
    assert sim.servers[sid]["status"] == "off"
    assert "poweroff" in (Path(env["HOSTDECK_DATA_DIR"]) / "logs" / "hostdeck.log").read_text()


def test_the_tui_does_not_start_on_a_corrupt_store(env, sim):
    db = _db(env)
    db.parent.mkdir(parents=True)
    db.write_bytes(os.urandom(8192))
    sim.request_log.clear()
    proc = hostdeck(env)  # the bare command: the TUI
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert str(db) in proc.stderr and "not a readable SQLite database" in proc.stderr and "Fix:" in proc.stderr
    assert sim.request_log == []
