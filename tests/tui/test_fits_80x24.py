"""At 80x24, the smallest terminal people use: every dialog's buttons are on the screen whole, however long the
dialog, and the add form's no-keyring answer and its way out are visible as the form opens."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Button

from hostdeck.backends.kinds import kind_named
from hostdeck.tui.dialogs.add_backend import AddBackendDialog
from hostdeck.tui.dialogs.bulk_confirm import BulkConfirmDialog
from hostdeck.tui.dialogs.bulk_summary import BulkSummaryDialog
from hostdeck.tui.dialogs.bulk_summary import TargetOutcome
from hostdeck.tui.dialogs.change_type import ChangeTypeDialog
from hostdeck.tui.dialogs.confirm import ConfirmDialog
from hostdeck.tui.dialogs.image import ImageDialog
from hostdeck.tui.dialogs.iso import IsoDialog
from hostdeck.tui.dialogs.labels import LabelsDialog
from hostdeck.tui.dialogs.protect import ProtectDialog
from hostdeck.tui.dialogs.rdns import RdnsDialog
from hostdeck.tui.dialogs.rebuild import RebuildDialog
from hostdeck.tui.dialogs.rescue import RescueDialog

from .day2_support import CHOICES
from .day2_support import IMAGES
from .day2_support import DialogApp
from .day2_support import server
from .settling import settle

SMALL = (80, 24)


def whole_on_screen(screen: Screen, widget: Widget) -> bool:
    """Drawn in full: nothing of it is clipped by its containers or the screen's edge."""
    geometry = screen.find_widget(widget)
    return geometry.visible_region == geometry.region and geometry.region.bottom <= screen.size.height


def shown_buttons(screen: Screen) -> list[Button]:
    return [b for b in screen.query("#dialog-buttons Button").results(Button) if b.display]


def many_outcomes() -> list[TargetOutcome]:
    return [TargetOutcome("hz", f"web-{i}", "Ana Lima", i % 3 != 0, "done" if i % 3 else "it is locked")
            for i in range(40)]


DIALOGS = {
    "bulk confirm": lambda: BulkConfirmDialog("Push 40 clients to the VPS panel", backend="vps",
                                              counts="40 would create", headers=["email", "name", "change"],
                                              rows=[[f"c{i}@example.com", f"Client {i}", "create"] for i in range(40)]),
    "bulk summary": lambda: BulkSummaryDialog("Reboot: 40 servers", many_outcomes()),
    "rebuild": lambda: RebuildDialog(server(), IMAGES),
    "change type": lambda: ChangeTypeDialog(server(), CHOICES),
    "labels": lambda: LabelsDialog(server()),
    "rescue": lambda: RescueDialog(server(), ["ana@laptop", "ops-2026"]),
    "protect": lambda: ProtectDialog(server(delete_protected=True,
                                            raw={"protection": {"delete": True, "rebuild": False}})),
    "image": lambda: ImageDialog(server()),
    "iso": lambda: IsoDialog(server(), [f"image-{i}.iso" for i in range(30)]),
    "rdns": lambda: RdnsDialog(server(), [("203.0.113.7", "web-7.example.com"), ("2001:db8:7::1", None)]),
    "type the name": lambda: ConfirmDialog("Delete web-7", backend="hz", target="web-7", call="DELETE /servers/4711",
                                           warning="This cannot be undone. " * 8, confirm_label="Delete",
                                           require_text="web-7", customer="Ana Lima · #1200 Active"),
}


@pytest.mark.parametrize("name", DIALOGS)
async def test_the_buttons_of_each_dialog_are_whole_at_80x24(name):
    app = DialogApp(DIALOGS[name]())
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        buttons = shown_buttons(app.screen)
        assert buttons, name
        assert all(whole_on_screen(app.screen, b) for b in buttons), [(b.id, app.screen.find_widget(b).region)
                                                                       for b in buttons]
        assert whole_on_screen(app.screen, app.screen.query_one("#dialog-title"))  # what is asked stays in view


