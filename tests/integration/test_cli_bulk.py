"""Every bulk write asks first: `sync clients`, `sync services --accept-all` and `sync panel` without --yes list
which items would change and the counts, change nothing and exit 2 naming --yes; --dry-run lists the same and exits
0; --json prints the plan; --yes does it. Read-only refuses before the plan and leaves the sync map as it was.
Runs `--demo` with a data dir of its own, so the sync map can be read between the commands."""

from __future__ import annotations

import json

import pytest

from tests.support.cli import demo_env
from tests.support.cli import run_cli
from tests.support.cli import store_rows

SYNC_MAP = "SELECT * FROM sync_links ORDER BY id"


@pytest.fixture
def demo(tmp_path):
    settings = demo_env(tmp_path)
    return lambda *args: run_cli(settings, "--demo", *args), lambda: store_rows(settings, SYNC_MAP)


def assert_asked(proc, planned: str) -> None:
    """Exit 2, the word to go on, the items in a table and the counts line: nothing was done."""
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "run again with --yes" in proc.stderr and "Traceback" not in proc.stderr
    assert "(dry run): " in proc.stdout and planned in proc.stdout


def test_sync_clients_lists_the_clients_asks_for_yes_then_pushes(demo):
    hostdeck, sync_map = demo
    asked = hostdeck("sync", "clients")
    assert_asked(asked, "create")
    header, *items = [line for line in asked.stdout.splitlines() if not line.startswith("sync clients")]
    assert header.split() == ["CLIENT", "EMAIL", "WOULD", "PANEL", "USER"]
    assert items and all(line.split()[2] in ("create", "link") for line in items)
    assert sync_map() == []
    listed = hostdeck("sync", "clients", "--dry-run")
    assert listed.returncode == 0 and "--yes" not in listed.stderr
    assert listed.stdout == asked.stdout.replace(asked.stdout.splitlines()[-1], listed.stdout.splitlines()[-1])
    plan = hostdeck("sync", "clients", "--json")
    doc = json.loads(plan.stdout)
    assert plan.returncode == 2 and doc["dry_run"] and doc["confirm"] == "run again with --yes to do it"
    assert [o["client_id"] for o in doc["outcomes"]] == [line.split()[0] for line in items]
    assert sum(doc["counts"].values()) == len(items)
    assert sync_map() == []
    done = json.loads(hostdeck("sync", "clients", "--yes", "--json").stdout)
    assert not done["dry_run"] and {o["client_id"] for o in done["outcomes"]} == {o["client_id"] for o in doc["outcomes"]}
    assert len(sync_map()) == len(items)
    again = hostdeck("sync", "clients")
    assert again.returncode == 2 and "nothing would change." in again.stdout


def test_accept_all_and_panel_sync_ask_first_and_read_only_leaves_the_map_as_it_was(demo):
    hostdeck, sync_map = demo
    asked = hostdeck("sync", "services", "--accept-all")
    assert_asked(asked, "link")
    planned = json.loads(hostdeck("sync", "services", "--accept-all", "--dry-run", "--json").stdout)
    would = [o["service_id"] for o in planned["outcomes"] if o["result"] == "would link"]
    assert would and "confirm" not in planned
    assert all(f"\n{service} " in "\n" + asked.stdout for service in would)
    assert sync_map() == []
    accepted = json.loads(hostdeck("sync", "services", "--accept-all", "--yes", "--json").stdout)
    assert [o["service_id"] for o in accepted["outcomes"] if o["result"] == "linked"] == would
    links = sync_map()
    assert len(links) == len(would)

    panel = hostdeck("sync", "panel")
    assert_asked(panel, "create")
    plan = json.loads(hostdeck("sync", "panel", "--json").stdout)
    creates = [o for o in plan["outcomes"] if o["result"] == "would create"]
    assert creates and plan["confirm"]
    assert all(f"{o['backend']}/{o['server_id']} " in panel.stdout for o in creates)
    assert sync_map() == links

    for args in (["sync", "clients"], ["sync", "clients", "--yes"], ["sync", "clients", "--retry-errors", "--yes"],
                 ["sync", "clients", "--update"], ["sync", "services", "--accept-all"], ["sync", "panel"],
                 ["sync", "panel", "--yes"]):
        refused = hostdeck("--read-only", *args)
        assert refused.returncode == 1, (args, refused.stdout, refused.stderr)
        assert "read-only mode is on" in refused.stderr and "--yes to do it" not in refused.stderr, args
        assert refused.stdout == ""
    assert sync_map() == links
    looked = hostdeck("--read-only", "sync", "panel", "--dry-run")
    assert looked.returncode == 0 and "create" in looked.stdout
    assert sync_map() == links


def test_dry_run_goes_with_accept_all_only(demo):
    hostdeck, _ = demo
    proc = hostdeck("sync", "services", "--link", "1", "hz", "1", "--dry-run")
    assert proc.returncode == 2 and "--dry-run goes with --accept-all" in proc.stderr   # bad usage
