"""Every dialog ends with a word, and the keys people have in their fingers work in the ones that had no test yet:
`:delete` then escape (as tried in tmux), rename, resize and the Convoy create form (arrows between the buttons, Enter
submits a valid form, escape cancels and says so)."""

from __future__ import annotations

from textual.widgets import Input

from hostdeck.tui.dialogs.confirm import ConfirmDialog
from hostdeck.tui.dialogs.create_convoy_server import CreateConvoyServerDialog
from hostdeck.tui.dialogs.resize import RenameDialog
from hostdeck.tui.dialogs.resize import ResizeDialog
from hostdeck.tui.dialogs.secret import SecretDialog

from .settling import settle
from .test_convoy_rows import a_running_convoy_row

CANCELLED = "Cancelled: nothing was changed."


def said(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_colon_delete_then_escape_shows_the_confirmation_then_cancelled(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        target = screen.selected
        await pilot.press("colon", *"delete", "enter")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog) and dialog.require_text == target.name
        assert dialog.focused.id == "confirm-text"  # what is typed goes to the name field
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and CANCELLED in said(app)
        assert target.key in screen.servers
        assert any(s["name"] == target.name for s in app.test_sims["hz"].servers.values())


async def _open(app, pilot, action: str):
    screen = app.screen
    target = a_running_convoy_row(screen)
    screen.select_server(target.key)
    screen.run_action(action, screen.servers[target.key])
    await pilot.pause()
    return screen, target, app.screen


async def test_rename_keys_and_words(convoy_app):
    app = convoy_app()
    async with app.run_test(size=(150, 44)) as pilot:
        await settle(app, pilot)
        screen, target, dialog = await _open(app, pilot, "rename")
        assert isinstance(dialog, RenameDialog)
        dialog.query_one("#cancel").focus()
        await pilot.press("right")
        assert dialog.focused.id == "rename"
        await pilot.press("left")
        assert dialog.focused.id == "cancel"
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and CANCELLED in said(app)

        _, _, dialog = await _open(app, pilot, "rename")
        name = dialog.query_one("#name", Input)
        name.focus()
        await pilot.press("enter")  # nothing changed yet: said, and the dialog stays
        await pilot.pause()
        assert app.screen is dialog and "Nothing changed." in said(app)
        name.value = "renamed by enter"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.screen is screen
        assert screen.servers[target.key].name == "renamed by enter"
        assert any("renamed by enter" in m for m in said(app))


async def test_resize_keys_and_words(convoy_app):
    app = convoy_app()
    async with app.run_test(size=(150, 44)) as pilot:
        await settle(app, pilot)
        screen, target, dialog = await _open(app, pilot, "resize")
        assert isinstance(dialog, ResizeDialog) and dialog.focused.id == "cancel"
        await pilot.press("right")
        assert dialog.focused.id == "resize"
        await pilot.press("right")
        assert dialog.focused.id == "cancel"
        await pilot.press("enter")  # Cancel focused: Enter cancels, and says so
        await pilot.pause()
        assert app.screen is screen and CANCELLED in said(app)

        _, _, dialog = await _open(app, pilot, "resize")
        memory = dialog.query_one("#memory_mb", Input)
        memory.value = str(target.memory_mb * 2)
        memory.focus()
        await pilot.press("enter")  # Enter in a field submits the valid form
        await settle(app, pilot)
        assert app.screen is screen
        assert screen.servers[target.key].memory_mb == target.memory_mb * 2
        assert any(m.startswith("resize: ") for m in said(app))


async def _create_form(app, pilot):
    """`n` on a Convoy row: (the Servers screen, the create form)."""
    await settle(app, pilot)
    screen = app.screen
    screen.select_server(a_running_convoy_row(screen).key)
    await pilot.press("n")
    await settle(app, pilot)
    return screen, app.screen


async def test_convoy_create_keys_and_words(convoy_app):
    app = convoy_app()
    async with app.run_test(size=(150, 44)) as pilot:
        screen, dialog = await _create_form(app, pilot)
        assert isinstance(dialog, CreateConvoyServerDialog) and dialog.focused.id == "name"
        await pilot.press(*"keys box", "enter")  # not valid yet: Enter goes to the first field still missing
        assert app.screen is dialog and dialog.focused.id == "node"
        await pilot.press("escape")  # a closed Select: escape cancels the form
        await pilot.pause()
        assert app.screen is screen and CANCELLED in said(app)

        _, dialog = await _create_form(app, pilot)
        node = dialog.query_one("#node")
        node.value = node._options[1][1]
        await pilot.pause()
        template = dialog.query_one("#template")
        template.value = template._options[1][1]
        dialog.query_one("#name", Input).value = "keys box"
        dialog.query_one("#owner", Input).value = next(iter(app.test_sims["vps"].users.values()))["email"]
        await pilot.pause()
        dialog.query_one("#cancel").focus()
        await pilot.press("right")
        assert dialog.focused.id == "create"  # enabled now: the arrows reach it
        await pilot.press("left")
        assert dialog.focused.id == "cancel"
        dialog.query_one("#name", Input).focus()
        await pilot.press("enter")
        await settle(app, pilot)
        await settle(app, pilot)
        assert isinstance(app.screen, SecretDialog)  # created: its root password, shown once
        assert any(s["name"] == "keys box" for s in app.test_sims["vps"].servers.values())


async def test_the_action_menu_closed_with_escape_says_cancelled(app_factory):
    from hostdeck.tui.dialogs.action_menu import ActionMenu

    app = app_factory(servers=3)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ActionMenu)
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen and said(app) == [CANCELLED]
