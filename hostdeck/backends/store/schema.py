"""Bringing a store's schema to the newest Alembic revision, run from code (no alembic.ini): on the caller's
connection and inside its transaction, so the caller's lock (a file lock on SQLite, an advisory lock on PostgreSQL)
covers the whole upgrade.

A store from before Alembic has `meta.schema_version` and no `alembic_version`: the last hand-written version is stamped
with its revision (version.LEGACY_LAST, LEGACY_REVISION: 6 is 0002) without touching a row; older ones first take the
hand-written steps to it (legacy.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect
from sqlalchemy import text

from .check import newer_schema
from .legacy import legacy_version
from .legacy import upgrade_to_last
from .version import HEAD
from .version import LEGACY_LAST
from .version import is_newer

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

MIGRATIONS = Path(__file__).with_name("migrations")


def current_revision(conn: Connection) -> str | None:
    """The store's Alembic revision; None for an empty store or one from before Alembic."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    row = conn.execute(text("SELECT version_num FROM alembic_version")).first()
    return str(row[0]) if row else None


def alembic_config(conn: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if conn is not None:
        config.attributes["connection"] = conn
    return config


def latest_revision() -> str:
    """The newest revision among the migration files (version.HEAD names it without importing Alembic)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return head or ""


def create_fresh(conn: Connection) -> None:
    """An empty store gets every table at once and is stamped HEAD, as Alembic's docs advise for a new database
    ("create_all, then stamp head"): it spares the first start importing Alembic and replaying each revision (about
    150 ms of CPU beside the first paint). tests/integration/test_store_engines.py holds the revisions equal to the
    tables, so both ways make the same schema."""
    from sqlmodel import SQLModel

    from . import index_tables  # noqa: F401 - the tables on SQLModel.metadata
    from . import tables  # noqa: F401

    SQLModel.metadata.create_all(conn)
    conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL, "
                      "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"))
    conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:head)"), {"head": HEAD})


def upgrade(conn: Connection, where: str) -> str | None:
    """Bring the store on `conn` to HEAD; returns the revision found before (None: empty, or from before Alembic).
    `where` names the store in a "newer schema" error."""
    found = current_revision(conn)
    if found is not None and is_newer(found):
        raise newer_schema(where, found)
    if found == HEAD:
        return found
    if found is None and not inspect(conn).get_table_names():
        create_fresh(conn)
        return None
    from alembic import command

    config = alembic_config(conn)
    if found is None:
        legacy = legacy_version(conn)
        if legacy is not None:
            if legacy > LEGACY_LAST:
                raise newer_schema(where, str(legacy))
            command.stamp(config, upgrade_to_last(conn, legacy))
    command.upgrade(config, "head")
    return found
