"""The Proxmox simulator's snapshot, vzdump, storage content and rrddata endpoints over real sockets, held to the PVE
API schema (pve-docs apidoc: qemu/{vmid}/snapshot, nodes/{node}/vzdump, storage/{storage}/content, rrddata)."""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest

from hostdeck.backends.sim.cluster import VM
from hostdeck.backends.sim.proxmox_rrd import POINTS

from .test_proxmox_sim import TOKEN_ID
from .test_proxmox_sim import UPID_RE
from .test_proxmox_sim import api as api  # noqa: F401  (the fixture)
from .test_proxmox_sim import data
from .test_proxmox_sim import error
from .test_proxmox_sim import sim as sim  # noqa: F401  (the fixture)


def vm_of(sim, *, status: str = "running", lock: str | None = None) -> VM:
    return next(vm for _k, vm in sorted(sim.cluster.vms.items()) if vm.status == status and vm.lock == lock)


def finish(sim, api, upid: str, node: str) -> dict:
    sim.clock.advance(10)
    return data(api.get(f"/nodes/{node}/tasks/{quote(upid, safe='')}/status"))


def test_snapshot_list_ends_with_current(sim, api):
    vm = vm_of(sim)
    sim.guest(vm.node, vm.vmid).snapshots.clear()
    sim.add_snapshot(vm.node, vm.vmid, "first", "one", when=1_700_000_000)
    rows = data(api.get(f"/nodes/{vm.node}/qemu/{vm.vmid}/snapshot"))
    assert rows[0] == {"name": "first", "description": "one", "snaptime": 1_700_000_000}
    assert rows[-1]["name"] == "current" and rows[-1]["description"] == "You are here!"
    assert rows[-1]["parent"] == "first" and rows[-1]["running"] == 1


def test_snapshot_is_a_task_that_locks_the_vm(sim, api):
    vm = vm_of(sim)
    upid = data(api.post(f"/nodes/{vm.node}/qemu/{vm.vmid}/snapshot", data={"snapname": "s1", "description": "d"}))
    found = UPID_RE.match(upid)
    assert found and found["type"] == "qmsnapshot" and found["id"] == str(vm.vmid) and found["user"] == TOKEN_ID
    assert vm.lock == "snapshot"
    assert data(api.get(f"/nodes/{vm.node}/qemu/{vm.vmid}/status/current"))["lock"] == "snapshot"
    task = finish(sim, api, upid, vm.node)
    assert task["status"] == "stopped" and task["exitstatus"] == "OK" and vm.lock is None
    assert "s1" in sim.guest(vm.node, vm.vmid).snapshots


def test_a_used_snapshot_name_fails_in_the_task(sim, api):
    vm = vm_of(sim)
    sim.add_snapshot(vm.node, vm.vmid, "taken")
    upid = data(api.post(f"/nodes/{vm.node}/qemu/{vm.vmid}/snapshot", data={"snapname": "taken"}))
    assert finish(sim, api, upid, vm.node)["exitstatus"] == "snapshot name 'taken' already used"


@pytest.mark.parametrize(("form", "field", "text"), [
    ({}, "snapname", "property is missing and it is not optional"),
    ({"snapname": "1abc"}, "snapname", "invalid format - invalid configuration ID '1abc'"),
    ({"snapname": "a" * 41}, "snapname", "value may only be 40 characters long"),
    ({"snapname": "ok", "color": "red"}, "color", "property is not defined in schema"),
])
def test_snapshot_parameters_are_verified(sim, api, form, field, text):
    vm = vm_of(sim)
    resp = api.post(f"/nodes/{vm.node}/qemu/{vm.vmid}/snapshot", data=form)
    assert error(resp, 400) == "Parameter verification failed."
    assert resp.json()["errors"][field].startswith(text)


def test_current_is_a_reserved_snapshot_name(sim, api):
    vm = vm_of(sim)
    resp = api.post(f"/nodes/{vm.node}/qemu/{vm.vmid}/snapshot", data={"snapname": "current"})
    assert error(resp, 500) == "unable to use snapshot name 'current' (reserved name)"


def test_snapshot_of_a_locked_vm_fails_in_the_task(sim, api):
    vm = vm_of(sim)
    vm.lock = "backup"
    upid = data(api.post(f"/nodes/{vm.node}/qemu/{vm.vmid}/snapshot", data={"snapname": "s1"}))
    assert finish(sim, api, upid, vm.node)["exitstatus"] == "VM is locked (backup)"
    assert vm.lock == "backup"                         # another task's lock is not released by this one


def test_deleting_a_missing_snapshot_fails_in_the_task(sim, api):
    vm = vm_of(sim)
    upid = data(api.delete(f"/nodes/{vm.node}/qemu/{vm.vmid}/snapshot/nothing"))
    assert UPID_RE.match(upid)["type"] == "qmdelsnapshot"
    assert finish(sim, api, upid, vm.node)["exitstatus"] == "snapshot 'nothing' does not exist"


def test_snapshots_need_the_snapshot_privilege(sim, api):
    vm = vm_of(sim)
    token = sim.add_token("auditor@pve!ro", "ro-secret", {"VM.Audit"})
    resp = httpx.post(f"{sim.base_url}/nodes/{vm.node}/qemu/{vm.vmid}/snapshot", data={"snapname": "x"},
                      headers={"Authorization": f"PVEAPIToken={token.token_id}=ro-secret"})
    assert error(resp, 403) == f"Permission check failed (/vms/{vm.vmid}, VM.Snapshot)"


