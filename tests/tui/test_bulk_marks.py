"""Bulk actions on marked rows, against the Hetzner simulator: marks, one confirmation listing every target,
progress per row, and a summary naming what failed and why (a partial failure)."""

from __future__ import annotations

from hostdeck.tui.dialogs.action_menu import ActionMenu
from hostdeck.tui.dialogs.bulk_confirm import BulkConfirmDialog
from hostdeck.tui.dialogs.bulk_summary import BulkSummaryDialog

from .settling import settle


def status_line(screen) -> str:
    return str(screen.query_one("#status-line").render())


async def mark(pilot, screen, server) -> None:
    screen.select_server(server.key)
    await pilot.press("space")
    await pilot.pause()


async def test_power_on_for_marked_servers_with_a_partial_failure(app_factory):
    app = app_factory(servers=60)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        sim = app.test_sims["hz"]
        by_name = sorted(screen.servers.values(), key=lambda s: s.name)
        off = [s for s in by_name if s.raw_status == "off"][:2]
        running = next(s for s in by_name if s.raw_status == "running")
        assert len(off) == 2
        works, breaks = off
        for server in (works, breaks, running):
            await mark(pilot, screen, server)
        assert screen.marks == {works.key, breaks.key, running.key}
        assert "3 marked" in status_line(screen)
        assert screen.grid.get_row(works.key).cells[0].startswith("● ")
        sim.fail_next_action(int(breaks.id))

        await pilot.press("a")
        await pilot.pause()
        menu = app.screen
        assert isinstance(menu, ActionMenu) and "3 marked servers" in menu.title_text
        power_on = next(a for a in menu.actions if a.id == "power_on")
        assert power_on.unavailable is None and power_on.call == "on 2 of 3 marked servers"
        assert not any(a.id in ("delete", "reset_password", "rename") for a in menu.actions)  # never in bulk
        menu.dismiss("power_on")
        await pilot.pause()

        confirm = app.screen
        assert isinstance(confirm, BulkConfirmDialog) and confirm.focused.id == "cancel"
        listed = str(confirm.query_one("#bulk-list").render())
        for server in (works, breaks, running):
            assert server.name in listed
        assert "skipped: already running" in listed
        await pilot.click("#confirm")
        await settle(app, pilot)

        summary = app.screen
        assert isinstance(summary, BulkSummaryDialog)
        outcomes = {o.server: o for o in summary.outcomes}
        assert outcomes[works.name].ok
        assert not outcomes[running.name].ok and outcomes[running.name].detail == "skipped: already running"
        assert not outcomes[breaks.name].ok and outcomes[breaks.name].detail  # the API's reason
        shown = str(summary.query_one("#bulk-list").render())
        assert "Failed (2)" in shown and "Succeeded (1)" in shown and outcomes[breaks.name].detail[:30] in shown
        assert summary.counts == "1 succeeded, 2 failed"

        sim.advance()
        assert sim.servers[int(works.id)]["status"] == "running"
        assert sim.servers[int(breaks.id)]["status"] == "off"
        assert screen.marks == {breaks.key, running.key}  # what failed stays marked for another try
        assert screen.grid.get_row(breaks.key).cells[2].startswith("✖")
        failures = [e for e in app.workspace.events.recent() if e.level == "error"]
        assert any(breaks.name in e.message for e in failures)  # through the one error path as well

        await pilot.press("escape")  # closes the summary
        await pilot.pause()
        await pilot.press("escape")  # clears the marks
        await pilot.pause()
        assert not screen.marks and "marked" not in status_line(screen)


async def test_star_marks_every_row_shown_and_cancel_changes_nothing(app_factory):
    app = app_factory(servers=24)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await pilot.press("slash", *"web-", "enter")
        await pilot.pause()
        shown = set(screen.grid.visible_keys)
        assert 0 < len(shown) < 24
        await pilot.press("asterisk")
        await pilot.pause()
        assert screen.marks == shown
        statuses = {k: s.raw_status for k, s in screen.servers.items()}
        await pilot.press("a")
        await pilot.pause()
        app.screen.dismiss("power_off")
        await pilot.pause()
        assert isinstance(app.screen, BulkConfirmDialog)
        await pilot.press("escape")
        await settle(app, pilot)
        assert {k: s.raw_status for k, s in screen.servers.items()} == statuses
        assert screen.marks == shown  # cancelled: the marks stay
        await pilot.press("asterisk")  # all shown are marked: * unmarks them
        await pilot.pause()
        assert not screen.marks


async def test_read_only_marks_offer_no_bulk_action_and_say_so(app_factory):
    app = app_factory(servers=12, read_only=True)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await pilot.press("space", "space")
        await pilot.pause()
        assert len(screen.marks) == 2
        await pilot.press("a")
        await pilot.pause()
        assert app.screen is screen
        assert any("read-only" in n.message for n in app._notifications)
