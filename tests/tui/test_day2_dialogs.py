"""The day-2 dialogs and the metrics view alone: each pushed by a tiny app, fed real hostdeck.backends data."""

from __future__ import annotations

from decimal import Decimal

from textual.widgets import Button
from textual.widgets import Checkbox
from textual.widgets import Input
from textual.widgets import OptionList
from textual.widgets import SelectionList
from textual.widgets import Sparkline
from textual.widgets import Switch

from hostdeck.backends.errors import UnavailableError
from hostdeck.backends.models import ServerStatus
from hostdeck.backends.operations import ImageKind
from hostdeck.backends.operations import MetricKind
from hostdeck.tui.dialogs.change_type import ChangeTypeDialog
from hostdeck.tui.dialogs.change_type import choice_line
from hostdeck.tui.dialogs.image import ImageDialog
from hostdeck.tui.dialogs.iso import IsoDialog
from hostdeck.tui.dialogs.labels import LabelsDialog
from hostdeck.tui.dialogs.labels import label_changes
from hostdeck.tui.dialogs.protect import ProtectDialog
from hostdeck.tui.dialogs.rdns import RdnsDialog
from hostdeck.tui.dialogs.rebuild import RebuildDialog
from hostdeck.tui.dialogs.rescue import RescueDialog
from hostdeck.tui.screens.metrics import MetricsScreen

from .day2_support import CHOICES
from .day2_support import IMAGES
from .day2_support import UNSET
from .day2_support import DialogApp
from .day2_support import metrics
from .day2_support import server

SIZE = (120, 40)


def notices(app) -> list[str]:
    return [n.message for n in app._notifications]


async def test_rebuild_needs_an_image_and_the_name_typed(monkeypatch):
    app = DialogApp(RebuildDialog(server(), IMAGES, call="POST /servers/4711/actions/rebuild"))
    async with app.run_test(size=SIZE) as pilot:
        dialog = app.screen
        options = dialog.query_one("#image-list", OptionList)
        headings = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)
                    if options.get_option_at_index(i).disabled and options.get_option_at_index(i).id is None]
        assert headings == ["System images", "Snapshots", "Backups"]
        creating = next(o for o in (options.get_option_at_index(i) for i in range(options.option_count))
                        if "half done" in str(o.prompt))
        assert creating.disabled  # an image still being made cannot be chosen
        rebuild = dialog.query_one("#rebuild", Button)
        assert rebuild.disabled and "Ana Lima" in str(dialog.query_one("#dialog-body").render())
        options.highlighted = next(i for i in range(options.option_count)
                                   if "before upgrade" in str(options.get_option_at_index(i).prompt))
        await pilot.press("enter")  # chosen: the cursor goes to the name
        await pilot.press(*"web-")
        assert rebuild.disabled
        await pilot.press("7")
        assert not rebuild.disabled
        await pilot.press("enter")
        await pilot.pause()
    assert app.result == {"image": "301"}


async def test_rebuild_cancelled_says_so():
    app = DialogApp(RebuildDialog(server(), IMAGES))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("escape")
        await pilot.pause()
        assert any("Cancelled" in n for n in notices(app))
    assert app.result is None


def test_a_type_choice_shows_the_price_difference_both_ways():
    assert "+3.20" in choice_line(CHOICES[1]).plain
    line = choice_line(CHOICES[3])
    assert "\N{MINUS SIGN}1.30" in line.plain and "smaller than the server's" in line.plain


async def test_change_type_of_a_running_server_asks_to_shut_it_down_first():
    app = DialogApp(ChangeTypeDialog(server(), CHOICES))
    async with app.run_test(size=SIZE) as pilot:
        dialog = app.screen
        options = dialog.query_one("#type-list", OptionList)
        assert options.get_option_at_index(3).disabled  # not allowed: listed, dimmed, not selectable
        change = dialog.query_one("#change", Button)
        assert not dialog.query_one("#upgrade-disk", Checkbox).value
        options.highlighted = 1
        await pilot.pause()
        assert change.disabled  # running, and not asked to shut down
        dialog.query_one("#shut-down-first", Checkbox).value = True
        await pilot.pause()
        assert not change.disabled
        options.highlighted = 0  # today's plan is no change
        await pilot.pause()
        assert change.disabled
        options.highlighted = 2
        await pilot.pause()
        await pilot.click("#change")
        await pilot.pause()
    assert app.result == {"server_type": "cx42", "upgrade_disk": False, "shut_down_first": True}


async def test_change_type_of_a_server_that_is_off_with_the_disk_upgraded():
    app = DialogApp(ChangeTypeDialog(server(ServerStatus.OFF), CHOICES))
    async with app.run_test(size=SIZE) as pilot:
        dialog = app.screen
        assert not dialog.query("#shut-down-first")
        dialog.query_one("#type-list", OptionList).highlighted = 1
        dialog.query_one("#upgrade-disk", Checkbox).value = True
        await pilot.pause()
        await pilot.click("#change")
        await pilot.pause()
    assert app.result == {"server_type": "cx32", "upgrade_disk": True, "shut_down_first": False}


