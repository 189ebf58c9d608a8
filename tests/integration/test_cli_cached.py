"""`hostdeck servers --cached`: the stored inventory from the store, with the API down, its age on stderr."""

from __future__ import annotations

from pathlib import Path

from .test_cli import as_json  # noqa: F401 - fixtures shared with the CLI tests
from .test_cli import env  # noqa: F401 - fixtures shared with the CLI tests
from .test_cli import hostdeck  # noqa: F401 - fixtures shared with the CLI tests
from .test_cli import sim  # noqa: F401 - fixtures shared with the CLI tests


def test_cached_before_any_listing_is_honestly_empty(env):
    proc = hostdeck(env, "servers", "--cached", "--json")
    assert proc.returncode == 1
    assert as_json(proc) == []
    assert "hz: nothing stored yet" in proc.stderr
    assert not (Path(env["HOSTDECK_DATA_DIR"]) / "hostdeck.db").exists()  # a read makes no store


def test_cached_lists_the_whole_fleet_with_the_api_down(env, sim):
    live = hostdeck(env, "servers", "--json")
    assert live.returncode == 0, live.stderr
    sim.stop()  # the API is down from here on
    down = hostdeck(env, "servers", "--json")
    assert down.returncode == 1 and "not in the list" in down.stderr

    proc = hostdeck(env, "servers", "--cached", "--json")
    assert proc.returncode == 0, proc.stderr
    rows = as_json(proc)
    assert sorted(rows, key=lambda r: r["id"]) == sorted(as_json(live), key=lambda r: r["id"])
    assert len(rows) == 120
    assert "hz: 120 servers, listed " in proc.stderr and " s ago" in proc.stderr
    assert "the last refresh failed" in proc.stderr  # the failed live run above is noted beside the old list


def test_cached_plain_table(env, sim):
    assert hostdeck(env, "servers").returncode == 0
    proc = hostdeck(env, "servers", "--cached")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].split()[:4] == ["BACKEND", "ID", "NAME", "STATUS"] and len(lines) == 121
