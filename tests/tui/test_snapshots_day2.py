"""Snapshots of the day-2 views: the metrics view, the change-type and rebuild dialogs, the bulk summary, marked rows.

The dialogs and the view are fed fixed data (hostdeck.backends.operations objects); the marked rows come from the
seeded simulator."""

from __future__ import annotations

from hostdeck.backends.models import ServerStatus
from hostdeck.tui.dialogs.bulk_summary import BulkSummaryDialog
from hostdeck.tui.dialogs.bulk_summary import TargetOutcome
from hostdeck.tui.dialogs.change_type import ChangeTypeDialog
from hostdeck.tui.dialogs.rebuild import RebuildDialog
from hostdeck.tui.screens.metrics import MetricsScreen

from .day2_support import CHOICES
from .day2_support import IMAGES
from .day2_support import DialogApp
from .day2_support import metrics
from .day2_support import server
from .settling import settle

SIZE = (140, 40)


def all_loaded(period: str = "24h") -> dict:
    from hostdeck.backends.operations import MetricKind

    return {(kind, period): metrics(kind, period) for kind in MetricKind}


def test_metrics_view(snap_compare):
    assert snap_compare(DialogApp(MetricsScreen(server(), None, loaded=all_loaded())), terminal_size=(140, 45))


def test_change_type_dialog(snap_compare):
    async def run_before(pilot):
        pilot.app.screen.query_one("#type-list").highlighted = 1
        await pilot.pause()

    assert snap_compare(DialogApp(ChangeTypeDialog(server(), CHOICES, call="POST /servers/4711/actions/change_type")),
                        terminal_size=SIZE, run_before=run_before)


def test_rebuild_dialog(snap_compare):
    async def run_before(pilot):
        pilot.app.screen.query_one("#image-list").highlighted = 1
        await pilot.pause()

    assert snap_compare(DialogApp(RebuildDialog(server(ServerStatus.OFF), IMAGES,
                                                call="POST /servers/4711/actions/rebuild")),
                        terminal_size=SIZE, run_before=run_before)


def test_bulk_summary(snap_compare):
    outcomes = [
        TargetOutcome("hz", "web-0003", "Ana Lima · #1200 Active", True, "done"),
        TargetOutcome("hz", "db-0001", "", False, "skipped: already running"),
        TargetOutcome("hz", "shop-0002", "Bo Chen · #1310 Active", False,
                      "the action failed (action_failed): the server could not be started."),
        TargetOutcome("vps", "mail-2", "", True, "done"),
    ]
    assert snap_compare(DialogApp(BulkSummaryDialog("Power on: 4 servers", outcomes)), terminal_size=SIZE)


def test_marked_rows(snap_compare, app_factory):
    async def run_before(pilot):
        await settle(pilot.app, pilot)
        await pilot.press("down", "space", "space", "down", "space")

    assert snap_compare(app_factory(), terminal_size=SIZE, run_before=run_before)
