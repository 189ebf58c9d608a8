"""The newest connection test of each backend, read from the event log with the stdlib sqlite3 (`backend list`).

A test leaves events whose message starts with "connection test": the API calls it made (`hostdeck test`) and, from
the Connections screen, one summary ("connection test: ok (12 ms)" / "connection test failed: …"). The newest of
them tells the outcome: an info-level event is a success, anything else a failure in the event's own words.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

from .fast import connect
from .fast import parse_timestamp

PREFIX = "connection test"
NEWEST = ("SELECT e.backend, e.ts, e.level, e.message, e.status FROM events e JOIN "
          "(SELECT backend, MAX(id) AS id FROM events WHERE message LIKE 'connection test%' GROUP BY backend) n "
          "ON e.id = n.id")


@dataclass(frozen=True)
class LastTest:
    at: datetime
    ok: bool
    said: str

    @property
    def result(self) -> str:
        return "ok" if self.ok else f"failed: {self.said}"


def _words(message: str, status: int | None) -> str:
    rest = message[len(PREFIX):].lstrip(" :").removeprefix("failed").lstrip(" :")
    if status is not None and not rest:
        return f"HTTP {status}"
    return rest or "no reason given"


def last_tests(path: Path) -> dict[str, LastTest]:
    """Backend name -> its newest connection test; empty when there is no database or it cannot be read."""
    conn = connect(path)
    if conn is None:
        return {}
    try:
        rows = conn.execute(NEWEST).fetchall()
    except sqlite3.DatabaseError:
        return {}
    finally:
        conn.close()
    return _found(rows)


def last_tests_with_engine(engine: Engine) -> dict[str, LastTest]:
    """The same from a database URL's store (PostgreSQL); empty when it cannot be read."""
    from sqlalchemy import text
    from sqlalchemy.exc import SQLAlchemyError

    try:
        with engine.connect() as conn:
            rows = [tuple(r) for r in conn.execute(text(NEWEST))]
    except SQLAlchemyError:
        return {}
    return _found(rows)


def _found(rows: list[Any]) -> dict[str, LastTest]:
    found: dict[str, LastTest] = {}
    for backend, ts, level, message, status in rows:
        at = parse_timestamp(ts)
        if at is not None:
            found[str(backend)] = LastTest(at=at, ok=level == "info", said=_words(str(message), status))
    return found
