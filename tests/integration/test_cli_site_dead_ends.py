"""No dead ends for sites: a failed job whose site was never created can be replaced by `site add` with new options,
retried with `site retry --site-user`, or discarded by `site delete` (without a remote call when the failure shows
nothing was made); a job whose site exists is never replaced. Read-only refuses and writes no job row.
Subprocesses against the CloudPanel and Matomo simulators."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.support.cli import cli_env

from .test_cli_sites import env  # noqa: F401 - the fixture
from .test_cli_sites import hostdeck  # noqa: F401 - the fixture

DOMAIN = "ab.example.com"   # the derived site user "ab" is too short for CloudPanel


def _trusted(e) -> None:
    assert hostdeck(e, "cloudpanel", "trust", "web1", "--yes").returncode == 0


def _failed_job(e) -> dict:
    proc = hostdeck(e, "site", "add", "web1", DOMAIN, "--no-analytics", "--json")
    doc = json.loads(proc.stdout)
    assert proc.returncode == 1 and doc["status"] == "failed" and doc["steps"]["create_site"]["status"] == "failed"
    assert "invalid site user 'ab'" in doc["steps"]["create_site"]["error"]
    return doc


def _jobs(e) -> list[dict]:
    return json.loads(hostdeck(e, "site", "list", "--json").stdout)


def test_site_add_with_a_new_user_replaces_a_failed_never_created_job(env):  # noqa: F811
    e, panel, _ = env
    _trusted(e)
    _failed_job(e)
    assert not any("site:add" in c for c in panel.commands)
    again = hostdeck(e, "site", "add", "web1", DOMAIN, "--site-user", "abshop", "--no-analytics", "--json")
    assert again.returncode == 0, again.stderr
    doc = json.loads(again.stdout)
    assert doc["status"] == "done" and doc["spec"]["site_user"] == "abshop"
    assert DOMAIN in panel.sites and panel.sites[DOMAIN]["site_user"] == "abshop"
    assert [j["domain"] for j in _jobs(e)] == [DOMAIN]
    # now the site exists: a second add is refused and names the ways on
    refused = hostdeck(e, "site", "add", "web1", DOMAIN, "--site-user", "abother", "--no-analytics")
    assert refused.returncode == 1 and "site retry" in refused.stderr and "site delete" in refused.stderr
    assert panel.sites[DOMAIN]["site_user"] == "abshop"


def test_site_retry_takes_a_new_site_user(env):  # noqa: F811
    e, panel, _ = env
    _trusted(e)
    _failed_job(e)
    bad = hostdeck(e, "site", "retry", DOMAIN, "--site-user", "x")
    assert bad.returncode == 1 and "invalid site user" in bad.stderr and "Traceback" not in bad.stderr
    retried = hostdeck(e, "site", "retry", DOMAIN, "--site-user", "abretry", "--json")
    assert retried.returncode == 0, retried.stderr
    assert json.loads(retried.stdout)["status"] == "done" and panel.sites[DOMAIN]["site_user"] == "abretry"
    late = hostdeck(e, "site", "retry", DOMAIN, "--site-user", "abnew")
    assert late.returncode == 1 and "a new user needs a new site" in late.stderr


def test_site_delete_discards_a_never_created_job_without_a_remote_call(env):  # noqa: F811
    e, panel, _ = env
    _trusted(e)
    _failed_job(e)
    sent = len(panel.commands)
    gone = hostdeck(e, "site", "delete", DOMAIN, "--yes")
    assert gone.returncode == 0, gone.stderr
    assert "discarded" in gone.stdout and len(panel.commands) == sent  # nothing sent
    assert _jobs(e) == []
    added = hostdeck(e, "site", "add", "web1", DOMAIN, "--site-user", "abfresh", "--no-analytics")
    assert added.returncode == 0, added.stderr


def test_an_unclear_old_failed_job_is_checked_on_the_server_before_it_is_discarded(env):  # noqa: F811
    """A job from before this change (no record of whether the site was made) is discarded only after the server
    says its vhost file is not there."""
    e, panel, _ = env
    _trusted(e)
    _failed_job(e)
    db = Path(e["HOSTDECK_DATA_DIR"]) / "hostdeck.db"
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE site_jobs SET result='{}'")
    sent = len(panel.commands)
    gone = hostdeck(e, "site", "delete", DOMAIN, "--yes")
    assert gone.returncode == 0 and "discarded" in gone.stdout, gone.stderr
    new = panel.commands[sent:]
    assert new and all("test -f" in c for c in new)  # only looked
    assert _jobs(e) == []


def test_read_only_site_commands_write_no_job(env):  # noqa: F811
    e, panel, _ = env
    _trusted(e)
    for args in (["site", "add", "web1", "ro.example.com", "--site-user", "rouser"], ["site", "delete", DOMAIN, "--yes"],
                 ["site", "retry", DOMAIN]):
        proc = hostdeck(e, "--read-only", *args)
        assert proc.returncode == 1 and "read-only" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert _jobs(e) == [] and not any("site:" in c for c in panel.commands)


def test_a_site_made_while_the_store_is_locked_is_reported_done_with_its_password(tmp_path):
    """Another process takes the store's write lock while `site:add` runs on the server and holds it past the busy
    timeout: the site exists, so the command prints its password and exits 0, says the job could not be recorded, and
    the log file has the events. Once the lock is gone, `site retry` finds the site and finishes the job without
    making it twice."""
    from hostdeck.backends.sim.cloudpanel import CloudPanelSim
    from hostdeck.backends.sim.matomo import MatomoSim
    from tests.support.store_lock import StoreLockThief

    from .test_cli_sites import MATOMO_TOKEN

    class HookedPanel(CloudPanelSim):
        hook = None

        def _record(self, line, words, **info):
            if self.hook is not None:
                self.hook(line)
            return super()._record(line, words, **info)

    with HookedPanel(cert_seconds=0.05) as panel, MatomoSim(sites=2, token=MATOMO_TOKEN) as matomo:
        host, port = panel.address
        config = tmp_path / "config.toml"
        config.write_text(f'[[backends]]\nname = "web1"\nkind = "cloudpanel"\nhost = "{host}"\nport = {port}\n'
                          f'key_file = "{panel.client_key_file}"\n\n[[backends]]\nname = "stats"\nkind = "matomo"\n'
                          f'url = "{matomo.base_url}"\n')
        e = cli_env(config=config, data=tmp_path / "data", HOSTDECK_SECRET_STATS_TOKEN=MATOMO_TOKEN)
        _trusted(e)
        db = tmp_path / "data" / "hostdeck.db"
        thief = StoreLockThief(db)

        def take_lock(line: str) -> None:
            if "site:add" in line:
                thief.take()

        panel.hook = take_lock
        try:
            added = hostdeck(e, "site", "add", "web1", "made.example.com", "--site-user", "hdmade", "--json")
        finally:
            panel.hook = None
            thief.release()
        assert thief.taken
        assert added.returncode == 0, added.stderr
        doc = json.loads(added.stdout)
        assert doc["site_user_password"] and doc["steps"]["create_site"]["status"] == "done"
        assert "could not be recorded" in added.stderr and "site retry" in added.stderr
        assert "Traceback" not in added.stderr and "made.example.com" in panel.sites
        assert "create site done" in (tmp_path / "data" / "logs" / "hostdeck.log").read_text()
        retried = hostdeck(e, "site", "retry", "made.example.com", "--json")
        assert retried.returncode == 0, retried.stderr
        assert json.loads(retried.stdout)["status"] == "done"
        assert sum("site:add" in c for c in panel.commands) == 1
