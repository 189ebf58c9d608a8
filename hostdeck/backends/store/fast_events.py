"""Appending events with the stdlib sqlite3: a CLI run records its API calls without importing SQLAlchemy.

Used only for an existing SQLite database at the current schema version; anything else goes through `Store`,
which creates and upgrades the schema.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from ..models import Event
from ..redact import redact
from .actor import current_actor
from .fast import connect_current
from .fast import execute_many
from .fast import sqlite_timestamp

INSERT = ("INSERT INTO events (ts, backend, kind, level, message, method, path, status, duration_ms, attempt, target, "
          "actor, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def append_events(path: Path, events: Iterable[Event]) -> bool:
    """True when written; False when the database is missing or not at the current schema (use Store then). An event
    without an actor is this process's: it is recorded as the OS user@host, like every event in a shared store."""
    actor = current_actor()
    return execute_many(connect_current(path), INSERT, [
        (sqlite_timestamp(e.ts), e.backend, e.kind.value, e.level, e.message, e.method, e.path, e.status,
         e.duration_ms, e.attempt, e.target, e.actor or actor, json.dumps(redact(e.detail), default=str)) for e in events])
