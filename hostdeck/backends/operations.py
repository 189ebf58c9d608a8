"""The data of the day-2 operations (rescue, rebuild, images, type changes, metrics, attachments). No I/O here.

Adapters return these from the methods `Adapter` declares in contract.py; the CLI prints them and the TUI draws them.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from decimal import Decimal
from typing import Any


class ImageKind(str, enum.Enum):
    SYSTEM = "system"      # a vendor's image or a panel's template
    SNAPSHOT = "snapshot"  # taken by hand, kept until deleted
    BACKUP = "backup"      # taken by the backup schedule (Hetzner: 7 kept, bound to the server)
    APP = "app"


@dataclass(frozen=True)
class Image:
    backend: str
    id: str
    name: str                    # what a person types: "ubuntu-24.04", or the description of a snapshot
    kind: ImageKind
    description: str = ""
    status: str = "available"    # available | creating | unavailable
    created: datetime | None = None
    size_gb: float | None = None
    server_id: str | None = None  # the server it was taken from (snapshots, backups)
    protected: bool = False


class MetricKind(str, enum.Enum):
    CPU = "cpu"
    DISK = "disk"
    NETWORK = "network"


PERIODS = {"1h": 3600, "24h": 86400, "7d": 7 * 86400}


@dataclass(frozen=True)
class MetricSeries:
    name: str                                   # e.g. "cpu", "disk.0.iops.read", "network.0.bandwidth.in"
    unit: str                                   # "percent", "iops", "bytes/s", "packets/s"
    points: tuple[tuple[float, float], ...]     # (unix time, value), oldest first; gaps are left out

    @property
    def values(self) -> list[float]:
        return [v for _, v in self.points]


@dataclass(frozen=True)
class Metrics:
    backend: str
    server_id: str
    kind: MetricKind
    period: str                  # a key of PERIODS
    step_seconds: float
    series: tuple[MetricSeries, ...]

    def as_json(self) -> dict[str, Any]:
        return {"backend": self.backend, "server_id": self.server_id, "type": self.kind.value, "period": self.period,
                "step": self.step_seconds,
                "series": {s.name: {"unit": s.unit, "values": [[t, v] for t, v in s.points]} for s in self.series}}


@dataclass(frozen=True)
class TypeChoice:
    """A plan the server can change to, with what it costs more (or less) per month, gross, in `currency`."""

    name: str
    cores: int | None
    memory_gb: float | None
    disk_gb: int | None
    monthly_gross: Decimal | None
    monthly_difference: Decimal | None
    currency: str = "EUR"
    allowed: bool = True
    reason: str = ""             # why not allowed: "its disk is smaller than the server's", deprecated, ...


@dataclass(frozen=True)
class Attachment:
    kind: str                    # "firewall" | "volume" | "primary_ip" | "iso"
    id: str
    name: str
    detail: str = ""             # "applied", "50 GB /dev/sdb", "203.0.113.9 (ipv4) rdns=web1.example.com"


@dataclass
class ServerAttachments:
    backend: str
    server_id: str
    items: list[Attachment] = field(default_factory=list)

    def of(self, kind: str) -> list[Attachment]:
        return [a for a in self.items if a.kind == kind]
