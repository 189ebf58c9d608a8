"""The store on SQLite and on PostgreSQL alike (a throwaway cluster, tests/support/postgres.py): the schema Alembic
makes is the one tables.py declares, writes that race are settled by unique keys, sync runs lock each other out
naming who holds the lock, and `db copy` moves a SQLite store into PostgreSQL and can be run again."""

from __future__ import annotations

import threading
from datetime import UTC
from datetime import datetime

import pytest
import sqlalchemy

from hostdeck.backends.errors import ConflictError
from hostdeck.backends.models import Event
from hostdeck.backends.models import EventKind
from hostdeck.backends.sites.jobs import SiteJob
from hostdeck.backends.sites.jobs import SiteJobs
from hostdeck.backends.store import SCHEMA_REVISION
from hostdeck.backends.store import Store
from hostdeck.backends.sync.lock import sync_lock
from hostdeck.backends.sync.syncmap import Link
from hostdeck.backends.sync.syncmap import LogEntry
from hostdeck.backends.sync.syncmap import SyncMap


@pytest.fixture
def store(store_url):
    opened = Store(store_url)
    yield opened
    opened.close()


def _together(count: int, work) -> list[BaseException]:
    """Run `work(i)` in `count` threads released at the same moment; the exceptions they raised."""
    barrier = threading.Barrier(count)
    failures: list[BaseException] = []

    def run(i: int) -> None:
        barrier.wait()
        try:
            work(i)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            failures.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return failures


def test_the_migrated_schema_is_the_one_the_tables_declare(store_url):
    """Alembic's revisions, replayed on an empty database, make the schema tables.py declares; a new store is made
    from the tables at once and stamped (schema.create_fresh), so this is what keeps the two ways the same."""
    from alembic import command
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext
    from sqlmodel import SQLModel

    from hostdeck.backends.store import index_tables  # noqa: F401 - the tables on SQLModel.metadata
    from hostdeck.backends.store import tables  # noqa: F401
    from hostdeck.backends.store.schema import alembic_config
    from hostdeck.backends.store.schema import current_revision
    from hostdeck.backends.store.schema import latest_revision

    engine = sqlalchemy.create_engine(store_url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), "head")
        with engine.connect() as conn:
            assert current_revision(conn) == SCHEMA_REVISION == latest_revision()
            differences = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    finally:
        engine.dispose()
    assert differences == []


def test_a_new_store_is_made_at_once_and_stamped_with_the_latest_revision(store):
    from sqlalchemy import inspect

    assert store.revision() == SCHEMA_REVISION
    with store.engine.connect() as conn:
        names = set(inspect(conn).get_table_names())
    assert {"events", "sync_links", "snapshots", "customer_clients", "customer_terms", "alembic_version"} <= names
    assert store.upgrade() == SCHEMA_REVISION   # opened again: nothing to do


def test_events_name_their_actor_and_can_be_read_per_person(store):
    from hostdeck.backends.store.actor import current_actor

    store.add_events([Event(backend="hz", kind=EventKind.ACTION, message="reboot", target="1"),
                      Event(backend="hz", kind=EventKind.ACTION, message="by bob", target="2", actor="bob@desk2")])
    everyone = store.events()
    assert [(e.message, e.actor) for e in everyone] == [("reboot", current_actor()), ("by bob", "bob@desk2")]
    assert "@" in current_actor()
    assert [e.message for e in store.events(actor="bob@desk2")] == ["by bob"]


def test_sync_links_written_at_once_by_two_consoles_stay_one_per_client(store_url):
    stores = [Store(store_url) for _ in range(4)]
    try:
        def write(i: int) -> None:
            links = [Link("client", "wh", str(n), "cv", right_id=str(1000 + n), status="synced") for n in range(50)]
            SyncMap(stores[i]).write(links, [LogEntry("client", "push", "ok", "wh", "0", "cv")])

        assert _together(4, write) == []
        links = SyncMap(stores[0]).all_links("client")
        assert len(links) == 50 and {link.right_id for link in links} == {str(1000 + n) for n in range(50)}
        assert len(SyncMap(stores[0]).log(limit=100)) == 4
    finally:
        for s in stores:
            s.close()


def test_a_site_job_saved_at_once_from_two_consoles_is_one_row(store_url):
    stores = [Store(store_url) for _ in range(4)]
    try:
        def save(i: int) -> None:
            SiteJobs(stores[i]).save(SiteJob(backend="cp", domain="shop.example.com", kind="php", spec={"n": i}))

        assert _together(4, save) == []
        (job,) = SiteJobs(stores[0]).all()
        assert job.domain == "shop.example.com" and job.id is not None
        again = SiteJobs(stores[1]).save(SiteJob(backend="cp", domain="shop.example.com", kind="php", spec={"n": 9}))
        assert again.id == job.id and again.created_at == job.created_at and SiteJobs(stores[0]).get(
            "shop.example.com").spec == {"n": 9}
    finally:
        for s in stores:
            s.close()


