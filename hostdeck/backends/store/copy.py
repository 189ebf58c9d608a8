"""Copying one store into another (`hostdeck db copy --to URL`: a console's SQLite store into the team's PostgreSQL).

Every table, one transaction per table, and safe to run again: each row is matched by what names it, so a rerun (or a
second console copying its own store in) adds only what is missing and never a second copy.
- rows with a natural key (a sync link, a site job) are upserted by it, and the target numbers them itself;
- append-only logs (events, the sync log) are matched by their content and only the missing ones are added;
- every other table is upserted by its primary key.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from .upsert import upsert

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy import Table

    from .db import Store

NATURAL_KEYS = {"sync_links": ("entity", "left_system", "left_id", "right_system"), "site_jobs": ("domain",)}
APPEND_ONLY = {"events": ("ts", "backend", "kind", "message", "target"),
               "sync_log": ("ts", "entity", "operation", "left_system", "left_id", "right_system")}
NOT_COPIED = {"alembic_version"}   # each store keeps its own schema revision
CHUNK = 1000


@dataclass
class TableCopy:
    table: str
    read: int = 0
    written: int = 0   # inserted or updated in the target

    @property
    def already_there(self) -> int:
        return self.read - self.written

    def as_dict(self) -> dict[str, Any]:
        return {"table": self.table, "read": self.read, "written": self.written, "already_there": self.already_there}


def _chunks(rows: list[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def _rows(conn: Connection, table: Table) -> list[dict[str, Any]]:
    from sqlalchemy import select

    return [dict(row._mapping) for row in conn.execute(select(table))]


def _copy_append_only(conn: Connection, table: Table, rows: list[dict[str, Any]], key: tuple[str, ...]) -> int:
    from sqlalchemy import insert
    from sqlalchemy import select

    def ident(row: dict[str, Any]) -> tuple[Any, ...]:
        return tuple(row[name].replace(tzinfo=None) if hasattr(row[name], "tzinfo") else row[name] for name in key)

    present = {ident(dict(r._mapping)) for r in conn.execute(select(*(table.c[name] for name in key)))}
    missing = [{k: v for k, v in row.items() if k != "id"} for row in rows if ident(row) not in present]
    for chunk in _chunks(missing):
        conn.execute(insert(table), chunk)
    return len(missing)


def _contents(conn: Connection, table: Table, columns: list[str]) -> set[tuple[Any, ...]]:
    from sqlalchemy import select

    return {tuple(r) for r in conn.execute(select(*(table.c[name] for name in columns)))}


def _copy_upsert(conn: Connection, table: Table, rows: list[dict[str, Any]], key: tuple[str, ...]) -> int:
    """Returns how many target rows are new or changed."""
    primary = [c.name for c in table.primary_key.columns]
    natural = list(key) != primary
    if natural:   # the target numbers these rows itself
        rows = [{k: v for k, v in row.items() if k not in primary} for row in rows]
    columns = [name for name in table.columns.keys() if not (natural and name in primary)]
    before = _contents(conn, table, columns)
    for chunk in _chunks(rows):
        conn.execute(upsert(conn.dialect.name, table, key), chunk)
    _fix_sequence(conn, table, natural)
    return len(_contents(conn, table, columns) - before)


def _fix_sequence(conn: Connection, table: Table, natural: bool) -> None:
    """Rows copied with their own numbers: PostgreSQL's sequence must move past them, or the next insert collides."""
    from sqlalchemy import text

    pk = list(table.primary_key.columns)
    if natural or conn.dialect.name != "postgresql" or len(pk) != 1 or not pk[0].autoincrement:
        return
    if str(pk[0].type).upper() not in ("INTEGER", "BIGINT"):
        return
    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', '{pk[0].name}'), "
                      f"COALESCE((SELECT MAX({pk[0].name}) FROM {table.name}), 0) + 1, false)"))


def copy_store(source: Store, target: Store, progress: Callable[[TableCopy], None] | None = None) -> list[TableCopy]:
    """Copy every table of `source` into `target` (both open, so both at the newest schema)."""
    from sqlmodel import SQLModel

    from . import tables  # noqa: F401 - registers the tables on SQLModel.metadata

    done = []
    with source.engine.connect() as reader:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in NOT_COPIED:
                continue
            report = TableCopy(table.name)
            rows = _rows(reader, table)
            report.read = len(rows)
            with target.engine.begin() as conn:
                if table.name in APPEND_ONLY:
                    report.written = _copy_append_only(conn, table, rows, APPEND_ONLY[table.name])
                else:
                    key = NATURAL_KEYS.get(table.name) or tuple(c.name for c in table.primary_key.columns)
                    report.written = _copy_upsert(conn, table, rows, key)
            done.append(report)
            if progress:
                progress(report)
    return done
