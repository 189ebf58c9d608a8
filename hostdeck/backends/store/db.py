"""Opening the store, upgrading its schema, and the few queries hostdeck needs."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import inspect
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from sqlmodel import SQLModel
from sqlmodel import col
from sqlmodel import create_engine
from sqlmodel import select

from ..errors import ConfigError
from ..models import Event
from ..models import EventKind
from ..redact import redact
from ..redact import redact_text
from . import migrations
from .check import StoreError
from .check import check_sqlite
from .check import newer_schema
from .check import sqlite_file
from .index_tables import CustomerRow
from .index_tables import CustomerTermRow
from .tables import CatalogCacheRow
from .tables import CredentialRejectionRow
from .tables import EventRow
from .tables import Meta
from .tables import SiteJobRow
from .tables import SnapshotRow
from .tables import SyncLinkRow
from .tables import SyncLogRow
from .tables import tables_of
from .version import LATEST

SCHEMA_VERSION = LATEST
BUSY_TIMEOUT_MS = 5000


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


class Store:
    def __init__(self, url: str | None = None, *, path: Path | None = None) -> None:
        if url is None:
            from ..paths import database_path

            path = path or database_path()
            url = f"sqlite:///{path}"
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.path = sqlite_file(url)
        if self.path is not None:
            check_sqlite(self.path)  # readable, known schema, writable; the folder 0700 and the file 0600
        connect_args: dict[str, Any] = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False} if self.is_sqlite else {}
        try:
            self.engine = create_engine(url, connect_args=connect_args)
        except Exception as exc:
            raise ConfigError(f"database URL is not usable ({type(exc).__name__}).", key="general.database",
                              fix="write a SQLAlchemy URL such as sqlite:////path/hostdeck.db or postgresql+psycopg://user@host/db.") from None
        if self.is_sqlite:
            sa_event.listen(self.engine, "connect", self._sqlite_pragmas)
        try:
            self.upgrade()
        except SQLAlchemyError as exc:
            self.engine.dispose()
            cause = getattr(exc, "orig", None) or exc
            first_line = (str(cause).splitlines() or [""])[0]
            raise StoreError(f"the store cannot be opened ({type(cause).__name__}: {redact_text(first_line)}).",
                             path=self.where, fix="check that the database is reachable, readable and writable for "
                                                  "this user, or point [general] database at another one.") from None

    @property
    def where(self) -> str:
        """The store for a message: its file, or its URL without the password."""
        if self.path is not None:
            return str(self.path)
        from sqlalchemy.engine import make_url

        try:
            return make_url(self.url).render_as_string(hide_password=True)
        except Exception:
            return "the configured database"

    @staticmethod
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    def schema_version(self) -> int:
        with self.engine.connect() as conn:
            if not inspect(conn).has_table("meta"):
                return 0
            row = conn.execute(text("SELECT value FROM meta WHERE key='schema_version'")).first()
            return int(row[0]) if row else 0

    def upgrade(self) -> int:
        """Bring the schema to SCHEMA_VERSION; returns the version found before. On SQLite one process at a time
        creates or upgrades (cron jobs started together on an empty data dir would both create the tables)."""
        if self.path is None:
            return self._upgrade()
        found = self.schema_version()
        if found == SCHEMA_VERSION:
            return found   # the usual case: no lock, no write
        import fcntl

        from ..paths import open_private

        with open_private(self.path.with_name(self.path.name + ".schema-lock")) as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            return self._upgrade()

    def _upgrade(self) -> int:
        found = self.schema_version()
        if found > SCHEMA_VERSION:
            raise newer_schema(self.where, found)
        if found == SCHEMA_VERSION:
            return found
        with self.engine.begin() as conn:
            if found == 0:
                SQLModel.metadata.create_all(conn, tables=tables_of(Meta, EventRow, CatalogCacheRow, SyncLinkRow, SyncLogRow,
                                                                   SiteJobRow, CredentialRejectionRow, SnapshotRow,
                                                                   CustomerRow, CustomerTermRow))
                conn.execute(text("INSERT INTO meta (key, value) VALUES ('schema_version', :v)"), {"v": str(SCHEMA_VERSION)})
            else:
                for version in range(found, SCHEMA_VERSION):
                    migrations.UPGRADES[version](conn)
                conn.execute(text("UPDATE meta SET value=:v WHERE key='schema_version'"), {"v": str(SCHEMA_VERSION)})
        return found

    def journal_mode(self) -> str:
        with self.engine.connect() as conn:
            return str(conn.execute(text("PRAGMA journal_mode")).scalar())

    # events -----------------------------------------------------------------
    def add_events(self, events: list[Event]) -> None:
        if not events:
            return
        rows = [
            EventRow(ts=e.ts, backend=e.backend, kind=e.kind.value, level=e.level, message=e.message, method=e.method,
                     path=e.path, status=e.status, duration_ms=e.duration_ms, attempt=e.attempt, target=e.target,
                     actor=e.actor, detail=json.dumps(redact(e.detail), default=str))
            for e in events
        ]
        with Session(self.engine) as session:
            session.add_all(rows)
            session.commit()

    def events(self, *, limit: int = 1000, backend: str | None = None, target: str | None = None,
               since: datetime | None = None) -> list[Event]:
        with Session(self.engine) as session:
            q = select(EventRow).order_by(col(EventRow.id).desc()).limit(limit)
            if backend:
                q = q.where(EventRow.backend == backend)
            if target:
                q = q.where(EventRow.target == target)
            if since:
                q = q.where(EventRow.ts >= since)
            rows = list(session.exec(q))
        rows.reverse()
        return [
            Event(backend=r.backend, kind=EventKind(r.kind), message=r.message, level=r.level, ts=_aware(r.ts),
                  method=r.method, path=r.path, status=r.status, duration_ms=r.duration_ms, attempt=r.attempt,
                  target=r.target, actor=r.actor, detail=json.loads(r.detail or "{}"))
            for r in rows
        ]

    # catalog cache ----------------------------------------------------------
    def put_catalog(self, backend: str, payload: list[dict[str, Any]], fetched_at: datetime) -> None:
        with Session(self.engine) as session:
            session.merge(CatalogCacheRow(backend=backend, fetched_at=fetched_at, payload=json.dumps(payload)))
            session.commit()

    def get_catalog(self, backend: str) -> tuple[list[dict[str, Any]], datetime] | None:
        with Session(self.engine) as session:
            row = session.get(CatalogCacheRow, backend)
            if row is None:
                return None
            return json.loads(row.payload), _aware(row.fetched_at)

    def close(self) -> None:
        self.engine.dispose()
