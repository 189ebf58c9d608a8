"""The ranked search over the customer index, one query per keystroke: exact identifiers first (an IP, a service id,
an invoice number, an e-mail, a server id or name, a domain; a client reached through a service's link to a server
before one reached otherwise), then prefixes of any term, then names and companies that contain the text. A whole IP
address wants its exact hits only. Three indexed or bounded queries, merged here: the cost does not grow with the index."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

from .terms import EXACT
from .terms import IDENTIFIERS
from .terms import PREFIX
from .terms import SUBSTRING
from .terms import THROUGH_LINK
from .terms import ClientSummary
from .terms import as_utc
from .terms import is_address
from .terms import normalise

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

LIMIT = 50
CANDIDATES = 250     # rows read per stage: a one-letter query touches at most this many
EXACT_SQL = "SELECT kind, backend, client_id, label FROM customer_terms WHERE term = :q LIMIT :n"
PREFIX_SQL = ("SELECT kind, backend, client_id, label FROM customer_terms WHERE term > :q AND term < :hi "
              "ORDER BY term LIMIT :n")
SUBSTRING_SQL = ("SELECT backend, client_id, name FROM customer_clients WHERE search_text LIKE :pattern ESCAPE '\\' "
                 "LIMIT :n")    # no ORDER BY: sorting every hit would cost what the LIMIT saves
CLIENTS_SQL = ("SELECT backend, client_id, name, company, email, status, indexed_at FROM customer_clients "
               "WHERE backend = :backend AND client_id IN :ids")   # the primary key's order: an index lookup
ENTRY_SQL = ("SELECT name, company, email, status, payload, indexed_at FROM customer_clients "
             "WHERE backend = :backend AND client_id = :client_id")


@dataclass(slots=True)
class Match(ClientSummary):
    """A client the query found: `rank` 0 exact, 1 prefix, 2 contains; `kind` and `label` say what matched."""

    rank: int
    kind: str
    label: str
    indexed_at: datetime


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search(engine: Engine, query: str, limit: int = LIMIT) -> list[Match]:
    """The matches of `query`, best first (blocking: a thread in the TUI)."""
    from sqlalchemy import bindparam
    from sqlalchemy import text

    q = normalise(query)
    if not q:
        return []
    whole_address = is_address(q)
    best: dict[tuple[str, str], tuple[int, int, int, str, str]] = {}   # key -> (rank, linked?, order, kind, label)

    def consider(rank: int, kind: str, backend: str, client_id: str, label: str) -> None:
        key = (backend, client_id)
        found = (rank, 0 if rank == EXACT and kind in THROUGH_LINK else 1, len(best), kind, label)
        if key not in best or found[:2] < best[key][:2]:
            best[key] = found

    with engine.connect() as conn:
        for kind, backend, client_id, label in conn.execute(text(EXACT_SQL), {"q": q, "n": CANDIDATES}):
            consider(EXACT if kind in IDENTIFIERS else PREFIX, kind, backend, client_id, label)
        # A later stage only adds worse ranks: it is skipped once the better ones have filled the list, and for a
        # whole IP address, whose prefixes are other addresses.
        if len(best) < limit and not whole_address:
            for kind, backend, client_id, label in conn.execute(text(PREFIX_SQL), {"q": q, "hi": q + "\uffff",
                                                                                    "n": CANDIDATES}):
                consider(PREFIX, kind, backend, client_id, label)
        if len(best) < limit and not whole_address:
            for backend, client_id, name in conn.execute(text(SUBSTRING_SQL), {"pattern": _like(q), "n": CANDIDATES}):
                consider(SUBSTRING, "name", backend, client_id, name)
        chosen = sorted(best.items(), key=lambda item: item[1][:3])[:limit]
        if not chosen:
            return []
        by_backend: dict[str, list[str]] = {}
        for (backend, client_id), _v in chosen:
            by_backend.setdefault(backend, []).append(client_id)
        statement = text(CLIENTS_SQL).bindparams(bindparam("ids", expanding=True))
        rows = {(r[0], r[1]): r for backend, ids in by_backend.items()
                for r in conn.execute(statement, {"backend": backend, "ids": ids})}
    out = []
    for key, (rank, _linked, _order, kind, label) in chosen:
        row = rows.get(key)
        if row is not None:
            out.append(Match(row[0], row[1], row[2], row[3], row[4], row[5], rank, kind, label, as_utc(row[6])))
    return out


@dataclass(slots=True)
class IndexedClient(ClientSummary):
    """A client's entry as the index holds it: its summary and payload (services with servers, sites, panel users)."""

    payload: dict[str, Any]
    indexed_at: datetime


def entry(engine: Engine, backend: str, client_id: str) -> IndexedClient | None:
    from sqlalchemy import text

    with engine.connect() as conn:
        row = conn.execute(text(ENTRY_SQL), {"backend": backend, "client_id": client_id}).first()
    if row is None:
        return None
    return IndexedClient(backend, client_id, row[0], row[1], row[2], row[3], json.loads(row[4] or "{}"),
                         as_utc(row[5]))
