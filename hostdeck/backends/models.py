"""Plain dataclasses that the CLI and the TUI render. No I/O here."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from decimal import Decimal
from typing import Any


def utcnow() -> datetime:
    return datetime.now(UTC)


class ServerStatus(str, enum.Enum):
    RUNNING = "running"
    OFF = "off"
    STARTING = "starting"
    STOPPING = "stopping"
    INSTALLING = "installing"
    SUSPENDED = "suspended"
    ERROR = "error"
    UNKNOWN = "unknown"


@dataclass(slots=True)
class Server:
    backend: str
    id: str
    name: str
    status: ServerStatus
    raw_status: str
    ipv4: str | None = None
    ipv6: str | None = None
    plan: str | None = None
    location: str | None = None
    image: str | None = None
    cores: int | None = None
    memory_mb: int | None = None
    disk_gb: int | None = None
    created: datetime | None = None
    labels: dict[str, str] = field(default_factory=dict)
    delete_protected: bool = False
    locked: bool = False
    billing_link: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def key(self) -> tuple[str, str]:
        return (self.backend, self.id)

    def summary(self) -> dict[str, Any]:
        """The stable row shape of `hostdeck servers --json`."""
        return {
            "backend": self.backend,
            "id": self.id,
            "name": self.name,
            "status": self.status.value,
            "raw_status": self.raw_status,
            "ipv4": self.ipv4,
            "ipv6": self.ipv6,
            "plan": self.plan,
            "location": self.location,
            "image": self.image,
            "cores": self.cores,
            "memory_mb": self.memory_mb,
            "disk_gb": self.disk_gb,
            "created": self.created.isoformat() if self.created else None,
            "labels": dict(self.labels),
            "delete_protected": self.delete_protected,
            "locked": self.locked,
            "billing_link": self.billing_link,
        }


@dataclass(slots=True, frozen=True)
class Price:
    location: str
    hourly_net: Decimal
    hourly_gross: Decimal
    monthly_net: Decimal
    monthly_gross: Decimal

    def as_dict(self) -> dict[str, str]:
        return {
            "location": self.location,
            "hourly_net": str(self.hourly_net),
            "hourly_gross": str(self.hourly_gross),
            "monthly_net": str(self.monthly_net),
            "monthly_gross": str(self.monthly_gross),
        }


class CatalogKind(str, enum.Enum):
    SERVER_TYPE = "server_type"
    LOCATION = "location"
    IMAGE = "image"
    NODE = "node"
    TEMPLATE = "template"
    IP_POOL = "ip_pool"


@dataclass(slots=True)
class CatalogItem:
    backend: str
    kind: CatalogKind
    id: str
    name: str
    description: str = ""
    architecture: str | None = None
    deprecated: bool = False
    prices: tuple[Price, ...] = ()
    attrs: dict[str, Any] = field(default_factory=dict)

    def price_for(self, location: str) -> Price | None:
        return next((p for p in self.prices if p.location == location), None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "kind": self.kind.value,
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "architecture": self.architecture,
            "deprecated": self.deprecated,
            "prices": [p.as_dict() for p in self.prices],
            "attrs": self.attrs,
        }


class CatalogSource(str, enum.Enum):
    LIVE = "live"
    CACHE = "cache"
    FALLBACK = "fallback"
    UNAVAILABLE = "unavailable"     # no live answer, nothing cached, and nothing real to fall back on


@dataclass(slots=True)
class Catalog:
    backend: str
    items: list[CatalogItem]
    source: CatalogSource
    fetched_at: datetime | None
    note: str = ""

    def age_seconds(self, now: datetime | None = None) -> float | None:
        if self.fetched_at is None:
            return None
        return ((now or utcnow()) - self.fetched_at).total_seconds()

    def of_kind(self, kind: CatalogKind) -> list[CatalogItem]:
        return [item for item in self.items if item.kind is kind]


@dataclass(slots=True)
class ConnectionReport:
    backend: str
    kind: str
    ok: bool
    latency_ms: float | None = None
    version: str | None = None
    error: str | None = None
    credential_source: str = "missing"
    details: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "kind": self.kind,
            "ok": self.ok,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 1),
            "version": self.version,
            "error": self.error,
            "credential_source": self.credential_source,
            "details": self.details,
        }


@dataclass(slots=True)
class ActionProgress:
    """One step of a followed provider action (Hetzner action, Proxmox task, ...)."""

    id: str
    command: str
    status: str  # running | success | error
    progress: int = 0
    error: str | None = None


@dataclass(slots=True)
class ActionResult:
    backend: str
    server_id: str
    command: str
    action_id: str | None
    status: str
    message: str = ""


@dataclass(slots=True)
class SecretResult:
    """A one-time secret (root password, console password). Shown once, never logged."""

    backend: str
    server_id: str
    secret: str = field(repr=False)
    url: str | None = field(default=None, repr=False)
    action_id: str | None = None
    note: str | None = None         # what the person must know besides the secret (e.g. it will not survive X)


@dataclass(slots=True)
class ServerSpec:
    name: str
    plan: str
    image: str
    location: str | None = None
    ssh_keys: list[str] = field(default_factory=list)
    user_data: str | None = field(default=None, repr=False)
    labels: dict[str, str] = field(default_factory=dict)
    backups: bool = False
    start_after_create: bool = True


@dataclass(slots=True)
class CreateResult:
    server: Server
    root_password: str | None = field(default=None, repr=False)
    action_id: str | None = None


@dataclass(slots=True)
class Client:
    backend: str
    id: str
    email: str
    first_name: str = ""
    last_name: str = ""
    company: str = ""
    status: str = ""
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


@dataclass(slots=True)
class Site:
    backend: str
    domain: str
    kind: str
    site_user: str = ""
    status: str = ""


class EventKind(str, enum.Enum):
    API = "api"
    ACTION = "action"
    AUDIT = "audit"
    SYNC = "sync"


@dataclass(slots=True)
class Event:
    backend: str
    kind: EventKind
    message: str
    level: str = "info"  # info | warning | error
    ts: datetime = field(default_factory=utcnow)
    method: str | None = None
    path: str | None = None
    status: int | None = None
    duration_ms: float | None = None
    attempt: int | None = None
    target: str | None = None
    actor: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "ts": self.ts.isoformat(),
            "backend": self.backend,
            "kind": self.kind.value,
            "level": self.level,
            "message": self.message,
            "method": self.method,
            "path": self.path,
            "status": self.status,
            "duration_ms": None if self.duration_ms is None else round(self.duration_ms, 1),
            "attempt": self.attempt,
            "target": self.target,
            "actor": self.actor,
            "detail": self.detail,
        }
