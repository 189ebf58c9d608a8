"""The customer on screen, refreshed from the APIs: WHMCS's client details (status, credit, currency), services,
unpaid and overdue invoices and open tickets, and each linked server's live state from its provider. A part that
fails keeps what the index had and names the reason in `errors`; the rest of the view stands."""

from __future__ import annotations

import asyncio
from datetime import UTC
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from ..errors import BackendError
from .join import CustomerView
from .join import events_of
from .join import servers_of
from .sources import billing_of
from .sources import service_row

if TYPE_CHECKING:
    from ..whmcs.adapter import WhmcsAdapter
    from ..workspace import Workspace


def client_doc(client: Any, billing: WhmcsAdapter) -> dict[str, Any]:
    raw = client.raw
    return {"backend": billing.name, "id": client.id, "name": f"{client.first_name} {client.last_name}".strip(),
            "company": client.company, "email": client.email, "status": client.status,
            "credit": str(raw.get("credit") or "0.00"), "currency": str(raw.get("currency_code") or ""),
            "phone": str(raw.get("phonenumberformatted") or raw.get("phonenumber") or ""),
            "client_area": billing.client_area_url(), "admin_url": billing.client_admin_url(client.id)}


def invoice_doc(invoice: Any, billing: WhmcsAdapter) -> dict[str, Any]:
    return {"id": invoice.id, "number": invoice.number, "status": "Overdue" if invoice.overdue else invoice.status,
            "total": str(invoice.total), "currency": invoice.currency,
            "due": invoice.due.isoformat() if invoice.due else None, "overdue": invoice.overdue,
            "url": billing.invoice_admin_url(invoice.id)}


def ticket_doc(ticket: Any, billing: WhmcsAdapter) -> dict[str, Any]:
    return {"id": ticket.id, "tid": ticket.tid, "subject": ticket.subject, "status": ticket.status,
            "priority": ticket.priority, "last_reply": ticket.last_reply.isoformat() if ticket.last_reply else None,
            "url": billing.ticket_admin_url(ticket.id)}


async def _server_state(workspace: Workspace, server: dict[str, Any]) -> dict[str, Any]:
    adapter = workspace.adapter(str(server["backend"]))
    found = await adapter.get_server(str(server["id"]))
    return {**server, "name": found.name, "status": found.status.value, "ipv4": found.ipv4, "ipv6": found.ipv6}


def _failed(view: CustomerView, part: str, exc: BaseException) -> None:
    """A backend's failure is noted on the view; anything else is a bug and goes up."""
    if not isinstance(exc, BackendError):
        raise exc
    view.errors[part] = exc.message


async def refresh_view(workspace: Workspace, view: CustomerView) -> CustomerView:
    """`view` (from the index) read again from the APIs; the parts that failed keep the index's data."""
    billing = billing_of(workspace)
    client_id = str(view.client["id"])
    details, services, invoices, tickets = await asyncio.gather(
        billing.get_client(client_id=client_id), billing.get_services(client_id=client_id),
        billing.unpaid_invoices(client_id), billing.get_tickets(client_id), return_exceptions=True)
    fresh = CustomerView(client=dict(view.client), services=view.services, sites=view.sites,
                         panel_users=view.panel_users, source="live", as_of=datetime.now(UTC), matched=view.matched,
                         errors={})

    if isinstance(details, BaseException):
        _failed(fresh, "client", details)
    else:
        fresh.client = client_doc(details, billing)
    if isinstance(services, BaseException):
        _failed(fresh, "services", services)
    else:
        linked = {str(s.get("id")): s.get("server") for s in view.services}
        fresh.services = [{**{k: row[k] for k in ("id", "product", "status", "next_due", "amount", "cycle", "domain")},
                           "server": linked.get(row["id"])} for row in map(service_row, services)]
    if isinstance(invoices, BaseException):
        _failed(fresh, "invoices", invoices)
    else:
        fresh.invoices = [invoice_doc(i, billing) for i in invoices]
    if isinstance(tickets, BaseException):
        _failed(fresh, "tickets", tickets)
    else:
        fresh.tickets = [ticket_doc(t, billing) for t in tickets]
    servers = servers_of(fresh.services)
    states = await asyncio.gather(*(_server_state(workspace, s) for s in servers), return_exceptions=True)
    fresh.servers = []
    for server, state in zip(servers, states):
        if isinstance(state, BackendError):
            fresh.errors[f"{server['backend']}/{server['id']}"] = state.message
            fresh.servers.append({**server, "status": server.get("status") or "unknown", "stale": True})
        elif isinstance(state, BaseException):
            raise state
        else:
            fresh.servers.append(state)
    by_key = {(s["backend"], s["id"]): s for s in fresh.servers}
    for service in fresh.services:
        if service.get("server"):
            key = (service["server"]["backend"], service["server"]["id"])
            service["server"] = {k: v for k, v in by_key.get(key, service["server"]).items() if k != "service_id"}
    fresh.sites, fresh.panel_users = await asyncio.to_thread(local_parts, workspace, fresh)
    fresh.events = await asyncio.to_thread(events_of, workspace.store.engine, fresh)
    return fresh


def local_parts(workspace: Workspace, view: CustomerView) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The client's sites and panel users as the store holds them now (blocking)."""
    from ..sync.syncmap import SyncMap
    from .index import owns
    from .sources import LINKED
    from .sources import site_rows

    client_id = str(view.client["id"])
    domains = [str(s.get("domain") or "") for s in view.services]
    sites = [site for site in site_rows(workspace) if owns(domains, site["domain"])]
    links = SyncMap(workspace.store).all_links()
    users = [{"backend": link.right_system, "id": link.right_id, "email": link.left_key or view.client.get("email")}
             for link in links if link.entity in ("client", "panel_user") and link.left_id == client_id
             and link.status in LINKED and link.right_id]
    return sites, users
