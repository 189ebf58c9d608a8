"""The snapshots table through the stdlib sqlite3: what the first paint reads and every refresh writes."""

from __future__ import annotations

import sqlite3
from datetime import UTC
from datetime import datetime
from datetime import timedelta

from hostdeck.backends.store import Store
from hostdeck.backends.store import snapshots


def test_nothing_is_read_or_written_without_a_current_database(tmp_path):
    path = tmp_path / "hostdeck.db"
    assert snapshots.read(path, "servers") == []
    assert snapshots.write(path, "servers", "hz", [{"id": "1"}]) is False
    assert not path.exists()  # creating it is the Store's job (schema, migrations)


def test_round_trip_times_and_the_last_failure(tmp_path):
    path = tmp_path / "hostdeck.db"
    Store(path=path).close()
    then = datetime.now(UTC) - timedelta(minutes=12)
    assert snapshots.write(path, "servers", "hz", [{"id": "1", "name": "web-1"}], then, also={"servers:head": [{"id": "1"}]})
    assert snapshots.write(path, "servers", "vps", [])
    (hz,) = snapshots.read(path, "servers", ["hz"])
    assert hz.rows == [{"id": "1", "name": "web-1"}] and abs(hz.age_seconds() - 720) < 5 and hz.error is None
    assert snapshots.read_times(path, "servers")["hz"] == hz.fetched_at == snapshots.read(path, "servers:head")[0].fetched_at

    assert snapshots.record_failure(path, "servers", "hz", "cannot reach https://api (connection refused)")
    (hz,) = snapshots.read(path, "servers", ["hz"])
    assert hz.rows and hz.error == "cannot reach https://api (connection refused)" and hz.error_at > hz.fetched_at
    assert snapshots.write(path, "servers", "hz", [])  # a fresh list clears the failure
    assert snapshots.read(path, "servers", ["hz"])[0].error is None


def test_an_older_schema_is_left_to_the_store(tmp_path):
    path = tmp_path / "hostdeck.db"
    Store(path=path).close()
    conn = sqlite3.connect(path)
    conn.execute("UPDATE alembic_version SET version_num = '0000'")   # an older revision
    conn.commit()
    conn.close()
    assert snapshots.read(path, "servers") == [] and snapshots.write(path, "servers", "hz", []) is False
