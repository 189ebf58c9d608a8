"""Stale while revalidate: a second start paints the stored inventory before the API answers, marked with its age,
then each backend's live rows replace it; an unreachable backend keeps its rows, greyed, and the screen says so."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

from hostdeck.backends.inventory import SERVERS
from hostdeck.backends.inventory import cached
from hostdeck.backends.inventory import save
from hostdeck.tui.app import HostdeckApp
from hostdeck.tui.screens.servers.screen import ServersScreen

from .conftest import make_workspace


def status_line(screen) -> str:
    return str(screen.query_one("#status-line").render())


async def first_run(tmp_path, sims_by_name) -> None:
    """An earlier session: lists every backend and keeps the lists in the store."""
    app = HostdeckApp(make_workspace(tmp_path, sims_by_name), auto_refresh=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()


def second_app(tmp_path, sims_by_name) -> HostdeckApp:
    return HostdeckApp(make_workspace(tmp_path, sims_by_name), auto_refresh=False)


async def test_second_start_paints_cached_rows_before_a_slow_api_then_refreshes(tmp_path, sims):
    hz = sims(servers=50)
    await first_run(tmp_path, {"hz": hz})
    gone = min(hz.servers)
    hz.servers.pop(gone)  # deleted while hostdeck was closed
    hz.latency_ms = 1500  # the API answers well after the first paint

    app = second_app(tmp_path, {"hz": hz})
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ServersScreen)
        grid = screen.grid
        assert grid.total_count == 50  # before the API has answered
        assert all(grid.get_row(k).cells[2].endswith("(cached)") for k in grid.visible_keys)
        assert ("hz", str(gone)) in screen.servers
        assert "hz cached just now · refreshing" in status_line(screen)

        await app.workers.wait_for_complete()
        await pilot.pause()
        assert grid.total_count == 49 and ("hz", str(gone)) not in screen.servers
        assert not any("(cached)" in grid.get_row(k).cells[2] for k in grid.visible_keys)
        assert "cached" not in status_line(screen) and "refreshed just now" in status_line(screen)
        assert app.health["hz"][0] == "ok"


async def test_api_down_keeps_the_rows_greyed_and_says_so(tmp_path, sims):
    hz, hz2 = sims(servers=30), sims(servers=20, seed=99)
    await first_run(tmp_path, {"hz": hz, "hz2": hz2})
    listed = sorted(hz.servers)
    hz.stop()  # the API is down: connection refused
    # as if hz's last successful refresh was 12 minutes ago
    ws = make_workspace(tmp_path, {"hz": hz, "hz2": hz2})
    snapshot = next(s for s in cached(ws, SERVERS) if s.backend == "hz")
    save(ws, SERVERS, "hz", snapshot.rows, fetched_at=datetime.now(UTC) - timedelta(minutes=12))

    app = second_app(tmp_path, {"hz": hz, "hz2": hz2})
    async with app.run_test(size=(160, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        grid = screen.grid
        assert grid.total_count == 50
        hz_rows = [grid.get_row(k) for k in grid.visible_keys if k[0] == "hz"]
        assert sorted(int(r.key[1]) for r in hz_rows) == listed
        assert all(r.row_style == "dim" and r.cells[2].endswith("(stale)") for r in hz_rows)
        assert not any(grid.get_row(k).row_style for k in grid.visible_keys if k[0] == "hz2")
        line = status_line(screen)
        assert "hz unreachable: " in line and "showing 12 min old data" in line
        assert "hz2 unreachable" not in line and "hz2 cached" not in line
        assert app.health["hz"][0] == "failing" and app.health["hz2"][0] == "ok"
    await app.workers.wait_for_complete()
    # the failure is kept beside the old list (for `servers --cached` and the next start)
    snapshot = next(s for s in cached(ws, SERVERS) if s.backend == "hz")
    assert snapshot.error and len(snapshot.rows) == 30


async def test_cursor_and_filter_survive_the_refresh(tmp_path, sims):
    hz = sims(servers=80)
    await first_run(tmp_path, {"hz": hz})
    hz.latency_ms = 4000  # the keys below run before the API answers, even on a loaded machine

    app = second_app(tmp_path, {"hz": hz})
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        grid = screen.grid
        await pilot.press("slash", *"web")
        await pilot.press("enter")
        await pilot.pause()
        matched = grid.match_count
        assert 0 < matched < 80
        target = grid.visible_keys[3]
        grid.cursor_row_key = target
        assert grid.get_row(target).cells[2].endswith("(cached)")

        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not grid.get_row(target).cells[2].endswith("(cached)")  # refreshed
        assert grid.filter_text == "web" and screen.query_one("#filter").value == "web"
        assert grid.match_count == matched
        assert grid.cursor_row_key == target


async def test_a_long_list_paints_its_first_rows_by_name_then_the_rest(tmp_path, sims):
    from hostdeck.tui.screens.servers.cache import HEAD_ROWS
    from hostdeck.tui.screens.servers.cache import load_cached
    from hostdeck.tui.widgets.grid import natural_key

    hz = sims(servers=HEAD_ROWS + 50)
    await first_run(tmp_path, {"hz": hz})
    names = sorted((s["name"] for s in hz.servers.values()), key=natural_key)
    hz.stop()

    ws = make_workspace(tmp_path, {"hz": hz})
    head = load_cached(ws)["hz"]  # what the first paint reads: the first rows by name, not the whole list
    assert [s.name for s in head.servers] == names[:HEAD_ROWS] and head.partial

    app = second_app(tmp_path, {"hz": hz})
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        grid = app.screen.grid
        assert grid.total_count == HEAD_ROWS + 50
        assert [grid.get_row(k).cells[1] for k in grid.visible_keys] == names


async def test_the_collector_paused_by_the_console_script_is_back_once_the_stored_rows_are_painted(tmp_path, sims):
    import gc

    hz = sims(servers=30)
    await first_run(tmp_path, {"hz": hz})
    hz.latency_ms = 1500
    app = second_app(tmp_path, {"hz": hz})
    frozen_before = gc.get_freeze_count()
    gc.disable()  # as `hostdeck` (hostdeck.cli.main.run) starts
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.pause()
            assert app.screen.grid.total_count == 30 and app.screen.refreshing == {"hz"}  # the API has not answered
            assert gc.isenabled()
            assert gc.get_freeze_count() > frozen_before  # start-up's objects left the collector's passes
    finally:
        gc.unfreeze()
        gc.enable()


async def test_the_collector_is_back_when_nothing_is_stored_and_the_api_is_slow(tmp_path, sims, monkeypatch):
    import gc

    import hostdeck.tui.app

    monkeypatch.setattr(hostdeck.tui.app, "START_UP_LIMIT", 0.2)
    hz = sims(servers=5)
    hz.latency_ms = 1500
    app = second_app(tmp_path, {"hz": hz})
    gc.disable()
    try:
        async with app.run_test(size=(140, 40)) as pilot:
            await pilot.pause(0.5)
            assert app.screen.grid.total_count == 0 and gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()