def test_label_changes_keep_what_the_person_did_not_touch():
    original = {"billing.service": "1200", "env": "prod", "team": "ops"}
    rows = [("billing.service", "billing.service", "1200"), ("env", "env", "staging"), (None, "owner", "ana")]
    assert label_changes(original, rows) == ({"env": "staging", "owner": "ana"}, ["team"])
    renamed = [("billing.service", "billing.service", "1200"), ("env", "stage", "prod"), ("team", "team", "ops")]
    assert label_changes(original, renamed) == ({"stage": "prod"}, ["env"])


async def test_labels_edit_add_and_remove():
    app = DialogApp(LabelsDialog(server()))
    async with app.run_test(size=SIZE) as pilot:
        dialog = app.screen
        keys = {i.value: i.id.removeprefix("key-") for i in dialog.query(".label-key").results(Input)}
        dialog.query_one(f"#value-{keys['env']}", Input).value = "staging"
        await pilot.click(f"#drop-{keys['team']}")
        await pilot.pause()
        await pilot.click("#add")
        await pilot.pause()
        new_key = dialog.query(".label-key").results(Input)
        blank = next(i for i in new_key if not i.value)
        assert dialog.query_one("#save", Button).disabled  # a row without a key
        blank.value = "owner"
        dialog.query_one(f"#value-{blank.id.removeprefix('key-')}", Input).value = "ana"
        await pilot.pause()
        await pilot.click("#save")
        await pilot.pause()
    assert app.result == {"changes": {"env": "staging", "owner": "ana"}, "remove": ["team"]}


async def test_protect_sends_only_the_switch_that_changed():
    protected = server(delete_protected=True, raw={"protection": {"delete": True, "rebuild": False}})
    app = DialogApp(ProtectDialog(protected))
    async with app.run_test(size=SIZE) as pilot:
        dialog = app.screen
        assert dialog.query_one("#protect-delete", Switch).value
        dialog.query_one("#protect-rebuild", Switch).value = True
        await pilot.click("#save")
        await pilot.pause()
    assert app.result == {"rebuild": True}


async def test_rescue_with_the_keys_chosen():
    app = DialogApp(RescueDialog(server(), ["ana@laptop", "ops-2026"]))
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one(SelectionList).select("ops-2026")
        await pilot.click("#enable")
        await pilot.pause()
    assert app.result == {"ssh_keys": ["ops-2026"]}


async def test_image_as_a_backup_with_a_description():
    app = DialogApp(ImageDialog(server()))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press(*"before php 8.4")
        await pilot.click("#kind-backup")
        await pilot.click("#create")
        await pilot.pause()
    assert app.result == {"description": "before php 8.4", "kind": ImageKind.BACKUP}


async def test_iso_picked_from_the_list():
    app = DialogApp(IsoDialog(server(), ["virtio-win-0.1.262.iso", "ubuntu-24.04-live-server-amd64.iso"]))
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#iso-list", OptionList).highlighted = 1
        await pilot.pause()
        await pilot.click("#attach")
        await pilot.pause()
    assert app.result == {"iso": "ubuntu-24.04-live-server-amd64.iso"}


async def test_rdns_edits_one_address_and_empty_resets_it():
    entries = [("203.0.113.7", "web-7.example.com"), ("2001:db8:7::1", None)]
    app = DialogApp(RdnsDialog(server(), entries))
    async with app.run_test(size=SIZE) as pilot:
        dialog = app.screen
        dialog.query_one("#ip-list", OptionList).highlighted = 0
        await pilot.pause()
        assert dialog.query_one("#dns-ptr", Input).value == "web-7.example.com"
        dialog.query_one("#dns-ptr", Input).value = "not a host name!"
        await pilot.pause()
        assert dialog.query_one("#save", Button).disabled
        dialog.query_one("#dns-ptr", Input).value = ""
        await pilot.pause()
        await pilot.click("#save")
        await pilot.pause()
    assert app.result == {"ip": "203.0.113.7", "dns_ptr": None}


async def test_metrics_view_loads_each_period_once_and_says_a_failure_in_place():
    asked = []

    async def fetch(kind, period):
        asked.append((kind, period))
        if kind is MetricKind.DISK and period == "1h":
            raise UnavailableError("the metrics service answered 503.", backend="hz")
        return metrics(kind, period, scale=0.5)

    app = DialogApp(MetricsScreen(server(), fetch))
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        view = app.screen
        assert sorted(p for _k, p in asked) == ["24h"] * 3
        assert len(view.query(Sparkline)) == 5  # cpu, 2 disk, 2 network series
        cpu = str(view.query_one("#metrics-cpu").query(".metric-title").first().render())
        assert "min 1.5 %" in cpu and "max 42.5 %" in cpu
        await pilot.press("1")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert sorted(p for _k, p in asked).count("1h") == 3
        disk = str(view.query_one("#metrics-disk").query(".metric-state").first().render())
        assert disk.startswith("failed") and "503" in disk
        assert [f.category for f in app.failures] == ["unavailable"]
        await pilot.press("2")  # loaded already: nothing asked again
        await app.workers.wait_for_complete()
        assert len(asked) == 6
        await pilot.press("escape")
        await pilot.pause()
    assert app.result is None


