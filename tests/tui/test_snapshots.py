"""Snapshots of every screen and dialog (pytest-textual-snapshot), on the simulators with fixed data."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

import pytest

from hostdeck.backends.models import Event
from hostdeck.backends.models import EventKind

SIZE = (140, 40)


@pytest.fixture
def fixed_passwords(monkeypatch):
    import hostdeck.backends.sim.hetzner as simmod

    monkeypatch.setattr(simmod, "new_password", lambda length=20: "Xq7-fixed-PASSWORD-42")


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def first_key(app, **attrs):
    screen = app.screen
    return next(s.key for s in sorted(screen.servers.values(), key=lambda s: s.name)
                if all(getattr(s, k) == v for k, v in attrs.items()))


class TestServers:
    def test_table(self, snap_compare, app_factory):
        assert snap_compare(app_factory(), terminal_size=SIZE, run_before=settle)

    def test_filtered(self, snap_compare, app_factory):
        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("slash", *"db-")

        assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)

    def test_details(self, snap_compare, app_factory, monkeypatch):
        import time

        monkeypatch.setattr(time, "time", lambda: 1_764_000_000.0)  # the metrics shown end now: a fixed now

        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("down", "down", "enter")
            await settle(pilot)  # the details pane's metrics and attachments, where the backend has them

        assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)

    def test_read_only_light_theme(self, snap_compare, app_factory):
        app = app_factory(read_only=True)
        app.theme = "textual-light"
        assert snap_compare(app, terminal_size=SIZE, run_before=settle)


class TestDialogs:
    def test_action_menu(self, snap_compare, app_factory):
        async def run_before(pilot):
            await settle(pilot)
            pilot.app.screen.select_server(first_key(pilot.app, raw_status="running"))
            await pilot.press("a")

        assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)

    def test_confirm_delete(self, snap_compare, app_factory):
        async def run_before(pilot):
            await settle(pilot)
            screen = pilot.app.screen
            key = first_key(pilot.app, raw_status="running")
            screen.select_server(key)
            screen.run_action("delete", screen.servers[key])
            await pilot.pause()
            await pilot.click("#confirm-text")
            await pilot.press(*"api")

        assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)

    def test_new_password(self, snap_compare, app_factory, fixed_passwords):
        async def run_before(pilot):
            await settle(pilot)
            screen = pilot.app.screen
            key = first_key(pilot.app, raw_status="running")
            screen.select_server(key)
            screen.run_action("reset_password", screen.servers[key])
            await pilot.pause()
            await pilot.click("#confirm")
            await settle(pilot)

        assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)

    def test_create_server(self, snap_compare, app_factory):
        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("n")
            await settle(pilot)
            await pilot.press(*"web_bad")

        assert snap_compare(app_factory(), terminal_size=(140, 50), run_before=run_before)

    def test_console(self, snap_compare, app_factory, fixed_passwords, monkeypatch):
        import hostdeck.backends.sim.hetzner as simmod

        monkeypatch.setattr(simmod.secrets, "token_urlsafe", lambda n=24: "FIXED-console-token")

        async def run_before(pilot):
            await settle(pilot)
            screen = pilot.app.screen
            key = first_key(pilot.app, raw_status="running")
            screen.run_action("console", screen.servers[key])
            await settle(pilot)

        assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)

    def test_credential(self, snap_compare, app_factory):
        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("k")
            await pilot.pause()
            await pilot.press(*"typed-secret")

        app = app_factory(initial_mode="connections")
        app.workspace.config.backends[0].url = "http://127.0.0.1:8101/v1"  # the simulator's port differs per run
        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)

    def test_help(self, snap_compare, app_factory):
        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("question_mark")

        assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)


class TestScreens:
    def test_catalog(self, snap_compare, app_factory):
        assert snap_compare(app_factory(initial_mode="catalog"), terminal_size=SIZE, run_before=settle)

    def test_catalog_images(self, snap_compare, app_factory):
        async def run_before(pilot):
            await settle(pilot)
            pilot.app.screen.query_one("#catalog-tabs").active = "tab-image"

        assert snap_compare(app_factory(initial_mode="catalog"), terminal_size=SIZE, run_before=run_before)

    def test_logs(self, snap_compare, app_factory):
        app = app_factory(initial_mode="logs")
        base = datetime(2026, 11, 21, 9, 0, 0, tzinfo=UTC)
        for i in range(30):
            app.workspace.events.record(Event(
                backend="hz", kind=EventKind.API, message="list servers", ts=base.replace(second=i), method="GET",
                path=f"/servers?page={i % 5 + 1}&per_page=50&sort=id%3Aasc", status=503 if i == 7 else 200,
                duration_ms=52.0 + i, attempt=1, level="error" if i == 7 else "info"))
        app.workspace.events.record(Event(backend="hz", kind=EventKind.ACTION, message="power reboot: success",
                                          ts=base.replace(second=40), target="4711", actor="support"))
        assert snap_compare(app, terminal_size=SIZE, run_before=settle)

    def test_connections(self, snap_compare, app_factory):
        app = app_factory(backends=("hz", "hz2"), initial_mode="connections")
        for i, adapter in enumerate(app.workspace.adapters.values()):
            adapter.config.url = f"http://127.0.0.1:{8101 + i}/v1"  # the simulators' ports differ per run
        assert snap_compare(app, terminal_size=SIZE, run_before=settle)

    def test_sync_placeholder(self, snap_compare, app_factory):
        assert snap_compare(app_factory(initial_mode="sync"), terminal_size=SIZE, run_before=settle)

    def test_sites_placeholder(self, snap_compare, app_factory):
        assert snap_compare(app_factory(initial_mode="sites"), terminal_size=SIZE, run_before=settle)


class TestConvoy:
    def test_convoy_rows(self, snap_compare, convoy_app):
        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("slash", *"vps")

        assert snap_compare(convoy_app(), terminal_size=SIZE, run_before=run_before)

    def test_convoy_action_menu(self, snap_compare, convoy_app):
        async def run_before(pilot):
            await settle(pilot)
            screen = pilot.app.screen
            key = next(s.key for s in sorted(screen.servers.values(), key=lambda s: s.name)
                       if s.backend == "vps" and s.raw_status == "null")
            screen.select_server(key)
            await pilot.press("a")

        assert snap_compare(convoy_app(), terminal_size=SIZE, run_before=run_before)

    def test_catalog_nodes(self, snap_compare, convoy_app):
        async def run_before(pilot):
            await settle(pilot)
            pilot.app.screen.query_one("#catalog-tabs").active = "tab-node"

        assert snap_compare(convoy_app(initial_mode="catalog"), terminal_size=SIZE, run_before=run_before)


class TestSync:
    def test_sync_after_push_with_drift(self, snap_compare, sync_app):
        async def run_before(pilot):
            await settle(pilot)
            screen = pilot.app.screen
            await pilot.press("p")
            await settle(pilot)
            await pilot.click("#confirm")  # the push asks first
            await settle(pilot)
            await settle(pilot)
            first = screen.links[sorted(screen.links, key=int)[0]]
            await screen.engine.panel.update_user(int(first.right_id), name="Changed On The Panel")
            await pilot.press("C")
            await settle(pilot)
            await settle(pilot)
            screen.grid.cursor_row_key = first.left_id
            await settle(pilot)
            pilot.app.clear_notifications()  # their timing varies
            await pilot.pause()

        # one create at a time: the panel hands out user ids in order, so the snapshot is the same every run
        assert snap_compare(sync_app(concurrency=1), terminal_size=SIZE, run_before=run_before)


class TestSites:
    def test_sites_with_a_failed_certificate(self, snap_compare, sites_app):
        app = sites_app()
        app.test_sims["web1"].state.dns_unresolved.add("blog.example.org")

        async def run_before(pilot):
            from hostdeck.backends.cloudpanel.spec import SiteSpec

            await settle(pilot)
            screen = pilot.app.screen
            await screen.pipeline.start(SiteSpec(domain="shop.example.com", kind="php", site_user="hdshop"))
            await screen.pipeline.start(SiteSpec(domain="blog.example.org", kind="static", site_user="hdblog"))
            screen.load()
            await settle(pilot)
            screen.grid.cursor_row_key = "blog.example.org"
            await settle(pilot)

        assert snap_compare(app, terminal_size=SIZE, run_before=run_before)

    def test_create_site_dialog(self, snap_compare, sites_app):
        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("n")
            await pilot.pause()
            await pilot.press(*"bücher.example")

        assert snap_compare(sites_app(), terminal_size=SIZE, run_before=run_before)


class TestBilling:
    def test_service_proposals(self, snap_compare, billing_app):
        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("s")
            await settle(pilot)
            await settle(pilot)

        assert snap_compare(billing_app(), terminal_size=(150, 40), run_before=run_before)

    def test_drift(self, snap_compare, billing_app):
        async def run_before(pilot):
            await settle(pilot)
            await pilot.press("d")
            await settle(pilot)
            await settle(pilot)

        assert snap_compare(billing_app(), terminal_size=(150, 40), run_before=run_before)


class TestConvoyCreate:
    def test_convoy_create_form(self, snap_compare, convoy_app):
        async def run_before(pilot):
            await settle(pilot)
            screen = pilot.app.screen
            key = next(s.key for s in sorted(screen.servers.values(), key=lambda s: s.name) if s.backend == "vps")
            screen.select_server(key)
            await pilot.press("n")
            await settle(pilot)
            dialog = pilot.app.screen
            node = dialog.query_one("#node")
            node.value = node._options[1][1]
            await pilot.pause()
            dialog.query_one("#name").value = "c-2001 vps"
            await pilot.pause()

        assert snap_compare(convoy_app(), terminal_size=(140, 50), run_before=run_before)
