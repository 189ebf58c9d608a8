"""Pilot tests of issue 6 in the TUI: service proposals and links, drift, the VPS panel, billing on the Servers screen."""

from __future__ import annotations

from hostdeck.tui.dialogs.action_menu import ActionMenu
from hostdeck.tui.dialogs.bulk_confirm import BulkConfirmDialog
from hostdeck.tui.dialogs.confirm import ConfirmDialog
from hostdeck.tui.screens.servers.screen import ServersScreen
from hostdeck.tui.screens.sync.billing_tabs import DriftPane
from hostdeck.tui.screens.sync.billing_tabs import PanelPane
from hostdeck.tui.screens.sync.billing_tabs import ServicesPane


async def settle(app, pilot, rounds: int = 2):
    for _ in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()


async def accept_all(app, pilot) -> ServicesPane:
    await settle(app, pilot)
    await pilot.press("s")
    await settle(app, pilot)
    pane = app.screen.query_one(ServicesPane)
    assert any(row.cells[3] == "proposed" for row in map(pane.grid.get_row, pane.grid.visible_keys))
    await confirmed(app, pilot)
    return pane


async def confirmed(app, pilot, key: str = "A") -> None:
    """`key` (A: accept all, P: sync to the panel) opens the confirmation with its dry run; Confirm writes it."""
    await pilot.press(key)
    await settle(app, pilot)
    assert isinstance(app.screen, BulkConfirmDialog)
    await pilot.click("#confirm")
    await settle(app, pilot, 3)


async def test_proposals_show_their_evidence_and_accept_all_links_them(billing_app):
    app = billing_app()
    async with app.run_test(size=(160, 44)) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        await settle(app, pilot)
        pane = app.screen.query_one(ServicesPane)
        rows = [pane.grid.get_row(k) for k in pane.grid.visible_keys]
        proposed = [r for r in rows if r.cells[3] == "proposed"]
        assert proposed and all(r.cells[6] for r in proposed)  # every proposal shows its evidence
        assert any("dedicated ip" in r.cells[6] or "server_id" in r.cells[6] for r in proposed)
        await confirmed(app, pilot)
        rows = [pane.grid.get_row(k) for k in pane.grid.visible_keys]
        assert sum(1 for r in rows if r.cells[3] == "linked") >= len([r for r in proposed if int(r.cells[5]) >= 90])
        assert "services linked" in str(pane.query_one(".pane-summary").render())


async def test_drift_tab_lists_what_billing_and_reality_disagree_on(billing_app):
    app = billing_app()
    async with app.run_test(size=(160, 44)) as pilot:
        await accept_all(app, pilot)
        links = app.screen.service_links
        unlinked = links.links()[0]
        await links.unlink(unlinked.service_id)  # its server now has nobody paying for it
        await pilot.press("d")
        await settle(app, pilot)
        pane = app.screen.query_one(DriftPane)
        rows = [pane.grid.get_row(k).cells for k in pane.grid.visible_keys]
        report = await links.drift()
        assert sorted(r[0] for r in rows) == sorted(i.kind for i in report.items)  # the tab shows what the engine finds
        orphans = [r for r in rows if r[0] == "orphan"]
        assert any(r[3].startswith(f"{unlinked.backend}/") for r in orphans)


async def test_panel_tab_syncs_linked_servers_to_the_panel(billing_app):
    app = billing_app()
    async with app.run_test(size=(160, 44)) as pilot:
        await accept_all(app, pilot)
        await pilot.press("v")
        await settle(app, pilot)
        pane = app.screen.query_one(PanelPane)
        before = len(app.test_sims["panel"].records)
        await pilot.press("y")  # dry run first: nothing is sent
        await settle(app, pilot)
        assert len(app.test_sims["panel"].records) == before
        assert "would create" in str(pane.query_one(".pane-summary").render())
        await confirmed(app, pilot, "P")
        assert len(app.test_sims["panel"].records) > before
        assert pane.grid.total_count == len(app.test_sims["panel"].records) - before


async def test_servers_show_who_pays_and_offer_the_billing_route(billing_app):
    app = billing_app()
    async with app.run_test(size=(160, 44)) as pilot:
        await accept_all(app, pilot)
        await pilot.press("1")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ServersScreen)
        billed = [s for s in screen.servers.values() if s.billing_link]
        assert billed and all("#" in s.billing_link for s in billed)
        target = next(s for s in billed if s.backend == "hz" and s.raw_status == "running")
        screen.select_server(target.key)
        await pilot.press("enter")
        await pilot.pause()
        assert "Billing" in str(screen.query_one("#details-body").render())
        await pilot.press("a")
        await pilot.pause()
        menu = app.screen
        assert isinstance(menu, ActionMenu)
        ids = {a.id: a for a in menu.actions}
        assert "billing_suspend" in ids and "keeps billing in step" in ids["billing_suspend"].call
        assert "WHMCS is not told" in ids["suspend"].call
        menu.dismiss("billing_suspend")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        whmcs = app.test_sims["billing"]
        service = whmcs.service_of("hz", target.id)
        client = whmcs.clients[int(service["clientid"])]
        assert dialog.backend == "hz" and target.id in dialog.target          # the backend, the server, the customer
        assert client["lastname"] in (dialog.customer or "") and f" · client #{client['id']}" in (dialog.customer or "")
        await pilot.click("#confirm")
        await settle(app, pilot)
        assert service["status"] == "Suspended"
        assert app.test_sims["hz"].servers[int(target.id)]["status"] == "off"  # the module acted on the server
