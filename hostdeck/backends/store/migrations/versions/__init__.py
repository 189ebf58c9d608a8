"""Alembic revisions of the store, oldest first (r0001 is the schema of the hand-written version 5)."""
