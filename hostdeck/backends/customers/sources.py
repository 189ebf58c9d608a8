"""What the customer index is built from: WHMCS's clients, services and invoices (kept as snapshots, so the index can
be rebuilt without WHMCS), the stored server inventory, the sync map's links and the site jobs."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from ..errors import BackendError
from ..errors import ConfigError
from ..inventory import SERVERS
from ..inventory import cached
from ..inventory import save
from ..inventory import server_payload
from ..roles import Role

if TYPE_CHECKING:
    from ..sync.syncmap import Link
    from ..whmcs.adapter import WhmcsAdapter
    from ..workspace import Workspace

CLIENTS, SERVICES, INVOICES = "billing_clients", "billing_services", "billing_invoices"
LINK_ENTITIES = ("service", "client", "panel_user")
LINKED = ("linked", "synced", "drifted")


@dataclass
class Sources:
    """Everything the index needs, as plain rows. `errors`: backend -> why its part is missing (shown, not hidden)."""

    billing: str
    clients: list[dict[str, Any]]
    services: list[dict[str, Any]]
    invoices: list[dict[str, Any]]
    servers: dict[tuple[str, str], dict[str, Any]]
    links: list[Link]
    sites: list[dict[str, Any]]
    taken_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    errors: dict[str, str] = field(default_factory=dict)


def billing_of(workspace: Workspace) -> WhmcsAdapter:
    """The billing backend: `[sync] billing`, else the only one."""
    from ..sync.setup import pick_backend

    adapter: WhmcsAdapter = pick_backend(workspace, workspace.config.sync.billing, Role.BILLING_SYSTEM, "whmcs",
                                         "billing")
    return adapter


def client_row(client: Any) -> dict[str, Any]:
    return {"id": client.id, "first_name": client.first_name, "last_name": client.last_name,
            "company": client.company, "email": client.email, "status": client.status}


def service_row(service: Any) -> dict[str, Any]:
    return {"id": service.id, "client_id": service.client_id, "product": service.product, "status": service.status,
            "next_due": service.next_due_date.isoformat() if service.next_due_date else None,
            "amount": str(service.recurring_amount), "cycle": service.billing_cycle, "domain": service.domain,
            "ip": service.dedicated_ip, "assigned_ips": str(service.raw.get("assignedips") or ""),
            "server_id": service.server_id}


def invoice_row(invoice: Any) -> dict[str, Any]:
    return {"id": invoice.id, "client_id": invoice.client_id, "number": invoice.number, "status": invoice.status,
            "total": str(invoice.total), "currency": invoice.currency}


async def fetch_billing(workspace: Workspace, billing: WhmcsAdapter) -> None:
    """Read WHMCS's clients, services and invoices (every page) and keep them as snapshots."""
    clients, services, invoices = await asyncio.gather(billing.get_clients(), billing.get_services(),
                                                       _all_invoices(billing))
    now = datetime.now(UTC)
    await asyncio.to_thread(save, workspace, CLIENTS, billing.name, [client_row(c) for c in clients], now,
                            {SERVICES: [service_row(s) for s in services], INVOICES: invoices})


async def _all_invoices(billing: WhmcsAdapter) -> list[dict[str, Any]]:
    from ..whmcs import parse

    rows = await billing.desk.invoices("", None, page_size=billing.page_size)
    today = datetime.now(UTC).date()
    return [invoice_row(parse.parse_invoice(billing.name, r, today)) for r in rows]


async def fetch_missing_servers(workspace: Workspace, have: set[str]) -> dict[str, str]:
    """List the server backends the inventory has no list of yet, and keep their lists; backend -> error."""
    adapters = [a for a in workspace.listing_adapters() if a.name not in have]
    results = await asyncio.gather(*(a.list_servers() for a in adapters), return_exceptions=True)
    errors: dict[str, str] = {}
    for adapter, result in zip(adapters, results):
        if isinstance(result, BackendError):
            errors[adapter.name] = result.message
        elif isinstance(result, BaseException):
            raise result
        else:
            await asyncio.to_thread(save, workspace, SERVERS, adapter.name, server_payload(result))
    return errors


def stored(workspace: Workspace, billing: str) -> Sources | None:
    """The sources as the store holds them; None when WHMCS's lists were never kept (blocking)."""
    lists = {scope: next(iter(cached(workspace, scope, [billing])), None) for scope in (CLIENTS, SERVICES, INVOICES)}
    clients = lists[CLIENTS]
    if clients is None:
        return None
    servers = {(snap.backend, str(row.get("id"))): {**row, "backend": snap.backend}
               for snap in cached(workspace, SERVERS) for row in snap.rows}
    from ..sync.syncmap import SyncMap

    links = [link for link in SyncMap(workspace.store).all_links() if link.entity in LINK_ENTITIES
             and link.status in LINKED and link.right_id and link.left_system == billing]
    return Sources(billing=billing, clients=clients.rows, services=_rows(lists[SERVICES]),
                   invoices=_rows(lists[INVOICES]), servers=servers, links=links, sites=site_rows(workspace),
                   taken_at=clients.fetched_at)


def _rows(snapshot: Any) -> list[dict[str, Any]]:
    return list(snapshot.rows) if snapshot is not None else []


LETS_ENCRYPT_DAYS = 90   # CloudPanel installs Let's Encrypt certificates, valid 90 days from issue


def certificate_expiry(step: Any) -> str | None:
    """When the certificate the pipeline installed runs out (ISO date): 90 days after its step finished; None when
    none was installed."""
    from datetime import timedelta

    if step is None or step.status != "done" or not step.finished:
        return None
    try:
        issued = datetime.fromisoformat(step.finished)
    except ValueError:
        return None
    return (issued + timedelta(days=LETS_ENCRYPT_DAYS)).date().isoformat()


def site_rows(workspace: Workspace) -> list[dict[str, Any]]:
    """The sites hostdeck made (the site pipeline's jobs): domain, host, certificate and analytics."""
    from ..sites.jobs import SiteJobs

    out = []
    for job in SiteJobs(workspace.store).all():
        if job.status == "deleted":
            continue
        cert = job.steps.get("certificate")
        out.append({"backend": job.backend, "domain": job.domain, "status": job.status,
                    "certificate": cert.status if cert else "pending",
                    "certificate_expiry": (job.result or {}).get("certificate_expiry") or certificate_expiry(cert),
                    "analytics": job.analytics, "analytics_site": (job.result or {}).get("matomo_site_id")})
    return out


async def gather(workspace: Workspace, *, live: bool) -> Sources:
    """The sources: with `live`, WHMCS's lists (and the server lists the inventory lacks) are read first."""
    billing = billing_of(workspace)
    errors: dict[str, str] = {}
    if live:
        await fetch_billing(workspace, billing)
        have = {snap.backend for snap in await asyncio.to_thread(cached, workspace, SERVERS)}
        errors = await fetch_missing_servers(workspace, have)
    found = await asyncio.to_thread(stored, workspace, billing.name)
    if found is None:
        raise ConfigError("the customer index has never been built.", key="customers",
                          fix="run `hostdeck customer QUERY` once with the billing backend reachable.")
    found.errors.update(errors)
    return found
