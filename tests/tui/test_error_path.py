"""The one error path, end to end: a refused action against the Hetzner simulator's read-only token says so on screen,
in the event log (and so on the Logs screen) and in the header's health."""

from __future__ import annotations

from hostdeck.backends.config import BackendConfig
from hostdeck.backends.config import Config
from hostdeck.backends.config import GeneralConfig
from hostdeck.backends.secrets import Secrets
from hostdeck.backends.workspace import Workspace
from hostdeck.tui.app import HostdeckApp
from hostdeck.tui.dialogs.action_menu import ActionMenu
from hostdeck.tui.dialogs.confirm import ConfirmDialog
from hostdeck.tui.screens.servers.screen import ServersScreen

from .settling import settle

READONLY = "tui-readonly-token"


def readonly_app(tmp_path, sims) -> HostdeckApp:
    sim = sims(servers=12, readonly_token=READONLY)
    config = Config(path=None, general=GeneralConfig())
    config.backends.append(BackendConfig(name="hz", kind="hetzner", url=sim.base_url,
                                         options={"action_poll_seconds": 0.05}))
    workspace = Workspace(config, Secrets(overlay={("hz", "token"): READONLY}), data_dir=tmp_path)
    return HostdeckApp(workspace, initial_mode="servers", auto_refresh=False)



def toasts(app) -> list[str]:
    return [n.message for n in app._notifications]


async def confirm(app, pilot) -> None:
    dialog = app.screen
    assert isinstance(dialog, ConfirmDialog) and dialog.focused.id == "cancel"
    await pilot.click("#confirm")
    await settle(app, pilot)


async def test_reboot_from_the_palette_with_a_read_only_token_is_refused_in_place(tmp_path, sims):
    app = readonly_app(tmp_path, sims)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, ServersScreen)
        assert app.health["hz"][0] == "ok"  # the list worked: a read-only token may read
        target = next(s for s in screen.servers.values() if s.raw_status == "running")
        screen.select_server(target.key)
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*f"Reboot (ACPI): {target.name}")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        await confirm(app, pilot)

        expected = f"hz refused Reboot (ACPI) on {target.name}: the API token may not do this (403 forbidden)"
        said = [t for t in toasts(app) if t.startswith(expected)]
        assert said and "create a Read & Write token" in said[0], toasts(app)
        assert [n.severity for n in app._notifications if n.message == said[0]] == ["error"]
        # on its row, in the log and in the header
        assert screen.grid.get_row(target.key).cells[2] == "✖ refused"
        logged = [e for e in app.workspace.events.recent() if e.level == "error" and e.message == said[0]]
        assert logged and logged[0].backend == "hz" and logged[0].detail["category"] == "permission"
        assert app.health["hz"][0] == "degraded"
        topbar = screen.query_one("TopBar")
        assert "◐ hz" in str(topbar.render()) and "read-only" in str(topbar.tooltip)  # hovering says why

        await pilot.press("5")  # the Logs screen shows the refusal
        await pilot.pause(0.7)
        logs = app.screen
        rows = [logs.grid.get_row(k).cells for k in logs.grid.visible_keys]
        assert any(cells[8] == said[0] for cells in rows)


async def test_power_off_from_the_action_menu_is_refused_and_the_app_keeps_working(tmp_path, sims):
    app = readonly_app(tmp_path, sims)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        target = next(s for s in screen.servers.values() if s.raw_status == "running")
        screen.select_server(target.key)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, ActionMenu)
        app.screen.dismiss("power_off")
        await pilot.pause()
        await confirm(app, pilot)
        assert any(t.startswith(f"hz refused Power off (cut power) on {target.name}:") for t in toasts(app)), toasts(app)
        await pilot.press("r")  # reads still work and bring the header back to ok
        await settle(app, pilot)
        assert app.health["hz"][0] == "ok"
