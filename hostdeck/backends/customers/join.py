"""One customer and everything they have, as the index last saw it: the client, its services each with its linked
server, the servers, sites, panel users and the newest audit events touching any of them. Invoices and tickets are
not indexed: they come with the live refresh (`live.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import UTC
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from .query import IndexedClient
from .query import Match

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

EVENTS = 20
EVENTS_SQL = ("SELECT ts, backend, kind, level, message, target FROM events WHERE target IN :targets "
              "AND kind IN ('action', 'audit') ORDER BY id DESC LIMIT :n")
SECTIONS = ("services", "servers", "sites", "invoices", "tickets", "panel_users", "events")


@dataclass
class CustomerView:
    """`source`: "index" (as of `as_of`, the index's age) or "live" (read from the APIs at `as_of`). `errors`: a
    section or backend -> why it is missing or stale; the rest of the view stands."""

    client: dict[str, Any]
    services: list[dict[str, Any]] = field(default_factory=list)
    servers: list[dict[str, Any]] = field(default_factory=list)
    sites: list[dict[str, Any]] = field(default_factory=list)
    invoices: list[dict[str, Any]] = field(default_factory=list)
    tickets: list[dict[str, Any]] = field(default_factory=list)
    panel_users: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    source: str = "index"
    as_of: datetime = field(default_factory=lambda: datetime.now(UTC))
    matched: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (str(self.client.get("backend")), str(self.client.get("id")))

    def age_seconds(self, now: datetime | None = None) -> float:
        return max(0.0, ((now or datetime.now(UTC)) - self.as_of).total_seconds())

    def as_dict(self) -> dict[str, Any]:
        return {"client": self.client, **{name: getattr(self, name) for name in SECTIONS}, "source": self.source,
                "as_of": self.as_of.isoformat(), "age_seconds": round(self.age_seconds(), 1),
                "matched": self.matched, "errors": self.errors}


def servers_of(services: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The linked servers of these services, each once, with the service that pays for it."""
    out, seen = [], set()
    for service in services:
        server = service.get("server")
        if server and (server["backend"], server["id"]) not in seen:
            seen.add((server["backend"], server["id"]))
            out.append({**server, "service_id": service.get("id")})
    return out


def matched_of(match: Match | None) -> dict[str, Any]:
    if match is None:
        return {}
    from .terms import RANK_WORDS

    return {"kind": match.kind, "label": match.label, "rank": RANK_WORDS[match.rank]}


def from_index(engine: Engine, indexed: IndexedClient, match: Match | None = None) -> CustomerView:
    """The view as the index holds it, with the newest events from the store (blocking)."""
    services = list(indexed.payload.get("services") or [])
    view = CustomerView(client={"backend": indexed.backend, "id": indexed.client_id, "name": indexed.name,
                                "company": indexed.company, "email": indexed.email, "status": indexed.status},
                        services=services, servers=servers_of(services), sites=list(indexed.payload.get("sites") or []),
                        panel_users=list(indexed.payload.get("panel_users") or []), source="index",
                        as_of=indexed.indexed_at, matched=matched_of(match))
    view.events = events_of(engine, view)
    return view


def events_of(engine: Engine, view: CustomerView, limit: int = EVENTS) -> list[dict[str, Any]]:
    """The newest action and audit events on the client, its services or its servers (blocking)."""
    from sqlalchemy import bindparam
    from sqlalchemy import text

    billing = str(view.client.get("backend"))
    wanted = {(billing, str(view.client.get("id")))}
    wanted |= {(billing, str(s.get("id"))) for s in view.services}
    wanted |= {(str(s["backend"]), str(s["id"])) for s in view.servers}
    wanted |= {(str(s.get("backend")), str(s.get("domain"))) for s in view.sites}
    targets = sorted({target for _backend, target in wanted})
    statement = text(EVENTS_SQL).bindparams(bindparam("targets", expanding=True))
    with engine.connect() as conn:
        rows = conn.execute(statement, {"targets": targets, "n": limit * 4}).fetchall()
    out = []
    for ts, backend, kind, level, message, target in rows:
        if (backend, target) in wanted:
            stamp = ts if isinstance(ts, datetime) else datetime.fromisoformat(str(ts))
            out.append({"ts": (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).isoformat(), "backend": backend,
                        "kind": kind, "level": level, "target": target, "message": message})
    return out[:limit]
