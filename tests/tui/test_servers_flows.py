"""Pilot tests of the flows on the Servers screen, against the simulators."""

from __future__ import annotations

import pytest

from hostdeck.backends.contract import PowerAction
from hostdeck.backends.errors import ReadOnlyError
from hostdeck.tui.dialogs.action_menu import ActionMenu
from hostdeck.tui.dialogs.confirm import ConfirmDialog
from hostdeck.tui.dialogs.secret import SecretDialog
from hostdeck.tui.screens.servers.screen import ServersScreen


async def loaded(app, pilot) -> ServersScreen:
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ServersScreen)
    return screen


async def test_filter_and_inverse_filter(app_factory):
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await loaded(app, pilot)
        grid = screen.grid
        assert grid.total_count == 120
        names = [s.name for s in screen.servers.values()]
        expected = sum(1 for n in names if "web-" in n)
        assert 0 < expected < 120
        await pilot.press("slash", *"web-")
        await pilot.pause()
        assert grid.match_count == expected
        assert all(screen.servers[k].name.startswith("web-") or "web-" in screen.servers[k].name for k in grid.visible_keys)
        await pilot.press("home")
        for _ in "web-":
            await pilot.press("delete")
        screen.query_one("#filter").value = "!web-"
        await pilot.pause()
        assert grid.match_count == 120 - expected
        assert not any("web-" in screen.servers[k].name for k in grid.visible_keys)
        assert "of 120 servers" in str(screen.query_one("#status-line").render())
        await pilot.press("escape")
        await pilot.pause()
        assert grid.match_count == 120 and grid.filter_text == ""


async def test_sort_by_column_and_reverse(app_factory):
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await loaded(app, pilot)
        grid = screen.grid
        await pilot.press("s")  # from name to status
        await pilot.pause()
        statuses = [screen.servers[k].status.value for k in grid.visible_keys]
        assert statuses == sorted(statuses)
        await pilot.press("S")
        await pilot.pause()
        statuses = [screen.servers[k].status.value for k in grid.visible_keys]
        assert statuses == sorted(statuses, reverse=True)


async def test_reset_password_shows_the_simulators_new_password(app_factory, monkeypatch):
    import hostdeck.backends.sim.hetzner as simmod

    issued = []
    original = simmod.new_password

    def recording(length: int = 20) -> str:
        issued.append(original(length))
        return issued[-1]

    monkeypatch.setattr(simmod, "new_password", recording)
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await loaded(app, pilot)
        target = next(s for s in screen.servers.values() if s.raw_status == "running")
        screen.select_server(target.key)
        await pilot.press("a")
        await pilot.pause()
        menu = app.screen
        assert isinstance(menu, ActionMenu)
        menu.dismiss("reset_password")
        await pilot.pause()
        confirm = app.screen
        assert isinstance(confirm, ConfirmDialog) and confirm.focused.id == "cancel"
        assert target.name in str(confirm.query_one("#dialog-body").render())
        await pilot.click("#confirm")
        await app.workers.wait_for_complete()
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, SecretDialog)
        assert issued and str(dialog.query_one("#secret-value").render()) == issued[-1]
        events = repr([e.as_dict() for e in app.workspace.events.recent()])
        assert issued[-1] not in events


async def test_delete_refuses_until_the_name_is_typed(app_factory):
    app = app_factory()
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await loaded(app, pilot)
        target = next(s for s in screen.servers.values() if not s.delete_protected)
        screen.select_server(target.key)
        screen.run_action("delete", target)
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        confirm = dialog.query_one("#confirm")
        assert confirm.disabled
        field = dialog.query_one("#confirm-text")
        assert dialog.focused is field and field.placeholder == ""  # typed at once; nothing grey that looks typed
        await pilot.press(*target.name[:-1])
        await pilot.press("enter")  # a wrong name does nothing
        await pilot.pause()
        assert app.screen is dialog and confirm.disabled
        await pilot.press(target.name[-1])
        await pilot.pause()
        assert not confirm.disabled
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert target.key not in screen.servers
        assert target.key not in screen.grid.visible_keys


async def test_read_only_hides_mutations_and_the_adapter_refuses_them(app_factory):
    app = app_factory(read_only=True)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await loaded(app, pilot)
        assert "READ-ONLY" in str(screen.query_one("TopBar").render())
        target = next(iter(screen.servers.values()))
        screen.select_server(target.key)
        await pilot.press("a")
        await pilot.pause()
        menu = app.screen
        ids = [a.id for a in menu.actions]
        assert ids == ["metrics", "ssh", "copy_ip", "copy_id"]  # reads and local actions only
        await pilot.press("escape")
        adapter = app.workspace.adapter("hz")
        with pytest.raises(ReadOnlyError):
            await adapter.power(target.id, PowerAction.OFF)


async def test_a_failing_backend_degrades_its_rows_and_the_rest_keep_working(app_factory):
    app = app_factory(backends=("hz", "hz2"), servers=60)
    async with app.run_test(size=(140, 40)) as pilot:
        screen = await loaded(app, pilot)
        assert screen.grid.total_count == 120
        # the second backend starts failing mid-session
        app.test_sims["hz2"].faults.add(route="*", kind="status", status=503, count=1000)
        await pilot.press("r")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.health["hz2"][0] == "failing" and app.health["hz"][0] == "ok"
        assert screen.grid.total_count == 120  # its rows stay, marked stale
        stale = [k for k in screen.grid.visible_keys if screen.grid.get_row(k).row_style == "dim"]
        assert len(stale) == 60 and all(k[0] == "hz2" for k in stale)
        assert "hz2 unreachable: " in str(screen.query_one("#status-line").render())
        assert any("hz2" in (n.title or "") for n in app._notifications)
        # and hz still works: an action goes through
        target = next(s for s in screen.servers.values() if s.backend == "hz" and s.raw_status == "running")
        await app.workspace.adapter("hz").power(target.id, PowerAction.REBOOT)



async def test_a_hard_reset_is_offered_only_to_a_server_that_is_not_off(app_factory):
    from hostdeck.backends.models import ServerStatus
    from hostdeck.tui.screens.server_actions import build_menu

    app = app_factory(servers=30)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        screen = app.servers_screen
        adapter = app.workspace.adapter("hz")
        menus = {s.status: build_menu(adapter, s, read_only=False) for s in screen.servers.values()}
        assert {ServerStatus.OFF, ServerStatus.RUNNING} <= set(menus)
        reset = {status: next(a for a in items if a.id == "power_reset") for status, items in menus.items()}
        assert "use Power on" in reset[ServerStatus.OFF].unavailable
        assert reset[ServerStatus.RUNNING].unavailable is None
