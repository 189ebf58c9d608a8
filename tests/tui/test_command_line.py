"""Pilot tests of the `:` command line: screens, actions on the selected server, completion, unknown words."""

from __future__ import annotations

from hostdeck.tui.command_line import command_words
from hostdeck.tui.command_line import completions
from hostdeck.tui.command_line import parse
from hostdeck.tui.dialogs.command_line import CommandLine
from hostdeck.tui.dialogs.confirm import ConfirmDialog

from .settling import settle

MODES = ("servers", "catalog", "sync", "sites", "logs", "connections")


def test_words_name_screens_actions_and_short_power_names():
    words = command_words(MODES)
    assert parse(":Sync ", words).kind == "mode"
    assert parse("reboot", words).target == "power_reboot" == parse(":power_reboot", words).target
    assert parse(":delete", words).kind == "action"
    assert parse(":q", words).target == "quit"
    assert parse(":reboo", words) is None
    assert completions(":s", words)[:4] == ["ssh", "sso", "sync", "sites"]


async def _type(app, pilot, text: str) -> None:
    await pilot.press("colon")
    await pilot.pause()
    assert isinstance(app.screen, CommandLine)
    await pilot.press(*text, "enter")
    await settle(app, pilot)


async def _select_running(app, pilot):
    await settle(app, pilot)
    target = next(s for s in app.screen.servers.values() if s.raw_status == "running")
    app.screen.select_server(target.key)
    return target


async def test_a_screen_by_name(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        await _type(app, pilot, "logs")
        assert type(app.screen).__name__ == "LogsScreen"
        await _type(app, pilot, ":servers")
        assert type(app.screen).__name__ == "ServersScreen"


async def test_an_action_runs_on_the_selected_server_from_another_screen(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(140, 40)) as pilot:
        target = await _select_running(app, pilot)
        await pilot.press("2")
        await _type(app, pilot, "reboot")
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        assert target.name in str(dialog.query_one("#dialog-body").render())


async def test_tab_completes_and_an_unknown_word_says_so(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("colon", "c", "a")
        await pilot.pause()
        assert ":catalog" in str(app.screen.query_one("#command-completions").render())
        await pilot.press("tab", "enter")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "CatalogScreen"
        await _type(app, pilot, "frobnicate")
        assert type(app.screen).__name__ == "CatalogScreen"
        assert any("Unknown command :frobnicate" in n.message for n in app._notifications)


async def test_escape_leaves_the_line_without_running_it(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("colon", *"logs", "escape")
        await settle(app, pilot)
        assert type(app.screen).__name__ == "ServersScreen"


async def test_an_action_the_server_cannot_take_says_why(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(140, 40)) as pilot:
        target = await _select_running(app, pilot)
        await _type(app, pilot, "on")
        assert type(app.screen).__name__ == "ServersScreen"
        assert any(n.message.startswith(f"Power on on {target.name}: ") for n in app._notifications)
