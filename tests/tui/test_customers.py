"""Pilot tests of the Customers screen (issue 16): search per keystroke from the index, the selected customer's
sections from the index and then live, the actions with their confirmation naming the customer, read-only."""

from __future__ import annotations

from hostdeck.tui.dialogs.confirm import ConfirmDialog
from hostdeck.tui.screens.customers import CustomersScreen


async def settle(app, pilot, rounds: int = 3):
    for _ in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()


def detail_text(app) -> str:
    return str(app.screen.query_one("#customer-detail").render())


async def search(app, pilot, text: str) -> None:
    box = app.screen.query_one("#filter")
    box.value = text
    await settle(app, pilot)


async def open_customer(app, pilot, client: dict) -> None:
    """Search by the client's e-mail and open the first match."""
    await search(app, pilot, client["email"])
    app.screen.grid.focus()
    await pilot.press("enter")
    await settle(app, pilot)


async def until(app, pilot, condition, rounds: int = 100) -> None:
    """Settle until `condition` holds (a loaded machine takes more rounds; nothing is timed)."""
    for _ in range(rounds):
        await settle(app, pilot)
        if condition():
            return


async def ask(app, pilot, client: dict, key: str) -> ConfirmDialog:
    """Open the client's view and press an action's key: the confirmation it asks with."""
    await settle(app, pilot)
    await open_customer(app, pilot, client)
    await pilot.press(key)
    await settle(app, pilot)
    assert isinstance(app.screen, ConfirmDialog), [n.message for n in app._notifications]
    return app.screen


def one_active_service_client(whmcs, backend: str | None = None) -> tuple[dict, dict]:
    """A client with exactly one Active service, which bills a simulated server (on `backend`, when given)."""
    by_client: dict[str, list] = {}
    for s in whmcs.services.values():
        by_client.setdefault(s["clientid"], []).append(s)
    for cid, services in sorted(by_client.items(), key=lambda item: int(item[0])):
        active = [s for s in services if s["status"] == "Active"]
        server = whmcs.service_servers.get(int(active[0]["id"])) if len(active) == 1 else None
        if server is not None and backend in (None, server["backend"]):
            return whmcs.clients[int(cid)], active[0]
    raise AssertionError("no such client in the seed")


def link_service(app, service: dict) -> dict:
    """The sync map links the service to the server it bills (as `sync services --accept-all` would); that server."""
    from hostdeck.backends.sync.syncmap import Link
    from hostdeck.backends.sync.syncmap import SyncMap

    server = app.test_sims["billing"].service_servers[int(service["id"])]
    SyncMap(app.workspace.store).write([Link("service", "billing", service["id"], server["backend"],
                                             right_id=str(server["id"]), left_key=service["clientid"],
                                             status="linked")], [])
    return server


async def test_search_answers_from_the_index_and_the_customer_is_refreshed_live(billing_app):
    app = billing_app("customers")
    whmcs = app.test_sims["billing"]
    client, service = one_active_service_client(whmcs)
    whmcs.desk.add_ticket(client, "[bold]my site is down", "Customer-Reply")
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, CustomersScreen)
        assert screen.built is not None                     # the index was missing: built on arrival
        await search(app, pilot, client["email"][:6])
        assert (screen.matches and str(client["id"]) in {cid for _b, cid in screen.matches})
        await search(app, pilot, client["email"])
        first = next(iter(screen.matches.values()))
        assert first.client_id == str(client["id"]) and first.kind == "email"
        screen.grid.focus()
        await pilot.press("enter")
        await settle(app, pilot)
        text = detail_text(app)
        assert client["email"] in text and "live from the APIs" in text
        assert f"#{service['id']}" in text
        assert "[bold]my site is down" in text               # backend text shown as it is, never as markup
        assert "Open tickets (" in text and "Unpaid invoices (" in text


