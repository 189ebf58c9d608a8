import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from sqlalchemy import create_engine

from hostdeck.backends.models import Event
from hostdeck.backends.models import EventKind
from hostdeck.backends.models import utcnow
from hostdeck.backends.store import SCHEMA_REVISION
from hostdeck.backends.store import Store
from hostdeck.backends.store import legacy as migrations


def test_fresh_store_is_wal_with_current_schema(tmp_path):
    store = Store(path=tmp_path / "h.db")
    assert store.journal_mode() == "wal"
    assert store.revision() == SCHEMA_REVISION
    store.add_events([Event(backend="hz", kind=EventKind.ACTION, message="reboot", target="42", detail={"password": "pw"})])
    (event,) = store.events(target="42")
    assert event.message == "reboot" and event.detail == {"password": "***"}


def test_version_1_database_is_upgraded_without_losing_rows(tmp_path):
    path = tmp_path / "old.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        migrations.create_v1(conn)
        conn.exec_driver_sql("INSERT INTO events (ts, backend, kind, level, message, detail) "
                             "VALUES ('2026-01-01 00:00:00', 'hz', 'api', 'info', 'old call', '{}')")
    engine.dispose()
    store = Store(path=path)
    assert store.revision() == SCHEMA_REVISION
    (old,) = store.events()
    assert old.message == "old call" and old.target is None
    store.add_events([Event(backend="hz", kind=EventKind.ACTION, message="new", target="7")])
    assert [e.message for e in store.events()] == ["old call", "new"]
    columns = {row[1] for row in sqlite3.connect(path).execute("PRAGMA table_info(events)")}
    assert {"target", "actor"} <= columns


def test_catalog_cache_roundtrip(tmp_path):
    store = Store(path=tmp_path / "h.db")
    now = utcnow()
    store.put_catalog("hz", [{"a": 1}], now)
    payload, fetched = store.get_catalog("hz")
    assert payload == [{"a": 1}] and abs((fetched - now).total_seconds()) < 1
    assert store.get_catalog("other") is None


def test_newer_database_is_refused(tmp_path):
    store = Store(path=tmp_path / "h.db")
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num='0099'")
    import pytest

    from hostdeck.backends.errors import ConfigError
    with pytest.raises(ConfigError, match="newer than this hostdeck"):
        Store(path=tmp_path / "h.db")


def test_fast_event_append_is_read_back_by_the_store(tmp_path):
    from hostdeck.backends.store import fast_events

    path = tmp_path / "h.db"
    assert fast_events.append_events(path, [Event(backend="hz", kind=EventKind.API, message="x")]) is False  # no db yet
    Store(path=path).close()
    ts = utcnow()
    assert fast_events.append_events(path, [Event(backend="hz", kind=EventKind.API, message="fast", ts=ts, status=200,
                                                  detail={"token": "tok-1"})])
    (event,) = Store(path=path).events()
    assert event.message == "fast" and event.status == 200 and event.detail == {"token": "***"}
    assert abs((event.ts - ts).total_seconds()) < 0.001
    code = "import sys, hostdeck.backends.store.fast_events; print('sqlalchemy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


def test_version_2_database_gains_the_sync_tables(tmp_path):
    path = tmp_path / "v2.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        migrations.create_v1(conn)
        migrations.UPGRADES[1](conn)
        conn.exec_driver_sql("UPDATE meta SET value='2' WHERE key='schema_version'")
    engine.dispose()
    store = Store(path=path)
    assert store.revision() == SCHEMA_REVISION == "0002"
    tables = {row[0] for row in sqlite3.connect(path).execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"sync_links", "sync_log", "events", "catalog_cache", "site_jobs", "credential_rejections",
            "snapshots"} <= tables


def test_version_4_database_gains_rejections_and_snapshots_and_keeps_its_rows(tmp_path):
    path = tmp_path / "v4.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        migrations.create_v1(conn)
        for version in (1, 2, 3):
            migrations.UPGRADES[version](conn)
        conn.exec_driver_sql("UPDATE meta SET value='4' WHERE key='schema_version'")
        conn.exec_driver_sql("INSERT INTO catalog_cache (backend, fetched_at, payload) VALUES ('hz', '2026-01-01', '[]')")
    engine.dispose()
    store = Store(path=path)
    assert store.revision() == SCHEMA_REVISION
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM catalog_cache").fetchone() == (1,)
    columns = {row[1] for row in db.execute("PRAGMA table_info(snapshots)")}
    assert {"scope", "backend", "fetched_at", "payload", "error", "error_at"} <= columns
    assert {row[1] for row in db.execute("PRAGMA table_info(credential_rejections)")} >= {"backend", "fingerprint"}


