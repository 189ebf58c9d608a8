"""The Catalog, Sync (clients and services) and Sites screens paint what the store kept from the last visit at once,
marked as cached, while they load; then the loaded rows replace them. The backends are held back (the app's
`prepare` step waits on a gate) so the cached paint is seen before any load can answer."""

from __future__ import annotations

import threading

from textual.widgets import DataTable

from hostdeck.tui.screens.catalog import CatalogScreen
from hostdeck.tui.screens.sites import SitesScreen
from hostdeck.tui.screens.sync.billing_tabs import ServicesPane
from hostdeck.tui.screens.sync.screen import SyncScreen

from .test_sites_screen import create


async def settle(app, pilot, rounds: int = 2) -> None:
    for _ in range(rounds):
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()


def gated(app):
    """Hold the backends back: every screen's loader waits for `backends_ready` until the gate opens."""
    gate = threading.Event()
    app._prepare = gate.wait
    return gate


def text(widget) -> str:
    return str(widget.render())


async def test_catalog_paints_the_cached_catalog_before_loading(app_factory):
    first = app_factory(initial_mode="catalog")
    async with first.run_test(size=(140, 40)) as pilot:
        await settle(first, pilot)
        live_rows = first.screen.query_one("#table-server_type", DataTable).row_count
    assert live_rows > 0

    app = app_factory(initial_mode="catalog")
    gate = gated(app)
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, CatalogScreen)
            assert screen.query_one("#table-server_type", DataTable).row_count == live_rows
            assert "cache" in text(screen.query_one("#catalog-source")) and "from the store, loading" in text(
                screen.query_one("#catalog-source"))
            gate.set()
            await settle(app, pilot)
            assert "from the store, loading" not in text(screen.query_one("#catalog-source"))
            assert screen.query_one("#table-server_type", DataTable).row_count == live_rows
    finally:
        gate.set()


async def test_sync_clients_and_services_paint_cached_rows_before_loading(billing_app):
    first = billing_app()
    async with first.run_test(size=(150, 42)) as pilot:
        await settle(first, pilot)
        await pilot.press("p")  # push: links every client, once confirmed
        await settle(first, pilot)
        await pilot.click("#confirm")
        await settle(first, pilot)
        clients = first.screen.grid.total_count
        await pilot.press("s")
        await settle(first, pilot)
        services = first.screen.query_one(ServicesPane).grid.total_count
    assert clients > 0 and services > 0

    app = billing_app()
    gate = gated(app)
    try:
        async with app.run_test(size=(150, 42)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SyncScreen)
            assert screen.grid.total_count == clients
            assert "cached just now · loading the sync map" in text(screen.query_one("#sync-stats"))
            pane = screen.query_one(ServicesPane)
            assert pane.grid.total_count == services
            assert "cached just now · loading services" in text(pane.query_one(".pane-summary"))
            gate.set()
            await settle(app, pilot)
            assert screen.grid.total_count == clients
            assert "cached" not in text(screen.query_one("#sync-stats"))
    finally:
        gate.set()


async def test_sites_paint_cached_rows_before_loading(sites_app):
    first = sites_app()
    async with first.run_test(size=(150, 42)) as pilot:
        await settle(first, pilot)
        await create(first, pilot, "cached.example.com", "hdcached")
        await pilot.press("escape")
        await settle(first, pilot)
        sites = first.screen.grid.total_count
    assert sites > 0

    app = sites_app()
    gate = gated(app)
    try:
        async with app.run_test(size=(150, 42)) as pilot:
            await pilot.pause()
            screen = app.screen
            assert isinstance(screen, SitesScreen)
            assert screen.grid.total_count == sites and "cached.example.com" in screen.grid.visible_keys
            assert "cached just now · loading" in text(screen.query_one("#status-line"))
            gate.set()
            await settle(app, pilot)
            assert "cached" not in text(screen.query_one("#status-line"))
            assert "cached.example.com" in screen.grid.visible_keys
    finally:
        gate.set()