def test_units_are_readable():
    from hostdeck.tui.widgets.metric_lines import summary
    from hostdeck.tui.widgets.metric_lines import with_unit

    assert with_unit(3_100_000, "bytes/s") == "3.1 MB/s"
    assert with_unit(12, "iops") == "12 IOPS"
    assert summary([], "percent") == "no data in this period"
    assert Decimal  # the prices module reads Decimals; kept imported for the next test


def test_backups_note_names_the_price():
    from hostdeck.tui.screens.servers.prices import backups_note

    raw = {"server_type": {"prices": [{"location": "fsn1", "price_monthly": {"gross": "4.5900000000"}}]}}
    assert "+0.92 a month" in backups_note(server(raw=raw)) and "5.51" in backups_note(server(raw=raw))
    assert "+20%" in backups_note(server())
    assert UNSET is not None


def test_ptr_records_from_the_attachments_else_from_the_record():
    from hostdeck.backends.operations import Attachment
    from hostdeck.backends.operations import ServerAttachments
    from hostdeck.tui.screens.servers.forms import ptrs_of

    attached = ServerAttachments("hz", "4711", [
        Attachment("primary_ip", "1", "203.0.113.7", "ipv4 rdns=web-7.example.com"),
        Attachment("primary_ip", "2", "2001:db8:7::/64", "ipv6 rdns=2001:db8:7::1=web-7.v6, 2001:db8:7::2=mail.v6"),
        Attachment("firewall", "3", "web-fw", "applied")])
    assert ptrs_of(server(), attached) == [("203.0.113.7", "web-7.example.com"), ("2001:db8:7::1", "web-7.v6"),
                                           ("2001:db8:7::2", "mail.v6")]
    as_in_the_contract = ServerAttachments("hz", "4711", [
        Attachment("primary_ip", "1", "web-7-v4", "203.0.113.7 (ipv4) rdns=web-7.example.com"),
        Attachment("primary_ip", "2", "2001:db8:7::/64", "ipv6")])
    assert ptrs_of(server(), as_in_the_contract) == [("203.0.113.7", "web-7.example.com"), ("2001:db8:7::1", None)]
    v6_ptrs = [{"ip": "2001:db8:7::1", "dns_ptr": "web-7.v6"}]
    raw = {"public_net": {"ipv4": {"ip": "203.0.113.7", "dns_ptr": "static.7.113.0.203.clients.example.net"},
                          "ipv6": {"ip": "2001:db8:7::/64", "dns_ptr": v6_ptrs}}}
    assert ptrs_of(server(raw=raw)) == [("203.0.113.7", "static.7.113.0.203.clients.example.net"),
                                        ("2001:db8:7::1", "web-7.v6")]
    assert ptrs_of(server()) == [("203.0.113.7", None), ("2001:db8:7::1", None)]


async def test_a_label_with_control_characters_is_shown_escaped_and_kept_unless_edited():
    hostile = server(labels={"note": "a\x1b[2Jb", "env": "prod"})
    app = DialogApp(LabelsDialog(hostile))
    async with app.run_test(size=SIZE) as pilot:
        dialog = app.screen
        values = {i.value for i in dialog.query(".label-value").results(Input)}
        assert "a\\x1b[2Jb" in values and not any("\x1b" in v for v in values)
        env = next(i for i in dialog.query(".label-value").results(Input) if i.value == "prod")
        env.value = "staging"
        await pilot.pause()
        await pilot.click("#save")
        await pilot.pause()
    assert app.result == {"changes": {"env": "staging"}, "remove": []}


async def test_a_system_image_is_listed_once_and_sent_by_name():
    from hostdeck.backends.operations import Image

    arm = Image("hz", "114690400", "ubuntu-24.04", ImageKind.SYSTEM, description="Ubuntu 24.04 (arm)")
    app = DialogApp(RebuildDialog(server(), [*IMAGES, arm]))
    async with app.run_test(size=SIZE) as pilot:
        dialog = app.screen
        assert [i.id for i in dialog.images if i.name == "ubuntu-24.04"] == ["114690387"]
        options = dialog.query_one("#image-list", OptionList)
        options.highlighted = 1  # the first system image, under its heading
        await pilot.press("enter", *"web-7", "enter")
        await pilot.pause()
    assert app.result == {"image": "ubuntu-24.04"}  # the API picks the build of the server's architecture
