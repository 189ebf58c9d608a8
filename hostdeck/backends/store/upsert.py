"""INSERT ... ON CONFLICT DO UPDATE for SQLite and PostgreSQL alike: writes that two processes may make at once (a sync
link, a site job, a credential rejection, `hostdeck db copy`) are settled by the table's unique key, not by reading
first and hoping nobody wrote in between."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.sql.dml import Insert


def upsert(dialect: str, table: Table, keys: Sequence[str], update: Sequence[str] | None = None) -> Insert:
    """An insert of `table` rows that, where a row with the same `keys` exists, updates its `update` columns (every
    other column but the primary key when None; nothing when empty)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(table)
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table)
    else:
        raise ValueError(f"no upsert for the {dialect} dialect")
    columns = ([c.name for c in table.columns if c.name not in keys and not c.primary_key] if update is None
               else list(update))
    if not columns:
        return stmt.on_conflict_do_nothing(index_elements=list(keys))  # type: ignore[no-any-return]
    return stmt.on_conflict_do_update(index_elements=list(keys),  # type: ignore[no-any-return]
                                      set_={name: stmt.excluded[name] for name in columns})
