"""The store: SQLModel tables over SQLite (WAL, busy timeout) or PostgreSQL, with schema migrations.

`Store` is loaded on first use (PEP 562), so `hostdeck.backends.store.fast_events` can write events without importing
SQLAlchemy.
"""

from typing import Any

from .version import LATEST as SCHEMA_VERSION

__all__ = ["Store", "SCHEMA_VERSION"]


def __getattr__(name: str) -> Any:
    if name == "Store":
        from .db import Store

        return Store
    raise AttributeError(name)
