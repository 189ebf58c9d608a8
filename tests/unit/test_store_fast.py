"""store/fast.py: the stdlib-sqlite3 path uses only a database at the current schema, and writes times as SQLAlchemy
reads them."""

import sqlite3
from datetime import UTC
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from hostdeck.backends.store import fast
from hostdeck.backends.store.version import LATEST


def _database(path, version):
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT)")
    conn.execute("CREATE TABLE t (x INTEGER)")
    if version is not None:
        conn.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(version),))
    conn.commit()
    conn.close()


def test_only_an_existing_database_at_the_current_schema_is_used(tmp_path):
    assert fast.connect_current(tmp_path / "missing.db") is None
    assert not (tmp_path / "missing.db").exists()          # looking never creates the file
    for name, version in (("old.db", LATEST - 1), ("newer.db", LATEST + 1), ("unversioned.db", None)):
        _database(tmp_path / name, version)
        assert fast.connect_current(tmp_path / name) is None, name
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    assert fast.connect_current(tmp_path / "junk.db") is None
    _database(tmp_path / "current.db", LATEST)
    conn = fast.connect_current(tmp_path / "current.db")
    assert conn is not None
    conn.close()


def test_execute_many_writes_in_one_transaction_and_reports_failure(tmp_path):
    _database(tmp_path / "current.db", LATEST)
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
