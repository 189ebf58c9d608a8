"""The Servers screen's day-2 wiring: a form's data loaded through the adapter, the dialog, the adapter call with its
result, the outcome; the details pane's live part; ssh from the console.

The Hetzner adapter here is the real one over the simulator (listing, power), with the day-2 methods answered by a
double that records what it was asked: the TUI's wiring is tested whatever the Hetzner lane's methods return."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os

from textual.app import SuspendNotSupported
from textual.widgets import Checkbox
from textual.widgets import OptionList
from textual.widgets import Sparkline

from hostdeck.backends.contract import Capability
from hostdeck.backends.errors import UnavailableError
from hostdeck.backends.hetzner.adapter import HetznerAdapter
from hostdeck.backends.models import ActionResult
from hostdeck.backends.models import SecretResult
from hostdeck.backends.operations import Attachment
from hostdeck.backends.operations import ServerAttachments
from hostdeck.tui.dialogs.action_menu import MenuAction
from hostdeck.tui.dialogs.change_type import ChangeTypeDialog
from hostdeck.tui.dialogs.labels import LabelsDialog
from hostdeck.tui.dialogs.rebuild import RebuildDialog
from hostdeck.tui.dialogs.secret import SecretDialog
from tests.support.fake_ssh import fake_ssh

from .day2_support import CHOICES
from .day2_support import IMAGES
from .day2_support import metrics
from .settling import settle

DAY2 = frozenset({Capability.CHANGE_TYPE, Capability.REBUILD, Capability.IMAGES, Capability.LABELS,
                  Capability.METRICS, Capability.ATTACHMENTS})


class Day2Double(HetznerAdapter):
    capabilities = HetznerAdapter.capabilities | DAY2
    asked: list
    broken: set

    async def type_choices(self, server_id):
        if "type_choices" in self.broken:
            raise UnavailableError("the catalog is down.", backend=self.name)
        return CHOICES

    async def change_type(self, server_id, server_type, *, upgrade_disk=False, progress=None):
        self.asked.append(("change_type", server_id, server_type, upgrade_disk))
        return ActionResult(self.name, server_id, "change_server_type", "1", "success")

    async def list_images(self, kinds=(), server_id=None):
        return [i for i in IMAGES if i.kind in kinds]

    async def rebuild(self, server_id, image, progress=None):
        self.asked.append(("rebuild", server_id, image))
        return SecretResult(self.name, server_id, secret="N3w-r00t-pw-once")

    async def set_labels(self, server_id, changes, remove=()):
        self.asked.append(("set_labels", server_id, dict(changes), list(remove)))
        return await self.get_server(server_id)

    async def metrics(self, server_id, kind, period="24h"):
        await self.answer.wait()
        return metrics(kind, period)

    async def attachments(self, server_id):
        return ServerAttachments(self.name, server_id, [Attachment("firewall", "7", "web-fw", "applied"),
                                                        Attachment("volume", "9", "data-1", "50 GB /dev/sdb")])


def with_double(app) -> Day2Double:
    real = app.workspace.adapters["hz"]
    double = Day2Double(real.config, secrets=real.secrets, events=real.events)
    double.asked, double.broken = [], set()
    double.answer = asyncio.Event()
    double.answer.set()
    app.workspace.adapters["hz"] = double
    return double


def item(action_id: str, form: str) -> MenuAction:
    return MenuAction(action_id, action_id.replace("_", " ").capitalize(), f"the {action_id} call", True, form=form)


async def open_form(app, pilot, form: str, which=lambda server: True, broken: str = ""):
    """The form run from the Servers screen on the first server `which` accepts: (double, screen, server)."""
    await settle(app, pilot)
    double = with_double(app)
    if broken:
        double.broken.add(broken)
    screen = app.screen
    target = next(s for s in screen.servers.values() if which(s))
    screen.run_form(item(form, form), target)
    await settle(app, pilot)
    return double, screen, target


async def test_change_type_shuts_a_running_server_down_first_then_changes_it(app_factory):
    app = app_factory(servers=12)
    async with app.run_test(size=(160, 45)) as pilot:
        double, _screen, target = await open_form(app, pilot, "change_type", lambda s: s.raw_status == "running")
        dialog = app.screen
        assert isinstance(dialog, ChangeTypeDialog) and dialog.choices == CHOICES
        dialog.query_one("#type-list", OptionList).highlighted = 1
        dialog.query_one("#shut-down-first", Checkbox).value = True
        await pilot.pause()
        await pilot.click("#change")
        await settle(app, pilot)
        assert double.asked == [("change_type", target.id, "cx32", False)]
        sim = app.test_sims["hz"]
        sim.advance()
        assert sim.servers[int(target.id)]["status"] == "off"  # shut down (by the real API) before the change
        assert any("done" in n.message for n in app._notifications)


async def test_rebuild_shows_the_new_password_once(app_factory):
    app = app_factory(servers=12)
    async with app.run_test(size=(160, 45)) as pilot:
        double, _screen, target = await open_form(app, pilot, "rebuild")
        dialog = app.screen
        assert isinstance(dialog, RebuildDialog) and {i.kind.value for i in dialog.images} == {"system", "snapshot",
                                                                                                "backup"}
        dialog.dismiss({"image": "114690387"})
        await settle(app, pilot)
        assert double.asked == [("rebuild", target.id, "114690387")]
        secret = app.screen
        assert isinstance(secret, SecretDialog)
        assert str(secret.query_one("#secret-value").render()) == "N3w-r00t-pw-once"
        assert "N3w-r00t-pw-once" not in repr([e.as_dict() for e in app.workspace.events.recent()])


async def test_a_loader_failure_reaches_the_person_and_no_dialog_opens(app_factory):
    app = app_factory(servers=12)
    async with app.run_test(size=(160, 45)) as pilot:
        _double, screen, target = await open_form(app, pilot, "change_type", broken="type_choices")
        assert app.screen is screen
        assert any("catalog is down" in n.message and n.severity == "error" for n in app._notifications)
        assert screen.grid.get_row(target.key).cells[2] == "✖ failed"


async def test_labels_send_the_changes_and_keep_the_rest(app_factory):
    app = app_factory(servers=12)
    async with app.run_test(size=(160, 45)) as pilot:
        double, _screen, target = await open_form(app, pilot, "labels", lambda s: len(s.labels) >= 2)
        assert isinstance(app.screen, LabelsDialog)
        app.screen.dismiss({"changes": {"owner": "ana"}, "remove": []})
        await settle(app, pilot)
        assert double.asked == [("set_labels", target.id, {"owner": "ana"}, [])]


async def test_the_metrics_action_opens_the_metrics_view_of_the_server(app_factory):
    from hostdeck.tui.screens.metrics import MetricsScreen

    app = app_factory(servers=12)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(app, pilot)
        with_double(app)
        screen = app.screen
        target = next(iter(screen.servers.values()))
        screen.show_metrics(target)
        await settle(app, pilot)
        view = app.screen
        assert isinstance(view, MetricsScreen) and view.server is target
        assert len(view.query(Sparkline)) == 5
        await pilot.press("escape")
        await pilot.pause()
        assert app.screen is screen


async def test_the_details_pane_shows_cpu_and_attachments_once_loaded(app_factory):
    app = app_factory(servers=12)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(app, pilot)
        double = with_double(app)
        double.answer.clear()  # the metrics answer when the test says so
        await pilot.press("enter")
        await pilot.pause()
        extras = app.screen.query_one("#details-extras")
        assert "loading…" in " ".join(str(w.render()) for w in extras.query("Static"))
        double.answer.set()
        await settle(app, pilot)
        shown = " ".join(str(w.render()) for w in extras.query("Static"))
        assert "CPU, last 24 h" in shown and "max 85.0 %" in shown and "web-fw" in shown and "data-1" in shown
        assert extras.query(Sparkline)


async def test_ssh_hands_the_terminal_over_and_says_a_non_zero_exit(app_factory, tmp_path, monkeypatch):
    bin_dir, record = fake_ssh(tmp_path, code=3)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    app = app_factory(servers=12)
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(app, pilot)
        screen = app.screen
        target = next(s for s in screen.servers.values() if s.ipv4)
        suspended = []

        @contextlib.contextmanager
        def cannot():
            raise SuspendNotSupported()
            yield

        @contextlib.contextmanager
        def suspend():
            suspended.append("in")
            yield
            suspended.append("out")

        monkeypatch.setattr(app, "suspend", cannot)  # a driver that cannot suspend (Textual Web): said, nothing run
        screen.run_ssh(target)
        await pilot.pause()
        assert any("cannot hand over" in n.message for n in app._notifications) and not record.exists()
        monkeypatch.setattr(app, "suspend", suspend)
        screen.run_ssh(target)
        await pilot.pause()
        assert suspended == ["in", "out"]
        assert json.loads(record.read_text()) == ["-l", "root", "--", target.ipv4]
        assert any("exit code 3" in n.message for n in app._notifications)
        assert app.screen is screen  # back on the same screen


def test_the_menu_shows_the_ssh_command_it_runs_or_why_not():
    from hostdeck.backends.config import BackendConfig
    from hostdeck.backends.secrets import Secrets
    from hostdeck.tui.screens.server_actions import ssh_item

    from .day2_support import server

    adapter = HetznerAdapter(BackendConfig(name="hz", kind="hetzner", options={"ssh_user": "deploy"}),
                             secrets=Secrets(overlay={}))

    def item(call, unavailable=None):
        return MenuAction("ssh", "SSH to the server", call, False, unavailable)

    line = ssh_item(item, adapter, server())
    assert line.call.startswith("ssh -l deploy -- 203.0.113.7") and line.unavailable is None
    nowhere = ssh_item(item, adapter, server(ipv4=None, ipv6=None))
    assert "no IP address" in nowhere.unavailable
