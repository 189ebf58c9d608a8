"""The hand-written SQLite schema versions that came before Alembic, kept only as the path from an old store to version 6,
which Alembic's revision 0002 then stamps (`meta.schema_version` tells them; Alembic's `alembic_version` table replaces
it). New schema changes are Alembic revisions in migrations/versions/.

Version 1: meta, events (without target/actor), catalog_cache.
Version 2: events gain `target` and `actor` (actions and audit entries name who did what to which server).
Version 3: the sync map (`sync_links`) and the sync log (`sync_log`).
Version 4: the site pipeline's jobs (`site_jobs`).
Version 5: rejected credentials as keyed fingerprints (`credential_rejections`) and each backend's last lists
(`snapshots`: the inventory painted at start).
Version 6: the customer index (`customer_clients`, `customer_terms`).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection
from sqlalchemy import text

V1_SQL = [
    "CREATE TABLE IF NOT EXISTS meta (key VARCHAR NOT NULL PRIMARY KEY, value VARCHAR NOT NULL)",
    """CREATE TABLE IF NOT EXISTS events (
        id INTEGER NOT NULL PRIMARY KEY, ts DATETIME NOT NULL, backend VARCHAR NOT NULL, kind VARCHAR NOT NULL,
        level VARCHAR NOT NULL, message VARCHAR NOT NULL, method VARCHAR, path VARCHAR, status INTEGER,
        duration_ms FLOAT, attempt INTEGER, detail VARCHAR NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS ix_events_ts ON events (ts)",
    "CREATE INDEX IF NOT EXISTS ix_events_backend ON events (backend)",
    """CREATE TABLE IF NOT EXISTS catalog_cache (
        backend VARCHAR NOT NULL PRIMARY KEY, fetched_at DATETIME NOT NULL, payload VARCHAR NOT NULL)""",
]


def _to_v2(conn: Connection) -> None:
    conn.execute(text("ALTER TABLE events ADD COLUMN target VARCHAR"))
    conn.execute(text("ALTER TABLE events ADD COLUMN actor VARCHAR"))
    conn.execute(text("CREATE INDEX IF NOT EXISTS ix_events_target ON events (target)"))


def _to_v3(conn: Connection) -> None:
    from sqlmodel import SQLModel

    from .tables import SyncLinkRow
    from .tables import SyncLogRow
    from .tables import tables_of

    SQLModel.metadata.create_all(conn, tables=tables_of(SyncLinkRow, SyncLogRow))


def _to_v4(conn: Connection) -> None:
    from sqlmodel import SQLModel

    from .tables import SiteJobRow
    from .tables import tables_of

    SQLModel.metadata.create_all(conn, tables=tables_of(SiteJobRow))


def _to_v5(conn: Connection) -> None:
    from sqlmodel import SQLModel

    from .tables import CredentialRejectionRow
    from .tables import SnapshotRow
    from .tables import tables_of

    SQLModel.metadata.create_all(conn, tables=tables_of(CredentialRejectionRow, SnapshotRow))


def _to_v6(conn: Connection) -> None:
    from sqlmodel import SQLModel

    from .index_tables import CustomerRow
    from .index_tables import CustomerTermRow
    from .tables import tables_of

    SQLModel.metadata.create_all(conn, tables=tables_of(CustomerRow, CustomerTermRow))


def create_v1(conn: Connection) -> None:
    for stmt in V1_SQL:
        conn.execute(text(stmt))
    conn.execute(text("INSERT INTO meta (key, value) VALUES ('schema_version', '1')"))


# UPGRADES[n] takes a database from version n to n + 1.
UPGRADES: dict[int, Callable[[Connection], None]] = {1: _to_v2, 2: _to_v3, 3: _to_v4, 4: _to_v5, 5: _to_v6}


def legacy_version(conn: Connection) -> int | None:
    """The hand-written version of a store from before Alembic (`meta.schema_version`), None when it has none."""
    from sqlalchemy import inspect

    if not inspect(conn).has_table("meta"):
        return None
    row = conn.execute(text("SELECT value FROM meta WHERE key='schema_version'")).first()
    return int(row[0]) if row else None


def upgrade_to_last(conn: Connection, found: int) -> str:
    """Take a store of hand-written version `found` to the last one (version.LEGACY_LAST); returns the Alembic
    revision to stamp it with (version.LEGACY_REVISION)."""
    from .version import LEGACY_LAST
    from .version import LEGACY_REVISION

    for version in range(found, LEGACY_LAST):
        UPGRADES[version](conn)
    conn.execute(text("UPDATE meta SET value=:v WHERE key='schema_version'"), {"v": str(LEGACY_LAST)})
    return LEGACY_REVISION
