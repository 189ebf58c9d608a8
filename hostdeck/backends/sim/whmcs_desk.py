"""The WHMCS simulator's invoices and support tickets: `GetInvoices` and `GetTickets` with the docs' shapes.

Shapes from WHMCS/developer-docs `api-reference/getinvoices.md` and `gettickets.md` (their example responses):
- GetInvoices: `totalresults`, `startnumber`, `numreturned` as strings ("1", "0", "1"); rows under
  `invoices.invoice[]` with every value a string: id, userid, firstname, lastname, companyname, invoicenum (often
  "": sequential numbering is only for paid invoices), date, duedate, datepaid ("0000-00-00 00:00:00" when unpaid),
  subtotal, credit, tax, tax2, total, taxrate, taxrate2, status, paymentmethod, notes, currencycode, currencyprefix,
  currencysuffix. `status` filters by a stored status, or "Overdue": Unpaid with the due date before today (the rows
  still say "Unpaid"). `orderby` id|invoicenumber|date|duedate|total|status and `order` asc|desc.
- GetTickets: `totalresults` a string, `startnumber` and `numreturned` ints; rows under `tickets.ticket[]` with
  string values: id, tid (the number shown to people), deptid, userid, name, email, cc, c, date, subject, status,
  priority, admin, attachment, lastreply, flag, service. Filters `clientid`, `email` (a non-client's address),
  `deptid`, `subject` (approximate) and `status`: any configured status, "All Active Tickets" or "Awaiting Reply".
- An empty list is `""` (learned at first contact, shared/api/whmcs.md).

Choices where the public material is silent (unverified): the ticket statuses configured are WHMCS's defaults plus one
custom status ("Waiting on Datacenter", active, not awaiting a reply); tickets are listed newest first; invoices by id
ascending unless `orderby` says otherwise. Seeded dates sit around `ANCHOR`, so an Unpaid invoice is overdue (due
before it) or due well after it, whatever day the tests run.
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable
from datetime import date
from datetime import timedelta
from typing import Any

EMPTY_LIST = ""
ANCHOR = date(2026, 12, 1)
# status -> (counts as active, awaits a staff reply): WHMCS's ticket status settings ("showactive", "showawaiting")
TICKET_STATUSES = {"Open": (True, True), "Answered": (True, False), "Customer-Reply": (True, True),
                   "On Hold": (True, False), "In Progress": (True, False), "Closed": (False, False),
                   "Waiting on Datacenter": (True, False)}
INVOICE_STATUSES = ("Draft", "Unpaid", "Paid", "Cancelled", "Refunded", "Collections", "Payment Pending")
SUBJECTS = ("my site is down", "cannot log in to the panel", "server unreachable since this morning",
            "invoice question", "please upgrade my plan", "SSL certificate expired", "[bold]urgent[/] reboot please",
            "backup restore request")
DEPARTMENTS = {"1": "Support", "2": "Billing", "3": "Sales"}
CURRENCY = {"EUR": ("€", " EUR"), "USD": ("$", " USD")}
INVOICE_ORDER = {"id": "id", "invoicenumber": "invoicenum", "date": "date", "duedate": "duedate", "total": "total",
                 "status": "status"}


class Desk:
    """Invoices and tickets of the simulated clients. `today` decides what is overdue."""

    def __init__(self, seed: int, today: date | None = None) -> None:
        self.rng = random.Random(seed * 7919 + 16)   # its own stream: the rest of the seeded data stays as it was
        self.today = today or date.today()
        self.invoices: dict[int, dict[str, Any]] = {}
        self.tickets: dict[int, dict[str, Any]] = {}

    # ------------------------------------------------------------------ seeding

    def seed(self, clients: dict[int, dict[str, Any]], services: dict[int, dict[str, Any]],
             currency_of: Callable[[dict[str, Any]], str]) -> None:
        rng = self.rng
        for service in services.values():
            cid = int(service["clientid"])
            client = clients.get(cid)
            if client is None or service["status"] not in ("Active", "Suspended"):
                continue
            amount = service["recurringamount"]
            code = currency_of(client)
            self.add_invoice(client, amount, code, "Paid", ANCHOR - timedelta(days=30 + rng.randrange(20)))
            if service["status"] == "Suspended":       # suspended for not paying: an overdue invoice
                self.add_invoice(client, amount, code, "Unpaid", ANCHOR - timedelta(days=10 + rng.randrange(50)))
            elif rng.random() < 0.2:
                self.add_invoice(client, amount, code, "Unpaid", ANCHOR + timedelta(days=400 + rng.randrange(30)))
            elif rng.random() < 0.05:
                self.add_invoice(client, amount, code, "Cancelled", ANCHOR - timedelta(days=rng.randrange(90)))
        for cid in sorted(clients):
            if rng.random() < 0.3:
                for _ in range(rng.choice((1, 1, 2))):
                    self.add_ticket(clients[cid], rng.choice(SUBJECTS), rng.choice(sorted(TICKET_STATUSES)))
        for n in range(3):   # tickets from people who are no client (WHMCS keeps their name and email)
            self.add_ticket(None, rng.choice(SUBJECTS), "Open", email=f"visitor{n}@mail.example", name=f"Visitor {n}")

    def add_invoice(self, client: dict[str, Any], total: str, code: str, status: str, due: date) -> dict[str, Any]:
        iid = max(self.invoices, default=1000) + 1
        prefix, suffix = CURRENCY.get(code, ("", f" {code}"))
        paid = status == "Paid"
        issued = due - timedelta(days=7)
        invoice = {
            "id": str(iid), "userid": str(client["id"]), "firstname": client["firstname"],
            "lastname": client["lastname"], "companyname": client["companyname"],
            "invoicenum": f"{issued.year}-{iid:05d}" if paid else "", "date": issued.isoformat(),
            "duedate": due.isoformat(), "datepaid": f"{due.isoformat()} 09:12:00" if paid else "0000-00-00 00:00:00",
            "subtotal": total, "credit": "0.00", "tax": "0.00", "tax2": "0.00", "total": total, "taxrate": "0.00",
            "taxrate2": "0.00", "status": status, "paymentmethod": "stripe", "notes": "", "currencycode": code,
            "currencyprefix": prefix, "currencysuffix": suffix.strip(),
        }
        self.invoices[iid] = invoice
        return invoice

    def add_ticket(self, client: dict[str, Any] | None, subject: str, status: str, *, email: str = "",
                   name: str = "") -> dict[str, Any]:
        rng = self.rng
        tid = max(self.tickets, default=0) + 1
        opened = ANCHOR - timedelta(days=rng.randrange(30), minutes=rng.randrange(1440))
        replied = opened + timedelta(minutes=rng.randrange(10, 3000))
        ticket = {
            "id": str(tid), "tid": f"{rng.randrange(100000, 999999)}", "deptid": rng.choice(sorted(DEPARTMENTS)),
            "userid": str(client["id"]) if client else "0",
            "name": f"{client['firstname']} {client['lastname']}" if client else name,
            "email": client["email"] if client else email, "cc": "",
            "c": "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(8)),
            "date": opened.strftime("%Y-%m-%d %H:%M:%S"), "subject": subject, "status": status,
            "priority": rng.choice(("Low", "Medium", "High")), "admin": "" if status == "Open" else "Support Team",
            "attachment": "", "lastreply": replied.strftime("%Y-%m-%d %H:%M:%S"), "flag": "0", "service": "",
        }
        self.tickets[tid] = ticket
        return ticket

    # ------------------------------------------------------------------ actions

    def get_invoices(self, form: dict[str, str], page: Callable[..., tuple[list[Any], int, int]]) -> dict[str, Any]:
        rows = list(self.invoices.values())
        userid = (form.get("userid") or "").strip()
        if userid:
            rows = [r for r in rows if r["userid"] == userid]
        status = (form.get("status") or "").strip().lower()
        if status == "overdue":
            rows = [r for r in rows if r["status"] == "Unpaid" and date.fromisoformat(r["duedate"]) < self.today]
        elif status:
            rows = [r for r in rows if r["status"].lower() == status]
        key = INVOICE_ORDER.get((form.get("orderby") or "id").strip().lower(), "id")
        numeric = key in ("id", "total")
        rows.sort(key=lambda r: (float(r[key]) if numeric else r[key], int(r["id"])),
                  reverse=(form.get("order") or "asc").strip().lower() == "desc")
        chunk, start, total = page(form, rows)
        return {"totalresults": str(total), "startnumber": str(start), "numreturned": str(len(chunk)),
                "invoices": {"invoice": [dict(r) for r in chunk]} if chunk else EMPTY_LIST}

    def get_tickets(self, form: dict[str, str], page: Callable[..., tuple[list[Any], int, int]]) -> dict[str, Any]:
        rows = sorted(self.tickets.values(), key=lambda t: t["lastreply"], reverse=True)
        clientid = (form.get("clientid") or "").strip()
        if clientid:
            rows = [t for t in rows if t["userid"] == clientid]
        email = (form.get("email") or "").strip().lower()
        if email:
            rows = [t for t in rows if t["email"].lower() == email]
        if (form.get("deptid") or "").strip():
            rows = [t for t in rows if t["deptid"] == form["deptid"].strip()]
        if (form.get("subject") or "").strip():
            words = form["subject"].strip().lower()
            rows = [t for t in rows if words in t["subject"].lower()]
        status = (form.get("status") or "").strip()
        if status == "All Active Tickets":
            rows = [t for t in rows if TICKET_STATUSES.get(t["status"], (True, False))[0]]
        elif status == "Awaiting Reply":
            rows = [t for t in rows if TICKET_STATUSES.get(t["status"], (False, False))[1]]
        elif status:
            rows = [t for t in rows if t["status"].lower() == status.lower()]
        chunk, start, total = page(form, rows)
        return {"totalresults": str(total), "startnumber": start, "numreturned": len(chunk),
                "tickets": {"ticket": [dict(t) for t in chunk]} if chunk else EMPTY_LIST}

    def stats(self, client_id: int) -> dict[str, Any]:
        """What GetClientsDetails' `stats` says about invoices and tickets."""
        mine = str(client_id)
        due = [r for r in self.invoices.values() if r["userid"] == mine and r["status"] == "Unpaid"]
        tickets = [t for t in self.tickets.values() if t["userid"] == mine]
        return {"numdueinvoices": len(due), "numtickets": len(tickets),
                "numactivetickets": sum(TICKET_STATUSES.get(t["status"], (True, False))[0] for t in tickets),
                "due_total": sum(float(r["total"]) for r in due)}
