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
    from ..sync.syncmap import Link
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
    details, services, invoices, tickets, links = await asyncio.gather(
        billing.get_client(client_id=client_id), billing.get_services(client_id=client_id),
        billing.unpaid_invoices(client_id), billing.get_tickets(client_id), asyncio.to_thread(_links, workspace),
        return_exceptions=True)
    if isinstance(links, BaseException):
        raise links          # the store: not a backend's failure
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
        fresh.services = [_service_doc(row, view, links) for row in map(service_row, services)]
    if isinstance(invoices, BaseException):
        _failed(fresh, "invoices", invoices)
    else:
        fresh.invoices = [invoice_doc(i, billing) for i in invoices]
    if isinstance(tickets, BaseException):
        _failed(fresh, "tickets", tickets)
    else:
        fresh.tickets = [ticket_doc(t, billing) for t in tickets]
    await _live_servers(workspace, fresh)
    fresh.sites, fresh.panel_users = await asyncio.to_thread(local_parts, workspace, fresh, links)
    fresh.events = await asyncio.to_thread(events_of, workspace.store.engine, fresh)
    return fresh


def _links(workspace: Workspace) -> list[Link]:
    from ..sync.syncmap import SyncMap
    from .sources import LINKED

    return [link for link in SyncMap(workspace.store).all_links() if link.status in LINKED and link.right_id]


def _service_doc(row: dict[str, Any], view: CustomerView, links: list[Link]) -> dict[str, Any]:
    """A service as WHMCS has it now, with the server the sync map links it to now (its state comes next)."""
    doc = {k: row[k] for k in ("id", "product", "status", "next_due", "amount", "cycle", "domain")}
    billing = view.client.get("backend")
    link = next((x for x in links if x.entity == "service" and x.left_system == billing and x.left_id == row["id"]),
                None)
    known = next((s.get("server") for s in view.services if str(s.get("id")) == row["id"]), None)
    if link is None:
        doc["server"] = None
    elif known and (known["backend"], known["id"]) == (link.right_system, link.right_id):
        doc["server"] = known
    else:
        doc["server"] = {"backend": link.right_system, "id": link.right_id, "name": "", "status": "unknown",
                         "ipv4": None, "ipv6": None}
    return doc


async def _live_servers(workspace: Workspace, view: CustomerView) -> None:
    """Each linked server's state from its provider; one that cannot be read keeps the index's, marked stale."""
    servers = servers_of(view.services)
    states = await asyncio.gather(*(_server_state(workspace, s) for s in servers), return_exceptions=True)
    view.servers = []
    for server, state in zip(servers, states):
        if isinstance(state, BackendError):
            view.errors[f"{server['backend']}/{server['id']}"] = state.message
            view.servers.append({**server, "status": server.get("status") or "unknown", "stale": True})
        elif isinstance(state, BaseException):
            raise state
        else:
            view.servers.append(state)
    by_key = {(s["backend"], s["id"]): s for s in view.servers}
    for service in view.services:
        if service.get("server"):
            key = (service["server"]["backend"], service["server"]["id"])
            service["server"] = {k: v for k, v in by_key.get(key, service["server"]).items() if k != "service_id"}


def local_parts(workspace: Workspace, view: CustomerView,
                links: list[Link]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The client's sites and panel users as the store holds them now (blocking)."""
    from .index import owns
    from .sources import site_rows

    client_id = str(view.client["id"])
    domains = [str(s.get("domain") or "") for s in view.services]
    sites = [site for site in site_rows(workspace) if owns(domains, site["domain"])]
    users = [{"backend": link.right_system, "id": link.right_id, "email": link.left_key or view.client.get("email")}
             for link in links if link.entity in ("client", "panel_user") and link.left_id == client_id
             and link.left_system == view.client.get("backend")]
    return sites, users
