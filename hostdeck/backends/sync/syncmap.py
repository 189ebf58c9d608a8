"""The sync map and the sync log in the store. Blocking (SQLAlchemy): the engine calls these from a thread."""

from __future__ import annotations

import json
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any
from typing import overload

from sqlmodel import Session
from sqlmodel import col
from sqlmodel import delete
from sqlmodel import func
from sqlmodel import select

from ..models import utcnow
from ..redact import redact
from ..store.tables import SyncLinkRow
from ..store.tables import SyncLogRow


@overload
def _aware(ts: datetime) -> datetime: ...
@overload
def _aware(ts: None) -> None: ...
@overload
def _aware(ts: datetime | None) -> datetime | None: ...
def _aware(ts: datetime | None) -> datetime | None:
    return ts if ts is None or ts.tzinfo else ts.replace(tzinfo=UTC)


@dataclass
class Link:
    entity: str
    left_system: str
    left_id: str
    right_system: str
    right_id: str | None = None
    left_key: str | None = None
    status: str = "pending"
    intent: str | None = None
    fingerprint: str | None = None
    drift: dict[str, Any] | None = None
    last_synced: datetime | None = None
    last_error: str | None = None

    @classmethod
    def from_row(cls, row: SyncLinkRow) -> Link:
        return cls(entity=row.entity, left_system=row.left_system, left_id=row.left_id, right_system=row.right_system,
                   right_id=row.right_id, left_key=row.left_key, status=row.status, intent=row.intent,
                   fingerprint=row.fingerprint, drift=json.loads(row.drift) if row.drift else None,
                   last_synced=_aware(row.last_synced), last_error=row.last_error)

    def right_number(self) -> int:
        """The linked record's id on the right as a number (a panel user's, a WHMCS service's)."""
        if self.right_id is None:
            raise ValueError(f"the {self.entity} link of {self.left_system}:{self.left_id} has no right-hand id")
        return int(self.right_id)

    def as_dict(self) -> dict[str, Any]:
        return {"entity": self.entity, "left_system": self.left_system, "left_id": self.left_id,
                "right_system": self.right_system, "right_id": self.right_id, "left_key": self.left_key,
                "status": self.status, "intent": self.intent, "fingerprint": self.fingerprint, "drift": self.drift,
                "last_synced": self.last_synced.isoformat() if self.last_synced else None, "last_error": self.last_error}


@dataclass
class LogEntry:
    entity: str
    operation: str
    status: str
    left_system: str
    left_id: str
    right_system: str
    right_id: str | None = None
    request: Any = None
    response: Any = None
    duration_ms: float | None = None
    error: str | None = None
    ts: datetime = field(default_factory=utcnow)

    def row(self) -> SyncLogRow:
        def dump(value: Any) -> str | None:
            return None if value is None else json.dumps(redact(value), default=str)

        return SyncLogRow(ts=self.ts, entity=self.entity, operation=self.operation, status=self.status,
                          left_system=self.left_system, left_id=self.left_id, right_system=self.right_system,
                          right_id=self.right_id, request=dump(self.request), response=dump(self.response),
                          duration_ms=self.duration_ms, error=self.error)


LINK_KEY = ("entity", "left_system", "left_id", "right_system")   # the uq_sync_link constraint


class SyncMap:
    def __init__(self, store: Any) -> None:
        self.engine = store.engine

    def links(self, entity: str, left_system: str, right_system: str) -> dict[str, Link]:
        with Session(self.engine) as session:
            rows = session.exec(select(SyncLinkRow).where(SyncLinkRow.entity == entity,
                                                          SyncLinkRow.left_system == left_system,
                                                          SyncLinkRow.right_system == right_system))
            return {row.left_id: Link.from_row(row) for row in rows}

    def all_links(self, entity: str | None = None) -> list[Link]:
        with Session(self.engine) as session:
            q = select(SyncLinkRow).order_by(col(SyncLinkRow.id))
            if entity:
                q = q.where(SyncLinkRow.entity == entity)
            return [Link.from_row(r) for r in session.exec(q)]

    def write(self, links: list[Link], log: list[LogEntry]) -> None:
        """Upsert links and append log entries in one transaction: the map never says more than what happened. Links
        are keyed by the unique (entity, left_system, left_id, right_system): two writers never make two rows."""
        if not links and not log:
            return
        from ..store.tables import tables_of
        from ..store.upsert import upsert

        now = utcnow()
        # one row per key in a batch (the newest state of a link): one upsert may not touch a row twice
        links = list({(link.entity, link.left_system, link.left_id, link.right_system): link for link in links}.values())
        with Session(self.engine) as session:
            if links:
                (table,) = tables_of(SyncLinkRow)
                session.execute(upsert(self.engine.dialect.name, table, LINK_KEY), [
                    {"entity": link.entity, "left_system": link.left_system, "left_id": link.left_id,
                     "right_system": link.right_system, "right_id": link.right_id, "left_key": link.left_key,
                     "status": link.status, "intent": link.intent, "fingerprint": link.fingerprint,
                     "drift": json.dumps(link.drift) if link.drift else None, "last_synced": link.last_synced,
                     "last_error": link.last_error, "updated_at": now} for link in links])
            session.add_all([entry.row() for entry in log])
            session.commit()

    def unlink(self, entity: str, left_system: str, left_id: str, right_system: str, log: LogEntry) -> bool:
        with Session(self.engine) as session:
            result = session.exec(delete(SyncLinkRow).where(
                col(SyncLinkRow.entity) == entity, col(SyncLinkRow.left_system) == left_system,
                col(SyncLinkRow.left_id) == left_id, col(SyncLinkRow.right_system) == right_system))
            session.add(log.row())
            session.commit()
            return bool(result.rowcount)

    def stats(self) -> dict[str, dict[str, int]]:
        with Session(self.engine) as session:
            rows = session.exec(select(SyncLinkRow.entity, SyncLinkRow.status, func.count()).group_by(
                SyncLinkRow.entity, SyncLinkRow.status))
            out: dict[str, dict[str, int]] = {}
            for entity, status, count in rows:
                out.setdefault(entity, {})[status] = count
            return out

    def log(self, limit: int = 100, left_id: str | None = None) -> list[dict[str, Any]]:
        with Session(self.engine) as session:
            q = select(SyncLogRow).order_by(col(SyncLogRow.id).desc()).limit(limit)
            if left_id:
                q = q.where(SyncLogRow.left_id == left_id)
            rows = list(session.exec(q))
        return [{"ts": _aware(r.ts).isoformat(), "entity": r.entity, "operation": r.operation, "status": r.status,
                 "left": f"{r.left_system}:{r.left_id}", "right": f"{r.right_system}:{r.right_id or ''}",
                 "duration_ms": None if r.duration_ms is None else round(r.duration_ms, 1), "error": r.error,
                 "request": json.loads(r.request) if r.request else None,
                 "response": json.loads(r.response) if r.response else None} for r in reversed(rows)]