def test_a_second_sync_run_is_told_who_holds_the_lock(store):
    from hostdeck.backends.store.actor import current_actor

    with sync_lock(store, "client-sync"):
        other = Store(store.url)
        try:
            with pytest.raises(ConflictError, match="another client sync is running") as refused:
                with sync_lock(other, "client-sync"):
                    pass
        finally:
            other.close()
    assert current_actor() in str(refused.value) and "since" in str(refused.value)
    with sync_lock(store, "client-sync"):   # released: the next run goes through
        pass


def test_rejections_recorded_at_once_on_postgresql_leave_one_row(pg_url, tmp_path):
    from hostdeck.backends.credentials_guard import Rejection
    from hostdeck.backends.credentials_guard import StoredRejections

    store = Store(pg_url)
    try:
        book = StoredRejections(tmp_path, database_url=store.url, store=lambda: store)
        fp = book.fingerprint("wh", {"secret": "s"})

        def record(i: int) -> None:
            StoredRejections(tmp_path, database_url=store.url, store=lambda: store).record(
                "wh", fp, Rejection(datetime(2026, 12, 6, 20, i, tzinfo=UTC), f"Authentication Failed {i}"))

        assert _together(4, record) == []
        found = book.find("wh", fp)
        assert found is not None and found.message.startswith("Authentication Failed")
        with store.engine.connect() as conn:
            assert conn.execute(sqlalchemy.text("SELECT count(*) FROM credential_rejections")).scalar() == 1
        assert not list(tmp_path.glob("*.db*"))
    finally:
        store.close()


def test_consoles_opening_a_new_postgresql_store_at_once_create_it_once(pg_url):
    opened: list[Store] = []
    assert _together(5, lambda i: opened.append(Store(pg_url))) == []
    with opened[0].engine.connect() as conn:
        assert conn.execute(sqlalchemy.text("SELECT version_num FROM alembic_version")).all() == [(SCHEMA_REVISION,)]
    for s in opened:
        s.close()


def test_db_copy_moves_every_table_and_a_rerun_adds_nothing(tmp_path, pg_url):
    from hostdeck.backends.store import snapshots
    from hostdeck.backends.store.copy import copy_store

    source = Store(path=tmp_path / "hostdeck.db")
    source.add_events([Event(backend="hz", kind=EventKind.ACTION, message=f"e{n}", target=str(n)) for n in range(30)])
    SyncMap(source).write([Link("client", "wh", str(n), "cv", right_id=str(n), status="synced") for n in range(20)],
                          [LogEntry("client", "push", "ok", "wh", str(n), "cv") for n in range(20)])
    SiteJobs(source).save(SiteJob(backend="cp", domain="a.example.com", kind="php", spec={}))
    source.put_catalog("hz", [{"id": "cx22"}], datetime.now(UTC))
    assert snapshots.write(tmp_path / "hostdeck.db", "servers", "hz", [{"id": 1, "name": "web1"}])
    target = Store(pg_url)
    try:
        first = {c.table: (c.read, c.written) for c in copy_store(source, target)}
        assert first["events"] == (30, 30) and first["sync_links"] == (20, 20) and first["sync_log"] == (20, 20)
        assert first["site_jobs"] == (1, 1) and first["catalog_cache"] == (1, 1) and first["snapshots"] == (1, 1)
        again = copy_store(source, target)
        assert all(c.written == 0 and c.already_there == c.read for c in again), again
        assert len(target.events(limit=100)) == 30 and len(SyncMap(target).all_links()) == 20
        assert [s.rows for s in snapshots.read_with_engine(target.engine, "servers")] == [[{"id": 1, "name": "web1"}]]
        target.add_events([Event(backend="hz", kind=EventKind.ACTION, message="after the copy")])  # ids still free
        SyncMap(target).write([Link("client", "wh", "new", "cv", right_id="99", status="synced")], [])
        assert len(target.events(limit=100)) == 31 and len(SyncMap(target).all_links()) == 21
    finally:
        source.close()
        target.close()


def test_no_password_reaches_an_error(pg_cluster):
    from hostdeck.backends.store.check import StoreError

    url = pg_cluster.url("no_such_database", password="hunter2-secret")
    with pytest.raises(StoreError) as failed:
        Store(url)
    assert "hunter2-secret" not in str(failed.value) and "no_such_database" in str(failed.value)


def test_a_batch_naming_one_link_twice_keeps_its_newest_state(store):
    first = Link("client", "wh", "1", "cv", status="pending", intent="create")
    newest = Link("client", "wh", "1", "cv", right_id="10", status="synced")
    SyncMap(store).write([first, newest], [])
    (link,) = SyncMap(store).all_links()
    assert (link.right_id, link.status, link.intent) == ("10", "synced", None)
