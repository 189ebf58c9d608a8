"""`hostdeck customer QUERY [--json]`: the clients a query finds, best first, each with everything they have.

The index is rebuilt first when it is missing or older than 15 minutes, and from the store when a server list was
stored after it was built. The first matches are refreshed from the APIs
(`source: live`); the others are shown as the index has them (`source: index`, with `age_seconds`)."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from hostdeck.backends.errors import BackendError

from .context import CommandContext
from .output import emit_json
from .output import say
from .output import table
from .output import warn

MATCHES = 20
LIVE = 5


async def customer(args: argparse.Namespace) -> int:
    from hostdeck.backends.customers import index
    from hostdeck.backends.customers.join import from_index
    from hostdeck.backends.customers.live import refresh_view
    from hostdeck.backends.customers.query import entry
    from hostdeck.backends.customers.query import search

    with CommandContext(args) as ws:
        try:
            engine = ws.store.engine
            if await asyncio.to_thread(index.is_stale, engine):
                try:
                    await index.refresh(ws, live=True)
                except BackendError as exc:
                    if await asyncio.to_thread(index.built_at, engine) is None:
                        raise
                    warn(f"the customer index could not be refreshed ({exc.message}); answering from the older one.")
            elif await asyncio.to_thread(index.behind_inventory, engine):
                await index.refresh(ws, live=False)
            matches = await asyncio.to_thread(search, engine, args.query, MATCHES)
            views = []
            for match in matches:
                indexed = await asyncio.to_thread(entry, engine, match.backend, match.client_id)
                if indexed is not None:
                    views.append(await asyncio.to_thread(from_index, engine, indexed, match))
            live = await asyncio.gather(*(refresh_view(ws, v) for v in views[:LIVE]))
            views[:LIVE] = live
        finally:
            await ws.aclose()
    if not views:
        warn(f"no customer matches {args.query}")
        if args.json:
            emit_json({"matches": []})
        return 1
    for view in views:
        for part, reason in view.errors.items():
            warn(f"client {view.client['id']}: {part}: {reason}")
    if args.json:
        emit_json({"matches": [v.as_dict() for v in views]})
    else:
        for view in views:
            _print_view(view.as_dict())
    return 0


def _print_view(doc: dict[str, Any]) -> None:
    c, matched = doc["client"], doc["matched"]
    age = "live" if doc["source"] == "live" else f"from the index, {doc['age_seconds']:.0f} s old"
    say(f"client {c['id']}: {c['name']}{' (' + c['company'] + ')' if c.get('company') else ''} <{c['email']}> "
        f"{c['status']} [{age}; matched {matched.get('kind')} {matched.get('label')}, {matched.get('rank')}]")
    if c.get("credit") is not None and "currency" in c:
        say(f"  credit {c['credit']} {c['currency']}; client area {c.get('client_area')}; admin {c.get('admin_url')}")
    sections: list[tuple[str, list[str], list[list[Any]]]] = [
        ("services", ["id", "product", "status", "next due", "amount", "server"],
         [[s["id"], s["product"], s["status"], s.get("next_due") or "", s.get("amount") or "",
           _server_cell(s.get("server"))] for s in doc["services"]]),
        ("servers", ["backend", "id", "name", "status", "ipv4", "ipv6"],
         [[s["backend"], s["id"], s.get("name") or "", s.get("status") or "", s.get("ipv4") or "", s.get("ipv6") or ""]
          for s in doc["servers"]]),
        ("invoices", ["id", "number", "status", "total", "due"],
         [[i["id"], i["number"], i["status"], f"{i['total']} {i['currency']}", i.get("due") or ""]
          for i in doc["invoices"]]),
        ("tickets", ["#", "subject", "status", "last reply"],
         [[t["tid"], t["subject"], t["status"], t.get("last_reply") or ""] for t in doc["tickets"]]),
        ("panel users", ["backend", "id", "email"], [[u["backend"], u["id"], u["email"]] for u in doc["panel_users"]]),
        ("sites", ["backend", "domain", "status", "certificate", "analytics"],
         [[s["backend"], s["domain"], s["status"], s.get("certificate") or "", s.get("analytics") or ""]
          for s in doc["sites"]]),
        ("events", ["time", "backend", "target", "message"],
         [[e["ts"], e["backend"], e["target"], e["message"]] for e in doc["events"]]),
    ]
    for title, headers, rows in sections:
        if rows:
            say(f"  {title}:")
            table(headers, rows)
    say()


def _server_cell(server: dict[str, Any] | None) -> str:
    if not server:
        return ""
    return f"{server['backend']}/{server['id']} {server.get('name') or ''} ({server.get('status') or 'unknown'})"


HANDLERS: dict[str, Any] = {"customer": customer}
