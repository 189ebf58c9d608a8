"""Day-2 operations of the Proxmox adapter against the simulator over real sockets: snapshots, vzdump backups,
rrddata metrics, and the refusals of what Proxmox does not offer."""

from __future__ import annotations

from urllib.parse import parse_qs
from urllib.parse import unquote

import httpx
import pytest

from hostdeck.backends.contract import Capability
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.errors import ReadOnlyError
from hostdeck.backends.errors import UnsupportedError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.operations import ImageKind
from hostdeck.backends.operations import MetricKind
from hostdeck.backends.sim.cluster import VM
from hostdeck.backends.sim.proxmox_rrd import POINTS
from tests.support.fixtures import adapter_fixture
from tests.support.fixtures import sim_fixture

from .pve import make_adapter
from .pve import open_sim

sim = sim_fixture(open_sim)
pve = adapter_fixture(make_adapter)


def a_vm(sim, *, status: str = "running", lock: str | None = None, vmid_mod: tuple[int, int] | None = None) -> VM:
    for (_n, vmid), vm in sorted(sim.cluster.vms.items()):
        if vm.status == status and vm.lock == lock and (vmid_mod is None or vmid % vmid_mod[0] == vmid_mod[1]):
            return vm
    raise AssertionError("no such VM in the seed")


def sid(vm: VM) -> str:
    return f"{vm.node}/{vm.vmid}"


def raw_get(sim, path: str, **params) -> list[dict]:
    reply = httpx.get(sim.base_url + path, params=params, headers=sim.auth_header())
    reply.raise_for_status()
    return reply.json()["data"]


def writes(sim) -> list[dict]:
    return [r for r in sim.request_log if r["method"] in ("POST", "PUT", "DELETE")]


# snapshots -------------------------------------------------------------------------------------------------


async def test_snapshot_is_taken_through_a_task_and_listed(sim, pve):
    vm = a_vm(sim)
    sim.guest(vm.node, vm.vmid).snapshots.clear()
    image = await pve.create_image(sid(vm), description="before the PHP upgrade")
    snaps = sim.guest(vm.node, vm.vmid).snapshots
    assert image.name in snaps and snaps[image.name]["description"] == "before the PHP upgrade"
    assert image.kind is ImageKind.SNAPSHOT and image.id == f"{vm.node}/{vm.vmid}/{image.name}"
    assert image.server_id == sid(vm) and image.created is not None
    post = next(r for r in sim.request_log if r["method"] == "POST" and r["path"].endswith("/snapshot"))
    assert parse_qs(post["body"])["snapname"] == [image.name]
    assert any("/tasks/" in r["path"] for r in sim.request_log)        # followed to the end of its task
    assert vm.lock is None                                               # the task's lock is released
    listed = await pve.list_images(server_id=sid(vm))
    assert [i.id for i in listed if i.kind is ImageKind.SNAPSHOT] == [image.id]   # "current" is not a snapshot


async def test_snapshot_of_a_locked_vm_is_refused_before_sending(sim, pve):
    vm = a_vm(sim, lock="backup")
    with pytest.raises(ConflictError, match="locked \\(backup\\)"):
        await pve.create_image(sid(vm), description="x")
    assert not writes(sim)


async def test_snapshot_delete_waits_for_its_task(sim, pve):
    vm = a_vm(sim)
    sim.add_snapshot(vm.node, vm.vmid, "before-upgrade", "old")
    result = await pve.delete_image(f"{vm.node}/{vm.vmid}/before-upgrade")
    assert result.status == "success" and result.action_id.startswith("UPID:")
    assert "before-upgrade" not in sim.guest(vm.node, vm.vmid).snapshots
    assert writes(sim)[-1]["method"] == "DELETE"


async def test_deleting_a_missing_snapshot_is_not_found_and_sends_nothing(sim, pve):
    vm = a_vm(sim)
    with pytest.raises(NotFoundError, match="no snapshot 'nothing-here'"):
        await pve.delete_image(f"{vm.node}/{vm.vmid}/nothing-here")
    assert not writes(sim)


async def test_a_malformed_image_id_is_a_validation_error(pve):
    with pytest.raises(ValidationError, match="not a Proxmox image id"):
        await pve.delete_image("just-a-name")


# backups -----------------------------------------------------------------------------------------------------


async def test_backup_runs_vzdump_and_returns_the_new_archive(sim, pve):
    vm = a_vm(sim)
    before = set(sim.volumes.get((vm.node, "local"), {}))
    image = await pve.create_image(sid(vm), description="nightly by hand", kind=ImageKind.BACKUP)
    new = set(sim.volumes[(vm.node, "local")]) - before
    assert len(new) == 1
    volid = new.pop()
    assert image.id == f"{vm.node}/{volid}" and image.kind is ImageKind.BACKUP and image.description == "nightly by hand"
    assert volid.startswith(f"local:backup/vzdump-qemu-{vm.vmid}-") and volid.endswith(".vma.zst")
    assert image.size_gb and image.size_gb > 0 and image.created is not None
    post = next(r for r in sim.request_log if r["method"] == "POST" and r["path"].endswith("/vzdump"))
    form = parse_qs(post["body"])
    assert form["vmid"] == [str(vm.vmid)] and form["mode"] == ["snapshot"] and form["compress"] == ["zstd"]
    assert form["storage"] == ["local"]
    assert vm.lock is None