async def test_the_sync_push_confirmation_shows_its_buttons_at_80x24(sync_app):
    app = sync_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        assert isinstance(app.screen, BulkConfirmDialog) and len(app.screen.rows) == 40
        assert [b.id for b in shown_buttons(app.screen)] == ["cancel", "confirm"]
        assert all(whole_on_screen(app.screen, b) for b in shown_buttons(app.screen))
        assert whole_on_screen(app.screen, app.screen.query_one("#dialog-title"))
        assert whole_on_screen(app.screen, app.screen.query_one("#bulk-counts"))


@pytest.mark.parametrize("kind", ["hetzner", "whmcs", "cloudpanel", "vpspanel"])
async def test_the_add_form_buttons_are_whole_at_80x24(kind, memory_keyring):
    app = DialogApp(AddBackendDialog(kind_named(kind), Path("/nonexistent/config.toml")))
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        assert all(whole_on_screen(app.screen, b) for b in shown_buttons(app.screen))
        assert whole_on_screen(app.screen, app.screen.focused)  # the first field, ready for typing


async def test_without_a_keyring_the_opened_form_says_so_and_offers_the_file_at_80x24(no_keyring):
    app = DialogApp(AddBackendDialog(kind_named("hetzner"), Path("/nonexistent/config.toml")))
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        dialog = app.screen
        status = dialog.query_one("#add-status")
        said = str(status.render())
        assert said.startswith("No usable keyring") and "HOSTDECK_SECRET_HZ_TOKEN" in said
        assert "Nothing was saved" not in said  # nothing was tried yet
        assert "could not be stored" in said
        assert dialog.find_widget(status).visible_region.height >= 5  # its start and first ways out are read
        file_button = dialog.query_one("#file-store", Button)
        assert file_button.display and whole_on_screen(dialog, file_button)
        assert whole_on_screen(dialog, dialog.focused)


WELCOME_CONFIG = "/home/ana/.config/hostdeck/config.toml"


async def test_the_welcome_screen_shows_all_seven_kinds_and_the_demo_hint_at_80x24(tmp_path, monkeypatch):
    from textual.widgets import OptionList

    from .onboarding_app import app_without_config

    app = app_without_config(tmp_path, monkeypatch, config_file=WELCOME_CONFIG)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        screen = app.screen
        kinds = screen.query_one(OptionList)
        assert kinds.option_count == 7
        assert whole_on_screen(screen, kinds) and whole_on_screen(screen, screen.query_one("#welcome-demo"))
        assert whole_on_screen(screen, screen.query_one("#welcome-config"))
        await pilot.press(*["down"] * 6)
        assert kinds.get_option_at_index(kinds.highlighted).id == "vpspanel"
        assert whole_on_screen(screen, kinds)


async def test_on_a_shorter_terminal_the_welcome_page_scrolls_to_the_highlighted_kind(tmp_path, monkeypatch):
    from textual.widgets import OptionList

    from .onboarding_app import app_without_config

    app = app_without_config(tmp_path, monkeypatch, config_file=WELCOME_CONFIG)
    async with app.run_test(size=(80, 16)) as pilot:
        await settle(app, pilot)
        kinds = app.screen.query_one(OptionList)
        await pilot.press(*["down"] * 6)
        await pilot.pause()
        assert kinds.get_option_at_index(kinds.highlighted).id == "vpspanel"
        assert whole_on_screen(app.screen, kinds)


def long_menu() -> list:
    from hostdeck.tui.dialogs.action_menu import MenuAction

    actions = [MenuAction(f"act-{i}", f"Action {i}", f"POST /servers/1/actions/act-{i}") for i in range(14)]
    actions += [MenuAction(f"off-{i}", f"Missing {i}", "", unavailable=f"this backend has no act {i}") for i in range(3)]
    return actions


