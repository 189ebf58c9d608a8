"""Table definitions. A change here needs a step in migrations.py."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel


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
