"""The store read and written with the stdlib sqlite3, for the paths that must not wait for SQLAlchemy (the start-up
paint, a CLI run's events, the credential guard).

Only an existing SQLite database at the current schema revision is used; anything else is the caller's cue to open
`Store`, which creates or upgrades the schema. A PostgreSQL store never comes here: its callers go through `Store`.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from .version import HEAD

# the format SQLAlchemy's SQLite DateTime type writes and reads (naive UTC)
SQLITE_TIMESTAMP = "%Y-%m-%d %H:%M:%S.%f"
BUSY_TIMEOUT = 5.0


def sqlite_timestamp(value: datetime) -> str:
    return value.astimezone(UTC).replace(tzinfo=None).strftime(SQLITE_TIMESTAMP)


def parse_timestamp(value: object) -> datetime | None:
    """A stored time (a string in either format SQLite holds, or a datetime from SQLAlchemy) as an aware UTC time."""
    if value is None:
        return None
    parsed = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def connect(path: Path) -> sqlite3.Connection | None:
    """A connection to the database file whatever its schema, or None when there is no file."""
    if not path.exists():
        return None
    return sqlite3.connect(path, timeout=BUSY_TIMEOUT)


def connect_current(path: Path) -> sqlite3.Connection | None:
    """A connection to an existing database at the current schema revision, else None."""
    conn = connect(path)
    if conn is None:
        return None
    try:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.DatabaseError:
        conn.close()
        return None
    if row is None or row[0] != HEAD:
        conn.close()
        return None
    return conn


def execute_many(conn: sqlite3.Connection | None, sql: str, rows: list[tuple[Any, ...]]) -> bool:
    """Run one statement over these rows in one transaction and close the connection; False when there is no
    connection (no current database) or the write fails."""
    if conn is None:
        return False
    try:
        conn.executemany(sql, rows)
        conn.commit()
        return True
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()
