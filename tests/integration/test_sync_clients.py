"""The client sync (WHMCS clients <-> Convoy users) against both simulators, with a real SQLite store."""

from __future__ import annotations

import pytest

from hostdeck.backends.errors import ConfigError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.sim.cluster import Cluster
from hostdeck.backends.sim.convoy import ConvoySim
from hostdeck.backends.sim.whmcs import WhmcsSim

from . import cv
from . import wh
from .sync_env import make_sync


@pytest.fixture(params=["8.13.1", "7.10.2"])
def sims(request):
    """A current WHMCS and an old one (string numbers, "" empty lists, orderby ignored: paged one at a time)."""
    with WhmcsSim(clients=60, seed=8, identifier=wh.IDENTIFIER, secret=wh.SECRET, version=request.param) as whmcs, \
            ConvoySim(servers=4, users=5, seed=8, token=cv.TOKEN, cluster=Cluster()) as convoy:
        yield whmcs, convoy


def emails_on_panel(convoy) -> list[str]:
    return [u["email"].lower() for u in convoy.users.values()]


async def test_push_creates_or_links_and_never_duplicates(sims, tmp_path):
    whmcs, convoy = sims
    sync = make_sync(whmcs, convoy, tmp_path / "h.db")
    clients = await sync.billing.get_clients()
    # two clients already have panel accounts (one with different case): they must be linked, not created again
    existing = [clients[0], clients[1]]
    for c in existing:
        await sync.panel.create_user(c.email.upper() if c is clients[1] else c.email, "Already There")
    report = await sync.push()
    counts = report.counts()
    assert counts.get("linked") == 2 and counts.get("created") == len(clients) - 2 and report.failed == 0
    panel = emails_on_panel(convoy)
    assert len(panel) == len(set(panel))  # not one duplicate
    links = sync.map.links("client", sync.billing.name, sync.panel.name)
    assert len(links) == len(clients) and all(link.status == "synced" for link in links.values())
    by_id = {str(u["id"]): u for u in convoy.users.values()}
    for c in clients:
        assert by_id[links[c.id].right_id]["email"].lower() == c.email.lower()  # the map tells the truth
    again = await sync.push()
    assert again.outcomes == [] and len(convoy.users) == len(panel)


async def test_dry_run_changes_nothing(sims, tmp_path):
    whmcs, convoy = sims
    sync = make_sync(whmcs, convoy, tmp_path / "h.db")
    users_before = len(convoy.users)
    report = await sync.push(dry_run=True)
    assert report.counts() == {"would create": 60}
    assert len(convoy.users) == users_before and sync.map.links("client", "wh", "cv") == {}


async def test_update_pull_check_link_unlink(sims, tmp_path):
    whmcs, convoy = sims
    sync = make_sync(whmcs, convoy, tmp_path / "h.db")
    await sync.push()
    clients = await sync.billing.get_clients()
    first, second, third = clients[:3]
    links = sync.map.links("client", "wh", "cv")
    # WHMCS changes: pull marks it drifted, update sends it
    await sync.billing.update_client(first.id, last_name="Renamed")
    pulled = await sync.pull()
    assert {o.client_id for o in pulled.outcomes if o.result == "drifted"} == {first.id}
    updated = await sync.update()
    assert [o.client_id for o in updated.outcomes if o.result == "updated"] == [first.id]
    assert convoy.users[int(links[first.id].right_id)]["name"].endswith("Renamed")
    # the panel changes behind our back: check names the field and both values
    await sync.panel.update_user(int(links[second.id].right_id), name="Someone Else")
    checked = await sync.check()
    drifted = [o for o in checked.outcomes if o.result == "drifted"]
    assert [o.client_id for o in drifted] == [second.id]
    assert drifted[0].drift["name"] == [f"{second.first_name} {second.last_name}", "Someone Else"]
    assert sync.map.stats()["client"] == {"synced": 59, "drifted": 1}
    # unlink touches neither side; link by hand puts it back
    users_before = len(convoy.users)
    await sync.unlink(third.id)
    assert third.id not in sync.map.links("client", "wh", "cv") and len(convoy.users) == users_before
    with pytest.raises(NotFoundError):
        await sync.unlink(third.id)
    relinked = await sync.link(third.id, links[third.id].right_id)
    assert relinked.result == "synced"
    log = sync.map.log(limit=500)
    assert {"push", "pull", "update", "check", "unlink", "link"} <= {row["operation"] for row in log}


