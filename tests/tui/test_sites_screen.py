"""Pilot tests of the Sites screen against the CloudPanel (SSH) and Matomo simulators."""

from __future__ import annotations

from hostdeck.tui.dialogs.action_menu import ActionMenu
from hostdeck.tui.dialogs.confirm import ConfirmDialog
from hostdeck.tui.dialogs.create_site import CreateSiteDialog
from hostdeck.tui.dialogs.secret import SecretDialog
from hostdeck.tui.screens.sites import SitesScreen


async def settle(app, pilot):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def create(app, pilot, domain: str, user: str) -> None:
    await pilot.press("n")
    await pilot.pause()
    assert isinstance(app.screen, CreateSiteDialog)
    await pilot.press(*domain)
    app.screen.query_one("#site-user").value = user
    await pilot.pause()
    await pilot.click("#create")
    await settle(app, pilot)
    await settle(app, pilot)


async def test_create_runs_every_step_and_shows_the_password_once(sites_app):
    app = sites_app()
    async with app.run_test(size=(150, 42)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, SitesScreen)
        await create(app, pilot, "shop.example.com", "hdshop")
        assert isinstance(app.screen, SecretDialog)
        password = app.screen._secret
        assert len(password) >= 16
        await pilot.press("escape")
        await pilot.pause()
        row = screen.grid.get_row("shop.example.com")
        assert row.cells[3:] == ("done", "done", "done", "done")
        assert "shop.example.com" in app.test_sims["web1"].sites
        assert screen.grid.total_count == 1  # the simulator starts with none
        assert str(screen.query_one("#status-line").render()).startswith("1 site on web1 ")
        await pilot.press("t")
        assert any("Tracking code" in n.message for n in app._notifications)
        assert password not in repr([e.as_dict() for e in app.workspace.events.recent()])


async def test_the_domain_is_checked_as_you_type(sites_app):
    app = sites_app()
    async with app.run_test(size=(150, 42)) as pilot:
        await settle(app, pilot)
        await pilot.press("n")
        await pilot.pause()
        dialog = app.screen
        await pilot.press(*"a.com;reboot")
        await pilot.pause()
        assert dialog.query_one("#create").disabled
        assert "domain" in str(dialog.query_one("#domain-problem").render()).lower()
        dialog.query_one("#domain").value = "bücher.example"
        await pilot.pause()
        assert not dialog.query_one("#create").disabled
        assert "xn--bcher-kva.example" in str(dialog.query_one("#domain-problem").render())


async def test_a_failed_certificate_is_retried_from_the_screen(sites_app):
    app = sites_app()
    app.test_sims["web1"].state.dns_unresolved.add("blog.example.org")
    async with app.run_test(size=(150, 42)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await create(app, pilot, "blog.example.org", "hdblog")
        await pilot.press("escape")
        assert screen.grid.get_row("blog.example.org").cells[3:6] == ("failed", "done", "failed")
        app.test_sims["web1"].state.dns_unresolved.clear()
        screen.grid.cursor_row_key = "blog.example.org"
        await pilot.press("r")
        await settle(app, pilot)
        assert screen.grid.get_row("blog.example.org").cells[3:] == ("done", "done", "done", "done")


async def test_reset_a_cloudpanel_users_password(sites_app):
    app = sites_app()
    async with app.run_test(size=(150, 42)) as pilot:
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        menu = app.screen
        assert isinstance(menu, ActionMenu) and menu.actions
        user = menu.actions[0].id
        menu.dismiss(user)
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog) and app.screen.focused.id == "cancel"
        await pilot.click("#confirm")
        await settle(app, pilot)
        assert isinstance(app.screen, SecretDialog)
        password = app.screen._secret
        assert not any(password in c for c in app.test_sims["web1"].commands)


async def test_delete_needs_the_domain_typed(sites_app):
    app = sites_app()
    async with app.run_test(size=(150, 42)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        await create(app, pilot, "gone.example.com", "hdgone")
        await pilot.press("escape")
        screen.grid.cursor_row_key = "gone.example.com"
        await pilot.press("x")
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog) and dialog.query_one("#confirm").disabled
        await pilot.click("#confirm-text")
        await pilot.press(*"gone.example.com", "enter")
        await settle(app, pilot)
        assert "gone.example.com" not in app.test_sims["web1"].sites
        assert screen.grid.get_row("gone.example.com").cells[3] == "deleted"


async def test_a_failed_job_whose_site_was_never_created_is_discarded_without_a_remote_call(sites_app):
    """CloudPanel refuses a second site for the same user: the job fails before anything is made. x offers to
    discard it (not to delete a site), sends nothing, and the domain can be added again with another user."""
    app = sites_app()
    async with app.run_test(size=(150, 42)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        panel = app.test_sims["web1"]
        await create(app, pilot, "one.example.com", "hdsame")
        await pilot.press("escape")
        await create(app, pilot, "two.example.com", "hdsame")
        assert screen.grid.get_row("two.example.com").cells[3:5] == ("failed", "failed")
        assert "two.example.com" not in panel.sites
        screen.grid.cursor_row_key = "two.example.com"
        sent = len(panel.commands)
        await pilot.press("x")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog) and "Discard" in app.screen.title_text
        await pilot.click("#confirm")
        await settle(app, pilot)
        assert len(panel.commands) == sent  # nothing sent
        assert "two.example.com" not in screen.jobs and screen.grid.get_row("two.example.com") is None
        assert any("discarded" in n.message for n in app._notifications)
        await create(app, pilot, "two.example.com", "hdother")
        await pilot.press("escape")
        assert screen.grid.get_row("two.example.com").cells[3:5] == ("done", "done")
