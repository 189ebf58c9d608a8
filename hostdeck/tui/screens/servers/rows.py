"""How a Server becomes a Grid row: the columns, the status colours, the degraded look."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...widgets.grid import Column
from ...widgets.grid import Row

if TYPE_CHECKING:
    from hostdeck.backends.models import Server

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

# keyed by ServerStatus values (a str enum), so this module does not import the models before the first paint
STATUS_STYLE = {
    "running": "$text-success",
    "off": "$text-muted",
    "starting": "$text-warning",
    "stopping": "$text-warning",
    "installing": "$text-accent",
    "suspended": "$text-secondary",
    "error": "bold $text-error",
    "unknown": "$text-error",
}


MARK = "● "  # before the backend of a marked row (space marks it for a bulk action)


def server_row(server: Server, *, progress: str | None = None, stale: bool = False, cached: bool = False,
               marked: bool = False) -> Row:
    """`cached`: listed in an earlier run, not yet refreshed; `stale`: its backend could not be reached (greyed);
    `marked`: in the set a bulk action acts on."""
    status = progress or server.status.value
    if stale:
        status += " (stale)"
    elif cached:
        status += " (cached)"
    backend = MARK + server.backend if marked else server.backend
    cells = (backend, server.name, status, server.ipv4 or "", server.ipv6 or "", server.plan or "",
             server.location or "", server.billing_link or "")
    styles = (None, None, "bold $text-warning" if progress else STATUS_STYLE.get(server.status.value), None, None, None, None, None)
    row_style = " ".join(filter(None, ("dim" if stale else "", "bold $text-accent" if marked else ""))) or None
    return Row(key=server.key, cells=cells, styles=styles, row_style=row_style)
