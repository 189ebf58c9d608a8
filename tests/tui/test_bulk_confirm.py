"""Every bulk write in the TUI asks first: Sync `p` and Services `A` show their dry run (counts and each item) and
write only on confirm; cancel changes nothing; read-only refuses before the question."""

from __future__ import annotations

from hostdeck.tui.dialogs.bulk_confirm import BulkConfirmDialog
from hostdeck.tui.screens.sync.billing_tabs import ServicesPane
from hostdeck.tui.screens.sync.screen import SyncScreen


async def settle(app, pilot, rounds: int = 2) -> None:
    for _ in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()


def listed(dialog: BulkConfirmDialog) -> str:
    return str(dialog.query_one("#bulk-list").render())


def said(app, word: str) -> bool:
    return any(word in n.message for n in app._notifications)


async def ask(app, pilot, key: str) -> SyncScreen:
    """The Sync screen, once `key` has been pressed on it and its dry run (if any) is done."""
    await settle(app, pilot)
    screen = app.screen
    assert isinstance(screen, SyncScreen)
    await pilot.press(key)
    await settle(app, pilot)
    return screen


async def test_push_lists_every_client_and_cancel_changes_nothing(sync_app):
    app = sync_app()
    users_before = dict(app.test_sims["vps"].users)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await ask(app, pilot, "p")
        dialog = app.screen
        assert isinstance(dialog, BulkConfirmDialog) and dialog.focused.id == "cancel" and len(dialog.rows) == 40
        text = listed(dialog)
        assert all(c["email"] in text for c in app.test_sims["billing"].clients.values())  # each one is named
        assert "40 would create" in str(dialog.query_one("#bulk-counts").render())
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.screen is screen and said(app, "Cancelled: nothing was changed")
        assert app.test_sims["vps"].users == users_before and screen.engine.map.all_links("client") == []


async def test_confirmed_push_creates_what_was_listed_and_says_done(sync_app):
    app = sync_app(clients=12)
    users_before = len(app.test_sims["vps"].users)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await ask(app, pilot, "p")
        planned = {row[0] for row in app.screen.rows}
        creates = sum(1 for row in app.screen.rows if row[2] == "create")
        await pilot.press("right", "enter")  # arrows move from Cancel to Push
        await settle(app, pilot, 3)
        assert set(screen.links) == planned and len(planned) == 12
        assert len(app.test_sims["vps"].users) == users_before + creates
        assert said(app, "done: ") and said(app, f"{creates} created")


async def test_read_only_refuses_push_before_asking_and_writes_no_row(sync_app):
    app = sync_app(read_only=True)
    users_before = dict(app.test_sims["vps"].users)
    async with app.run_test(size=(150, 40)) as pilot:
        screen = await ask(app, pilot, "p")
        assert app.screen is screen and said(app, "Read-only")  # no question: the answer would not matter
        assert app.test_sims["vps"].users == users_before and screen.engine.map.all_links("client") == []


async def services(app, pilot) -> ServicesPane:
    await settle(app, pilot)
    await pilot.press("s")
    await settle(app, pilot)
    return app.screen.query_one(ServicesPane)


async def test_accept_all_lists_the_links_and_cancel_links_nothing(billing_app):
    app = billing_app()
    async with app.run_test(size=(160, 44)) as pilot:
        pane = await services(app, pilot)
        links = app.screen.service_links
        assert links.links() == []
        await pilot.press("A")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, BulkConfirmDialog)
        confident = [p for p in await links.propose(await links.snapshot()) if p.confident]
        assert confident and {row[0] for row in dialog.rows} == {p.service_id for p in confident}
        text = listed(dialog)
        assert all(p.server_name in text for p in confident)
        await pilot.click("#cancel")
        await settle(app, pilot)
        assert app.screen.query_one(ServicesPane) is pane and said(app, "Cancelled: nothing was changed")
        assert links.links() == []


async def test_confirmed_accept_all_links_what_was_listed(billing_app):
    app = billing_app()
    async with app.run_test(size=(160, 44)) as pilot:
        await services(app, pilot)
        links = app.screen.service_links
        await pilot.press("A")
        await settle(app, pilot)
        planned = {row[0] for row in app.screen.rows if row[4] == "link"}
        await pilot.click("#confirm")
        await settle(app, pilot, 3)
        assert {link.service_id for link in links.links()} == planned
        assert said(app, f"done: {len(planned)} services linked")


async def test_read_only_refuses_accept_all_before_asking(billing_app):
    app = billing_app()
    app.read_only = True
    async with app.run_test(size=(160, 44)) as pilot:
        pane = await services(app, pilot)
        await pilot.press("A")
        await settle(app, pilot)
        assert app.screen.query_one(ServicesPane) is pane and said(app, "Read-only")
        assert app.screen.service_links.links() == []


async def test_panel_sync_lists_the_records_and_cancel_sends_nothing(billing_app):
    app = billing_app()
    async with app.run_test(size=(160, 44)) as pilot:
        await services(app, pilot)
        await app.screen.service_links.accept("all-confident")  # linked servers: the panel sync has work to do
        await pilot.press("v")
        await settle(app, pilot)
        records = dict(app.test_sims["panel"].records)
        await pilot.press("P")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, BulkConfirmDialog) and dialog.rows
        assert {row[4] for row in dialog.rows} <= {"create", "update", "delete", "forget"}
        await pilot.press("escape")
        await settle(app, pilot)
        assert app.test_sims["panel"].records == records and said(app, "Cancelled: nothing was changed")


def test_snapshot_of_the_push_confirmation(snap_compare, sync_app):
    async def run_before(pilot) -> None:
        await settle(pilot.app, pilot)
        await pilot.press("p")
        await settle(pilot.app, pilot)
        pilot.app.clear_notifications()  # their timing varies

    assert snap_compare(sync_app(clients=12), terminal_size=(140, 40), run_before=run_before)
