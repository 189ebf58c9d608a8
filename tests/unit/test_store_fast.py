"""store/fast.py: the stdlib-sqlite3 path uses only a database at the current schema, and writes times as SQLAlchemy
reads them."""

import sqlite3
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from hostdeck.backends.store import fast
from hostdeck.backends.store.version import HEAD


def _database(path, revision):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) PRIMARY KEY)")
    conn.execute("CREATE TABLE t (x INTEGER)")
    if revision is not None:
        conn.execute("INSERT INTO alembic_version VALUES (?)", (revision,))
    conn.commit()
    conn.close()


def test_only_an_existing_database_at_the_current_schema_is_used(tmp_path):
    assert fast.connect_current(tmp_path / "missing.db") is None
    assert not (tmp_path / "missing.db").exists()          # looking never creates the file
    older, newer = f"{int(HEAD) - 1:04d}", f"{int(HEAD) + 1:04d}"
    for name, version in (("old.db", older), ("newer.db", newer), ("unversioned.db", None)):
        _database(tmp_path / name, version)
        assert fast.connect_current(tmp_path / name) is None, name
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    assert fast.connect_current(tmp_path / "junk.db") is None
    _database(tmp_path / "current.db", HEAD)
    conn = fast.connect_current(tmp_path / "current.db")
    assert conn is not None
    conn.close()


def test_execute_many_writes_in_one_transaction_and_reports_failure(tmp_path):
    _database(tmp_path / "current.db", HEAD)
    path = tmp_path / "current.db"
    assert fast.execute_many(fast.connect_current(path), "INSERT INTO t VALUES (?)", [(1,), (2,)])
    assert not fast.execute_many(fast.connect_current(path), "INSERT INTO no_such_table VALUES (?)", [(3,)])
    assert not fast.execute_many(None, "INSERT INTO t VALUES (?)", [(4,)])
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT x FROM t ORDER BY x")] == [1, 2]
    conn.close()


def test_timestamps_are_naive_utc_text_and_read_back_aware():
    when = datetime(2026, 12, 6, 23, 30, 15, 123456, tzinfo=timezone(timedelta(hours=2)))
    text = fast.sqlite_timestamp(when)
    assert text == "2026-12-06 21:30:15.123456"
    assert fast.parse_timestamp(text) == when
    assert fast.parse_timestamp(text).tzinfo is UTC
    assert fast.parse_timestamp(None) is None
    assert fast.parse_timestamp(datetime(2026, 1, 1)) == datetime(2026, 1, 1, tzinfo=UTC)
