"""Pilot tests of the app-wide conventions: number keys, palette, help, keymap, themes."""

from __future__ import annotations

import pytest

from hostdeck.tui.dialogs.help import HelpScreen
from hostdeck.tui.screens.servers.screen import ServersScreen


async def settle(app, pilot):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_number_keys_switch_screens(app_factory):
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        seen = []
        for key in "234561":
            await pilot.press(key)
            await pilot.pause(0.1)
            seen.append(type(app.screen).__name__)
        assert seen == ["CatalogScreen", "SyncScreen", "SitesScreen", "LogsScreen", "ConnectionsScreen", "ServersScreen"]


async def test_palette_jumps_to_a_server_by_name(app_factory):
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        target = sorted(screen.servers.values(), key=lambda s: s.name)[-1]
        await pilot.press("2")  # from another screen
        await pilot.press("ctrl+p")
        await pilot.press(*target.name)
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause(0.2)
        assert isinstance(app.screen, ServersScreen)
        assert app.screen.grid.cursor_row_key == target.key


async def test_palette_offers_actions_on_the_selected_server(app_factory):
    from hostdeck.tui.commands import ServerActionsProvider

    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        target = next(s for s in screen.servers.values() if s.raw_status == "running")
        screen.select_server(target.key)
        provider = ServerActionsProvider(screen)
        hits = [hit async for hit in provider.search("reboot")]
        assert hits and target.name in str(hits[0].text)


async def test_help_lists_keys_with_binding_ids(app_factory):
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        ids = {row[2] for row in app.screen.rows}
        assert {"servers.filter", "servers.actions", "servers.refresh", "app.quit"} <= ids


async def test_keymap_from_config_remaps_a_binding(app_factory):
    app = app_factory()
    app.workspace.config.keymap = {"servers.refresh": "f5"}
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        sim = app.test_sims["hz"]
        before = len([r for r in sim.request_log if r["route"] == "GET /servers"])
        await pilot.press("r")  # no longer bound
        await settle(app, pilot)
        assert len([r for r in sim.request_log if r["route"] == "GET /servers"]) == before
        await pilot.press("f5")
        await settle(app, pilot)
        assert len([r for r in sim.request_log if r["route"] == "GET /servers"]) > before


async def test_theme_from_config_and_a_bad_theme_is_explained(app_factory):
    app = app_factory()
    app.workspace.config.general.theme = "nord"
    app._apply_theme("nord")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        assert app.theme == "nord"
    app = app_factory()
    app._apply_theme("no-such-theme")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        assert any("no-such-theme" in n.message and "Fix" in n.message for n in app._notifications)


@pytest.mark.parametrize("width", [80, 160])
async def test_the_keys_screen_shows_each_binding_id_on_screen(app_factory, width):
    from textual.widgets import DataTable

    app = app_factory()
    async with app.run_test(size=(width, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        table = app.screen.query_one("#help-table", DataTable)
        columns = list(table.columns.values())
        assert [str(c.label) for c in columns[:2]] == ["key", "binding id"]
        shown_until = sum(c.get_render_width(table) for c in columns[:2])
        assert table.scroll_x == 0 and shown_until <= table.scrollable_content_region.width
        ids = [table.get_row_at(i)[1] for i in range(table.row_count)]
        assert "servers.filter" in ids and "app.quit" in ids
        assert "[keymap]" in str(app.screen.query_one("#dialog-warning").render())  # text, not markup