async def test_backup_goes_to_the_configured_storage(sim):
    adapter = make_adapter(sim, backup_storage="local-lvm")
    vm = a_vm(sim)
    with pytest.raises(Exception, match="does not support backups"):
        await adapter.create_image(sid(vm), kind=ImageKind.BACKUP)
    await adapter.aclose()


async def test_backups_are_listed_from_the_storage_content(sim, pve):
    vm = a_vm(sim)
    volid = sim.add_backup(vm.node, vm.vmid, when=1_700_000_000, notes="seeded")
    images = await pve.list_images(kinds=(ImageKind.BACKUP,), server_id=sid(vm))
    found = next(i for i in images if i.id == f"{vm.node}/{volid}")
    assert found.created.timestamp() == 1_700_000_000 and found.description == "seeded"
    assert all(i.server_id == sid(vm) for i in images)
    gets = [r for r in sim.request_log if r["path"].endswith("/storage/local/content")]
    assert gets and gets[-1]["query"]["vmid"] == [str(vm.vmid)] and gets[-1]["query"]["content"] == ["backup"]


async def test_backup_delete_removes_the_volume(sim, pve):
    vm = a_vm(sim)
    volid = sim.add_backup(vm.node, vm.vmid, when=1_700_000_000)
    await pve.delete_image(f"{vm.node}/{volid}")
    assert volid not in sim.volumes[(vm.node, "local")]
    delete = writes(sim)[-1]
    assert delete["method"] == "DELETE" and unquote(delete["path"]).endswith(volid)


async def test_deleting_a_missing_backup_is_not_found(sim, pve):
    vm = a_vm(sim)
    with pytest.raises(NotFoundError, match="has no backup"):
        await pve.delete_image(f"{vm.node}/local:backup/vzdump-qemu-{vm.vmid}-2001_01_01-00_00_00.vma.zst")
    assert not writes(sim)


async def test_whole_backend_listing_has_every_vms_snapshots_and_backups(sim, pve):
    images = await pve.list_images()
    snaps = {(n, v, name) for (n, v), g in sim.guests.items() for name in g.snapshots if sim.cluster.get_vm(n, v)}
    backups = {(n, volid) for (n, _s), vols in sim.volumes.items() for volid in vols}
    assert {tuple(i.id.split("/")) for i in images if i.kind is ImageKind.SNAPSHOT} == \
        {(n, str(v), name) for n, v, name in snaps}
    assert {tuple(i.id.split("/", 1)) for i in images if i.kind is ImageKind.BACKUP} == backups
    assert snaps and backups                         # the seed has both


async def test_read_only_refuses_images_before_sending(sim):
    adapter = make_adapter(sim, read_only=True)
    vm = a_vm(sim)
    with pytest.raises(ReadOnlyError):
        await adapter.create_image(sid(vm), kind=ImageKind.BACKUP)
    with pytest.raises(ReadOnlyError):
        await adapter.delete_image(f"{vm.node}/{vm.vmid}/before-upgrade")
    assert await adapter.list_images(server_id=sid(vm)) is not None       # reading stays allowed
    assert not writes(sim)
    await adapter.aclose()


# metrics ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("period", "frame", "step"), [("1h", "hour", 60), ("24h", "day", 1800), ("7d", "week", 10800)])
async def test_cpu_metrics_are_percent_of_the_rrd_fraction(sim, pve, period, frame, step):
    vm = a_vm(sim)
    metrics = await pve.metrics(sid(vm), MetricKind.CPU, period)
    raw = raw_get(sim, f"/nodes/{vm.node}/qemu/{vm.vmid}/rrddata", timeframe=frame, cf="AVERAGE")
    assert metrics.step_seconds == step and metrics.period == period
    (cpu,) = metrics.series
    assert cpu.name == "cpu" and cpu.unit == "percent"
    expected = {p["time"]: p["cpu"] * 100 for p in raw if "cpu" in p}
    start = raw[-1]["time"] - {"1h": 3600, "24h": 86400, "7d": 604800}[period]
    assert dict(cpu.points) == {t: v for t, v in expected.items() if t > start}
    assert all(isinstance(v, float) for v in cpu.values)
    query = parse_qs(next(r for r in sim.request_log if r["path"].endswith("/rrddata"))["target"].split("?", 1)[1])
    assert query == {"timeframe": [frame], "cf": ["AVERAGE"]}


