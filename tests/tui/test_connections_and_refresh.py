"""Pilot tests: setting a credential from the Connections screen, testing backends, auto-refresh pausing."""

from __future__ import annotations

from hostdeck.tui.dialogs.confirm import ConfirmDialog
from hostdeck.tui.dialogs.credential import CredentialDialog
from hostdeck.tui.screens.connections import ConnectionsScreen


async def settle(app, pilot):
    await pilot.pause()
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_test_all_shows_ok_and_a_failing_backend_says_why(app_factory):
    app = app_factory(backends=("hz", "hz2"), initial_mode="connections")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        app.test_sims["hz2"].faults.add(route="*", kind="status", status=401, code="unauthorized", count=100)
        await pilot.press("T")
        await settle(app, pilot)
        reports = app.connection_reports
        assert reports["hz"].ok and not reports["hz2"].ok
        assert "token was rejected" in reports["hz2"].error and "hostdeck secret set hz2 token" in reports["hz2"].error
        assert app.health["hz2"][0] == "failing" and app.health["hz"][0] == "ok"


async def test_set_a_credential_from_the_screen(app_factory, memory_keyring):
    app = app_factory(initial_mode="connections")
    # the workspace's demo overlay would win over the keyring: this backend has no credential yet
    app.workspace.secrets._overlay.clear()
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ConnectionsScreen)
        await pilot.press("t")
        await settle(app, pilot)
        report = app.connection_reports["hz"]
        assert report.ok is False and "hostdeck secret set hz token" in report.error and report.credential_source == "missing"
        await pilot.press("k")
        await pilot.pause()
        assert isinstance(app.screen, CredentialDialog)
        await pilot.press(*"tui-test-token", "enter")
        await settle(app, pilot)
        assert memory_keyring[("hostdeck", "hz:token")] == "tui-test-token"
        assert app.connection_reports["hz"].ok is True
        assert app.workspace.adapter("hz").credential_source() == "keyring"
        assert "tui-test-token" not in repr([e.as_dict() for e in app.workspace.events.recent()])


async def test_auto_refresh_pauses_while_a_dialog_is_open(app_factory):
    app = app_factory(auto_refresh=True)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        sim = app.test_sims["hz"]
        lists = lambda: len([r for r in sim.request_log if r["route"] == "GET /servers"])  # noqa: E731
        target = next(iter(screen.servers.values()))
        screen.run_action("delete", target)
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDialog)
        before = lists()
        screen._refresh_timer_fired()  # the timer fires while the confirmation is open
        await settle(app, pilot)
        assert lists() == before and screen._timer is not None  # skipped, and re-armed
        await pilot.press("escape")
        await pilot.pause()
        screen._refresh_timer_fired()
        await settle(app, pilot)
        assert lists() > before


async def test_the_test_key_may_send_a_rejected_token_once_and_nothing_else_does(app_factory):
    app = app_factory(initial_mode="connections")
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        sim = app.test_sims["hz"]
        sim.faults.add(route="*", kind="status", status=401, code="unauthorized", count=100)
        sim.request_log.clear()
        await pilot.press("t")
        await settle(app, pilot)
        assert not app.connection_reports["hz"].ok and len(sim.request_log) == 1
        refused = await app.workspace.adapter("hz").test_connection()   # not asked for by the person: guarded
        assert not refused.ok and "rejected" in refused.error and len(sim.request_log) == 1
        await pilot.press("t")
        await settle(app, pilot)
        assert len(sim.request_log) == 2


async def test_opening_connections_does_not_resend_a_credential_rejected_at_start(app_factory):
    """Start (the server list is refused), open Connections: its automatic tests send nothing; the test key may."""
    app = app_factory()
    app.test_sims["hz"].faults.add(route="*", kind="status", status=401, code="unauthorized", count=100)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        sim = app.test_sims["hz"]
        assert len(sim.request_log) == 1                      # the listing's login, refused
        app.poll_servers = True                               # as in a real start: Connections tests on opening
        await pilot.press("6")
        await settle(app, pilot)
        assert isinstance(app.screen, ConnectionsScreen)
        assert "rejected" in app.connection_reports["hz"].error and len(sim.request_log) == 1
        await pilot.press("t")
        await settle(app, pilot)
        assert len(sim.request_log) == 2
