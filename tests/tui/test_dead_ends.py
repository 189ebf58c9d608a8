"""No dead ends on the Servers screen: an action that cannot work in the server's state is disabled with the reason,
and an action that runs out of time ends in a message, not a spinner and silence."""

from __future__ import annotations

from hostdeck.backends.models import ServerStatus
from hostdeck.tui.dialogs.action_menu import ActionMenu
from hostdeck.tui.dialogs.confirm import ConfirmDialog

from .settling import settle


def convoy_row(screen, status: ServerStatus):
    return next(s for s in sorted(screen.servers.values(), key=lambda s: s.name)
                if s.backend == "vps" and s.status is status and s.raw.get("status") is None)


async def test_password_reset_on_a_stopped_vm_is_disabled_with_the_reason(convoy_app):
    app = convoy_app()
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        target = convoy_row(screen, ServerStatus.OFF)
        screen.select_server(target.key)
        await pilot.press("a")
        await pilot.pause()
        menu = app.screen
        assert isinstance(menu, ActionMenu)
        reset = next(a for a in menu.actions if a.id == "reset_password")
        assert reset.unavailable and "the server is off" in reset.unavailable and "Power it on first" in reset.unavailable
        menu.dismiss("reset_password")  # even if chosen, nothing is sent
        await settle(app, pilot)
        assert not isinstance(app.screen, ConfirmDialog)
        pve = app.test_sims["pve"]
        assert not any(r["path"].endswith("/agent/set-user-password") for r in pve.request_log)


async def test_a_password_reset_that_times_out_ends_in_a_message(convoy_app):
    app = convoy_app()
    app.workspace.config.backend("pve").timeout = 0.5
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        target = convoy_row(screen, ServerStatus.RUNNING)
        app.test_sims["pve"].faults.add("POST /nodes/*/qemu/*/agent/set-user-password", "hang", delay=3, count=10)
        screen.run_action("reset_password", target)
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.click("#confirm")
        await settle(app, pilot)
        said = [n for n in app._notifications if f"Reset root password on {target.name}" in n.message]
        assert said and said[-1].severity == "error", [n.message for n in app._notifications]
        assert screen.grid.get_row(target.key).cells[2] == "✖ failed"  # the row says it too, no spinner left
        assert app.health["pve"][0] == "failing"
