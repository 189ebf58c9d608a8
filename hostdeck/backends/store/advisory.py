"""PostgreSQL advisory locks: one run of a job at a time across every machine on the store. The holder names itself
in its session's `application_name` ("hostdeck user@host since ..."), which a second process reads from
pg_stat_activity to say who runs it, and since when."""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Iterator
from datetime import UTC
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Connection
    from sqlalchemy.engine import Engine

NAME_LIMIT = 63   # PostgreSQL keeps this many bytes of application_name
PREFIX = "hostdeck "


def lock_key(name: str) -> int:
    """The job's 64-bit advisory lock key, the same on every machine."""
    return int.from_bytes(hashlib.sha256(f"hostdeck:{name}".encode()).digest()[:8], "big", signed=True)


def holder_label(actor: str, since: datetime) -> str:
    when = since.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    room = NAME_LIMIT - len(PREFIX) - len(" since ") - len(when)
    return f"{PREFIX}{actor[:room]} since {when}"


class LockHeld(Exception):
    def __init__(self, name: str, holder: str) -> None:
        super().__init__(f"{name} is held by {holder}")
        self.name = name
        self.holder = holder


def holder(conn: Connection, key: int) -> str:
    """Who holds the lock `key` on this database, in words ("root@cron1 since 2026-12-07 01:10:00Z")."""
    from sqlalchemy import text

    row = conn.execute(text(
        "SELECT a.application_name, a.client_addr FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
        "WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid = CAST(:hi AS oid) "
        "AND l.objid = CAST(:lo AS oid) AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
    ), {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF}).first()
    if row is None:
        return "another process (it has just finished)"
    name = str(row[0] or "")
    if name.startswith(PREFIX):
        return name.removeprefix(PREFIX)
    return f"another session{f' from {row[1]}' if row[1] else ''}"


@contextlib.contextmanager
def advisory_lock(engine: Engine, name: str, actor: str) -> Iterator[None]:
    """Hold the session-level advisory lock of `name` on a connection of its own for the block; LockHeld when another
    session holds it. The session is named after `actor` first, so whoever finds the lock taken can say who has it."""
    from sqlalchemy import text

    key = lock_key(name)
    conn = engine.connect()
    try:
        conn.execute(text("SELECT set_config('application_name', :label, false)"),
                     {"label": holder_label(actor, datetime.now(UTC))})
        got = conn.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": key}).scalar()
        conn.commit()
        if not got:
            raise LockHeld(name, holder(conn, key))
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
            conn.commit()
    finally:
        with contextlib.suppress(Exception):
            conn.execute(text("SELECT set_config('application_name', '', false)"))
            conn.commit()
        conn.close()
