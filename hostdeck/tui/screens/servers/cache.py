"""The Servers screen's stored inventory: read at the first paint, kept after each refresh, and its age in words."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import TYPE_CHECKING

from ...format import ago

if TYPE_CHECKING:
    from hostdeck.backends.models import Server
    from hostdeck.backends.workspace import Workspace


HEAD = "servers:head"  # each backend's first rows by name, kept beside its list: the first page without decoding it
HEAD_ROWS = 200


@dataclass(slots=True)
class CachedServers:
    backend: str
    fetched_at: datetime
    servers: list[Server]
    partial: bool = False  # only the head is loaded: the rest of the stored list follows the first paint


def load_cached(workspace: Workspace) -> dict[str, CachedServers]:
    """Each configured backend's stored list for the first paint: its head when that is as new as the list (the rest
    comes with `load_rest`), the whole list otherwise. A missing or unreadable store is simply no cache."""
    from hostdeck.backends.inventory import SERVERS
    from hostdeck.backends.inventory import cached
    from hostdeck.backends.inventory import servers_of
    from hostdeck.backends.inventory import stored_times

    names = workspace.backend_names
    try:
        times = stored_times(workspace, SERVERS)
        heads = {s.backend: s for s in cached(workspace, HEAD, names)} if times else {}
        found = {}
        for backend, head in heads.items():
            if times.get(backend) == head.fetched_at:
                found[backend] = CachedServers(backend, head.fetched_at, servers_of(head), len(head.rows) >= HEAD_ROWS)
        whole = [b for b in names if b not in found and (b in times or not times)]
        for snapshot in cached(workspace, SERVERS, whole) if whole else []:
            found[snapshot.backend] = CachedServers(snapshot.backend, snapshot.fetched_at, servers_of(snapshot))
        return found
    except Exception:  # noqa: BLE001 - a broken cache must never stop the screen; the refresh still runs
        return {}


def load_rest(workspace: Workspace, backends: list[str]) -> dict[str, list[Server]]:
    """The whole stored lists of these backends (blocking: run it in a thread after the first paint)."""
    from hostdeck.backends.inventory import SERVERS
    from hostdeck.backends.inventory import cached
    from hostdeck.backends.inventory import servers_of

    return {s.backend: servers_of(s) for s in cached(workspace, SERVERS, backends)}


def remember_servers(workspace: Workspace, backend: str, servers: list[Server]) -> None:
    """Store a backend's fresh list, and its head, for the next start (run in a thread)."""
    from hostdeck.backends.inventory import SERVERS
    from hostdeck.backends.inventory import save
    from hostdeck.backends.inventory import server_payload

    from ...widgets.grid import natural_key

    payload = server_payload(servers)
    head = sorted(payload, key=lambda row: natural_key(row["name"] or ""))[:HEAD_ROWS]
    save(workspace, SERVERS, backend, payload, also={HEAD: head})


def remember_failure(workspace: Workspace, backend: str, message: str) -> None:
    from hostdeck.backends.inventory import SERVERS
    from hostdeck.backends.inventory import note_failure

    note_failure(workspace, SERVERS, backend, message)


def showing(seconds: float) -> str:
    """'showing 12 min old data', or 'showing data from just now'."""
    words = ago(seconds)
    return "showing data from just now" if words == "just now" else f"showing {words.removesuffix(' ago')} old data"


def freshness(cache: dict[str, CachedServers], fetched_at: dict[str, datetime], refreshing: set[str],
              unreachable: dict[str, tuple[str, str]], now: datetime | None = None) -> list[str]:
    """The status-line words for every backend whose rows are not fresh from this session's refresh."""
    now = now or datetime.now(UTC)
    parts = []
    for backend in sorted(set(cache) | set(unreachable)):
        stamp = fetched_at.get(backend)
        age = (now - stamp).total_seconds() if stamp else None
        if backend in unreachable:
            category, message = unreachable[backend]
            verb = "unreachable" if category in ("unavailable", "") else "refresh failed"
            shown = f", {showing(age)}" if age is not None else ""
            parts.append(f"{backend} {verb}: {message.rstrip('.')}{shown}")
        elif backend in cache:
            parts.append(f"{backend} cached {ago(age or 0)}" + (" · refreshing" if backend in refreshing else ""))
    return parts
