"""Snapshot of the Customers screen (issue 16): a customer found by e-mail, with every section, live."""

from __future__ import annotations

from hostdeck.backends.sync.syncmap import Link
from hostdeck.backends.sync.syncmap import SyncMap

SIZE = (150, 44)


async def settle(pilot, rounds: int = 3) -> None:
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()


def test_customer_found_by_email(snap_compare, billing_app):
    app = billing_app("customers")
    whmcs = app.test_sims["billing"]
    service = next(s for s in whmcs.services.values() if s["status"] == "Suspended" and int(s["id"]) in whmcs.service_servers)
    client = whmcs.clients[int(service["clientid"])]
    whmcs.desk.add_ticket(client, "[bold]my site is down", "Customer-Reply")
    server = whmcs.service_servers[int(service["id"])]
    SyncMap(app.workspace.store).write([Link("service", "billing", service["id"], server["backend"],
                                             right_id=str(server["id"]), left_key=str(client["id"]), status="linked")],
                                       [])

    async def run_before(pilot):
        await settle(pilot)
        box = pilot.app.screen.query_one("#filter")
        box.cursor_blink = False
        box.value = client["email"]
        await settle(pilot)
        pilot.app.screen.grid.focus()
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=SIZE, run_before=run_before)
