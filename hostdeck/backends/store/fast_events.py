"""Appending events with the stdlib sqlite3: a CLI run records its API calls without importing SQLAlchemy.

Used only for an existing SQLite database at the current schema version; anything else goes through `Store`,
which creates and upgrades the schema.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import timezone
from pathlib import Path
from typing import Iterable

from ..models import Event
from ..redact import redact
from .version import LATEST

INSERT = ("INSERT INTO events (ts, backend, kind, level, message, method, path, status, duration_ms, attempt, target, "
          "actor, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")


def _ts(event: Event) -> str:
    # the format SQLAlchemy's SQLite DateTime type writes and reads (naive UTC)
    return event.ts.astimezone(timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


def append_events(path: Path, events: Iterable[Event]) -> bool:
    """True when written; False when the database is missing or not at the current schema (use Store then)."""
    if not path.exists():
        return False
    conn = sqlite3.connect(path, timeout=5.0)
    try:
        row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if row is None or int(row[0]) != LATEST:
            return False
        conn.executemany(INSERT, [(_ts(e), e.backend, e.kind.value, e.level, e.message, e.method, e.path, e.status,
                                   e.duration_ms, e.attempt, e.target, e.actor, json.dumps(redact(e.detail), default=str))
                                  for e in events])
        conn.commit()
        return True
    except sqlite3.DatabaseError:
        return False
    finally:
        conn.close()
