"""Building the customer index: every way to find a client (names, company, e-mails, domains of services and sites,
the IPv4/IPv6 and names and ids of linked servers, service ids, invoice numbers), and each client's last known
services, servers, sites and panel users, written to the store in one transaction."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from .sources import Sources
from .terms import ClientSummary
from .terms import as_utc
from .terms import ip_terms
from .terms import normalise

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from ..sync.syncmap import Link
    from ..workspace import Workspace

MAX_AGE_SECONDS = 15 * 60     # older than this, the index is rebuilt before a CLI search
BATCH = 5000


@dataclass(slots=True)
class Entry(ClientSummary):
    """One client in the index: its summary, what it is found by (kind, term, label) and its payload."""

    terms: list[tuple[str, str, str]] = field(default_factory=list)
    payload: dict[str, Any] = field(default_factory=dict)

    def add(self, kind: str, value: str | None, label: str | None = None) -> None:
        if value:
            term = normalise(value)
            if term:
                self.terms.append((kind, term, label or value))


def _server_view(server: dict[str, Any] | None, backend: str, server_id: str) -> dict[str, Any]:
    if server is None:   # linked, but not in the inventory (yet, or any more)
        return {"backend": backend, "id": server_id, "name": "", "status": "unknown", "ipv4": None, "ipv6": None}
    return {"backend": backend, "id": server_id, "name": server.get("name") or "", "status": server.get("status") or
            "unknown", "ipv4": server.get("ipv4"), "ipv6": server.get("ipv6")}


def owns(service_domains: list[str], site_domain: str) -> bool:
    """A site belongs to the client whose service has its domain, or a parent of it."""
    site = normalise(site_domain)
    return any(d and (site == d or site.endswith("." + d)) for d in map(normalise, service_domains))


def build(sources: Sources) -> list[Entry]:
    """The index entries (pure: no store, no network)."""
    entries = {str(c["id"]): _client_entry(sources.billing, c) for c in sources.clients}
    by_service = {link.left_id: link for link in sources.links if link.entity == "service"}
    for service in sources.services:
        owner = entries.get(str(service.get("client_id")))
        if owner is not None:
            _add_service(owner, service, by_service.get(str(service["id"])), sources.servers)
    for invoice in sources.invoices:
        billed = entries.get(str(invoice.get("client_id")))
        if billed is not None:
            billed.add("invoice", str(invoice["id"]), f"invoice #{invoice['id']}")
            if str(invoice.get("number") or "") not in ("", str(invoice["id"])):
                billed.add("invoice", str(invoice["number"]), f"invoice {invoice['number']}")
    for link in sources.links:
        linked = entries.get(link.left_id)
        if link.entity in ("client", "panel_user") and linked is not None:
            linked.payload["panel_users"].append({"backend": link.right_system, "id": link.right_id,
                                                  "email": link.left_key or linked.email})
    _add_sites(entries, sources.sites)
    return list(entries.values())


def _client_entry(billing: str, c: dict[str, Any]) -> Entry:
    name = f"{c.get('first_name') or ''} {c.get('last_name') or ''}".strip()
    entry = Entry(billing, str(c["id"]), name, c.get("company") or "", c.get("email") or "", c.get("status") or "")
    entry.add("email", entry.email)
    entry.add("name", name)
    for part in (c.get("first_name"), c.get("last_name")):
        entry.add("name", part, name)
    entry.add("company", entry.company)
    entry.payload = {"services": [], "sites": [], "panel_users": []}
    return entry


def _add_service(entry: Entry, s: dict[str, Any], link: Link | None,
                 servers: dict[tuple[str, str], dict[str, Any]]) -> None:
    sid = str(s["id"])
    entry.add("service", sid, f"service #{sid} {s.get('product') or ''}".strip())
    entry.add("domain", s.get("domain"))
    for address in {s.get("ip") or "", *(str(s.get("assigned_ips") or "").replace(",", " ").split())}:
        for term in ip_terms(address):
            entry.add("service_ip", term, f"{term} (service #{sid})")
    view: dict[str, Any] = {k: s.get(k) for k in ("id", "product", "status", "next_due", "amount", "cycle", "domain")}
    view["server"] = None
    if link is not None and link.right_id:
        server = servers.get((link.right_system, link.right_id))
        view["server"] = _server_view(server, link.right_system, link.right_id)
        entry.add("server_id", link.right_id, f"{link.right_system}/{link.right_id}")
        if server is not None:
            entry.add("server_name", server.get("name"))
            for family in ("ipv4", "ipv6"):
                for term in ip_terms(server.get(family)):
                    entry.add("ip", term, f"{term} ({server.get('name') or link.right_id})")
    entry.payload["services"].append(view)


def _add_sites(entries: dict[str, Entry], sites: list[dict[str, Any]]) -> None:
    """A site goes to the clients with a service on its domain or a parent domain of it."""
    owners: dict[str, set[str]] = defaultdict(set)
    for entry in entries.values():
        for service in entry.payload["services"]:
            if service.get("domain"):
                owners[normalise(str(service["domain"]))].add(entry.client_id)
    for site in sites:
        labels = normalise(site["domain"]).split(".")
        found: set[str] = set()
        for n in range(len(labels)):
            found |= owners.get(".".join(labels[n:]), set())
        for cid in sorted(found):
            entries[cid].add("domain", site["domain"])
            entries[cid].payload["sites"].append(site)


def _term_rows(entries: list[Entry]) -> Iterator[dict[str, Any]]:
    for e in entries:
        seen: set[tuple[str, str]] = set()
        for kind, term, label in e.terms:
            if (kind, term) not in seen:
                seen.add((kind, term))
                yield {"term": term, "kind": kind, "backend": e.backend, "client_id": e.client_id, "label": label}


def write(engine: Engine, entries: list[Entry], indexed_at: datetime | None = None) -> int:
    """Replace the index with `entries` in one transaction; returns the number of terms written (blocking)."""
    from sqlalchemy import delete
    from sqlalchemy import insert

    from ..store.index_tables import CustomerRow
    from ..store.index_tables import CustomerTermRow

    clients, terms = CustomerRow.__table__, CustomerTermRow.__table__   # type: ignore[attr-defined]
    when = (indexed_at or datetime.now(UTC)).astimezone(UTC)
    rows = [{"backend": e.backend, "client_id": e.client_id, "name": e.name, "company": e.company, "email": e.email,
             "status": e.status, "search_text": f"{e.name} {e.company}".lower(),
             "payload": json.dumps(e.payload, default=str), "indexed_at": when} for e in entries]
    count = 0
    with engine.begin() as conn:
        conn.execute(delete(terms))
        conn.execute(delete(clients))
        for start in range(0, len(rows), BATCH):
            conn.execute(insert(clients), rows[start:start + BATCH])
        batch: list[dict[str, Any]] = []
        for row in _term_rows(entries):
            batch.append(row)
            if len(batch) >= BATCH:
                conn.execute(insert(terms), batch)
                count, batch = count + len(batch), []
        if batch:
            conn.execute(insert(terms), batch)
            count += len(batch)
    return count


def built_at(engine: Engine) -> datetime | None:
    """When the index was last built; None when it never was (blocking)."""
    from sqlalchemy import text

    with engine.connect() as conn:
        value = conn.execute(text("SELECT MAX(indexed_at) FROM customer_clients")).scalar()
    return None if value is None else as_utc(value)


def exists(workspace: Workspace) -> bool:
    """Whether an index was ever built (blocking)."""
    return built_at(workspace.store.engine) is not None


def is_stale(engine: Engine, now: datetime | None = None, max_age: float = MAX_AGE_SECONDS) -> bool:
    stamp = built_at(engine)
    return stamp is None or ((now or datetime.now(UTC)) - stamp).total_seconds() > max_age


def behind_inventory(engine: Engine) -> bool:
    """Whether a server list was stored after the index was built (then it is rebuilt from the store before a search,
    instead of after every `hostdeck servers`, which at 50,000 servers would add seconds to each listing)."""
    from sqlalchemy import text

    with engine.connect() as conn:
        built, listed = conn.execute(text("SELECT (SELECT MAX(indexed_at) FROM customer_clients), "
                                          "(SELECT MAX(fetched_at) FROM snapshots WHERE scope = 'servers')")).one()
    if built is None:
        return True
    return listed is not None and as_utc(listed) > as_utc(built)


async def refresh(workspace: Workspace, *, live: bool = True) -> int:
    """Rebuild the index: with `live`, from WHMCS's lists read now; without, from the lists the store holds (nothing
    is sent anywhere). Returns the number of clients indexed."""
    import asyncio

    from .sources import gather

    sources = await gather(workspace, live=live)
    entries = build(sources)
    await asyncio.to_thread(write, workspace.store.engine, entries, sources.taken_at)
    return len(entries)


async def refresh_quietly(workspace: Workspace) -> str | None:
    """The hook after a sync refresh: rebuild from the stored lists when an index exists; the reason it
    could not, or None."""
    import asyncio

    from ..errors import BackendError
    from ..errors import ConfigError

    try:
        if not await asyncio.to_thread(exists, workspace):
            return None
        await refresh(workspace, live=False)
    except (BackendError, ConfigError) as exc:
        return str(exc)
    return None
