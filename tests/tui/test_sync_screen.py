"""Pilot tests of the Sync screen against the WHMCS and Convoy simulators."""

from __future__ import annotations

from hostdeck.tui.dialogs.bulk_confirm import BulkConfirmDialog
from hostdeck.tui.dialogs.confirm import ConfirmDialog
from hostdeck.tui.screens.sync.screen import SyncScreen


async def settle(app, pilot):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


def panel_emails(app) -> list[str]:
    return [u["email"].lower() for u in app.test_sims["vps"].users.values()]


async def confirmed(app, pilot, key: str) -> None:
    """`key` opens the bulk confirmation (after its dry run); Confirm starts the write."""
    await pilot.press(key)
    for _ in range(5):  # the dry run of 400 clients over a slow link may need more than one round
        await settle(app, pilot)
        if isinstance(app.screen, BulkConfirmDialog):
            break
    assert isinstance(app.screen, BulkConfirmDialog), [n.message for n in app._notifications]
    await pilot.click("#confirm")
    await pilot.pause()


async def pushed(app, pilot) -> None:
    """`p` (push every client), confirmed, and the run settled: the rows are painted from its outcomes."""
    await confirmed(app, pilot, "p")
    await settle(app, pilot)
    await settle(app, pilot)


async def test_push_fills_the_map_and_the_stats(sync_app):
    app = sync_app()
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SyncScreen) and screen.grid.total_count == 0
        await pushed(app, pilot)
        assert screen.grid.total_count == 40
        assert {screen.grid.get_row(k).cells[3] for k in screen.grid.visible_keys} == {"synced"}
        assert "40 synced" in str(screen.query_one("#sync-stats").render()).replace("[b]", "")
        emails = panel_emails(app)
        assert len(emails) == len(set(emails))


async def test_check_shows_drift_side_by_side(sync_app):
    app = sync_app()
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await pushed(app, pilot)
        link = next(iter(screen.links.values()))
        await screen.engine.panel.update_user(int(link.right_id), name="Changed Behind Our Back")
        await pilot.press("C")
        await settle(app, pilot)
        await settle(app, pilot)
        row = screen.grid.get_row(link.left_id)
        assert row.cells[3] == "drifted" and "Changed Behind Our Back" in row.cells[5]
        screen.grid.cursor_row_key = link.left_id
        await settle(app, pilot)
        detail = str(screen.query_one("#sync-detail").render())
        assert "Drift" in detail and "Changed Behind Our Back" in detail and "WHMCS client" in detail


async def test_unlink_asks_and_touches_neither_side(sync_app):
    app = sync_app()
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await pushed(app, pilot)
        users_before = len(app.test_sims["vps"].users)
        key = screen.grid.cursor_row_key
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog) and app.screen.focused.id == "cancel"
        await pilot.click("#confirm")
        await settle(app, pilot)
        await settle(app, pilot)
        assert key not in screen.links and screen.grid.total_count == 39
        assert len(app.test_sims["vps"].users) == users_before


async def test_a_cancelled_push_is_finished_by_the_next(sync_app):
    app = sync_app(clients=400, latency_ms=30)
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        panel = app.test_sims["vps"]
        panel.latency_ms = 400   # each panel user takes long enough that the push is surely under way when c comes
        await confirmed(app, pilot, "p")
        for _ in range(200):  # the push under way, whatever the machine's speed
            if screen._run_worker is not None and screen._run_worker.is_running:
                break
            await pilot.pause(0.05)
        await pilot.press("c")
        panel.latency_ms = 30
        await settle(app, pilot)
        assert any("cancelled" in n.message.lower() for n in app._notifications), [n.message for n in app._notifications]
        synced = sum(1 for k in screen.grid.visible_keys if screen.grid.get_row(k).cells[3] == "synced")
        assert synced < 400  # it really stopped part-way
        await pushed(app, pilot)
        assert screen.grid.total_count == 400
        assert {screen.grid.get_row(k).cells[3] for k in screen.grid.visible_keys} == {"synced"}
        emails = panel_emails(app)
        assert len(emails) == len(set(emails))


async def test_read_only_refuses_push(sync_app):
    app = sync_app(read_only=True)
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(app, pilot)
        users_before = len(app.test_sims["vps"].users)
        await pilot.press("p")
        await settle(app, pilot)
        assert len(app.test_sims["vps"].users) == users_before
        assert any("Read-only" in n.message for n in app._notifications)
