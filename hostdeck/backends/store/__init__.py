"""The store: SQLModel tables over SQLite (WAL, busy timeout) or PostgreSQL, with Alembic migrations (schema.py).

`Store` is loaded on first use (PEP 562), so `hostdeck.backends.store.fast_events` can write events without importing
SQLAlchemy.
"""

from typing import Any

from .version import HEAD as SCHEMA_REVISION

__all__ = ["Store", "SCHEMA_REVISION"]


def __getattr__(name: str) -> Any:
    if name == "Store":
        from .db import Store

        return Store
    raise AttributeError(name)