async def test_suspend_through_whmcs_asks_naming_the_customer_and_suspends(billing_app):
    app = billing_app("customers")
    whmcs = app.test_sims["billing"]
    client, service = one_active_service_client(whmcs)
    async with app.run_test(size=(160, 50)) as pilot:
        dialog = await ask(app, pilot, client, "s")
        assert client["lastname"] in dialog.title_text and f"service #{service['id']}" in dialog.target
        assert client["lastname"] in (dialog.customer or "") and f" · client #{client['id']}" in (dialog.customer or "")
        await pilot.click("#cancel")
        await settle(app, pilot)
        assert whmcs.services[int(service["id"])]["status"] == "Active"
        assert any("cancelled" in n.message for n in app._notifications)
        app.clear_notifications()   # the "cancelled" toast could lie over the dialog's buttons
        await pilot.press("s")
        await until(app, pilot, lambda: isinstance(app.screen, ConfirmDialog))
        app.screen.query_one("#confirm").press()
        await until(app, pilot, lambda: whmcs.services[int(service["id"])]["status"] != "Active")
        assert whmcs.services[int(service["id"])]["status"] == "Suspended", [n.message for n in app._notifications]
        assert any("done" in n.message or "success" in n.message.lower() for n in app._notifications)


async def test_reboot_asks_with_the_servers_real_call_and_the_customer_then_reboots(billing_app):
    app = billing_app("customers")
    whmcs = app.test_sims["billing"]
    client, service = one_active_service_client(whmcs, "hz")
    server = link_service(app, service)
    async with app.run_test(size=(160, 50)) as pilot:
        dialog = await ask(app, pilot, client, "b")
        assert "{" not in dialog.call and str(server["id"]) in dialog.call, dialog.call
        assert dialog.customer == f"{client['firstname']} {client['lastname']} · client #{client['id']}"
        assert str(server["id"]) in dialog.target and dialog.backend == server["backend"]
        await pilot.click("#confirm")
        await settle(app, pilot)
        assert any("reboot done" in n.message for n in app._notifications)


async def test_read_only_hides_the_actions_that_change_something(billing_app):
    app = billing_app("customers")
    app.read_only = True
    whmcs = app.test_sims["billing"]
    client, service = one_active_service_client(whmcs)
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        await open_customer(app, pilot, client)
        for key in ("s", "p", "b", "l"):
            await pilot.press(key)
            await settle(app, pilot, 1)
            assert not isinstance(app.screen, ConfirmDialog)
        assert whmcs.services[int(service["id"])]["status"] == "Active"
        assert app.screen.check_action("suspend", ()) is False and app.screen.check_action("open_client", ()) is True


async def test_number_key_seven_and_the_command_line_reach_the_screen(billing_app):
    app = billing_app("sync")
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot, 1)
        await pilot.press("7")
        await settle(app, pilot)
        assert isinstance(app.screen, CustomersScreen)
        from hostdeck.tui.command_line import command_words

        assert command_words(app.MODES)["customers"].target == "customers"


async def test_a_reboot_of_a_server_that_is_off_is_refused_with_the_catalogues_reason(billing_app):
    from hostdeck.tui.screens.customers import CustomersScreen

    app = billing_app("customers")
    whmcs = app.test_sims["billing"]
    client, service = one_active_service_client(whmcs, "hz")
    server = link_service(app, service)
    hz = app.test_sims["hz"]
    hz.servers[int(server["id"])]["status"] = "off"
    async with app.run_test(size=(160, 50)) as pilot:
        await settle(app, pilot)
        await open_customer(app, pilot, client)
        actions_before = len(getattr(hz, "actions", {}))
        await pilot.press("b")
        await until(app, pilot, lambda: any("already off" in n.message for n in app._notifications))
        assert isinstance(app.screen, CustomersScreen)   # nothing was asked
        assert any("already off" in n.message and "nothing was sent" in n.message for n in app._notifications)
        assert len(getattr(hz, "actions", {})) == actions_before
        assert hz.servers[int(server["id"])]["status"] == "off"
