"""The Logs screen shows everyone's events (a team's shared store holds the other consoles' too) or, after `m`, only
this person's: user@host, and this process's own events that are not stored yet."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime

from hostdeck.backends.models import Event
from hostdeck.backends.models import EventKind
from hostdeck.backends.store.actor import current_actor

from .settling import settle


async def test_m_toggles_between_everyone_and_only_mine(app_factory):
    app = app_factory(initial_mode="logs")
    at = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    for n, actor in enumerate(("bob@console2", current_actor(), None, "carol@cron1")):
        app.workspace.events.record(Event(backend="hz", kind=EventKind.ACTION, message=f"action {n} by {actor}",
                                          ts=at.replace(second=n), target=str(n), actor=actor))
    async with app.run_test(size=(140, 40)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        everyone = {e.message for _, e in screen._visible()}
        assert {"action 0 by bob@console2", "action 3 by carol@cron1"} <= everyone
        assert "everyone (m)" in str(screen.query_one("#status-line").render())
        await pilot.press("m")
        await settle(app, pilot)
        mine = {e.message for _, e in screen._visible() if e.message.startswith("action")}
        assert mine == {f"action 1 by {current_actor()}", "action 2 by None"}
        assert "only mine (m)" in str(screen.query_one("#status-line").render())
        await pilot.press("m")
        await settle(app, pilot)
        assert {"action 0 by bob@console2"} <= {e.message for _, e in screen._visible()}