def test_version_5_database_gains_the_customer_index_and_keeps_its_rows(tmp_path):
    path = tmp_path / "v5.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        migrations.create_v1(conn)
        for version in (1, 2, 3, 4):
            migrations.UPGRADES[version](conn)
        conn.exec_driver_sql("UPDATE meta SET value='5' WHERE key='schema_version'")
        conn.exec_driver_sql("INSERT INTO snapshots (scope, backend, fetched_at, payload) VALUES ('servers', 'hz', "
                             "'2026-01-01', '[]')")
    engine.dispose()
    assert Store(path=path).revision() == "0002"
    db = sqlite3.connect(path)
    assert db.execute("SELECT count(*) FROM snapshots").fetchone() == (1,)
    assert {row[1] for row in db.execute("PRAGMA table_info(customer_terms)")} >= {"term", "kind", "client_id"}
    assert {row[1] for row in db.execute("PRAGMA table_info(customer_clients)")} >= {"payload", "indexed_at"}
    assert any("term" in row[1] for row in db.execute("PRAGMA index_list(customer_terms)"))


def test_processes_starting_together_on_an_empty_data_dir_all_open_the_store(tmp_path):
    """Cron jobs started in the same minute on a fresh machine: one creates the tables, the others wait for it."""
    root = Path(__file__).resolve().parents[2]
    env = dict(os.environ, HOSTDECK_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(root))
    code = "from hostdeck.backends.store import Store; Store(); print('opened')"
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(6)]
    results = [p.communicate(timeout=60) for p in procs]
    assert [out.strip() for out, _ in results] == ["opened"] * 6, [err for _, err in results]
    assert Store(path=tmp_path / "data" / "hostdeck.db").revision() == SCHEMA_REVISION


def test_a_version_5_store_from_before_alembic_is_upgraded_in_place_without_losing_a_row(tmp_path):
    """The file the last release (pre-Alembic) makes: every table created at once and meta.schema_version = 5; it
    gains the customer index (the hand-written step 6) and is stamped with that revision, every row kept."""
    from sqlmodel import SQLModel

    from hostdeck.backends.store import tables

    path = tmp_path / "v5.db"
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        SQLModel.metadata.create_all(conn, tables=tables.tables_of(
            tables.Meta, tables.EventRow, tables.CatalogCacheRow, tables.SyncLinkRow, tables.SyncLogRow,
            tables.SiteJobRow, tables.CredentialRejectionRow, tables.SnapshotRow))
        conn.exec_driver_sql("INSERT INTO meta (key, value) VALUES ('schema_version', '5')")
        conn.exec_driver_sql("INSERT INTO events (ts, backend, kind, level, message, detail, actor) "
                             "VALUES ('2026-01-01 00:00:00', 'hz', 'action', 'info', 'old reboot', '{}', 'alice')")
        conn.exec_driver_sql("INSERT INTO sync_links (entity, left_system, left_id, right_system, right_id, status, "
                             "updated_at) VALUES ('client', 'wh', '7', 'cv', '70', 'synced', '2026-01-01 00:00:00')")
    engine.dispose()
    before = {row[0] for row in sqlite3.connect(path).execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")}
    store = Store(path=path)
    assert store.revision() == SCHEMA_REVISION
    assert [(e.message, e.actor) for e in store.events()] == [("old reboot", "alice")]
    db = sqlite3.connect(path)
    assert db.execute("SELECT left_id, right_id FROM sync_links").fetchall() == [("7", "70")]
    after = {row[0] for row in db.execute("SELECT sql FROM sqlite_master WHERE sql IS NOT NULL")}
    assert before <= after and {s.split("(")[0].strip() for s in after - before} == {
        "CREATE TABLE alembic_version", "CREATE TABLE customer_clients", "CREATE TABLE customer_terms",
        "CREATE INDEX ix_customer_terms_term ON customer_terms"}
    store.close()
    assert Store(path=path).upgrade() == SCHEMA_REVISION   # opened again: nothing left to do


def test_database_urls_are_shown_masked_and_a_missing_driver_names_the_extra():
    import pytest

    from hostdeck.backends.errors import ConfigError
    from hostdeck.backends.store.urls import mask_text
    from hostdeck.backends.store.urls import masked
    from hostdeck.backends.store.urls import normalized

    assert normalized("postgresql://team@db/hostdeck") == "postgresql+psycopg://team@db/hostdeck"
    assert normalized("postgres://team@db/hostdeck") == "postgresql+psycopg://team@db/hostdeck"
    assert masked("postgresql+psycopg://team:s3cr@t!@db:5432/hostdeck") == "postgresql+psycopg://team:***@db:5432/hostdeck"
    assert masked("postgresql+psycopg://team@db/hostdeck") == "postgresql+psycopg://team@db/hostdeck"
    said = mask_text('failed: "postgresql://a:pw1@h/d" and postgresql://b:pw2@h/d')
    assert "pw1" not in said and "pw2" not in said and said.count("***") == 2
    with pytest.raises(ConfigError, match=r"driver pg8000 is not installed.*hostdeck\[postgres\]"):
        Store("postgresql+pg8000://team:pw@127.0.0.1/hostdeck")