async def test_failures_are_recorded_and_retry_errors_finishes(sims, tmp_path):
    whmcs, convoy = sims
    sync = make_sync(whmcs, convoy, tmp_path / "h.db")
    convoy.faults.add(route="POST /users", kind="status", status=422, count=5,
                      message="The given data was invalid.")
    report = await sync.push()
    assert report.failed == 5
    assert sync.map.stats()["client"] == {"synced": 55, "error": 5}
    retried = await sync.push(only_errors=True)
    assert retried.failed == 0 and len(retried.outcomes) == 5
    assert sync.map.stats()["client"] == {"synced": 60}
    panel = emails_on_panel(convoy)
    assert len(panel) == len(set(panel))


async def test_log_and_map_hold_no_secret(sims, tmp_path):
    whmcs, convoy = sims
    sync = make_sync(whmcs, convoy, tmp_path / "h.db")
    await sync.push()
    data = (tmp_path / "h.db").read_bytes() + b"".join(p.read_bytes() for p in tmp_path.glob("h.db-*"))
    for secret in (wh.IDENTIFIER, wh.SECRET, cv.TOKEN):
        assert secret.encode() not in data


def test_a_mapping_with_an_unknown_field_is_refused(sims, tmp_path):
    whmcs, convoy = sims
    with pytest.raises(ConfigError, match="sync.field_mapping.name"):
        make_sync(whmcs, convoy, tmp_path / "h.db", mapping={"name": "{nickname}", "email": "{email}"})


async def test_sync_steps_reach_the_event_log(sims, tmp_path):
    whmcs, convoy = sims
    sync = make_sync(whmcs, convoy, tmp_path / "h.db")
    await sync.push()
    steps = [e for e in sync.billing.events.recent() if e.kind.value == "sync"]
    assert len(steps) == 60 and all("push: ok" in e.message for e in steps)


async def test_two_pushes_never_run_side_by_side(sims, tmp_path):
    from hostdeck.backends.errors import ConflictError
    from hostdeck.backends.sync.lock import sync_lock

    whmcs, convoy = sims
    sync = make_sync(whmcs, convoy, tmp_path / "h.db")
    with sync_lock(sync.store, "client-sync"):  # as if cron were pushing right now
        with pytest.raises(ConflictError, match="another client sync is running"):
            await sync.push()
    assert len(convoy.users) == 5  # nothing was sent while the other run held the lock
    assert (await sync.push()).failed == 0  # and once it is done, a push goes through


async def test_push_on_a_shared_store_links_every_client_once_on_either_engine(store_url):
    """The same push on SQLite and on PostgreSQL: the map, the log and the lock behave alike."""
    from hostdeck.backends.errors import ConflictError
    from hostdeck.backends.store import Store
    from hostdeck.backends.sync.lock import sync_lock

    with WhmcsSim(clients=40, seed=11, identifier=wh.IDENTIFIER, secret=wh.SECRET) as whmcs, \
            ConvoySim(servers=2, users=3, seed=11, token=cv.TOKEN, cluster=Cluster()) as convoy:
        sync = make_sync(whmcs, convoy, store_url)
        other_console = Store(store_url)
        try:
            with sync_lock(other_console, "client-sync"):
                with pytest.raises(ConflictError, match=r"another client sync is running \(.+@.+ since "):
                    await sync.push()
        finally:
            other_console.close()
        report = await sync.push()
        assert report.failed == 0 and report.counts().get("created") == 40
        panel = emails_on_panel(convoy)
        assert len(panel) == len(set(panel))
        links = sync.map.links("client", sync.billing.name, sync.panel.name)
        assert len(links) == 40 and all(link.status == "synced" for link in links.values())
        assert len(sync.map.log(limit=100)) == 40 and (await sync.push()).outcomes == []
        sync.store.close()
