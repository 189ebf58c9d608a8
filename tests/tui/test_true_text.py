"""Pilot tests of text that tells the truth: the Logs filter's empty state and counter, the health legend, no
markup escapes on the screens without a config, the status line before the first rows, and the theme kept."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Select

from hostdeck.backends.config import Config
from hostdeck.backends.config import GeneralConfig
from hostdeck.tui.app import HostdeckApp
from hostdeck.tui.widgets.topbar import TopBar

from .conftest import make_workspace
from .settling import settle


async def test_logs_say_what_the_filter_hides(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("5")
        await settle(app, pilot)
        screen = app.screen
        total = len(screen.events)
        assert total > 0 and not any(e.level == "error" for e in screen.events)
        screen.query_one("#level-filter", Select).value = "error"
        await pilot.pause()
        assert screen.grid.empty_message == f"No events match the filter ({total:,} hidden)."
        status = str(screen.query_one("#status-line").render())
        assert status.startswith(f"0 of {total:,} events ({total:,} hidden by the filter)")


async def test_the_health_marks_have_a_legend(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        assert "● answering" in str(app.screen.query_one(TopBar).tooltip)
        await pilot.press("question_mark")
        await pilot.pause()
        assert "○ not asked yet" in str(app.screen.query_one("#health-legend").render())


async def test_the_screens_without_a_config_show_no_markup_escapes(app_factory):
    app = app_factory(servers=10)
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        for mode in ("3", "4"):
            await pilot.press(mode)
            await settle(app, pilot)
            shown = app.export_screenshot()
            assert "[[backends]]" in shown and "\\[" not in shown


async def test_the_status_line_waits_for_the_first_answer(tmp_path, sims):
    sim = sims(servers=10)
    sim.faults.add(route="*", kind="slow", delay=1.0, count=1)  # the first answer comes after the first frames
    app = HostdeckApp(make_workspace(tmp_path, {"hz": sim}), auto_refresh=False)
    async with app.run_test(size=(140, 40)) as pilot:
        await pilot.pause()
        screen = app.screen
        screen.update_status()
        first = str(screen.query_one("#status-line").render())
        assert first.startswith("loading servers…") and "refreshed" not in first and "0 servers" not in first
        await settle(app, pilot)
        screen.update_status()
        assert str(screen.query_one("#status-line").render()).startswith("10 servers · refreshed just now")


async def test_a_theme_chosen_in_the_app_is_kept_in_the_config(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text("# my settings\n[general]\nread_only = false  # for now\n", encoding="utf-8")
    from hostdeck.backends.secrets import Secrets
    from hostdeck.backends.workspace import Workspace

    config = Config(path=path, general=GeneralConfig())
    app = HostdeckApp(Workspace(config, Secrets(overlay={}), data_dir=tmp_path), auto_refresh=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.theme = "nord"
        await settle(app, pilot)
    text = Path(path).read_text(encoding="utf-8")
    assert 'theme = "nord"' in text and "# my settings" in text and "# for now" in text
    assert path.stat().st_mode & 0o777 == 0o600


async def test_the_read_only_badge_stays_on_screen_at_80_columns(app_factory):
    app = app_factory(backends=("hetzner-falkenstein", "hetzner-nuremberg", "hetzner-helsinki"), servers=5,
                      read_only=True)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        bar = app.screen.query_one(TopBar)
        line = "".join(segment.text for segment in bar.render_line(0))
        assert len(line) <= 80 and "READ-ONLY" in line and "hostdeck" in line
        assert "1:" not in line  # the screen list gave way first
