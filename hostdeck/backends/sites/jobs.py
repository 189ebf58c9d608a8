"""Site jobs in the store: one row per domain, its steps as JSON. Blocking: the pipeline calls these from a thread."""

from __future__ import annotations

import json
from dataclasses import asdict
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import Any

from sqlmodel import Session
from sqlmodel import col
from sqlmodel import select

from ..models import utcnow
from ..redact import redact
from ..store.tables import SiteJobRow

STEPS = ("create_site", "certificate", "analytics")
REQUIRED = ("create_site", "certificate")   # an analytics failure leaves the site active, with a warning


def _aware(ts: datetime) -> datetime:
    return ts if ts.tzinfo else ts.replace(tzinfo=UTC)


@dataclass
class Step:
    status: str = "pending"        # pending | running | done | failed | warning | skipped
    output: str = ""
    error: str | None = None
    attempts: int = 0
    started: str | None = None
    finished: str | None = None


@dataclass
class SiteJob:
    backend: str
    domain: str
    kind: str
    spec: dict[str, Any]
    alt_names: list[str] = field(default_factory=list)
    analytics: str | None = None
    status: str = "pending"
    steps: dict[str, Step] = field(default_factory=lambda: {s: Step() for s in STEPS})
    result: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None

    def derive_status(self) -> str:
        states = {name: step.status for name, step in self.steps.items()}
        if any(states[s] == "failed" for s in REQUIRED):
            return "failed"
        if any(s == "running" for s in states.values()):
            return "running"
        if all(s in ("done", "skipped", "warning") for s in states.values()):
            return "warning" if "warning" in states.values() else "done"
        return "pending"

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "backend": self.backend, "domain": self.domain, "kind": self.kind, "spec": self.spec,
                "alt_names": self.alt_names, "analytics": self.analytics, "status": self.status,
                "steps": {k: asdict(v) for k, v in self.steps.items()}, "result": self.result,
                "created_at": self.created_at.isoformat() if self.created_at else None,
                "updated_at": self.updated_at.isoformat() if self.updated_at else None}


class SiteJobs:
    def __init__(self, store: Any) -> None:
        self.engine = store.engine

    @staticmethod
    def _from_row(row: SiteJobRow) -> SiteJob:
        steps = {name: Step(**value) for name, value in json.loads(row.steps or "{}").items()}
        return SiteJob(backend=row.backend, domain=row.domain, kind=row.kind, spec=json.loads(row.spec),
                       alt_names=json.loads(row.alt_names or "[]"), analytics=row.analytics, status=row.status,
                       steps={s: steps.get(s, Step()) for s in STEPS}, result=json.loads(row.result or "{}"), id=row.id,
                       created_at=_aware(row.created_at), updated_at=_aware(row.updated_at))

    def get(self, domain: str) -> SiteJob | None:
        with Session(self.engine) as session:
            row = session.exec(select(SiteJobRow).where(SiteJobRow.domain == domain)).first()
            return self._from_row(row) if row else None

    def all(self) -> list[SiteJob]:
        with Session(self.engine) as session:
            return [self._from_row(r) for r in session.exec(select(SiteJobRow).order_by(col(SiteJobRow.id)))]

    def remove(self, domain: str) -> bool:
        """Forget a job (one whose site was never created); True when there was one."""
        with Session(self.engine) as session:
            row = session.exec(select(SiteJobRow).where(SiteJobRow.domain == domain)).first()
            if row is None:
                return False
            session.delete(row)
            session.commit()
            return True

    def save(self, job: SiteJob) -> SiteJob:
        """Write the job as it is now (one transaction): called before and after every remote step. One row per domain
        (its unique index), whoever writes it: an upsert, never a read and then an insert."""
        from ..store.tables import tables_of
        from ..store.upsert import upsert

        job.status = job.status if job.status == "deleted" else job.derive_status()
        now = utcnow()
        (table,) = tables_of(SiteJobRow)
        values = {"backend": job.backend, "domain": job.domain, "kind": job.kind, "spec": json.dumps(redact(job.spec)),
                  "alt_names": json.dumps(job.alt_names), "analytics": job.analytics, "status": job.status,
                  "steps": json.dumps({k: asdict(v) for k, v in job.steps.items()}), "result": json.dumps(job.result),
                  "created_at": now, "updated_at": now}
        changed = [name for name in values if name not in ("domain", "created_at")]
        stmt = upsert(self.engine.dialect.name, table, ["domain"], changed).values(values).returning(
            table.c.id, table.c.created_at, table.c.updated_at)
        with self.engine.begin() as conn:
            row = conn.execute(stmt).one()
        job.id, job.created_at, job.updated_at = int(row[0]), _aware(row[1]), _aware(row[2])
        return job
