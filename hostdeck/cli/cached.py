"""`hostdeck servers --cached`: the stored inventory, answered from the store without touching the network (scripts
and support desks while an API is down), each backend's age on stderr. Also keeps what `hostdeck servers` lists."""

from __future__ import annotations

import argparse
from datetime import UTC
from datetime import datetime

from ..tui.format import ago
from .context import CommandContext
from .context import no_backends_message
from .output import emit_json
from .output import table
from .output import warn


def servers_cached(args: argparse.Namespace) -> int:
    """Exit 0 when every listing backend asked for has a stored list; 1 when one has none (the list is short)."""
    from hostdeck.backends.inventory import SERVERS
    from hostdeck.backends.inventory import cached
    from hostdeck.backends.inventory import servers_of

    # Read-only and offline: no write check (it would create a missing store); a store that cannot be read is no list.
    with CommandContext(args, check_store=False) as ws:
        # the adapters are only built to know which backends list servers (a joined Proxmox does not): no network
        names = [a.name for a in ws.listing_adapters(args.backend)]
        found = {s.backend: s for s in cached(ws, SERVERS, names)}
    if not names:
        warn(no_backends_message())
    now = datetime.now(UTC)
    rows, missing = [], []
    for name in names:
        snapshot = found.get(name)
        if snapshot is None:
            missing.append(name)
            warn(f"{name}: nothing stored yet (run `hostdeck servers` or open the TUI once while it is reachable); "
                 "its servers are not in the list")
            continue
        servers = servers_of(snapshot)
        rows.extend(servers)
        note = ""
        if snapshot.error and snapshot.error_at:
            note = f"; the last refresh failed {ago((now - snapshot.error_at).total_seconds(), fine=True)}: {snapshot.error}"
        warn(f"{name}: {len(servers)} servers, listed {ago(snapshot.age_seconds(now), fine=True)} "
             f"({snapshot.fetched_at:%Y-%m-%d %H:%M:%S} UTC){note}")
    if args.json:
        emit_json([s.summary() for s in rows])
    else:
        table(["backend", "id", "name", "status", "ipv4", "ipv6", "plan", "location"],
              [[s.backend, s.id, s.name, s.status.value, s.ipv4, s.ipv6, s.plan, s.location] for s in rows])
    return 1 if missing or not names else 0


def remember_listed(workspace, adapters, results, summaries: dict[int, dict] | None = None) -> None:
    """Keep each fresh list for `servers --cached` and the TUI's first paint; note a failure beside the old list.
    `summaries`: the servers' rows already made for the output (by id() of the server), not made twice."""
    from hostdeck.backends.errors import BackendError
    from hostdeck.backends.inventory import SERVERS
    from hostdeck.backends.inventory import note_failure
    from hostdeck.backends.inventory import save
    from hostdeck.backends.inventory import server_payload

    for adapter, result in zip(adapters, results):
        if adapter.name in workspace.attached:
            continue  # shown through the panel it is joined to, never as rows of its own
        try:
            if isinstance(result, BackendError):
                note_failure(workspace, SERVERS, adapter.name, result.message)
            elif not isinstance(result, BaseException):
                payload = [summaries[id(s)] for s in result] if summaries is not None else server_payload(result)
                save(workspace, SERVERS, adapter.name, payload)
        except Exception as exc:  # noqa: BLE001 - the listing itself succeeded; a cache that cannot be written is a note
            warn(f"{adapter.name}: the list could not be kept for `servers --cached` ({type(exc).__name__}: {exc})")
