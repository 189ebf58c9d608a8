"""What the day-2 TUI tests share: a tiny app that pushes one dialog or view, and servers and data built from the
real dataclasses of hostdeck.backends (models, operations)."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from decimal import Decimal
from importlib import resources
from typing import Any

from textual.app import App

from hostdeck.backends.models import Server
from hostdeck.backends.models import ServerStatus
from hostdeck.backends.operations import Image
from hostdeck.backends.operations import ImageKind
from hostdeck.backends.operations import MetricKind
from hostdeck.backends.operations import Metrics
from hostdeck.backends.operations import MetricSeries
from hostdeck.backends.operations import TypeChoice
from hostdeck.tui.errors import describe

UNSET = object()


class DialogApp(App[None]):
    """Pushes `screen` at start; `result` is what it was dismissed with, `failures` what reached the error path."""

    CSS_PATH = str(resources.files("hostdeck.styles") / "app.tcss")

    def __init__(self, screen: Any) -> None:
        super().__init__()
        self.pushed = screen
        self.result: Any = UNSET
        self.failures: list[Any] = []

    def on_mount(self) -> None:
        self.push_screen(self.pushed, self._done)

    def _done(self, result: Any) -> None:
        self.result = result

    def report_failure(self, error: BaseException, *, action: str, backend: str | None = None) -> Any:
        failure = describe(error, action=action, backend=backend)
        self.failures.append(failure)
        return failure

    def report_worker_failure(self, worker: Any) -> Any:
        return self.report_failure(worker.error, action=worker.description or "work")


def server(status: ServerStatus = ServerStatus.RUNNING, **fields: Any) -> Server:
    base: dict[str, Any] = dict(backend="hz", id="4711", name="web-7", status=status, raw_status=status.value,
                                ipv4="203.0.113.7", ipv6="2001:db8:7::/64", plan="cx22", location="fsn1",
                                labels={"billing.service": "1200", "env": "prod", "team": "ops"},
                                billing_link="Ana Lima · #1200 Active")
    base.update(fields)
    return Server(**base)


CREATED = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
IMAGES = [
    Image("hz", "114690387", "ubuntu-24.04", ImageKind.SYSTEM, description="Ubuntu 24.04"),
    Image("hz", "114690389", "debian-12", ImageKind.SYSTEM, description="Debian 12"),
    Image("hz", "301", "before upgrade", ImageKind.SNAPSHOT, description="before upgrade", created=CREATED,
          size_gb=2.4, server_id="4711"),
    Image("hz", "302", "half done", ImageKind.SNAPSHOT, status="creating", created=CREATED),
    Image("hz", "401", "backup 2026-11-30", ImageKind.BACKUP, created=CREATED, size_gb=3.1, server_id="4711"),
]

CHOICES = [
    TypeChoice("cx22", 2, 4, 40, Decimal("4.59"), Decimal("0.00")),
    TypeChoice("cx32", 4, 8, 80, Decimal("7.79"), Decimal("3.20")),
    TypeChoice("cx42", 8, 16, 160, Decimal("18.92"), Decimal("14.33")),
    TypeChoice("cx11", 1, 2, 20, Decimal("3.29"), Decimal("-1.30"), allowed=False,
               reason="its disk (20 GB) is smaller than the server's (40 GB)"),
]


def metrics(kind: MetricKind, period: str = "24h", *, scale: float = 1.0) -> Metrics:
    t0, step = 1_764_000_000.0, 300.0
    shapes = {MetricKind.CPU: (("cpu", "percent", (3, 5, 9, 40, 85, 60, 20, 8, 5, 4)),),
              MetricKind.DISK: (("disk.0.iops.read", "iops", (10, 12, 30, 80, 20, 11)),
                                ("disk.0.bandwidth.write", "bytes/s", (2e5, 4e5, 3.1e6, 8e5, 1e5, 9e4))),
              MetricKind.NETWORK: (("network.0.bandwidth.in", "bytes/s", (1e4, 2e4, 5.5e5, 1.2e6, 3e4, 2e4)),
                                   ("network.0.bandwidth.out", "bytes/s", (5e3, 9e3, 2e5, 7e5, 1e4, 8e3)))}
    series = tuple(MetricSeries(name, unit, tuple((t0 + i * step, v * scale) for i, v in enumerate(values)))
                   for name, unit, values in shapes[kind])
    return Metrics("hz", "4711", kind, period, step, series)
