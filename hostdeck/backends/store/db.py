"""Opening the store, upgrading its schema, and the few queries hostdeck needs."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session
from sqlmodel import col
from sqlmodel import create_engine
from sqlmodel import select

from ..errors import ConfigError
from ..models import Event
from ..models import EventKind
from ..redact import redact
from ..redact import redact_text
from . import schema
from .check import StoreError
from .check import check_sqlite
from .check import sqlite_file
from .tables import CatalogCacheRow
from .tables import EventRow
from .urls import MASK
from .urls import has_password
from .urls import is_postgres
from .urls import mask_text
from .urls import masked
from .urls import normalized
from .urls import password_fix
from .urls import with_keyring_password
from .version import HEAD

BUSY_TIMEOUT_MS = 5000
UPGRADE_LOCK = "schema-upgrade"   # the advisory lock that lets one process at a time upgrade a PostgreSQL store


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


class Store:
    def __init__(self, url: str | None = None, *, path: Path | None = None, secrets: Any = None,
                 upgrade: bool = True) -> None:
        """`secrets`: where a PostgreSQL password comes from when the URL has none (the keyring's `database password`);
        `upgrade=False` opens the store as it is (`hostdeck db status`)."""
        if url is None:
            from ..paths import database_path

            path = path or database_path()
            url = f"sqlite:///{path}"
        self.url = normalized(url)
        self.is_sqlite = self.url.startswith("sqlite")
        self.is_postgres = is_postgres(self.url)
        self.path = sqlite_file(self.url)
        if self.path is not None:
            check_sqlite(self.path)  # readable, known schema, writable; the folder 0700 and the file 0600
        connect_args: dict[str, Any] = {"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False} if self.is_sqlite else {}
        engine_url, self._password = with_keyring_password(self.url, secrets)
        if self._password is None and has_password(self.url):
            from sqlalchemy.engine import make_url

            self._password = make_url(self.url).password
        try:
            self.engine = create_engine(engine_url, connect_args=connect_args)
        except ModuleNotFoundError as exc:
            raise ConfigError(f"the database driver {exc.name or ''} is not installed.", key="general.database",
                              fix="install it: pip install 'hostdeck[postgres]' (psycopg 3).") from None
        except Exception as exc:
            raise ConfigError(f"database URL is not usable ({type(exc).__name__}).", key="general.database",
                              fix="write a SQLAlchemy URL such as sqlite:////path/hostdeck.db or postgresql+psycopg://user@host/db.") from None
        if self.is_sqlite:
            sa_event.listen(self.engine, "connect", self._sqlite_pragmas)
        if not upgrade:
            return
        try:
            self.upgrade()
        except SQLAlchemyError as exc:
            self.engine.dispose()
            raise self.failure(exc) from None

    def failure(self, exc: BaseException) -> StoreError:
        """A database error in words that name the store and never its password."""
        cause = getattr(exc, "orig", None) or exc
        first_line = self.scrub((str(cause).splitlines() or [""])[0])
        return StoreError(f"the store cannot be opened ({type(cause).__name__}: {first_line}).", path=self.where,
                          fix=password_fix(self.url, first_line) or "check that the database is reachable, readable "
                          "and writable for this user, or point [general] database at another one.")

    def scrub(self, text: str) -> str:
        """A text with this store's password (and any URL's) masked."""
        text = mask_text(redact_text(text))
        return text.replace(self._password, MASK) if self._password and len(self._password) >= 3 else text

    @property
    def where(self) -> str:
        """The store for a message: its file, or its URL without the password."""
        if self.path is not None:
            return str(self.path)
        return masked(self.url)

    @property
    def engine_name(self) -> str:
        return "sqlite" if self.is_sqlite else "postgresql" if self.is_postgres else self.engine.dialect.name

    @staticmethod
    def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
        import sqlite3
        import time

        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        # Turning a new file to WAL needs it alone, and SQLite answers "locked" at once (no busy wait) while another
        # process creates the schema in it: wait here, as the busy timeout would.
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                cur.execute("PRAGMA journal_mode=WAL")
                break
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    def revision(self) -> str | None:
        """The store's schema revision (Alembic's); None for an empty store or one from before Alembic."""
        with self.engine.connect() as conn:
            return schema.current_revision(conn)

    def upgrade(self) -> str | None:
        """Bring the schema to HEAD; returns the revision found before. One process at a time upgrades: on SQLite a
        file lock beside the store (cron jobs started together on an empty data dir would both create the tables), on
        PostgreSQL an advisory lock held for the upgrade's transaction."""
        if self.revision() == HEAD:
            return HEAD   # the usual case: no lock, no write
        if self.path is None:
            with self.engine.begin() as conn:
                if self.is_postgres:
                    from .advisory import lock_key

                    conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(UPGRADE_LOCK)})
                return schema.upgrade(conn, self.where)
        import fcntl

        from ..paths import open_private

        with open_private(self.path.with_name(self.path.name + ".schema-lock")) as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            with self.engine.begin() as conn:
                return schema.upgrade(conn, self.where)

    def journal_mode(self) -> str:
        with self.engine.connect() as conn:  # SQLite only
            return str(conn.execute(text("PRAGMA journal_mode")).scalar())

    # events -----------------------------------------------------------------
    def add_events(self, events: list[Event]) -> None:
        if not events:
            return
        from .actor import current_actor

        actor = current_actor()   # an event without one is this process's (see fast_events.append_events)
        rows = [
            EventRow(ts=e.ts, backend=e.backend, kind=e.kind.value, level=e.level, message=e.message, method=e.method,
                     path=e.path, status=e.status, duration_ms=e.duration_ms, attempt=e.attempt, target=e.target,
                     actor=e.actor or actor, detail=json.dumps(redact(e.detail), default=str))
            for e in events
        ]
        with Session(self.engine) as session:
            session.add_all(rows)
            session.commit()

    def events(self, *, limit: int = 1000, backend: str | None = None, target: str | None = None,
               since: datetime | None = None, actor: str | None = None) -> list[Event]:
        """The newest events, oldest first; `actor`: only those of one person (user@host)."""
        with Session(self.engine) as session:
            q = select(EventRow).order_by(col(EventRow.id).desc()).limit(limit)
            if backend:
                q = q.where(EventRow.backend == backend)
            if target:
                q = q.where(EventRow.target == target)
            if since:
                q = q.where(EventRow.ts >= since)
            if actor:
                q = q.where(EventRow.actor == actor)
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
