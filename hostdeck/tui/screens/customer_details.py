"""A customer's sections as Rich Text (every backend string through `as_text`: data, never markup), and the
customer rows of the search. No widgets here: tested without a terminal."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from typing import Any

from rich.text import Text

from hostdeck.backends.customers.join import CustomerView
from hostdeck.backends.customers.query import Match
from hostdeck.backends.customers.terms import RANK_WORDS

from ..format import ago
from ..safe_text import as_text
from ..widgets.grid import Column
from ..widgets.grid import Row

LIMIT = 120
COLUMNS = [Column("name", "Client", max_width=28), Column("email", "E-mail", max_width=34),
           Column("company", "Company", max_width=20), Column("status", "Status", width=8),
           Column("matched", "Matched", max_width=34), Column("rank", "Rank", width=8)]
STATUS_STYLE = {"Active": "$text-success", "Suspended": "$text-warning", "Overdue": "bold $text-error",
                "Unpaid": "$text-warning", "running": "$text-success", "off": "$text-warning", "error": "$text-error"}


def match_row(match: Match) -> Row:
    matched = f"{match.kind}: {match.label}"
    return Row(key=match.key, cells=(match.name, match.email, match.company, match.status, matched,
                                     RANK_WORDS[match.rank]),
               styles=(None, None, None, STATUS_STYLE.get(match.status), None, None))


def _line(*parts: Text | str) -> Text:
    return Text.assemble(*parts, "\n")


def _value(value: Any, style: str = "") -> Text:
    return as_text("" if value is None else value, style, limit=LIMIT)


def _status(value: Any) -> Text:
    return _value(value, STATUS_STYLE.get(str(value), "").replace("$text-", "").replace("success", "green")
                  .replace("warning", "yellow").replace("error", "red"))


def freshness(view: CustomerView, now: datetime | None = None) -> str:
    if view.source == "live":
        return "live from the APIs"
    return f"from the index, {ago(view.age_seconds(now or datetime.now(UTC)))}; refreshing…"


def render(view: CustomerView, now: datetime | None = None) -> Text:
    """Every section of the customer; empty ones say so."""
    c = view.client
    out = Text()
    out.append_text(_line(_value(c.get("name"), "bold"), "  ", _value(c.get("company"), "dim"), "  ",
                          _status(c.get("status"))))
    out.append_text(_line(_value(c.get("email")), "  client ", _value(c.get("id")), "  ",
                          _value(freshness(view, now), "dim italic")))
    if "credit" in c:
        out.append_text(_line("credit ", _value(c.get("credit")), " ", _value(c.get("currency")), "  ",
                              _value(c.get("phone"), "dim"), Text("  o opens the client in WHMCS", "dim")))
    if view.matched:
        out.append_text(_line("matched ", _value(f"{view.matched.get('kind')}: {view.matched.get('label')}", "dim")))
    for part, reason in view.errors.items():
        out.append_text(_line(_value(f"✖ {part}: ", "bold red"), _value(reason, "red")))
    _section(out, "Services", view.services, lambda s: (
        _value(f"#{s.get('id')} "), _value(s.get("product"), "bold"), " ", _status(s.get("status")),
        _value(f"  due {s.get('next_due') or '—'}  {s.get('amount') or ''}"),
        *(("  → ", _value(f"{s['server']['backend']}/{s['server'].get('name') or s['server']['id']} "),
           _status(s["server"].get("status"))) if s.get("server") else ())))
    _section(out, "Servers", view.servers, lambda s: (
        _value(f"{s.get('backend')}/{s.get('id')} "), _value(s.get("name"), "bold"), " ", _status(s.get("status")),
        _value(f"  {s.get('ipv4') or ''} {s.get('ipv6') or ''}", "dim")))
    _section(out, "Unpaid invoices", view.invoices, lambda i: (
        _value(f"#{i.get('number')} "), _status(i.get("status")), _value(f"  {i.get('total')} {i.get('currency')}"),
        _value(f"  due {i.get('due') or '—'}", "dim")), empty="none" if view.source == "live" else "loading…")
    _section(out, "Open tickets", view.tickets, lambda t: (
        _value(f"#{t.get('tid')} "), _value(t.get("subject"), "bold"), " ", _status(t.get("status")),
        _value(f"  {_when(t.get('last_reply'))}", "dim")), empty="none" if view.source == "live" else "loading…")
    _section(out, "Panel users", view.panel_users, lambda u: (
        _value(f"{u.get('backend')} user {u.get('id')} "), _value(u.get("email"), "dim")))
    _section(out, "Sites", view.sites, lambda s: (
        _value(s.get("domain"), "bold"), _value(f"  on {s.get('backend')}  "), _status(s.get("status")),
        _value(f"  certificate {s.get('certificate')}"
               + (f" until {s['certificate_expiry']}" if s.get("certificate_expiry") else "")
               + (f"  analytics {s['analytics']}" if s.get("analytics") else ""), "dim")))
    _section(out, "Events", view.events, lambda e: (
        _value(f"{_when(e.get('ts'))} ", "dim"), _value(f"{e.get('backend')} "), _value(e.get("message"))))
    return out


def _when(stamp: Any) -> str:
    """An ISO time as "2026-11-06 09:12" (UTC, as stored)."""
    return str(stamp or "")[:16].replace("T", " ")


def _section(out: Text, title: str, rows: list[dict[str, Any]], fmt: Any, empty: str = "none") -> None:
    out.append_text(_line("\n", Text(f"{title} ({len(rows)})", "bold underline")))
    if not rows:
        out.append_text(_line(Text(empty, "dim")))
    for row in rows:
        out.append_text(_line("  ", *fmt(row)))
