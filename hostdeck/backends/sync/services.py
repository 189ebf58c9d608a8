"""Which WHMCS service pays for which server: proposals from the evidence there is, accepted and manual links,
remembered rejections, and the drift between billing and reality. No UI in here.

Links live in the sync map (`sync_links`): entity "service", left = (billing backend, service id), right_system = the
server's backend, right_id = the server id, status "linked". One service pays for one server and one server is paid by
one service. A rejected proposal is a row with status "rejected" (the rejected server ids of that service on that
backend are kept in `drift["rejected"]`), so it is never proposed again; a row that links a service also keeps the
rejections made on that backend, so unlinking it brings them back.

Evidence and its weight (a proposal's score is the sum, at most 100):

| kind       | evidence                                                                 | score |
|------------|--------------------------------------------------------------------------|-------|
| label      | the server's label `whmcs_service_id` is the service id (Hetzner)        | 100   |
| server_id  | the service's `server_id` custom field is the server id (the module's)   | 90    |
| ip         | the service's dedicated or assigned IP is the server's IPv4/IPv6         | 60    |
| domain     | the service's domain is the server's name or hostname                    | 40    |
| domain     | the domain's first label is the server's name or hostname                | 25    |

A proposal is confident at 90 or more and when it is not ambiguous: it is ambiguous when its service has another
candidate server, or its server another candidate service, scoring 40 or more and less than 30 points below it. A
candidate 30 or more points below another on both sides (its service's and its server's) is not proposed at all (an
IP that two backends happen to share). Only confident proposals are accepted in bulk; ambiguous ones are shown with
their contenders and need a choice (`accept` of the one, or `link`).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..errors import BackendError
from ..errors import ConflictError
from ..errors import NotFoundError
from ..errors import ValidationError
from ..models import Client
from ..models import Server
from ..models import ServerStatus
from ..models import utcnow
from .readonly import refuse_in_read_only
from .syncmap import Link
from .syncmap import LogEntry
from .syncmap import SyncMap

ENTITY = "service"
LINKED, REJECTED = "linked", "rejected"
LABEL = "whmcs_service_id"
SCORES = {"label": 100, "server_id": 90, "ip": 60, "domain": 40, "domain_label": 25}
CONFIDENT = 90
CONTENDER = 40
MARGIN = 30
ENDED = ("Terminated", "Cancelled", "Fraud", "Completed")   # billing has ended: the server should be gone
LIVE = ("Active", "Suspended")                              # billing expects a server
RUNNING = (ServerStatus.RUNNING, ServerStatus.STARTING)
MODULE_KINDS = {"convoy": "convoy", "hetzner": "hetzner", "hcloud": "hetzner", "proxmox": "proxmox"}
DRIFT_KINDS = ("leak", "orphan", "gone", "plan")


# --------------------------------------------------------------------------- records


@dataclass
class Evidence:
    kind: str          # label | server_id | ip | domain
    text: str          # plain words, e.g. "dedicated ip 198.18.0.5"
    score: int

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "score": self.score}


@dataclass
class Proposal:
    """Service `service_id` probably pays for server `backend`/`server_id`, because of `evidence`."""

    service_id: str
    backend: str
    server_id: str
    server_name: str
    evidence: list[Evidence]
    score: int
    client_id: str = ""
    client_name: str = ""
    product: str = ""
    service_status: str = ""
    domain: str = ""
    server_status: str = ""
    ambiguous: bool = False
    contenders: list[str] = field(default_factory=list)   # the other candidates, "service 12" or "hz/4711 (web-1)"

    @property
    def confident(self) -> bool:
        return self.score >= CONFIDENT and not self.ambiguous

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.service_id, self.backend, self.server_id)

    def as_dict(self) -> dict[str, Any]:
        return {"service_id": self.service_id, "client_id": self.client_id, "client": self.client_name,
                "product": self.product, "service_status": self.service_status, "domain": self.domain,
                "backend": self.backend, "server_id": self.server_id, "server": self.server_name,
                "server_status": self.server_status, "score": self.score, "confident": self.confident,
                "ambiguous": self.ambiguous, "contenders": self.contenders,
                "evidence": [e.as_dict() for e in self.evidence]}


@dataclass
class LinkOutcome:
    service_id: str
    result: str                      # linked | refused | rejected | unlinked | would link
    backend: str | None = None
    server_id: str | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"service_id": self.service_id, "result": self.result, "backend": self.backend,
                "server_id": self.server_id, "reason": self.reason}


@dataclass
class ServiceLink:
    """An accepted or manual link, as stored."""

    service_id: str
    backend: str
    server_id: str
    how: str                         # accepted | manual
    client_id: str | None = None
    evidence: list[str] = field(default_factory=list)
    since: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"service_id": self.service_id, "backend": self.backend, "server_id": self.server_id, "how": self.how,
                "client_id": self.client_id, "evidence": self.evidence,
                "since": self.since.isoformat() if self.since else None}


@dataclass
class DriftItem:
    kind: str                        # leak | orphan | gone | plan
    message: str                     # plain words, with the fix
    service_id: str | None = None
    client_id: str | None = None
    client_name: str = ""
    product: str = ""
    service_status: str = ""
    backend: str | None = None
    server_id: str | None = None
    server_name: str = ""
    server_status: str = ""
    facts: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.message, "service_id": self.service_id, "client_id": self.client_id,
                "client": self.client_name, "product": self.product, "service_status": self.service_status,
                "backend": self.backend, "server_id": self.server_id, "server": self.server_name,
                "server_status": self.server_status, "facts": self.facts}


@dataclass
class DriftReport:
    items: list[DriftItem] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)    # backend -> why its servers could not be checked
    taken_at: datetime = field(default_factory=utcnow)

    def of(self, kind: str) -> list[DriftItem]:
        return [i for i in self.items if i.kind == kind]

    def counts(self) -> dict[str, int]:
        return {kind: len(self.of(kind)) for kind in DRIFT_KINDS}

    def as_dict(self) -> dict[str, Any]:
        return {"taken_at": self.taken_at.isoformat(), "counts": self.counts(), "errors": self.errors,
                "items": [i.as_dict() for i in self.items]}


@dataclass
class Snapshot:
    """Billing and reality at one moment: what proposals, drift and the billing column are computed from."""

    services: dict[str, Any]                       # service id -> whmcs Service
    clients: dict[str, Client]
    products: dict[str, Any]                       # product id -> whmcs Product
    servers: dict[str, dict[str, Server]]          # backend -> server id -> Server (backends that listed)
    kinds: dict[str, str]                          # backend -> adapter kind
    errors: dict[str, str]                         # backend -> why it could not be listed
    rows: list[Link]                               # the service rows of the sync map
    taken_at: datetime = field(default_factory=utcnow)

    def __post_init__(self) -> None:
        self.links: dict[str, Link] = {r.left_id: r for r in self.rows if r.status == LINKED and r.right_id}
        self.by_server: dict[tuple[str, str], Link] = {(r.right_system, r.right_id or ""): r for r in self.links.values()}
        self.rejected: set[tuple[str, str, str]] = {(r.left_id, r.right_system, sid) for r in self.rows
                                                    for sid in _rejected_ids(r)}

    def server(self, backend: str, server_id: str) -> Server | None:
        return self.servers.get(backend, {}).get(server_id)

    def client_name(self, client_id: str | None) -> str:
        client = self.clients.get(client_id or "")
        return client_label(client) if client is not None else ""


def _rejected_ids(row: Link) -> list[str]:
    ids = list((row.drift or {}).get("rejected") or [])
    if row.status == REJECTED and row.right_id and row.right_id not in ids:
        ids.append(row.right_id)
    return [str(i) for i in ids]


# --------------------------------------------------------------------------- sizes and plans

_SIZE = re.compile(r"(\d+)\s*v?cpus?\b.*?(\d+(?:\.\d+)?)\s*(gb|gib|mb|mib)\b.*?(\d+)\s*(?:gb|gib)\b", re.I)


def _memory_mb(text: str, *, bare_unit: str | None = None) -> int | None:
    m = re.search(r"(\d+(?:\.\d+)?)\s*(gb|gib|g|mb|mib|m)?\b", text, re.I)
    if not m:
        return None
    value, unit = float(m.group(1)), (m.group(2) or bare_unit or ("gb" if float(m.group(1)) < 128 else "mb")).lower()
    return round(value * 1024) if unit.startswith("g") else round(value)


def _first_int(text: str) -> int | None:
    m = re.search(r"\d+", text)
    return int(m.group()) if m else None


def billed_size(service: Any) -> dict[str, int]:
    """cores / memory_mb / disk_gb as billed: the service's configurable options first, else the product name when it
    reads like "2 vCPU/4 GB/40 GB". Empty when billing says nothing about the size."""
    size: dict[str, int] = {}
    for option, value in (service.config_options or {}).items():
        name, value = option.lower(), str(value)
        if ("cpu" in name or "core" in name) and (n := _first_int(value)) is not None:
            size.setdefault("cores", n)
        elif ("ram" in name or "memory" in name) and (mb := _memory_mb(value)) is not None:
            size.setdefault("memory_mb", mb)
        elif ("disk" in name or "storage" in name or "ssd" in name) and (n := _first_int(value)) is not None:
            size.setdefault("disk_gb", n)
    m = _SIZE.search(service.product or "")
    if m:
        size.setdefault("cores", int(m.group(1)))
        size.setdefault("memory_mb", _memory_mb(f"{m.group(2)} {m.group(3)}") or 0)
        size.setdefault("disk_gb", int(m.group(4)))
    return size


def plan_difference(service: Any, server: Server, known_plans: set[str]) -> dict[str, Any] | None:
    """What billing says the server's size is against what it is; None when they agree or cannot be compared.

    Compared: the billed size (config options, or a product named like "2 vCPU/4 GB/40 GB") field by field; else a
    product named like one of the backend's plans (e.g. "cx22", as the WHMCS simulator seeds them) against the
    server's plan. A product whose name is neither ("VPS S") is not compared."""
    size = billed_size(service)
    actual = {"cores": server.cores, "memory_mb": server.memory_mb, "disk_gb": server.disk_gb}
    if size:
        diff = {k: [v, actual[k]] for k, v in size.items() if actual.get(k) is not None and actual[k] != v}
        return {"billed": size, "actual": actual, "differs": diff} if diff else None
    product = (service.product or "").strip().lower()
    if product and product in known_plans and server.plan and product != server.plan.lower():
        return {"billed": {"plan": service.product}, "actual": {"plan": server.plan, **actual},
                "differs": {"plan": [service.product, server.plan]}}
    return None