@pytest.mark.parametrize("keys", [("end",), ("G",)])
async def test_end_in_the_action_menu_reaches_the_last_item_and_shows_it_at_80x24(keys):
    from textual.widgets import OptionList

    from hostdeck.tui.dialogs.action_menu import ActionMenu

    app = DialogApp(ActionMenu("web-7 on hz", long_menu()))
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        menu = app.screen.query_one("#action-list", OptionList)
        assert whole_on_screen(app.screen, menu)  # the list scrolls itself: its cursor is never clipped away
        await pilot.press(*keys)
        await pilot.pause()
        assert menu.get_option_at_index(menu.highlighted).id == "act-13"  # the last one that can be chosen
        assert menu.max_scroll_y > 0 and menu.scroll_y == menu.max_scroll_y  # the unavailable ones below are read
        await pilot.press("home")
        await pilot.pause()
        assert menu.highlighted == 0 and menu.scroll_y == 0


async def test_the_servers_action_menu_fits_and_end_reaches_its_end_at_80x24(app_factory):
    from textual.widgets import OptionList

    from hostdeck.tui.dialogs.action_menu import ActionMenu

    app = app_factory(servers=5)
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await pilot.press("a")
        await settle(app, pilot)
        assert isinstance(app.screen, ActionMenu)
        menu = app.screen.query_one("#action-list", OptionList)
        await pilot.press("end")
        await pilot.pause()
        assert whole_on_screen(app.screen, menu) and menu.scroll_y == menu.max_scroll_y
        last_enabled = max(i for i in range(menu.option_count) if not menu.get_option_at_index(i).disabled)
        assert menu.highlighted == last_enabled


def footer_keys(screen: Screen) -> list[tuple[str, str]]:
    from textual.widgets._footer import FooterKey

    return [(k.key_display, k.description) for k in screen.query(FooterKey) if k.region.width]


async def test_the_customers_footer_keeps_keys_and_quit_while_the_search_box_has_focus(billing_app):
    from hostdeck.tui.dialogs.help import HelpScreen
    from hostdeck.tui.screens.customers import CustomersScreen

    app = billing_app("customers")
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, CustomersScreen) and screen.focused.id == "filter"
        shown = footer_keys(screen)
        assert [d for _k, d in shown[:2]] == ["Keys", "Quit"], shown  # keys that work while typing, first
        assert [k for k, _d in shown[:2]] == ["f1", "^q"]
        await pilot.press("q")
        assert screen.query_one("#filter").value == "q"  # typed, as a search
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        await pilot.pause()
        screen.grid.focus()
        await pilot.pause()
        assert footer_keys(screen)[:2] == [("?", "Keys"), ("q", "Quit")]  # off the search box: the usual keys


async def test_the_connection_detail_shows_the_rate_limit_without_python_reprs(app_factory):
    app = app_factory(initial_mode="connections")
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await pilot.press("t")
        await settle(app, pilot)
        assert app.connection_reports["hz"].ok
        detail = str(app.screen.query_one("#connection-detail").render())
        assert "rate_limit: limit=3600, remaining=" in detail
        assert "{" not in detail and "'" not in detail and "True" not in detail and "None" not in detail


@pytest.mark.parametrize("name", ["bulk confirm", "bulk summary"])
async def test_a_bulk_dialog_shows_its_counts_and_scrolls_only_its_list_at_80x24(name):
    app = DialogApp(DIALOGS[name]())
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        assert whole_on_screen(app.screen, app.screen.query_one("#bulk-counts"))
        assert whole_on_screen(app.screen, app.screen.query_one("#bulk-items"))


async def test_the_servers_filter_box_offers_keys_and_quit_while_typing(app_factory):
    from hostdeck.tui.screens.servers.screen import ServersScreen

    app = app_factory()
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ServersScreen)
        await pilot.press("slash")
        await pilot.pause()
        assert screen.focused is screen.filter_box
        assert footer_keys(screen)[:2] == [("f1", "Keys"), ("^q", "Quit")]
        await pilot.press("q")
        assert screen.filter_box.value == "q"  # typed into the filter
        await pilot.press("enter")   # back to the rows
        await pilot.pause()
        assert footer_keys(screen)[:2] == [("?", "Keys"), ("q", "Quit")]
