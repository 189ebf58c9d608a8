"""How a Server becomes a Grid row: the columns, the status colours, the degraded look."""

from __future__ import annotations

from backends.models import Server, ServerStatus

from ..widgets.grid import Column, Row

COLUMNS = [
    Column("backend", "Backend", max_width=12),
    Column("name", "Name", max_width=32),
    Column("status", "Status", min_width=9, max_width=24),
    Column("ipv4", "IPv4", max_width=15),
    Column("ipv6", "IPv6", max_width=24),
    Column("plan", "Plan", max_width=12),
    Column("location", "Location", max_width=10),
    Column("billing", "Billing", max_width=20),
]

STATUS_STYLE = {
    ServerStatus.RUNNING: "$text-success",
    ServerStatus.OFF: "$text-muted",
    ServerStatus.STARTING: "$text-warning",
    ServerStatus.STOPPING: "$text-warning",
    ServerStatus.INSTALLING: "$text-accent",
    ServerStatus.SUSPENDED: "$text-secondary",
    ServerStatus.ERROR: "bold $text-error",
    ServerStatus.UNKNOWN: "$text-error",
}


def server_row(server: Server, *, progress: str | None = None, stale: bool = False) -> Row:
    status = progress or server.status.value
    if stale:
        status += " (stale)"
    cells = (server.backend, server.name, status, server.ipv4 or "", server.ipv6 or "", server.plan or "",
             server.location or "", server.billing_link or "")
    styles = (None, None, "bold $text-warning" if progress else STATUS_STYLE.get(server.status), None, None, None, None, None)
    return Row(key=server.key, cells=cells, styles=styles, row_style="dim" if stale else None)