# --------------------------------------------------------------------------- matching helpers


def _norm_host(value: str | None) -> str:
    return (value or "").strip().lower().rstrip(".")


def _ips(service: Any) -> list[str]:
    out = []
    for raw in [service.dedicated_ip, str((service.raw or {}).get("assignedips") or "")]:
        for ip in re.split(r"[\s,;]+", raw or ""):
            if ip and ip not in out:
                out.append(ip)
    return out


def _server_ips(server: Server) -> list[str]:
    ips = [server.ipv4] if server.ipv4 else []
    if server.ipv6:
        ips += [server.ipv6, server.ipv6.replace("::/64", "::1")]
    return ips


def _server_names(server: Server) -> list[tuple[str, str]]:
    out = [(_norm_host(server.name), "server name")]
    hostname = server.raw.get("hostname") if isinstance(server.raw, dict) else None
    if hostname and _norm_host(hostname) != out[0][0]:
        out.append((_norm_host(hostname), "hostname"))
    return out


def client_label(client: Client) -> str:
    name = f"{client.first_name} {client.last_name}".strip()
    return f"{name} ({client.company})" if client.company else name or client.email


def _beaten(p: Proposal, group: list[Proposal]) -> bool:
    """Far weaker than some other candidate of the group."""
    return any(o.score - p.score >= MARGIN for o in group)


