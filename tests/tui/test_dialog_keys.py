"""Pilot tests of the keys people already have in their fingers: dialog buttons, Enter, escape, vi's j/k/g/G, the
catalog's tab keys and a footer that keeps `?` and `q` at 80 columns (the delete dialog's field: test_servers_flows)."""

from __future__ import annotations

from textual.widgets import Button
from textual.widgets import Select
from textual.widgets._footer import FooterKey

from hostdeck.tui.dialogs.confirm import ConfirmDialog
from hostdeck.tui.dialogs.create_server import CreateServerDialog
from hostdeck.tui.widgets.footer import KeysFooter

from .settling import settle


async def _confirm_reset(app, pilot) -> ConfirmDialog:
    """The Servers screen's password reset on a running server: a plain confirmation, Cancel focused."""
    await settle(app, pilot)
    screen = app.screen
    target = next(s for s in screen.servers.values() if s.raw_status == "running")
    screen.select_server(target.key)
    screen.run_action("reset_password", target)
    await pilot.pause()
    assert isinstance(app.screen, ConfirmDialog)
    return app.screen


async def test_left_and_right_move_between_the_dialog_buttons(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(140, 40)) as pilot:
        dialog = await _confirm_reset(app, pilot)
        assert dialog.focused.id == "cancel"
        await pilot.press("right")
        assert dialog.focused.id == "confirm"
        await pilot.press("right")  # round again
        assert dialog.focused.id == "cancel"
        await pilot.press("left")
        assert dialog.focused.id == "confirm"
        await pilot.press("tab")
        assert dialog.focused.id == "cancel"
        assert app.screen is dialog  # moving is not answering


async def test_escape_cancels_a_dialog_and_says_so(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(140, 40)) as pilot:
        dialog = await _confirm_reset(app, pilot)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is not dialog
        assert any("Cancelled" in n.message for n in app._notifications)


async def test_enter_goes_to_the_first_empty_field_then_submits_the_valid_form(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(140, 50)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await pilot.press("n")
        await settle(app, pilot)
        form = app.screen
        assert isinstance(form, CreateServerDialog) and form.focused.id == "name"
        await pilot.press(*"keys-01", "enter")
        assert form.focused.id == "type" and app.screen is form  # fsn1 is the default location; no type yet
        for field in ("type", "image"):
            select = form.query_one(f"#{field}", Select)
            select.value = next(value for _, value in select._options if value is not Select.NULL)
            await pilot.pause()
        form.query_one("#name").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is not form
        assert any(s.name == "keys-01" for s in screen.servers.values())


async def test_j_k_g_and_G_move_the_grid_cursor(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        grid = app.screen.grid
        await pilot.press("g")
        assert grid.cursor_index == 0
        await pilot.press("j", "j")
        assert grid.cursor_index == 2
        await pilot.press("k")
        assert grid.cursor_index == 1
        await pilot.press("G")
        assert grid.cursor_index == grid.match_count - 1


async def test_escape_closes_the_details_pane_after_the_filter(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await pilot.press("d", "slash", "w")
        await pilot.pause()
        await pilot.press("escape")
        assert screen.details_shown and screen.grid.filter_text == ""
        await pilot.press("escape")
        assert not screen.details_shown


async def test_the_catalog_tabs_have_keys(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.press("2")
        await settle(app, pilot)
        tabs = app.screen.query_one("#catalog-tabs")
        await pilot.press("i")
        assert tabs.active == "tab-image"
        await pilot.press("left_square_bracket")
        assert tabs.active == "tab-location"
        await pilot.press("right_square_bracket", "right_square_bracket")  # Hetzner has no nodes: round to the first
        assert tabs.active == "tab-server_type"
        await pilot.press("n")
        await pilot.pause()
        assert tabs.active == "tab-server_type"
        assert any("No configured backend has nodes" in n.message for n in app._notifications)


async def test_the_footer_keeps_help_and_quit_at_80_columns(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.pause(0.6)  # the Servers screen mounts its footer after the first rows
        for mode in ("1", "2", "4", "5"):
            await pilot.press(mode)
            await settle(app, pilot)
            keys = {key.action: key for key in app.screen.query_one(KeysFooter).query(FooterKey)}
            for action in ("help", "quit"):
                region = keys[action].region
                assert region.width > 0 and region.right <= 80, (mode, action, region)


async def test_enter_on_a_form_button_row_does_not_skip_the_check(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(140, 40)) as pilot:
        dialog = await _confirm_reset(app, pilot)
        assert isinstance(dialog.query_one("#cancel"), Button)
        await pilot.press("enter")  # Cancel is focused: Enter cancels, and says so
        await pilot.pause()
        assert app.screen is not dialog
        assert any("Cancelled" in n.message for n in app._notifications)