def test_vzdump_writes_an_archive_listed_in_the_storage_content(sim, api):
    vm = vm_of(sim)
    upid = data(api.post(f"/nodes/{vm.node}/vzdump", data={"vmid": str(vm.vmid), "storage": "local", "mode": "snapshot",
                                                           "compress": "zstd", "notes-template": "{{guestname}}"}))
    assert UPID_RE.match(upid)["type"] == "vzdump" and vm.lock == "backup"
    power = data(api.post(f"/nodes/{vm.node}/qemu/{vm.vmid}/status/reboot"))
    assert finish(sim, api, upid, vm.node)["exitstatus"] == "OK" and vm.lock is None
    assert finish(sim, api, power, vm.node)["exitstatus"] != "OK"       # the backup held the VM's lock
    rows = data(api.get(f"/nodes/{vm.node}/storage/local/content", params={"content": "backup", "vmid": vm.vmid}))
    row = max(rows, key=lambda r: r["ctime"])
    assert row["volid"].startswith(f"local:backup/vzdump-qemu-{vm.vmid}-") and row["format"] == "vma.zst"
    assert isinstance(row["ctime"], int) and isinstance(row["size"], int) and row["vmid"] == vm.vmid
    assert row["content"] == "backup" and row["notes"] == vm.name


@pytest.mark.parametrize(("form", "status", "text"), [
    ({"vmid": "100", "storage": "local-lvm"}, 500, "storage 'local-lvm' does not support backups"),
    ({"vmid": "100", "storage": "nfs"}, 500, "storage 'nfs' does not exist"),
    ({"vmid": "100", "mode": "fast"}, 400, "Parameter verification failed."),
    ({"vmid": "100", "notes-template": "x"}, 400, "Parameter verification failed."),
])
def test_vzdump_refusals(sim, api, form, status, text):
    node = sorted(sim.cluster.nodes)[0]
    assert error(api.post(f"/nodes/{node}/vzdump", data=form), status) == text


def test_storages_that_hold_backups(sim, api):
    node = sorted(sim.cluster.nodes)[0]
    rows = data(api.get(f"/nodes/{node}/storage", params={"content": "backup"}))
    assert [r["storage"] for r in rows] == ["local"] and rows[0]["active"] == 1 and "backup" in rows[0]["content"]


def test_deleting_a_backup_volume_is_a_task(sim, api):
    vm = vm_of(sim)
    volid = sim.add_backup(vm.node, vm.vmid, when=1_700_000_000)
    upid = data(api.delete(f"/nodes/{vm.node}/storage/local/content/{quote(volid, safe='')}"))
    assert UPID_RE.match(upid)["type"] == "imgdel"
    assert finish(sim, api, upid, vm.node)["exitstatus"] == "OK"
    assert volid not in sim.volumes[(vm.node, "local")]


def test_unknown_storage_is_a_500(sim, api):
    node = sorted(sim.cluster.nodes)[0]
    assert error(api.get(f"/nodes/{node}/storage/nfs/content"), 500) == "storage 'nfs' does not exist"


@pytest.mark.parametrize(("frame", "step"), [("hour", 60), ("day", 1800), ("week", 10800)])
def test_rrddata_points(sim, api, frame, step):
    vm = vm_of(sim)
    rows = data(api.get(f"/nodes/{vm.node}/qemu/{vm.vmid}/rrddata", params={"timeframe": frame, "cf": "AVERAGE"}))
    assert len(rows) == POINTS and all(b["time"] - a["time"] == step for a, b in zip(rows, rows[1:]))
    assert rows[-1] == {"time": rows[-1]["time"]}                      # the newest step is not consolidated yet
    full = [r for r in rows if "cpu" in r]
    assert full and all(isinstance(r[k], float) for r in full for k in ("cpu", "netin", "netout", "maxmem"))
    assert all(0.0 <= r["cpu"] <= 1.0 for r in full)


@pytest.mark.parametrize(("params", "field"), [({}, "timeframe"), ({"timeframe": "minute"}, "timeframe"),
                                               ({"timeframe": "hour", "cf": "MIN"}, "cf")])
def test_rrddata_parameters_are_verified(sim, api, params, field):
    vm = vm_of(sim)
    resp = api.get(f"/nodes/{vm.node}/qemu/{vm.vmid}/rrddata", params=params)
    assert error(resp, 400) == "Parameter verification failed." and field in resp.json()["errors"]


def test_protection_is_a_config_option_with_its_own_privilege(sim, api):
    vm = vm_of(sim)
    assert data(api.put(f"/nodes/{vm.node}/qemu/{vm.vmid}/config", data={"protection": "1"})) is None
    assert data(api.get(f"/nodes/{vm.node}/qemu/{vm.vmid}/config"))["protection"] == 1
    token = sim.add_token("ops@pve!cloudinit", "ci-secret", {"VM.Audit", "VM.Config.Cloudinit"})
    resp = httpx.put(f"{sim.base_url}/nodes/{vm.node}/qemu/{vm.vmid}/config", data={"protection": "0"},
                     headers={"Authorization": f"PVEAPIToken={token.token_id}=ci-secret"})
    assert error(resp, 403) == f"Permission check failed (/vms/{vm.vmid}, VM.Config.Options)"
    assert sim.guest(vm.node, vm.vmid).protection is True