def _close(p: Proposal, other: Proposal) -> bool:
    """A contender: a strong candidate not far behind or ahead of p."""
    return other.score >= CONTENDER and p.score - other.score < MARGIN


def _module_kind(module: str) -> str | None:
    module = (module or "").lower()
    return next((kind for word, kind in MODULE_KINDS.items() if word in module), None)


# --------------------------------------------------------------------------- the engine


class ServiceLinks:
    """Links between WHMCS services and servers on every server backend, and the drift report.

    `servers_adapters`: the adapters whose servers can be billed (the workspace's `listing_adapters()`)."""

    def __init__(self, billing: Any, servers_adapters: Iterable[Any], store: Any) -> None:
        self.billing = billing
        self.adapters = {a.name: a for a in servers_adapters}
        self.map = SyncMap(store)
        self.last: Snapshot | None = None

    # reading ------------------------------------------------------------------------
    def _rows(self) -> list[Link]:
        return [r for r in self.map.all_links(ENTITY) if r.left_system == self.billing.name]

    async def snapshot(self, servers: Iterable[Server] | None = None) -> Snapshot:
        """Read WHMCS (services, clients, products), every server backend and the sync map. `servers`: rows already
        listed (e.g. the TUI's); backends without any row there are listed now. A backend that cannot be listed is
        named in `errors` and never taken as empty."""
        given: dict[str, dict[str, Server]] = {}
        for s in servers or ():
            given.setdefault(s.backend, {})[s.id] = s
        todo = [a for name, a in self.adapters.items() if name not in given]

        async def listing(adapter: Any) -> tuple[str, dict[str, Server] | None, str | None]:
            try:
                return adapter.name, {s.id: s for s in await adapter.list_servers()}, None
            except BackendError as exc:
                return adapter.name, None, exc.message
            except Exception as exc:  # SecretError, ConfigError: the backend is unknown, not empty
                return adapter.name, None, str(exc)

        async def products() -> dict[str, Any]:
            try:
                return {p.id: p for p in await self.billing.get_products()}
            except BackendError:    # optional: only used to name the module in the evidence
                return {}

        services, clients, prods, rows, *listed = await asyncio.gather(
            self.billing.get_services(), self.billing.get_clients(), products(), asyncio.to_thread(self._rows),
            *(listing(a) for a in todo))
        found, errors = dict(given), {}
        for name, by_id, error in listed:
            if by_id is None:
                errors[name] = error or "could not be listed"
            else:
                found[name] = by_id
        snap = Snapshot(services={s.id: s for s in services}, clients={c.id: c for c in clients}, products=prods,
                        servers=found, kinds={n: a.kind for n, a in self.adapters.items()}, errors=errors, rows=rows)
        self.last = snap
        return snap

    load = snapshot

    def links(self) -> list[ServiceLink]:
        """The accepted and manual links, from the sync map only (no remote call)."""
        out = []
        for r in self._rows():
            if r.status == LINKED and r.right_id:
                info = r.drift or {}
                out.append(ServiceLink(r.left_id, r.right_system, r.right_id, info.get("how", "manual"), r.left_key,
                                       list(info.get("evidence") or []), r.last_synced))
        return out

    def link_of(self, server: Server) -> ServiceLink | None:
        """The link of one server, from the sync map only."""
        return next((l for l in self.links() if (l.backend, l.server_id) == server.key), None)

    # the billing column and the detail section -----------------------------------------
    def billing_for(self, server: Server, snapshot: Snapshot | None = None) -> tuple[Client | None, Any] | None:
        """(WHMCS client, service) paying for `server`, from the last snapshot; None when it has no link (or no
        snapshot was taken yet). The client is None only if WHMCS no longer has it."""
        snap = snapshot or self.last
        if snap is None:
            return None
        link = snap.by_server.get(server.key)
        service = snap.services.get(link.left_id) if link else None
        if service is None:
            return None
        return snap.clients.get(service.client_id), service

    def billing_cell(self, server: Server, snapshot: Snapshot | None = None) -> str:
        """The servers table's billing column: "Ana Lima · #123 Active", or "" when unlinked."""
        found = self.billing_for(server, snapshot)
        if found is None:
            return ""
        client, service = found
        snap = snapshot or self.last
        who = snap.client_name(service.client_id) if snap else ""
        return f"{who or 'client ' + service.client_id} · #{service.id} {service.status}"

    async def billing_link_of(self, server: Server) -> str | None:
        """The billing cell of one server without a full snapshot (for `server show`): the sync map's link, then that
        one service and its client read from WHMCS. None when unlinked; when WHMCS cannot be read, the link is still
        named, with the reason."""
        link = await asyncio.to_thread(self.link_of, server)
        if link is None:
            return None
        try:
            service = await self.billing.get_service(link.service_id)
        except BackendError as exc:
            return f"#{link.service_id} (WHMCS could not be read: {exc.message})"
        who = ""
        try:
            who = client_label(await self.billing.get_client(client_id=service.client_id))
        except BackendError:
            pass
        return f"{who or 'client ' + service.client_id} · #{service.id} {service.status}"

    def annotate(self, servers: Iterable[Server], snapshot: Snapshot | None = None) -> None:
        """Fill each server's `billing_link` with its billing cell (None when unlinked), from the last snapshot."""
        for server in servers:
            server.billing_link = self.billing_cell(server, snapshot) or None

    def detail_section(self, server: Server, snapshot: Snapshot | None = None) -> tuple[str, list[tuple[str, str]]] | None:
        """The server detail's "Billing" section (the adapters' `detail_sections` shape), or None when unlinked."""
        found = self.billing_for(server, snapshot)
        if found is None:
            return None
        client, service = found
        snap = snapshot or self.last
        link = snap.by_server.get(server.key) if snap else None
        rows = [("client", f"{snap.client_name(service.client_id) if snap else ''} (#{service.client_id})".strip()),
                ("service", f"#{service.id} {service.domain}".strip()),
                ("product", f"{service.product}" + (f" ({service.group})" if service.group else "")),
                ("status", service.status + (f": {service.suspension_reason}" if service.suspension_reason else "")),
                ("billing cycle", service.billing_cycle or "-"),
                ("next due date", service.next_due_date.isoformat() if service.next_due_date else "-"),
                ("recurring amount", _money(service.recurring_amount, client)),
                ("linked", ((link.drift or {}).get("how", "manual") if link else "") +
                 (f": {', '.join((link.drift or {}).get('evidence') or [])}" if link and (link.drift or {}).get("evidence") else ""))]
        return ("Billing", rows)

    # proposals ------------------------------------------------------------------------
    async def propose(self, snapshot: Snapshot | None = None) -> list[Proposal]:
        """Proposed links for unlinked services and servers, best first. Never a linked server or service, never a
        rejected pair; ambiguous ones carry their contenders."""
        snap = snapshot or await self.snapshot()
        by_label: dict[str, list[Server]] = {}
        by_id: dict[str, list[Server]] = {}
        by_ip: dict[str, list[Server]] = {}
        by_name: dict[str, list[tuple[Server, str]]] = {}
        for backend, servers in snap.servers.items():
            for s in servers.values():
                if (backend, s.id) in snap.by_server:
                    continue
                if s.labels.get(LABEL):
                    by_label.setdefault(s.labels[LABEL].strip(), []).append(s)
                by_id.setdefault(s.id, []).append(s)
                for ip in _server_ips(s):
                    by_ip.setdefault(ip, []).append(s)
                for name, what in _server_names(s):
                    by_name.setdefault(name, []).append((s, what))
        found: dict[tuple[str, str, str], Proposal] = {}

        def add(service: Any, server: Server, evidence: Evidence) -> None:
            key = (service.id, server.backend, server.id)
            if key in snap.rejected:
                return
            p = found.get(key)
            if p is None:
                p = found[key] = Proposal(service.id, server.backend, server.id, server.name, [], 0,
                                          client_id=service.client_id, client_name=snap.client_name(service.client_id),
                                          product=service.product, service_status=service.status, domain=service.domain,
                                          server_status=server.status.value)
            if all(e.kind != evidence.kind for e in p.evidence):
                p.evidence.append(evidence)
                p.score = min(100, p.score + evidence.score)

        for service in snap.services.values():
            if service.id in snap.links:
                continue
            for s in by_label.get(service.id, []):
                add(service, s, Evidence("label", f"label {LABEL}={service.id}", SCORES["label"]))
            if service.server_id:
                product = snap.products.get(service.product_id)
                module = getattr(product, "module", "") or ""
                kind = _module_kind(module)
                for s in by_id.get(service.server_id, []):
                    if kind is None or snap.kinds.get(s.backend) == kind:
                        where = f" ({module} module)" if module else ""
                        add(service, s, Evidence("server_id", f"server_id custom field = {service.server_id}{where}",
                                                 SCORES["server_id"]))
            for ip in _ips(service):
                for s in by_ip.get(ip, []):
                    what = "dedicated ip" if ip == service.dedicated_ip else "assigned ip"
                    add(service, s, Evidence("ip", f"{what} {ip}", SCORES["ip"]))
            domain = _norm_host(service.domain)
            if domain:
                for s, what in by_name.get(domain, []):
                    add(service, s, Evidence("domain", f"domain {service.domain} = {what}", SCORES["domain"]))
                first = domain.split(".")[0]
                if first != domain:
                    for s, what in by_name.get(first, []):
                        add(service, s, Evidence("domain", f"domain {service.domain} starts with the {what} {first}",
                                                 SCORES["domain_label"]))
        proposals = list(found.values())
        per_service: dict[str, list[Proposal]] = {}
        per_server: dict[tuple[str, str], list[Proposal]] = {}
        for p in proposals:
            per_service.setdefault(p.service_id, []).append(p)
            per_server.setdefault((p.backend, p.server_id), []).append(p)
        kept = []
        for p in proposals:
            others = [o for o in per_service[p.service_id] if o is not p]
            rivals = [o for o in per_server[(p.backend, p.server_id)] if o is not p]
            if others and rivals and _beaten(p, others) and _beaten(p, rivals):
                continue      # far weaker than another candidate on both sides (e.g. an IP shared across backends)
            p.contenders = [f"{o.backend}/{o.server_id} ({o.server_name})" for o in others if _close(p, o)] + \
                           [f"service {o.service_id}" for o in rivals if _close(p, o)]
            p.ambiguous = bool(p.contenders)
            p.evidence.sort(key=lambda e: -e.score)
            kept.append(p)
        kept.sort(key=lambda p: (-p.score, p.ambiguous, _num(p.service_id)))
        return kept

    async def accept(self, which: Iterable[str] | str, *, proposals: list[Proposal] | None = None,
                     snapshot: Snapshot | None = None, dry_run: bool = False) -> list[LinkOutcome]:
        """Accept proposals: a list of service ids (each must have exactly one proposal, ambiguous ones are accepted
        only when named), or "all-confident". `proposals`: the ones the user saw (else they are computed now); each is
        checked against the sync map again before it is written. `dry_run`: the outcomes ("would link"), nothing
        written."""
        if not dry_run:
            refuse_in_read_only(self.billing, "accept")
        if isinstance(which, str) and which != "all-confident":
            which = [which]
        if proposals is None:
            snap = snapshot or await self.snapshot()
            proposals = await self.propose(snap)
        outcomes: list[LinkOutcome] = []
        chosen: list[Proposal] = []
        if which == "all-confident":
            chosen = [p for p in proposals if p.confident]
        else:
            by_service: dict[str, list[Proposal]] = {}
            for p in proposals:
                by_service.setdefault(p.service_id, []).append(p)
            for sid in [str(w).strip().lstrip("#") for w in which]:
                mine = by_service.get(sid, [])
                if len(mine) == 1:
                    chosen.append(mine[0])
                elif not mine:
                    outcomes.append(LinkOutcome(sid, "refused", reason=f"there is no proposal for service {sid}."))
                else:
                    where = ", ".join(f"{p.backend}/{p.server_id} ({p.server_name})" for p in mine)
                    outcomes.append(LinkOutcome(sid, "refused", reason=f"service {sid} has {len(mine)} candidate servers "
                                                f"({where}): link the right one with `link`."))
        rows = await asyncio.to_thread(self._rows)
        linked = {r.left_id for r in rows if r.status == LINKED and r.right_id}
        taken = {(r.right_system, r.right_id): r.left_id for r in rows if r.status == LINKED and r.right_id}
        writes, log = [], []
        for p in chosen:
            if p.service_id in linked:
                outcomes.append(LinkOutcome(p.service_id, "refused", p.backend, p.server_id,
                                            f"service {p.service_id} is linked already."))
                continue
            if (p.backend, p.server_id) in taken:
                outcomes.append(LinkOutcome(p.service_id, "refused", p.backend, p.server_id,
                                            f"server {p.backend}/{p.server_id} is paid by service "
                                            f"{taken[(p.backend, p.server_id)]} already."))
                continue
            row = next((r for r in rows if r.left_id == p.service_id and r.right_system == p.backend), None)
            writes.append(self._link_row(p.service_id, p.backend, p.server_id, p.client_id, "accepted",
                                         [e.text for e in p.evidence], row))
            log.append(LogEntry(ENTITY, "accept", "ok", self.billing.name, p.service_id, p.backend, p.server_id,
                                response={"score": p.score, "evidence": [e.text for e in p.evidence]}))
            linked.add(p.service_id)
            taken[(p.backend, p.server_id)] = p.service_id
            outcomes.append(LinkOutcome(p.service_id, "would link" if dry_run else "linked", p.backend, p.server_id))
        if not dry_run:
            await asyncio.to_thread(self.map.write, writes, log)
        return outcomes

    async def reject(self, service_id: str, backend: str | None = None, server_id: str | None = None, *,
                     proposals: list[Proposal] | None = None) -> list[LinkOutcome]:
        """Reject the proposal of `service_id` for `backend`/`server_id` (or every current proposal of the service):
        remembered, so it is never proposed again."""
        refuse_in_read_only(self.billing, "reject")
        service_id = str(service_id).strip().lstrip("#")
        if backend is not None and server_id is not None:
            targets = [(backend, str(server_id))]
        else:
            if proposals is None:
                proposals = await self.propose()
            targets = [(p.backend, p.server_id) for p in proposals if p.service_id == service_id
                       and (backend is None or p.backend == backend)]
            if not targets:
                return [LinkOutcome(service_id, "refused", backend, None, f"there is no proposal for service {service_id}.")]
        rows = await asyncio.to_thread(self._rows)
        writes, log, outcomes = [], [], []
        for b, sid in targets:
            row = next((r for r in rows if r.left_id == service_id and r.right_system == b), None)
            if row is not None and row.status == LINKED and row.right_id == sid:
                outcomes.append(LinkOutcome(service_id, "refused", b, sid, f"service {service_id} is linked to {b}/{sid}:"
                                            " unlink it first."))
                continue
            if row is None:
                row = Link(ENTITY, self.billing.name, service_id, b, status=REJECTED)
            info = dict(row.drift or {})
            rejected = [i for i in _rejected_ids(row) if i != sid] + [sid]
            info["rejected"] = rejected
            row.drift = info
            if row.status != LINKED:
                row.status, row.right_id = REJECTED, sid
            row.last_synced = utcnow()
            writes.append(row)
            log.append(LogEntry(ENTITY, "reject", "ok", self.billing.name, service_id, b, sid))
            outcomes.append(LinkOutcome(service_id, "rejected", b, sid))
        await asyncio.to_thread(self.map.write, writes, log)
        return outcomes

    async def link(self, service_id: str, backend: str, server_id: str, *, replace: bool = False) -> LinkOutcome:
        """Link by hand. The service and the server are looked up first; refused when the server is paid by another
        service, or when the service is linked to another server (unless `replace`)."""
        refuse_in_read_only(self.billing, "link service")
        service_id = str(service_id).strip().lstrip("#")
        adapter = self.adapters.get(backend)
        if adapter is None:
            raise ValidationError(f"{backend!r} is not a server backend here (known: {', '.join(self.adapters) or 'none'}).",
                                  operation="link service")
        service = await self.billing.get_service(service_id)
        server = await adapter.get_server(str(server_id))
        rows = await asyncio.to_thread(self._rows)
        for r in rows:
            if r.status == LINKED and r.right_system == backend and r.right_id == server.id and r.left_id != service_id:
                raise ConflictError(f"server {server.name} ({backend}/{server.id}) is paid by service {r.left_id} "
                                    f"already; unlink service {r.left_id} first.", operation="link service")
        mine = [r for r in rows if r.left_id == service_id and r.status == LINKED and r.right_id]
        if any(r.right_system == backend and r.right_id == server.id for r in mine):
            return LinkOutcome(service_id, "linked", backend, server.id, "it was linked already.")
        if mine and not replace:
            r = mine[0]
            raise ConflictError(f"service {service_id} is linked to {r.right_system}/{r.right_id}; unlink it first (or "
                                "replace the link).", operation="link service")
        for r in mine:
            await self._drop(r, "replaced")
        rows = await asyncio.to_thread(self._rows)
        row = next((r for r in rows if r.left_id == service_id and r.right_system == backend), None)
        link = self._link_row(service_id, backend, server.id, service.client_id, "manual", [], row)
        await asyncio.to_thread(self.map.write, [link], [LogEntry(ENTITY, "link", "ok", self.billing.name, service_id,
                                                                  backend, server.id)])
        return LinkOutcome(service_id, "linked", backend, server.id)

    async def unlink(self, service_id: str) -> LinkOutcome:
        """Drop the service's link; neither WHMCS nor the server is touched. Rejections made for it stay."""
        refuse_in_read_only(self.billing, "unlink service")
        service_id = str(service_id).strip().lstrip("#")
        rows = await asyncio.to_thread(self._rows)
        mine = [r for r in rows if r.left_id == service_id and r.status == LINKED and r.right_id]
        if not mine:
            raise NotFoundError(f"service {service_id} is not linked to a server.", operation="unlink service")
        for r in mine:
            await self._drop(r, "unlink")
        return LinkOutcome(service_id, "unlinked", mine[0].right_system, mine[0].right_id)

    async def _drop(self, row: Link, operation: str) -> None:
        entry = LogEntry(ENTITY, operation, "ok", row.left_system, row.left_id, row.right_system, row.right_id)
        rejected = [i for i in _rejected_ids(row) if i != row.right_id]
        if rejected:   # keep what was rejected for this service on that backend
            row.status, row.right_id, row.drift, row.left_key = REJECTED, rejected[-1], {"rejected": rejected}, None
            await asyncio.to_thread(self.map.write, [row], [entry])
        else:
            await asyncio.to_thread(self.map.unlink, ENTITY, row.left_system, row.left_id, row.right_system, entry)

    def _link_row(self, service_id: str, backend: str, server_id: str, client_id: str | None, how: str,
                  evidence: list[str], row: Link | None) -> Link:
        info: dict[str, Any] = {"how": how}
        if evidence:
            info["evidence"] = evidence
        rejected = [i for i in (_rejected_ids(row) if row else []) if i != server_id]
        if rejected:
            info["rejected"] = rejected
        return Link(ENTITY, self.billing.name, service_id, backend, right_id=server_id, left_key=client_id,
                    status=LINKED, drift=info, last_synced=utcnow())

    # drift ----------------------------------------------------------------------------
    async def drift(self, snapshot: Snapshot | None = None, *, proposals: list[Proposal] | None = None) -> DriftReport:
        """Where billing and reality disagree:

        - leak: a linked service is Suspended while its server runs, or Terminated/Cancelled/Fraud/Completed while
          its server still exists;
        - orphan: a server no service is linked to (the best proposal, if any, is in its facts), or whose linked
          service no longer exists in WHMCS;
        - gone: an Active or Suspended service whose linked server no longer exists; also an unlinked one whose
          `server_id` custom field names a server no backend has (when every backend could be listed);
        - plan: a linked service whose product (config options, or a product named like a size or a plan) does not
          match the server's size.

        Backends that could not be listed are named in `errors`; nothing about their servers is concluded."""
        snap = snapshot or await self.snapshot()
        if proposals is None:
            proposals = await self.propose(snap)
        report = DriftReport(errors=dict(snap.errors), taken_at=snap.taken_at)
        known_plans: dict[str, set[str]] = {b: {(s.plan or "").lower() for s in servers.values() if s.plan}
                                            for b, servers in snap.servers.items()}

        def item(kind: str, message: str, service: Any = None, server: Server | None = None, backend: str | None = None,
                 server_id: str | None = None, **facts: Any) -> DriftItem:
            return DriftItem(kind, message, service_id=service.id if service else None,
                             client_id=service.client_id if service else None,
                             client_name=snap.client_name(service.client_id) if service else "",
                             product=service.product if service else "", service_status=service.status if service else "",
                             backend=server.backend if server else backend, server_id=server.id if server else server_id,
                             server_name=server.name if server else "", server_status=server.status.value if server else "",
                             facts=facts)

        for service_id, link in sorted(snap.links.items(), key=lambda kv: _num(kv[0])):
            backend, server_id = link.right_system, link.right_id or ""
            service = snap.services.get(service_id)
            if backend in snap.errors or backend not in snap.servers:
                continue
            server = snap.server(backend, server_id)
            if service is None:
                if server is not None:
                    report.items.append(item("orphan", f"server {server.name} is linked to service {service_id}, which "
                                             "WHMCS no longer has: link it to the service that pays for it, or delete it.",
                                             server=server, linked_service=service_id))
                continue
            if server is None:
                if service.status in LIVE:
                    report.items.append(item("gone", f"service #{service.id} ({service.product}) is {service.status} but "
                                             f"its server {backend}/{server_id} no longer exists: terminate or fix the "
                                             "service in WHMCS.", service=service, backend=backend, server_id=server_id,
                                             recurring_amount=str(service.recurring_amount), linked=True))
                continue
            if service.status in ENDED:
                report.items.append(item("leak", f"service #{service.id} is {service.status} in WHMCS but server "
                                         f"{server.name} still exists ({server.status.value}): delete the server, or "
                                         "reactivate the service.", service=service, server=server, linked=True))
            elif service.status == "Suspended" and server.status in RUNNING:
                report.items.append(item("leak", f"service #{service.id} is Suspended in WHMCS but server {server.name} "
                                         "is running: suspend it (through WHMCS keeps billing in step).",
                                         service=service, server=server, suspension_reason=service.suspension_reason,
                                         linked=True))
            difference = plan_difference(service, server, known_plans.get(backend, set()))
            if difference is not None:
                what = ", ".join(f"{k} billed {v[0]} but is {v[1]}" for k, v in difference["differs"].items())
                report.items.append(item("plan", f"service #{service.id} ({service.product}) does not match server "
                                         f"{server.name}: {what}.", service=service, server=server, **difference))
        best: dict[tuple[str, str], Proposal] = {}
        for p in proposals:
            best.setdefault((p.backend, p.server_id), p)
        for backend in sorted(snap.servers):
            for server in sorted(snap.servers[backend].values(), key=lambda s: s.name):
                if server.key in snap.by_server:
                    continue
                proposed = best.get(server.key)
                hint = (f" Proposed: service #{proposed.service_id} ({', '.join(e.text for e in proposed.evidence)})."
                        if proposed else "")
                report.items.append(item("orphan", f"server {server.name} ({backend}) has no WHMCS service linked: "
                                         f"nobody may be paying for it.{hint}", server=server,
                                         proposal=p.service_id if p else None, score=p.score if p else None))
        if not snap.errors:
            ids = {sid for servers in snap.servers.values() for sid in servers}
            for service in sorted(snap.services.values(), key=lambda s: _num(s.id)):
                if service.id in snap.links or service.status not in LIVE or not service.server_id:
                    continue
                if service.server_id not in ids:
                    report.items.append(item("gone", f"service #{service.id} ({service.product}) is {service.status} "
                                             f"and its server_id custom field names server {service.server_id}, which "
                                             "no backend has: terminate or fix the service in WHMCS.", service=service,
                                             server_id=service.server_id, recurring_amount=str(service.recurring_amount),
                                             linked=False))
        return report


def _num(text: str) -> tuple[int, str]:
    return (int(text), "") if str(text).isdigit() else (1 << 62, str(text))


def _money(amount: Decimal | None, client: Client | None) -> str:
    if amount is None:
        return "-"
    currency = str((client.raw or {}).get("currency_code") or "") if client else ""
    return f"{amount} {currency}".strip()
