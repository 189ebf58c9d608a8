"""Parsing of Proxmox snapshots, backups and rrddata, and Convoy's templates and limits: pure, no sockets."""

from __future__ import annotations

import pytest

from hostdeck.backends.convoy.images import check_limit
from hostdeck.backends.convoy.images import template_images
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.operations import ImageKind
from hostdeck.backends.operations import MetricKind
from hostdeck.backends.proxmox.images import parse_backups
from hostdeck.backends.proxmox.images import parse_image_id
from hostdeck.backends.proxmox.images import parse_snapshots
from hostdeck.backends.proxmox.images import snapname_problem
from hostdeck.backends.proxmox.metrics import parse_rrddata


def test_image_ids_say_where_the_image_lives():
    snap = parse_image_id("pve1/104/before-upgrade")
    assert (snap.kind, snap.node, snap.vmid, snap.snapname) == (ImageKind.SNAPSHOT, "pve1", 104, "before-upgrade")
    backup = parse_image_id("pve1/local:backup/vzdump-qemu-104-2026_12_07-01_00_00.vma.zst")
    assert (backup.kind, backup.node, backup.storage) == (ImageKind.BACKUP, "pve1", "local")
    assert backup.volid == "local:backup/vzdump-qemu-104-2026_12_07-01_00_00.vma.zst"
    for bad in ("before-upgrade", "pve1/x/snap", "pve1/104/1bad", "/104/snap"):
        with pytest.raises(ValidationError):
            parse_image_id(bad)


def test_snapshot_list_leaves_out_current_and_sorts_by_time():
    rows = [{"name": "current", "description": "You are here!", "running": 1, "parent": "b"},
            {"name": "b", "description": "second\n", "snaptime": "1700000100", "parent": "a"},
            {"name": "a", "description": "first", "snaptime": 1700000000}]
    images = parse_snapshots("pve", "pve1", 104, rows)
    assert [i.name for i in images] == ["a", "b"]
    assert images[1].description == "second" and images[1].created.timestamp() == 1700000100
    assert images[0].id == "pve1/104/a" and images[0].server_id == "pve1/104"


def test_backups_take_vm_archives_with_lenient_numbers():
    rows = [{"volid": "local:backup/vzdump-qemu-104-2026_12_07-01_00_00.vma.zst", "content": "backup", "vmid": "104",
             "ctime": 1765069200, "size": str(2 * (1 << 30)), "notes": "nightly", "protected": 1, "subtype": "qemu"},
            {"volid": "local:backup/vzdump-lxc-200-2026_12_07-01_00_00.tar.zst", "content": "backup", "vmid": 200,
             "ctime": 1765069200, "size": 1, "subtype": "lxc"},
            {"volid": "local:iso/debian.iso", "content": "iso", "size": 5}]
    (image,) = parse_backups("pve", "pve1", rows)
    assert image.size_gb == 2.0 and image.protected and image.server_id == "pve1/104" and image.description == "nightly"
    assert image.name == "vzdump-qemu-104-2026_12_07-01_00_00.vma.zst"


@pytest.mark.parametrize("name", ["current", "pending", "1abc", "a", "x" * 41, "has space"])
def test_snapshot_names_pve_refuses(name):
    assert snapname_problem(name)


def test_rrddata_points_numbers_strings_and_holes():
    rows = [{"time": 1000 + 60 * i, "cpu": 0.5, "netin": "100.5", "netout": 7} for i in range(70)]
    rows[10] = {"time": rows[10]["time"]}                     # no data at all
    rows[11]["cpu"] = "nan"                                   # RRD's unknown
    rows[12]["cpu"] = None
    rows[-1] = {"time": rows[-1]["time"]}                     # the newest step, not consolidated yet
    cpu = parse_rrddata("pve", "pve1/104", MetricKind.CPU, "1h", rows)
    (series,) = cpu.series
    times = [t for t, _ in series.points]
    assert cpu.step_seconds == 60 and all(v == 50.0 for v in series.values)
    assert times[0] > rows[-1]["time"] - 3600 and rows[10]["time"] not in times and rows[11]["time"] not in times
    net = parse_rrddata("pve", "pve1/104", MetricKind.NETWORK, "1h", list(reversed(rows)))
    assert net.series[0].values[0] == 100.5 and net.series[1].values[0] == 7.0       # oldest first, floats
    assert [t for t, _ in net.series[0].points] == sorted(t for t, _ in net.series[0].points)


def test_rrddata_without_points_keeps_the_timeframes_step():
    metrics = parse_rrddata("pve", "pve1/104", MetricKind.DISK, "7d", [])
    assert metrics.step_seconds == 10800 and all(not s.points for s in metrics.series)
    with pytest.raises(ValidationError):
        parse_rrddata("pve", "pve1/104", MetricKind.DISK, "30d", [])


def test_convoy_templates_become_system_images():
    groups = [{"name": "Debian", "hidden": False, "templates": {"data": [{"uuid": "u1", "name": "Debian 12"}]}},
              {"name": "Windows", "hidden": True, "templates": {"data": [{"uuid": "u2", "name": "Windows 2022"}]}}]
    images = template_images("vps", groups, "fsn-1-node")
    assert [(i.id, i.name, i.kind) for i in images] == [("u1", "Debian 12", ImageKind.SYSTEM),
                                                         ("u2", "Windows 2022", ImageKind.SYSTEM)]
    assert images[0].description == "Debian, node fsn-1-node" and "hidden" in images[1].description


@pytest.mark.parametrize(("limit", "existing", "refused"), [(None, 99, False), (0, 0, True), (2, 1, False),
                                                            (2, 2, True), ("3", 3, True)])
def test_convoy_limits_like_the_panel(limit, existing, refused):
    if refused:
        with pytest.raises(ConflictError, match="reached its limit"):
            check_limit(ImageKind.BACKUP, limit, existing, backend="vps", server="web")
    else:
        check_limit(ImageKind.BACKUP, limit, existing, backend="vps", server="web")