async def test_network_and_disk_metrics_are_bytes_per_second_and_skip_missing_values(sim, pve):
    vm = a_vm(sim, vmid_mod=(7, 0))      # the simulator leaves the disk values out of two points of these VMs
    disk = await pve.metrics(sid(vm), MetricKind.DISK, "1h")
    net = await pve.metrics(sid(vm), MetricKind.NETWORK, "1h")
    assert [s.name for s in disk.series] == ["disk.0.bandwidth.read", "disk.0.bandwidth.write"]
    assert [s.name for s in net.series] == ["network.0.bandwidth.in", "network.0.bandwidth.out"]
    assert {s.unit for s in disk.series + net.series} == {"bytes/s"}
    raw = raw_get(sim, f"/nodes/{vm.node}/qemu/{vm.vmid}/rrddata", timeframe="hour")
    assert len(raw) == POINTS                                           # 70 minutes: the last hour is kept
    raw = [p for p in raw if p["time"] > raw[-1]["time"] - 3600]
    with_net = [p for p in raw if "netin" in p]
    with_disk = [p for p in raw if "diskread" in p]
    assert len(net.series[0].points) == len(with_net) < len(raw)        # empty points are left out, not zero
    assert len(disk.series[0].points) == len(with_disk) < len(with_net)  # a point without disk values still has network
    assert net.series[0].values == [float(p["netin"]) for p in with_net]


async def test_metrics_reject_an_unknown_period(pve):
    with pytest.raises(ValidationError, match="period '30d'"):
        await pve.metrics("pve-fsn-1/100", MetricKind.CPU, "30d")


async def test_metrics_json_shape(sim, pve):
    vm = a_vm(sim)
    data = (await pve.metrics(sid(vm), MetricKind.NETWORK, "24h")).as_json()
    assert data["type"] == "network" and data["period"] == "24h" and data["server_id"] == sid(vm)
    assert set(data["series"]) == {"network.0.bandwidth.in", "network.0.bandwidth.out"}


# capabilities and refusals --------------------------------------------------------------------------------------

REFUSED = [
    (Capability.RESCUE, "no rescue system", "enable_rescue", ("pve-fsn-1/100",)),
    (Capability.REBUILD, "no reinstall", "rebuild", ("pve-fsn-1/100", "debian-12")),
    (Capability.CHANGE_TYPE, "no plans", "change_type", ("pve-fsn-1/100", "big")),
    (Capability.BACKUPS, "cluster-wide jobs", "set_backups", ("pve-fsn-1/100", True)),
    (Capability.LABELS, "plain words", "set_labels", ("pve-fsn-1/100", {"a": "b"})),
    (Capability.ISO, "CD/DVD drive", "attach_iso", ("pve-fsn-1/100", "x.iso")),
    (Capability.RDNS, "reverse DNS", "set_reverse_dns", ("pve-fsn-1/100", "203.0.113.1", "a.example")),
    (Capability.ATTACHMENTS, "firewalls, volumes", "attachments", ("pve-fsn-1/100",)),
]


@pytest.mark.parametrize(("capability", "words", "method", "args"), REFUSED)
async def test_what_proxmox_does_not_offer_is_refused_with_the_reason(sim, pve, capability, words, method, args):
    assert capability not in pve.capabilities
    assert words in pve.missing_reason(capability)
    with pytest.raises(UnsupportedError, match=words):
        await getattr(pve, method)(*args)
    assert not sim.request_log


async def test_delete_protection_sets_the_vms_protection_flag(sim, pve):
    vm = a_vm(sim)
    result = await pve.set_protection(sid(vm), delete=True)
    assert result.status == "success" and sim.guest(vm.node, vm.vmid).protection is True
    config = raw_get(sim, f"/nodes/{vm.node}/qemu/{vm.vmid}/config")
    assert config["protection"] == 1
    put = writes(sim)[-1]
    assert put["method"] == "PUT" and parse_qs(put["body"]) == {"protection": ["1"]}
    await pve.set_protection(sid(vm), delete=False)
    assert sim.guest(vm.node, vm.vmid).protection is False


async def test_rebuild_protection_does_not_exist_on_proxmox(sim, pve):
    with pytest.raises(ValidationError, match="no rebuild protection"):
        await pve.set_protection("pve-fsn-1/100", delete=True, rebuild=True)
    assert not sim.request_log


async def test_protection_of_a_locked_vm_is_a_conflict(sim, pve):
    vm = a_vm(sim, lock="backup")
    with pytest.raises(ConflictError, match="locked"):
        await pve.set_protection(sid(vm), delete=True)
    assert sim.guest(vm.node, vm.vmid).protection is False


async def test_read_only_refuses_protection(sim):
    adapter = make_adapter(sim, read_only=True)
    with pytest.raises(ReadOnlyError):
        await adapter.set_protection("pve-fsn-1/100", delete=True)
    assert not writes(sim)
    await adapter.aclose()


def test_images_and_metrics_are_declared_and_described(sim, pve):
    assert {Capability.IMAGES, Capability.METRICS, Capability.PROTECT} <= pve.capabilities
    assert pve.missing_reason(Capability.IMAGES) is None and pve.missing_reason(Capability.METRICS) is None
    assert "vzdump" in pve.describe_call(Capability.IMAGES)
    assert "rrddata" in pve.describe_call(Capability.METRICS)
    assert "protection=0|1" in pve.describe_call(Capability.PROTECT)
