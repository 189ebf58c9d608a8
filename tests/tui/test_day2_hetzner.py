"""The day-2 actions from the Servers screen against the Hetzner simulator, through the action catalogue and the real
adapter: the menu, the form with its data loaded live, the call, what the simulator holds afterwards. They run
where the Hetzner adapter offers the day-2 capabilities (issue 15's Hetzner lane), and are skipped before."""

from __future__ import annotations

import pytest
from textual.widgets import Button
from textual.widgets import Checkbox
from textual.widgets import Input
from textual.widgets import OptionList
from textual.widgets import SelectionList
from textual.widgets import Sparkline

from hostdeck.backends.contract import Capability
from hostdeck.backends.hetzner.adapter import HetznerAdapter
from hostdeck.tui.dialogs.change_type import ChangeTypeDialog
from hostdeck.tui.dialogs.confirm import ConfirmDialog
from hostdeck.tui.dialogs.labels import LabelsDialog
from hostdeck.tui.dialogs.rebuild import RebuildDialog
from hostdeck.tui.dialogs.rescue import RescueDialog
from hostdeck.tui.dialogs.secret import SecretDialog
from hostdeck.tui.screens.metrics import MetricsScreen

from .settling import settle

pytestmark = pytest.mark.skipif(Capability.REBUILD not in HetznerAdapter.capabilities,
                                reason="the Hetzner adapter has no day-2 operations yet")
PASSWORD = "Xq7-fixed-DAY2-pw-42"


@pytest.fixture
def fixed_password(monkeypatch):
    import importlib

    monkeypatch.setattr(importlib.import_module("hostdeck.backends.sim.hetzner_day2"), "new_password",
                        lambda length=20: PASSWORD)


async def started(app, pilot):
    await settle(app, pilot)
    return app.screen, app.test_sims["hz"]


async def opened(app, pilot, action_id: str, which):
    """The action run from the Servers screen on the first server `which` accepts: (screen, sim, server, dialog)."""
    screen, sim = await started(app, pilot)
    target = next(s for s in screen.servers.values() if which(s, sim))
    screen.run_action(action_id, target)
    await settle(app, pilot)
    return screen, sim, target, app.screen


def first_choice(options: OptionList, accept=lambda index: True) -> int:
    return next(i for i in range(options.option_count)
                if not options.get_option_at_index(i).disabled and (options.get_option_at_index(i).id or "")
                .startswith("choice-") and accept(int(options.get_option_at_index(i).id.removeprefix("choice-"))))


async def test_rebuild_from_the_menu_shows_the_new_password_once(app_factory, fixed_password):
    app = app_factory(servers=12)
    async with app.run_test(size=(160, 45)) as pilot:
        _screen, sim, target, dialog = await opened(app, pilot, "rebuild",
                                                    lambda s, _: not s.raw.get("protection", {}).get("rebuild"))
        assert isinstance(dialog, RebuildDialog) and any(i.kind.value == "system" for i in dialog.images)
        options = dialog.query_one("#image-list", OptionList)
        options.highlighted = first_choice(options, lambda n: dialog.images[n].name == target.image)
        image = dialog.chosen
        await pilot.press("enter", *target.name, "enter")
        await settle(app, pilot)
        secret = app.screen
        assert isinstance(secret, SecretDialog) and str(secret.query_one("#secret-value").render()) == PASSWORD
        sim.advance()
        assert sim.servers[int(target.id)]["image"]["name"] == image.name


async def test_change_type_of_a_running_server_shuts_it_down_first(app_factory):
    app = app_factory(servers=12)
    async with app.run_test(size=(160, 45)) as pilot:
        screen, sim, target, dialog = await opened(app, pilot, "change_type", lambda s, _: s.raw_status == "running")
        assert isinstance(dialog, ChangeTypeDialog) and dialog.running
        options = dialog.query_one("#type-list", OptionList)
        options.highlighted = first_choice(options, lambda n: dialog.choices[n].name != target.plan)
        wanted = dialog.chosen.name
        dialog.query_one("#shut-down-first", Checkbox).value = True
        await pilot.pause()
        await pilot.click("#change")
        await settle(app, pilot)
        sim.advance()
        record = sim.servers[int(target.id)]
        assert record["server_type"]["name"] == wanted  # the API changes only a server that is off: it was shut down
        assert screen.servers[target.key].plan == wanted  # the row read back


async def test_labels_change_one_and_keep_the_others(app_factory):
    app = app_factory(servers=12)
    async with app.run_test(size=(160, 45)) as pilot:
        _screen, sim, target, dialog = await opened(app, pilot, "labels", lambda s, _: len(s.labels) >= 2)
        before = dict(sim.servers[int(target.id)]["labels"])
        assert isinstance(dialog, LabelsDialog)
        key = sorted(before)[0]
        n = next(i.id.removeprefix("key-") for i in dialog.query(".label-key").results(Input) if i.value == key)
        dialog.query_one(f"#value-{n}", Input).value = "changed-in-tui"
        await pilot.pause()
        await pilot.click("#save")
        await settle(app, pilot)
        assert sim.servers[int(target.id)]["labels"] == {**before, key: "changed-in-tui"}


async def test_rescue_with_a_project_key_shows_its_password(app_factory, fixed_password):
    app = app_factory(servers=12)
    async with app.run_test(size=(160, 45)) as pilot:
        _screen, sim, target, dialog = await opened(app, pilot, "rescue_enable",
                                                    lambda s, sim: not sim.servers[int(s.id)]["rescue_enabled"])
        assert isinstance(dialog, RescueDialog) and dialog.ssh_keys == [k["name"] for k in sim.ssh_keys]
        dialog.query_one(SelectionList).select(dialog.ssh_keys[0])
        await pilot.click("#enable")
        await settle(app, pilot)
        assert isinstance(app.screen, SecretDialog)
        assert str(app.screen.query_one("#secret-value").render()) == PASSWORD
        sim.advance()
        assert sim.servers[int(target.id)]["rescue_enabled"]


async def test_backups_confirmation_names_the_price(app_factory):
    app = app_factory(servers=12)
    async with app.run_test(size=(160, 45)) as pilot:
        screen, sim = await started(app, pilot)
        target = next(s for s in screen.servers.values() if not sim.servers[int(s.id)]["backup_window"])
        screen.run_action("backups_enable", target)
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, ConfirmDialog)
        warning = str(dialog.query_one("#dialog-warning").render())
        assert "20%" in warning and "a month" in warning
        dialog.query_one("#confirm", Button).press()
        await settle(app, pilot)
        sim.advance()
        assert sim.servers[int(target.id)]["backup_window"]


async def test_metrics_from_the_menu(app_factory):
    app = app_factory(servers=12)
    async with app.run_test(size=(160, 45)) as pilot:
        _screen, _sim, _target, view = await opened(app, pilot, "metrics", lambda s, _: s.raw_status == "running")
        assert isinstance(view, MetricsScreen) and view.query(Sparkline)
        assert "max" in str(view.query_one("#metrics-cpu .metric-title").render())
