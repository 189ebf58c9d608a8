"""Convoy rows on the Servers and Catalog screens: live state from Proxmox, routes in the action menu, details."""

from __future__ import annotations

from hostdeck.backends.models import ServerStatus
from hostdeck.tui.dialogs.action_menu import ActionMenu
from hostdeck.tui.dialogs.confirm import ConfirmDialog


async def settle(app, pilot):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def on_a_running_convoy_row(app, pilot):
    """The Servers screen, settled, with the cursor on a running Convoy server: (screen, that server)."""
    await settle(app, pilot)
    screen = app.screen
    target = a_running_convoy_row(screen)
    screen.select_server(target.key)
    return screen, target


def a_running_convoy_row(screen):
    return next(s for s in sorted(screen.servers.values(), key=lambda s: s.name)
                if s.backend == "vps" and s.status is ServerStatus.RUNNING)


async def test_convoy_rows_join_the_table_with_live_state(convoy_app):
    app = convoy_app()
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        backends = {key[0] for key in screen.grid.visible_keys}
        assert backends == {"hz", "vps"}  # the Proxmox backend's VMs are the Convoy servers: not listed twice
        vps = [s for s in screen.servers.values() if s.backend == "vps"]
        assert len(vps) == len(app.test_sims["vps"].servers)
        assert {s.status for s in vps if s.raw_status == "null"} <= {ServerStatus.RUNNING, ServerStatus.OFF}


async def test_action_menu_shows_the_proxmox_route_and_reboot_goes_there(convoy_app):
    app = convoy_app()
    async with app.run_test(size=(150, 40)) as pilot:
        screen, target = await on_a_running_convoy_row(app, pilot)
        await pilot.press("a")
        await pilot.pause()
        menu = app.screen
        assert isinstance(menu, ActionMenu)
        calls = {a.id: a.call for a in menu.actions}
        assert calls["power_reboot"].startswith("via Proxmox (pve): POST /nodes/")
        assert calls["suspend"].startswith("via Convoy: POST /servers/")
        assert "sso" in calls and calls["delete"].startswith("via Convoy")
        menu.dismiss("power_reboot")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        pve = app.test_sims["pve"]
        before = len(pve.request_log)
        await pilot.click("#confirm")
        await settle(app, pilot)
        assert any(r["method"] == "POST" and r["path"].endswith("/status/reboot") for r in pve.request_log[before:])
        assert any("done" in n.message for n in app._notifications)


async def test_detail_pane_has_resources_addresses_and_live_state(convoy_app):
    app = convoy_app()
    async with app.run_test(size=(150, 40)) as pilot:
        screen, target = await on_a_running_convoy_row(app, pilot)
        await pilot.press("enter")
        await pilot.pause()
        text = str(screen.query_one("#details-body").render())
        for words in ("Resources", "Addresses", "Placement", "Live state (Proxmox pve)", "VMID"):
            assert words in text


async def test_catalog_shows_nodes_templates_and_pools(convoy_app):
    app = convoy_app(initial_mode="catalog")
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(app, pilot)
        from textual.widgets import DataTable

        nodes = app.screen.query_one("#table-node", DataTable)
        assert nodes.row_count == len(app.test_sims["vps"].nodes)
        assert "█" in str(nodes.get_row_at(0)[3]) or "░" in str(nodes.get_row_at(0)[3])
        assert app.screen.query_one("#table-template", DataTable).row_count > 0
        assert app.screen.query_one("#table-ip_pool", DataTable).row_count > 0


async def test_create_a_convoy_server_from_the_form(convoy_app):
    from hostdeck.tui.dialogs.create_convoy_server import CreateConvoyServerDialog
    from hostdeck.tui.dialogs.secret import SecretDialog

    app = convoy_app()
    async with app.run_test(size=(150, 44)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        screen.select_server(a_running_convoy_row(screen).key)
        await pilot.press("n")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, CreateConvoyServerDialog)
        node = dialog.query_one("#node")
        node.value = node._options[1][1]  # the first node (index 0 is the prompt)
        await pilot.pause()
        template = dialog.query_one("#template")
        assert len(template._options) > 1  # only that node's templates are offered
        template.value = template._options[1][1]
        dialog.query_one("#name").value = "tui new box"
        dialog.query_one("#hostname").value = "bad host!"
        await pilot.pause()
        assert dialog.query_one("#create").disabled and "hostname" in str(dialog.query_one("#name-problem").render())
        dialog.query_one("#hostname").value = "tui-new-box.example.com"
        owner = next(iter(app.test_sims["vps"].users.values()))["email"]
        dialog.query_one("#owner").value = owner
        await pilot.pause()
        assert not dialog.query_one("#create").disabled
        await pilot.click("#create")
        await settle(app, pilot, )
        await settle(app, pilot)
        assert isinstance(app.screen, SecretDialog)  # the new server's root password, shown once
        assert any(s["name"] == "tui new box" for s in app.test_sims["vps"].servers.values())
        assert any(s.name == "tui new box" for s in screen.servers.values())


async def test_resize_and_rename_from_the_action_menu(convoy_app):
    from hostdeck.tui.dialogs.resize import RenameDialog
    from hostdeck.tui.dialogs.resize import ResizeDialog

    app = convoy_app()
    async with app.run_test(size=(150, 44)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        target = a_running_convoy_row(screen)
        addresses = list(app.test_sims["vps"].server_json(target.id)["limits"]["addresses"]["ipv4"])
        screen.select_server(target.key)
        await pilot.press("a")
        await pilot.pause()
        calls = {a.id: a.call for a in app.screen.actions}
        assert "settings/build" in calls["resize"] and calls["rename"].startswith("via Convoy: PATCH")
        app.screen.dismiss("resize")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ResizeDialog) and dialog.focused.id == "cancel"
        dialog.query_one("#memory_mb").value = str(target.memory_mb * 2)
        await pilot.click("#resize")
        await settle(app, pilot)
        assert screen.servers[target.key].memory_mb == target.memory_mb * 2
        assert app.test_sims["vps"].server_json(target.id)["limits"]["addresses"]["ipv4"] == addresses
        screen.run_action("rename", screen.servers[target.key])
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, RenameDialog)
        dialog.query_one("#name").value = "x" * 41
        await pilot.pause()
        assert dialog.query_one("#rename").disabled
        dialog.query_one("#name").value = "renamed in tui"
        await pilot.pause()
        await pilot.click("#rename")
        await settle(app, pilot)
        assert screen.servers[target.key].name == "renamed in tui"
