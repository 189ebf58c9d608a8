"""One meaning per key: Connections shows `?` and `q` at 80 columns like every other screen, and on Sync `j`/`k` move
the cursor while Check has its own key (`C`)."""

from __future__ import annotations

from textual.widgets._footer import FooterKey

from hostdeck.tui.widgets.footer import KeysFooter

from .settling import settle
from .test_sync_screen import pushed


async def test_connections_keeps_help_and_quit_in_its_footer_at_80_columns(app_factory):
    app = app_factory(servers=3, initial_mode="connections")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        footer = app.screen.query_one(KeysFooter)
        keys = {key.action: key for key in footer.query(FooterKey)}
        for action in ("help", "quit"):
            assert keys[action].region.width > 0 and keys[action].region.right <= 80, (action, keys[action].region)


async def test_on_sync_k_moves_up_and_capital_c_checks(sync_app):
    app = sync_app(clients=12)
    async with app.run_test(size=(150, 40)) as pilot:
        await settle(app, pilot)
        await pushed(app, pilot)
        screen = app.screen
        screen.grid.focus()
        await pilot.press("g", "j", "j")
        assert screen.grid.cursor_index == 2
        await pilot.press("k")
        await settle(app, pilot)
        assert screen.grid.cursor_index == 1
        assert not any("Check" in n.message for n in app._notifications)  # k started no check

        link = next(iter(screen.links.values()))
        await screen.engine.panel.update_user(int(link.right_id), name="Renamed On The Panel")
        await pilot.press("C")
        await settle(app, pilot)
        await settle(app, pilot)
        assert screen.grid.get_row(link.left_id).cells[3] == "drifted"
