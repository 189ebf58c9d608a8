"""Table definitions. A change here needs an Alembic revision in migrations/versions/ (and version.HEAD naming it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Table
from sqlalchemy import UniqueConstraint
from sqlmodel import Field
from sqlmodel import SQLModel


class Meta(SQLModel, table=True):
    __tablename__ = "meta"
    key: str = Field(primary_key=True)
    value: str


class EventRow(SQLModel, table=True):
    __tablename__ = "events"
    id: int | None = Field(default=None, primary_key=True)
    ts: datetime = Field(index=True)
    backend: str = Field(index=True)
    kind: str
    level: str
    message: str
    method: str | None = None
    path: str | None = None
    status: int | None = None
    duration_ms: float | None = None
    attempt: int | None = None
    target: str | None = Field(default=None, index=True)
    actor: str | None = None
    detail: str = "{}"  # JSON, redacted


class CatalogCacheRow(SQLModel, table=True):
    __tablename__ = "catalog_cache"
    backend: str = Field(primary_key=True)
    fetched_at: datetime
    payload: str  # JSON list of CatalogItem dicts


class SyncLinkRow(SQLModel, table=True):
    """One entity linked between two systems (a WHMCS client and a Convoy user, ...). `intent` is written before a
    remote create, so a rerun after a crash knows what may already exist on the far side."""

    __tablename__ = "sync_links"
    __table_args__ = (UniqueConstraint("entity", "left_system", "left_id", "right_system", name="uq_sync_link"),)
    id: int | None = Field(default=None, primary_key=True)
    entity: str = Field(index=True)
    left_system: str
    left_id: str
    left_key: str | None = None       # the natural key both sides share (e.g. the email)
    right_system: str
    right_id: str | None = None
    status: str = Field(index=True)   # synced | pending | error | drifted
    intent: str | None = None         # the remote operation started and not yet confirmed
    fingerprint: str | None = None    # of the mapped fields last written or confirmed
    drift: str | None = None          # JSON {field: [left, right]} when drifted
    last_synced: datetime | None = None
    last_error: str | None = None
    updated_at: datetime


class SyncLogRow(SQLModel, table=True):
    __tablename__ = "sync_log"
    id: int | None = Field(default=None, primary_key=True)
    ts: datetime = Field(index=True)
    entity: str
    operation: str                    # push | update | pull | check | unlink | link
    status: str                       # ok | error | skipped | drifted
    left_system: str
    left_id: str
    right_system: str
    right_id: str | None = None
    request: str | None = None        # redacted JSON
    response: str | None = None       # redacted JSON
    duration_ms: float | None = None
    error: str | None = None


class SiteJobRow(SQLModel, table=True):
    """One site through the pipeline (CloudPanel site -> Let's Encrypt -> Matomo). `steps` is JSON:
    {step: {status, output, error, attempts, started, finished}}; a step is marked running before its remote call."""

    __tablename__ = "site_jobs"
    id: int | None = Field(default=None, primary_key=True)
    backend: str = Field(index=True)           # the CloudPanel backend
    domain: str = Field(index=True, unique=True)
    kind: str
    spec: str                                  # JSON of the SiteSpec without any password
    alt_names: str = "[]"
    analytics: str | None = None               # the Matomo backend, or None for no analytics
    status: str = Field(index=True)            # pending | running | done | warning | failed | deleted
    steps: str = "{}"
    result: str = "{}"                         # JSON: matomo site id, tracking code, ...
    created_at: datetime
    updated_at: datetime


class CredentialRejectionRow(SQLModel, table=True):
    """A credential a backend refused, kept as a keyed fingerprint (HMAC with a local key, never the secret), so no
    process sends the same credential to that backend again until it changes (WHMCS bans after three failures)."""

    __tablename__ = "credential_rejections"
    backend: str = Field(primary_key=True)
    fingerprint: str = Field(primary_key=True)
    message: str                               # what the backend said, redacted
    rejected_at: datetime


class SnapshotRow(SQLModel, table=True):
    """The last list a backend returned for one scope ("servers", "clients", "services", "sites"), painted at start
    while it is refreshed. Read with the stdlib sqlite3 on the way to the first rows; `payload` is JSON."""

    __tablename__ = "snapshots"
    scope: str = Field(primary_key=True)
    backend: str = Field(primary_key=True)
    fetched_at: datetime
    payload: str = "[]"
    error: str | None = None                   # the last failed refresh, in plain words (redacted)
    error_at: datetime | None = None


def tables_of(*models: type[SQLModel]) -> list[Table]:
    """The Core tables of these table models, for `create_all(tables=...)`."""
    return [model.__table__ for model in models]  # type: ignore[attr-defined]  # set by SQLModel's metaclass, untyped
