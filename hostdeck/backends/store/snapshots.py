"""Each backend's last list per scope ("servers", "clients", "services", "sites"), read and written with the stdlib
sqlite3: the start-up paint reads it before SQLAlchemy is imported.

Used only for an existing SQLite database at the current schema version (`read` answers nothing and `write` answers
False otherwise: the caller then opens `Store`, which creates or upgrades the schema). A database URL (PostgreSQL)
goes through `write_with_engine` / `read_with_engine`, the same SQL over SQLAlchemy.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from ..redact import redact_text
from .fast import connect_current
from .fast import execute_many
from .fast import parse_timestamp
from .fast import sqlite_timestamp

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

try:  # decoding 50,000 rows is 3-4x faster with orjson (a dependency); the stdlib is the fallback
    import orjson

    def _loads(data: str | bytes) -> Any:
        return orjson.loads(data)

    def _dumps(value: Any) -> str:
        return orjson.dumps(value, default=str).decode()
except ImportError:  # pragma: no cover
    import json

    def _loads(data: str | bytes) -> Any:
        return json.loads(data)

    def _dumps(value: Any) -> str:
        return json.dumps(value, default=str, separators=(",", ":"))

SELECT = "SELECT backend, fetched_at, payload, error, error_at FROM snapshots WHERE scope = ?"
UPSERT = ("INSERT INTO snapshots (scope, backend, fetched_at, payload, error, error_at) VALUES (?, ?, ?, ?, NULL, NULL) "
          "ON CONFLICT (scope, backend) DO UPDATE SET fetched_at = excluded.fetched_at, payload = excluded.payload, "
          "error = NULL, error_at = NULL")
FAILED = "UPDATE snapshots SET error = ?, error_at = ? WHERE scope = ? AND backend = ?"


@dataclass(slots=True)
class Snapshot:
    scope: str
    backend: str
    fetched_at: datetime
    rows: list[dict[str, Any]]
    error: str | None = None          # the last failed refresh, in plain words
    error_at: datetime | None = None

    def age_seconds(self, now: datetime | None = None) -> float:
        return ((now or datetime.now(UTC)) - self.fetched_at).total_seconds()


def _connect(path: Path) -> sqlite3.Connection | None:
    conn = connect_current(path)
    if conn is not None:
        # A snapshot is a cache: in WAL mode NORMAL skips the fsync on each commit (a crash may lose the newest list,
        # never corrupt the file), which would otherwise cost a listing command more than writing the list itself.
        conn.execute("PRAGMA synchronous=NORMAL")
    return conn


def _query(path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The rows of one SELECT; [] when there is no usable database."""
    conn = _connect(path)
    if conn is None:
        return []
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.DatabaseError:
        return []
    finally:
        conn.close()


def _commit(path: Path, sql: str, rows: list[tuple[Any, ...]]) -> bool:
    return execute_many(_connect(path), sql, rows)


def _snapshot(scope: str, row: tuple[Any, ...]) -> Snapshot | None:
    backend, fetched_at, payload, error, error_at = row
    try:
        rows = _loads(payload or "[]")
    except ValueError:
        return None  # a damaged row is as good as none: the refresh rewrites it
    return Snapshot(scope, backend, _fetched_at(fetched_at), rows if isinstance(rows, list) else [], error,
                    parse_timestamp(error_at))


def _fetched_at(value: Any) -> datetime:
    return parse_timestamp(value) or datetime.now(UTC)


def read(path: Path, scope: str, backends: list[str] | None = None) -> list[Snapshot]:
    """The stored lists of one scope (only these backends when given); [] when there is no usable database."""
    rows = _query(path, SELECT, (scope,))
    wanted = set(backends) if backends is not None else None
    found = [_snapshot(scope, r) for r in rows if wanted is None or r[0] in wanted]
    return [s for s in found if s is not None]


def read_times(path: Path, scope: str) -> dict[str, datetime]:
    """backend -> fetched_at for one scope, without reading the lists."""
    rows = _query(path, "SELECT backend, fetched_at FROM snapshots WHERE scope = ?", (scope,))
    return {backend: _fetched_at(fetched_at) for backend, fetched_at in rows}


def write(path: Path, scope: str, backend: str, rows: list[dict[str, Any]], fetched_at: datetime | None = None,
          also: dict[str, list[dict[str, Any]]] | None = None) -> bool:
    """Replace a backend's list (clearing its last error), and the lists of the `also` scopes with the same time, in
    one transaction. False when the database is missing or not current."""
    stamp = sqlite_timestamp(fetched_at or datetime.now(UTC))
    return _commit(path, UPSERT, [(scope, backend, stamp, _dumps(rows)),
                                  *((other, backend, stamp, _dumps(more)) for other, more in (also or {}).items())])


def record_failure(path: Path, scope: str, backend: str, error: str, at: datetime | None = None) -> bool:
    """Note a failed refresh beside the list it leaves in place (nothing to note when there is no list)."""
    stamp = sqlite_timestamp(at or datetime.now(UTC))
    return _commit(path, FAILED, [(redact_text(error), stamp, scope, backend)])


def read_catalog_cache(path: Path, backends: list[str]) -> list[tuple[str, list[dict[str, Any]], datetime]]:
    """The cached catalogs (backend, items as dicts, fetched_at) of these backends, from the catalog_cache table."""
    found = []
    for backend, payload, fetched_at in _query(path, "SELECT backend, payload, fetched_at FROM catalog_cache"):
        if backend in backends:
            try:
                found.append((backend, _loads(payload), _fetched_at(fetched_at)))
            except ValueError:
                continue
    return found


# a database URL (PostgreSQL): the same statements through the Store's engine --------------------------------------
def _named(sql: str, names: list[str]) -> str:
    for name in names:
        sql = sql.replace("?", f":{name}", 1)
    return sql


def read_with_engine(engine: Engine, scope: str, backends: list[str] | None = None) -> list[Snapshot]:
    from sqlalchemy import text

    with engine.connect() as conn:
        rows = conn.execute(text(_named(SELECT, ["scope"])), {"scope": scope}).all()
    wanted = set(backends) if backends is not None else None
    found = [_snapshot(scope, tuple(r)) for r in rows if wanted is None or r[0] in wanted]
    return [s for s in found if s is not None]


def write_with_engine(engine: Engine, scope: str, backend: str, rows: list[dict[str, Any]],
                      fetched_at: datetime | None = None, also: dict[str, list[dict[str, Any]]] | None = None) -> None:
    from sqlalchemy import text

    stamp = (fetched_at or datetime.now(UTC)).astimezone(UTC)   # aware: PostgreSQL keeps a timestamptz
    with engine.begin() as conn:
        for one, payload in [(scope, rows), *(also or {}).items()]:
            conn.execute(text(_named(UPSERT, ["scope", "backend", "fetched_at", "payload"])),
                         {"scope": one, "backend": backend, "fetched_at": stamp, "payload": _dumps(payload)})


def record_failure_with_engine(engine: Engine, scope: str, backend: str, error: str, at: datetime | None = None) -> None:
    from sqlalchemy import text

    stamp = (at or datetime.now(UTC)).astimezone(UTC)
    with engine.begin() as conn:
        conn.execute(text(_named(FAILED, ["error", "error_at", "scope", "backend"])),
                     {"error": redact_text(error), "error_at": stamp, "scope": scope, "backend": backend})
