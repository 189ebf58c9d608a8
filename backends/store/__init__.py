"""The store: SQLModel tables over SQLite (WAL, busy timeout) or PostgreSQL, with schema migrations."""

from .db import SCHEMA_VERSION, Store

__all__ = ["Store", "SCHEMA_VERSION"]
