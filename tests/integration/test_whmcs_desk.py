"""GetInvoices and GetTickets: the simulator's shapes (shared/api/whmcs.md, WHMCS/developer-docs examples) and the
adapter reading them, over real loopback sockets."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import httpx
import pytest

from hostdeck.backends.sim.whmcs import WhmcsSim
from hostdeck.backends.sim.whmcs_desk import ANCHOR

from .wh import IDENTIFIER
from .wh import SECRET
from .wh import call
from .wh import make_adapter

TODAY = date(2026, 12, 7)


def ok(resp: httpx.Response) -> dict[str, Any]:
    body = resp.json()
    assert resp.status_code == 200 and body["result"] == "success", body
    return body


@pytest.fixture(scope="module")
def sim():
    with WhmcsSim(clients=60, seed=4, identifier=IDENTIFIER, secret=SECRET, today=TODAY) as s:
        yield s


def client_with(sim: WhmcsSim, predicate) -> str:
    for cid in sorted(sim.clients):
        if predicate(str(cid)):
            return str(cid)
    raise AssertionError("the seed has no such client")


def test_get_invoices_has_the_docs_shape_with_strings_everywhere(sim):
    body = ok(call(sim, "GetInvoices", limitnum=2))
    assert isinstance(body["totalresults"], str) and isinstance(body["startnumber"], str)
    assert body["numreturned"] == "2"
    row = body["invoices"]["invoice"][0]
    assert set(row) >= {"id", "userid", "invoicenum", "date", "duedate", "datepaid", "subtotal", "total", "status",
                        "currencycode", "currencyprefix", "currencysuffix"}
    assert all(isinstance(v, str) for v in row.values())
    assert "." in row["total"]


def test_get_invoices_pages_by_offset_and_filters_by_client(sim):
    everything = ok(call(sim, "GetInvoices", limitnum=1000))
    total = int(everything["totalresults"])
    first = ok(call(sim, "GetInvoices", limitnum=5))["invoices"]["invoice"]
    second = ok(call(sim, "GetInvoices", limitstart=5, limitnum=5))["invoices"]["invoice"]
    assert total > 10 and not {r["id"] for r in first} & {r["id"] for r in second}
    cid = client_with(sim, lambda c: any(i["userid"] == c for i in sim.desk.invoices.values()))
    mine = ok(call(sim, "GetInvoices", userid=cid, limitnum=100))["invoices"]["invoice"]
    assert mine and {r["userid"] for r in mine} == {cid}


def test_overdue_is_unpaid_past_due_and_still_says_unpaid(sim):
    rows = ok(call(sim, "GetInvoices", status="Overdue", limitnum=1000))["invoices"]["invoice"]
    assert rows
    assert {r["status"] for r in rows} == {"Unpaid"}
    assert all(date.fromisoformat(r["duedate"]) < TODAY for r in rows)
    unpaid = ok(call(sim, "GetInvoices", status="Unpaid", limitnum=1000))["invoices"]["invoice"]
    assert len(unpaid) > len(rows)   # some are not due yet


def test_an_empty_list_is_an_empty_string(sim):
    body = ok(call(sim, "GetInvoices", userid=999999))
    assert body["invoices"] == "" and body["totalresults"] == "0"
    body = ok(call(sim, "GetTickets", clientid=999999))
    assert body["tickets"] == "" and body["totalresults"] == "0"


def test_get_tickets_has_the_docs_shape(sim):
    body = ok(call(sim, "GetTickets", limitnum=3))
    assert isinstance(body["totalresults"], str)
    assert isinstance(body["startnumber"], int) and isinstance(body["numreturned"], int)
    row = body["tickets"]["ticket"][0]
    assert set(row) >= {"id", "tid", "deptid", "userid", "name", "email", "date", "subject", "status", "lastreply"}
    assert all(isinstance(v, str) for v in row.values())
    assert row["tid"] != row["id"]


def test_all_active_tickets_leaves_out_closed_and_keeps_custom_statuses(sim):
    cid = client_with(sim, lambda c: True)
    client = sim.clients[int(cid)]
    sim.desk.add_ticket(client, "custom status", "Waiting on Datacenter")
    sim.desk.add_ticket(client, "all done", "Closed")
    active = ok(call(sim, "GetTickets", clientid=cid, status="All Active Tickets", limitnum=100))["tickets"]["ticket"]
    statuses = {t["status"] for t in active}
    assert "Waiting on Datacenter" in statuses and "Closed" not in statuses
    every = ok(call(sim, "GetTickets", clientid=cid, limitnum=100))["tickets"]["ticket"]
    assert "Closed" in {t["status"] for t in every}


def test_tickets_of_a_non_client_by_email(sim):
    rows = ok(call(sim, "GetTickets", email="visitor1@mail.example"))["tickets"]["ticket"]
    assert rows and {r["userid"] for r in rows} == {"0"}


def test_client_details_stats_count_due_invoices_and_tickets(sim):
    cid = client_with(sim, lambda c: any(i["userid"] == c and i["status"] == "Unpaid" for i in sim.desk.invoices.values()))
    stats = ok(call(sim, "GetClientsDetails", clientid=cid, stats="true"))["stats"]
    due = [i for i in sim.desk.invoices.values() if i["userid"] == cid and i["status"] == "Unpaid"]
    assert stats["numdueinvoices"] == len(due) > 0


async def test_adapter_reads_unpaid_invoices_and_marks_the_overdue_ones(sim):
    cid = client_with(sim, lambda c: any(i["userid"] == c and i["status"] == "Unpaid"
                                         and date.fromisoformat(i["duedate"]) < TODAY for i in sim.desk.invoices.values()))
    adapter = make_adapter(sim, page_size=2)
    try:
        invoices = await adapter.unpaid_invoices(cid, today=TODAY)
    finally:
        await adapter.aclose()
    assert invoices and {i.status for i in invoices} == {"Unpaid"}
    assert any(i.overdue for i in invoices)
    assert all(isinstance(i.total, Decimal) for i in invoices)
    assert all(i.number == i.id for i in invoices)      # unpaid ones carry no invoicenum: the id is the number


async def test_adapter_reads_active_tickets_newest_reply_first(sim):
    cid = client_with(sim, lambda c: sum(t["userid"] == c for t in sim.desk.tickets.values()) >= 1)
    sim.desk.add_ticket(sim.clients[int(cid)], "fresh", "Customer-Reply")
    adapter = make_adapter(sim, page_size=1)
    try:
        tickets = await adapter.get_tickets(cid)
    finally:
        await adapter.aclose()
    assert tickets and all(t.status != "Closed" for t in tickets)
    replies = [t.last_reply for t in tickets]
    assert replies == sorted(replies, reverse=True)
    assert all(t.client_id == cid for t in tickets)


def test_admin_links_use_the_admin_folder(sim):
    adapter = make_adapter(sim, admin_path="/staff/")
    assert adapter.client_admin_url("7").endswith("/staff/clientssummary.php?userid=7")
    assert adapter.ticket_admin_url(12).endswith("/staff/supporttickets.php?action=view&id=12")
    assert adapter.client_area_url() == sim.base_url + "/clientarea.php"


def test_seeded_due_dates_sit_around_the_anchor(sim):
    dues = [date.fromisoformat(i["duedate"]) for i in sim.desk.invoices.values() if i["status"] == "Unpaid"]
    assert all(d < ANCHOR or d > ANCHOR.replace(year=ANCHOR.year + 1) for d in dues)
