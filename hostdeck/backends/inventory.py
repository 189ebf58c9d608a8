"""The stored inventory: each backend's last list, kept after every successful refresh and shown at start (stale while
it is revalidated). Reads go through the stdlib sqlite3; SQLAlchemy is opened only to create the database the first
time a list is written, or for a database URL."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from .models import Catalog
from .models import CatalogSource
from .models import Server
from .models import ServerStatus
from .store import snapshots
from .store.snapshots import Snapshot

if TYPE_CHECKING:
    from .workspace import Workspace

SERVERS = "servers"
_CREATING = threading.Lock()  # backends answer together: one thread creates the database, the others wait for it

__all__ = ["SERVERS", "Snapshot", "cached", "cached_catalogs", "save", "note_failure", "server_payload", "servers_of"]


def cached(workspace: Workspace, scope: str, backends: list[str] | None = None) -> list[Snapshot]:
    """What the store holds for this scope; [] when nothing was stored yet. Never touches the network."""
    path = workspace.database_file
    if path is not None:
        return snapshots.read(path, scope, backends)
    return snapshots.read_with_engine(workspace.store.engine, scope, backends)


def save(workspace: Workspace, scope: str, backend: str, rows: list[dict[str, Any]],
         fetched_at: datetime | None = None, also: dict[str, list[dict[str, Any]]] | None = None) -> None:
    """Keep a backend's fresh list, and the `also` scopes' lists with the same time (blocking: call it from a thread
    in the TUI)."""
    path = workspace.database_file
    if path is not None:
        if snapshots.write(path, scope, backend, rows, fetched_at, also):
            return
        with _CREATING:
            workspace.store  # noqa: B018 - creates or upgrades the database (the first run), then the fast path works
        if snapshots.write(path, scope, backend, rows, fetched_at, also):
            return
    snapshots.write_with_engine(workspace.store.engine, scope, backend, rows, fetched_at, also)


def stored_times(workspace: Workspace, scope: str) -> dict[str, datetime]:
    """backend -> fetched_at of a scope, without reading the lists (SQLite; {} for a database URL)."""
    path = workspace.database_file
    return snapshots.read_times(path, scope) if path is not None else {}


def note_failure(workspace: Workspace, scope: str, backend: str, error: str) -> None:
    """Keep why a backend's refresh failed beside its last list (blocking)."""
    path = workspace.database_file
    if path is not None:
        snapshots.record_failure(path, scope, backend, error)
    else:
        snapshots.record_failure_with_engine(workspace.store.engine, scope, backend, error)


def cached_catalogs(workspace: Workspace) -> list[Catalog]:
    """Every configured backend's cached catalog, whatever its age (shown while the catalogs load)."""
    from .catalog import item_from_dict

    names = workspace.backend_names
    path = workspace.database_file
    if path is not None:
        found = snapshots.read_catalog_cache(path, names)
    else:
        found = [(name, *hit) for name in names if (hit := workspace.store.get_catalog(name)) is not None]
    return [Catalog(backend, [item_from_dict(d) for d in payload], CatalogSource.CACHE, fetched_at,
                    note="from the store, loading")
            for backend, payload, fetched_at in found]


def server_payload(servers: Iterable[Server]) -> list[dict[str, Any]]:
    """The stored shape: the row of `servers --json` (the provider's raw record is not kept: it comes with the refresh)."""
    return [s.summary() for s in servers]


def servers_of(snapshot: Snapshot) -> list[Server]:
    out = []
    for row in snapshot.rows:
        try:
            status = ServerStatus(row.get("status") or "unknown")
        except ValueError:
            status = ServerStatus.UNKNOWN
        created = row.get("created")
        try:
            created = datetime.fromisoformat(created) if created else None
        except (TypeError, ValueError):
            created = None
        out.append(Server(backend=snapshot.backend, id=str(row.get("id")), name=row.get("name") or "", status=status,
                          raw_status=row.get("raw_status") or "", ipv4=row.get("ipv4"), ipv6=row.get("ipv6"),
                          plan=row.get("plan"), location=row.get("location"), image=row.get("image"),
                          cores=row.get("cores"), memory_mb=row.get("memory_mb"), disk_gb=row.get("disk_gb"),
                          created=created, labels=dict(row.get("labels") or {}),
                          delete_protected=bool(row.get("delete_protected")), locked=bool(row.get("locked")),
                          billing_link=row.get("billing_link")))
    return out
