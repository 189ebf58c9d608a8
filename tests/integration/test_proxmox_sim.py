"""The Proxmox VE simulator over real loopback sockets, held to shared/api/proxmox.md."""

from __future__ import annotations

import re
import time
from urllib.parse import quote

import httpx
import pytest

from hostdeck.backends.sim.cluster import VM
from hostdeck.backends.sim.cluster import Cluster
from hostdeck.backends.sim.cluster import Node
from hostdeck.backends.sim.proxmox import ProxmoxSim

TOKEN_ID, SECRET = "hostdeck@pve!hostdeck", "5f0c7a1e-3b1d-4c8e-9a2f-0d6b4e8c1a77"
UPID_RE = re.compile(r"^UPID:(?P<node>[^:]+):(?P<pid>[0-9A-F]{8}):(?P<pstart>[0-9A-F]{8}):(?P<start>[0-9A-F]{8}):"
                     r"(?P<type>[a-z]+):(?P<id>\d+):(?P<user>[^:]+):$")


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def sim():
    with ProxmoxSim(vms_per_node=12, seed=4, token_id=TOKEN_ID, token_secret=SECRET, task_seconds=5.0) as s:
        s.clock = FakeClock()
        yield s


@pytest.fixture
def api(sim):
    with httpx.Client(base_url=sim.base_url, headers={"Authorization": f"PVEAPIToken={TOKEN_ID}={SECRET}"}) as client:
        yield client


def data(resp: httpx.Response):
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"data"}
    return body["data"]


def error(resp: httpx.Response, status: int) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["data"] is None and body["message"].endswith("\n")
    assert resp.reason_phrase == body["message"].strip().splitlines()[0]
    return body["message"].strip()


def a_vm(sim, *, status="running", lock=None, paused=False, agent=True, windows=False, acpi=False) -> VM:
    for (node, vmid), vm in sorted(sim.cluster.vms.items()):
        g = sim.guest(node, vmid)
        if (vm.status == status and vm.lock == lock and g.paused == paused and (g.agent_enabled and vm.agent_running) == agent
                and (g.os[0] == "mswindows") == windows and g.ignores_acpi == acpi):
            return vm
    raise AssertionError("no such VM in the seed")


def post(api, vm: VM, action: str, **params) -> httpx.Response:
    return api.post(f"/nodes/{vm.node}/qemu/{vm.vmid}/status/{action}", data=params or None)


def task(api, upid: str) -> dict:
    node = upid.split(":")[1]
    return data(api.get(f"/nodes/{node}/tasks/{quote(upid, safe='')}/status"))


def finish(sim, api, upid: str) -> dict:
    sim.clock.advance(sim.task_seconds + 0.01)
    result = task(api, upid)
    assert result["status"] == "stopped"
    return result


# envelope, version, nodes --------------------------------------------------------------------
def test_version_has_the_documented_shape(api):
    version = data(api.get("/version"))
    assert {"version", "release", "repoid"} <= set(version)
    assert version["version"].startswith(version["release"])


def test_nodes_are_the_cluster_nodes(sim, api):
    nodes = data(api.get("/nodes"))
    assert [n["node"] for n in nodes] == sorted(sim.cluster.nodes)
    assert all(n["status"] == "online" and n["maxmem"] > 0 and n["type"] == "node" for n in nodes)


def test_vm_list_in_bytes_and_qmpstatus_only_with_full(sim, api):
    node = "pve-fsn-1"
    plain = data(api.get(f"/nodes/{node}/qemu"))
    full = data(api.get(f"/nodes/{node}/qemu", params={"full": 1}))
    assert len(plain) == len(full) == 12
    assert all("qmpstatus" not in v for v in plain) and all("qmpstatus" in v for v in full)
    for v in full:
        vm = sim.vm(node, v["vmid"])
        assert v["maxmem"] == vm.memory_bytes and v["maxdisk"] == vm.disk_bytes and v["cpus"] == vm.cores
        if v["status"] == "stopped":
            assert v["cpu"] == v["mem"] == v["uptime"] == 0 and v["qmpstatus"] == "stopped" and "pid" not in v
        else:
            assert v["uptime"] > 0 and 0 < v["mem"] <= v["maxmem"] and 0 <= v["cpu"] <= 1


def test_seed_is_deterministic_and_varied():
    a, b = ProxmoxSim(vms_per_node=30, seed=9), ProxmoxSim(vms_per_node=30, seed=9)
    names = lambda s: [(vm.node, vm.vmid, vm.name, vm.status, vm.lock) for vm in s.cluster.vms.values()]
    assert names(a) == names(b) and len(names(a)) == 90
    guests = a.guests.values()
    assert any(g.paused for g in guests) and any(g.ignores_acpi for g in guests) and any(not g.agent_enabled for g in guests)
    assert any(g.os[0] == "mswindows" for g in guests)
    assert any(vm.lock == "backup" for vm in a.cluster.vms.values())
    assert any(not vm.agent_running for vm in a.cluster.vms.values())


def test_cluster_resources_lists_every_guest(sim, api):
    rows = data(api.get("/cluster/resources", params={"type": "vm"}))
    assert len(rows) == 36 and {r["id"] for r in rows} == {f"qemu/{vm.vmid}" for vm in sim.cluster.vms.values()}


def test_status_current(sim, api):
    vm = a_vm(sim)
    status = data(api.get(f"/nodes/{vm.node}/qemu/{vm.vmid}/status/current"))
    assert status["vmid"] == vm.vmid and status["status"] == "running" and status["qmpstatus"] == "running"
    assert status["agent"] == 1 and status["ha"] == {"managed": 0} and "pid" in status and "lock" not in status
    sim.guest(vm.node, vm.vmid).agent_enabled = False
    assert "agent" not in data(api.get(f"/nodes/{vm.node}/qemu/{vm.vmid}/status/current"))
    locked = a_vm(sim, lock="backup")
    assert data(api.get(f"/nodes/{locked.node}/qemu/{locked.vmid}/status/current"))["lock"] == "backup"


# errors ------------------------------------------------------------------------------------
def test_unknown_vmid_is_a_500_naming_the_config_file(api):
    message = error(api.get("/nodes/pve-fsn-1/qemu/99999/status/current"), 500)
    assert message == "Configuration file 'nodes/pve-fsn-1/qemu-server/99999.conf' does not exist"


def test_vm_of_another_node_does_not_exist_on_this_one(sim, api):
    vm = next(v for v in sim.cluster.vms.values() if v.node == "pve-fsn-2")
    assert "does not exist" in error(api.get(f"/nodes/pve-fsn-1/qemu/{vm.vmid}/status/current"), 500)


def test_invalid_vmid_and_unknown_paths(api):
    resp = api.get("/nodes/pve-fsn-1/qemu/abc/status/current")
    assert error(resp, 400) == "Parameter verification failed." and "vmid" in resp.json()["errors"]
    assert "not implemented" in error(api.get("/nodes/pve-fsn-1/frobnicate"), 501)
    assert "no such cluster node" in error(api.get("/nodes/nope/qemu"), 500)


def test_legacy_servers_put_the_message_only_in_the_reason_phrase():
    with ProxmoxSim(vms_per_node=2, legacy_errors=True, token_id=TOKEN_ID, token_secret=SECRET) as old:
        resp = httpx.get(old.base_url + "/nodes/pve-fsn-1/qemu/99999/status/current", headers=old.auth_header())
        assert resp.status_code == 500 and resp.json() == {"data": None}
        assert resp.reason_phrase.startswith("Configuration file")


def test_offline_node_answers_595(sim, api):
    sim.set_node_online("pve-nbg-1", False)
    error(api.get("/nodes/pve-nbg-1/qemu"), 595)
    assert {n["node"]: n["status"] for n in data(api.get("/nodes"))}["pve-nbg-1"] == "offline"


# auth and permissions ------------------------------------------------------------------------
@pytest.mark.parametrize("header", [None, f"PVEAPIToken={TOKEN_ID}=wrong-secret", f"PVEAPIToken=other@pve!x={SECRET}",
                                    f"Bearer {SECRET}", f"PVEAPIToken={TOKEN_ID}:{SECRET}"])
def test_bad_credentials_are_401(sim, header):
    resp = httpx.get(sim.base_url + "/version", headers={"Authorization": header} if header else {})
    assert error(resp, 401) in ("No ticket", "authentication failure")


def test_unauthenticated_answers_are_delayed():
    with ProxmoxSim(vms_per_node=1, auth_failure_delay=0.4, token_id=TOKEN_ID, token_secret=SECRET) as slow:
        started = time.monotonic()
        assert httpx.get(slow.base_url + "/version", headers={"Authorization": "PVEAPIToken=a@pve!b=c"}).status_code == 401
        assert time.monotonic() - started >= 0.4
        started = time.monotonic()
        assert httpx.get(slow.base_url + "/version", headers=slow.auth_header()).status_code == 200
        assert time.monotonic() - started < 0.3


def test_privileges_per_token_and_vm(sim):
    vm = a_vm(sim)
    sim.add_token("audit@pve!ro", "ro-secret", {"VM.Audit"}, vmids={vm.vmid})
    with httpx.Client(base_url=sim.base_url, headers={"Authorization": "PVEAPIToken=audit@pve!ro=ro-secret"}) as ro:
        listed = data(ro.get(f"/nodes/{vm.node}/qemu"))
        assert [v["vmid"] for v in listed] == [vm.vmid]
        data(ro.get(f"/nodes/{vm.node}/qemu/{vm.vmid}/status/current"))
        assert error(post(ro, vm, "reboot"), 403) == f"Permission check failed (/vms/{vm.vmid}, VM.PowerMgmt)"
        other = next(v for v in sim.cluster.vms.values() if v.vmid != vm.vmid)
        assert error(ro.get(f"/nodes/{other.node}/qemu/{other.vmid}/status/current"), 403) == \
            f"Permission check failed (/vms/{other.vmid}, VM.Audit)"
        assert "VM.GuestAgent.Audit" in error(ro.post(f"/nodes/{vm.node}/qemu/{vm.vmid}/agent/ping"), 403)


def test_reading_another_tokens_task_needs_sys_audit(sim, api):
    vm = a_vm(sim)
    upid = data(post(api, vm, "reset"))
    sim.add_token("audit@pve!ro", "ro-secret", {"VM.Audit"})
    resp = httpx.get(f"{sim.base_url}/nodes/{vm.node}/tasks/{quote(upid, safe='')}/status",
                     headers={"Authorization": "PVEAPIToken=audit@pve!ro=ro-secret"})
    assert error(resp, 403) == f"Permission check failed (/nodes/{vm.node}, Sys.Audit)"


def test_request_log_redacts_the_token(sim, api):
    api.get("/version")
    entry = sim.request_log[-1]
    assert entry["headers"]["Authorization"] == "***" and SECRET not in repr(sim.request_log)


# tasks and power ----------------------------------------------------------------------------------
def test_power_actions_return_upids_and_tasks_follow_to_ok(sim, api):
    vm = a_vm(sim)
    upid = data(post(api, vm, "stop"))
    m = UPID_RE.match(upid)
    assert m and m["node"] == vm.node and m["type"] == "qmstop" and m["id"] == str(vm.vmid) and m["user"] == TOKEN_ID
    running = task(api, upid)
    assert running["status"] == "running" and "exitstatus" not in running
    assert running["upid"] == upid and running["type"] == "qmstop" and running["id"] == str(vm.vmid)
    assert vm.status == "running"  # applied when the task ends
    done = finish(sim, api, upid)
    assert done["exitstatus"] == "OK" and vm.status == "stopped"
    current = data(api.get(f"/nodes/{vm.node}/qemu/{vm.vmid}/status/current"))
    assert current["status"] == current["qmpstatus"] == "stopped" and current["uptime"] == current["mem"] == 0
    log = data(api.get(f"/nodes/{vm.node}/tasks/{quote(upid, safe='')}/log"))
    assert log[-1] == {"n": len(log), "t": "TASK OK"}


def test_start_then_reboot_and_reset_restart_the_uptime(sim, api):
    vm = a_vm(sim, status="stopped")
    assert finish(sim, api, data(post(api, vm, "start")))["exitstatus"] == "OK"
    assert vm.status == "running"
    sim.clock.advance(100)
    for action in ("reboot", "reset"):
        before = data(api.get(f"/nodes/{vm.node}/qemu/{vm.vmid}/status/current"))["uptime"]
        assert before >= 100
        assert finish(sim, api, data(post(api, vm, action)))["exitstatus"] == "OK"
        assert data(api.get(f"/nodes/{vm.node}/qemu/{vm.vmid}/status/current"))["uptime"] < before
        sim.clock.advance(100)


def test_start_of_a_running_vm_fails_inside_the_task(sim, api):
    vm = a_vm(sim)
    done = finish(sim, api, data(post(api, vm, "start")))
    assert done["exitstatus"] == f"VM {vm.vmid} already running"


@pytest.mark.parametrize("action", ["reboot", "reset", "shutdown"])
def test_stopped_vm_refuses_reboot_reset_shutdown_synchronously(sim, api, action):
    vm = a_vm(sim, status="stopped")
    assert error(post(api, vm, action), 500) == f"VM {vm.vmid} not running"


def test_lock_makes_the_power_task_fail(sim, api):
    vm = a_vm(sim, lock="backup")
    assert finish(sim, api, data(post(api, vm, "stop")))["exitstatus"] == "VM is locked (backup)"
    assert vm.status == "running"


def test_second_task_while_one_runs_cannot_get_the_lock(sim, api):
    vm = a_vm(sim)
    first = data(post(api, vm, "reboot"))
    second = data(post(api, vm, "reset"))
    assert "can't lock file" in finish(sim, api, second)["exitstatus"]
    assert task(api, first)["exitstatus"] == "OK"


def test_shutdown_of_a_guest_that_ignores_acpi_times_out_unless_forced(sim, api):
    vm = a_vm(sim)
    sim.ignore_acpi(vm.node, vm.vmid)
    upid = data(post(api, vm, "shutdown", timeout=30))
    sim.clock.advance(10)
    assert task(api, upid)["status"] == "running"
    sim.clock.advance(21)
    assert task(api, upid)["exitstatus"] == "VM quit/powerdown failed - got timeout" and vm.status == "running"
    upid = data(post(api, vm, "shutdown", timeout=30, forceStop=1))
    sim.clock.advance(31)
    assert task(api, upid)["exitstatus"] == "OK" and vm.status == "stopped"


def test_suspend_pauses_and_paused_vms_cannot_shut_down(sim, api):
    vm = a_vm(sim)
    finish(sim, api, data(post(api, vm, "suspend")))
    status = data(api.get(f"/nodes/{vm.node}/qemu/{vm.vmid}/status/current"))
    assert status["status"] == "running" and status["qmpstatus"] == "paused"
    assert error(post(api, vm, "shutdown"), 500) == "VM is paused - cannot shutdown"
    assert error(post(api, vm, "reboot"), 500) == "VM is paused - cannot shutdown"
    assert "guest-ping" in error(api.post(f"/nodes/{vm.node}/qemu/{vm.vmid}/agent/ping"), 500)
    finish(sim, api, data(post(api, vm, "resume")))
    assert data(api.get(f"/nodes/{vm.node}/qemu/{vm.vmid}/status/current"))["qmpstatus"] == "running"


def test_failed_task_with_injected_text(sim, api):
    vm = a_vm(sim)
    sim.fail_next_task(vm.node, vm.vmid, "start failed: QEMU exited with code 1")
    assert finish(sim, api, data(post(api, vm, "reset")))["exitstatus"] == "start failed: QEMU exited with code 1"


@pytest.mark.parametrize("params, field, text", [
    ({"skiplock": 1}, "skiplock", "Only root may use this option."),
    ({"timeout": -1}, "timeout", "minimum value of 0"),
    ({"timeout": "soon"}, "timeout", "type check ('integer') failed"),
    ({"bogus": 1}, "bogus", "property is not defined in schema"),
])
def test_parameter_verification(sim, api, params, field, text):
    vm = a_vm(sim)
    resp = post(api, vm, "shutdown", **params)
    assert error(resp, 400) == "Parameter verification failed."
    assert text in resp.json()["errors"][field]


def test_json_bodies_are_accepted_too(sim, api):
    vm = a_vm(sim)
    ignores = sim.guest(vm.node, vm.vmid)
    ignores.ignores_acpi = True
    upid = data(api.post(f"/nodes/{vm.node}/qemu/{vm.vmid}/status/shutdown", json={"timeout": 1, "forceStop": True}))
    sim.clock.advance(6)
    assert task(api, upid)["exitstatus"] == "OK" and vm.status == "stopped"


def test_unknown_upid(sim, api):
    resp = api.get("/nodes/pve-fsn-1/tasks/" + quote("UPID:pve-fsn-1:00000001:00000001:00000001:qmstart:100:x@pve!y:",
                                                     safe="") + "/status")
    error(resp, 500)
    assert error(api.get("/nodes/pve-fsn-1/tasks/garbage/status"), 400) == "Parameter verification failed."


# config and guest agent ----------------------------------------------------------------------------
def test_cipassword_is_write_only(sim, api):
    vm = a_vm(sim)
    upid = data(api.post(f"/nodes/{vm.node}/qemu/{vm.vmid}/config", data={"cipassword": "N3w-secret"}))
    assert UPID_RE.match(upid)["type"] == "qmconfig"
    finish(sim, api, upid)
    config = data(api.get(f"/nodes/{vm.node}/qemu/{vm.vmid}/config"))
    assert config["cipassword"] == "**********" and sim.guest(vm.node, vm.vmid).cipassword == "N3w-secret"
    assert data(api.put(f"/nodes/{vm.node}/qemu/{vm.vmid}/config", data={"ciuser": "admin"})) is None
    assert data(api.get(f"/nodes/{vm.node}/qemu/{vm.vmid}/config"))["ciuser"] == "admin"


def test_agent_ping_osinfo_and_set_user_password(sim, api):
    vm = a_vm(sim)
    base = f"/nodes/{vm.node}/qemu/{vm.vmid}/agent"
    assert data(api.post(f"{base}/ping")) == {"result": {}}
    osinfo = data(api.get(f"{base}/get-osinfo"))["result"]
    assert {"id", "name", "pretty-name", "version-id", "kernel-release"} <= set(osinfo)
    assert data(api.post(f"{base}/set-user-password", data={"username": "root", "password": "s3cret-pw"})) == {"result": {}}
    assert sim.guest(vm.node, vm.vmid).passwords["root"] == "s3cret-pw"


def test_windows_guest_has_administrator_not_root(sim, api):
    vm = a_vm(sim, windows=True)
    base = f"/nodes/{vm.node}/qemu/{vm.vmid}/agent"
    assert "windows" in data(api.get(f"{base}/get-osinfo"))["result"]["name"].lower()
    assert "Agent error" in error(api.post(f"{base}/set-user-password", data={"username": "root", "password": "abcdef"}), 500)
    data(api.post(f"{base}/set-user-password", data={"username": "Administrator", "password": "abcdef"}))


def test_password_under_five_characters_is_refused(sim, api):
    vm = a_vm(sim)
    resp = api.post(f"/nodes/{vm.node}/qemu/{vm.vmid}/agent/set-user-password", data={"username": "root", "password": "abc"})
    assert error(resp, 400) == "Parameter verification failed."
    assert resp.json()["errors"] == {"password": "value must have at least 5 characters\n"}


def test_agent_error_texts(sim, api):
    not_running = a_vm(sim, agent=False)
    sim.guest(not_running.node, not_running.vmid).agent_enabled = True
    not_running.agent_running = False
    assert error(api.post(f"/nodes/{not_running.node}/qemu/{not_running.vmid}/agent/ping"), 500) == \
        "QEMU guest agent is not running"
    sim.guest(not_running.node, not_running.vmid).agent_enabled = False
    assert error(api.post(f"/nodes/{not_running.node}/qemu/{not_running.vmid}/agent/ping"), 500) == \
        "No QEMU guest agent configured"
    stopped = a_vm(sim, status="stopped")
    sim.guest(stopped.node, stopped.vmid).agent_enabled = True
    assert error(api.post(f"/nodes/{stopped.node}/qemu/{stopped.vmid}/agent/ping"), 500) == \
        f"VM {stopped.vmid} is not running"


# the shared cluster and faults ----------------------------------------------------------------------
def test_serves_vms_another_simulator_adds_and_removes():
    cluster = Cluster([Node("pve-a"), Node("pve-b")])
    cluster.add_vm(VM(vmid=500, node="pve-a", name="convoy-made.example", status="stopped"))
    with ProxmoxSim(cluster, vms_per_node=20, token_id=TOKEN_ID, token_secret=SECRET, task_seconds=0.05) as shared:
        headers = shared.auth_header()
        assert len(cluster.vms) == 1  # a cluster with VMs is not seeded
        vmid = cluster.next_vmid()
        cluster.add_vm(VM(vmid=vmid, node="pve-b", name="new.example"))
        listed = httpx.get(f"{shared.base_url}/nodes/pve-b/qemu", headers=headers).json()["data"]
        assert [v["vmid"] for v in listed] == [vmid]
        upid = httpx.post(f"{shared.base_url}/nodes/pve-a/qemu/500/status/start", headers=headers).json()["data"]
        time.sleep(0.1)
        shared.advance()
        assert cluster.get_vm("pve-a", 500).status == "running"
        assert httpx.get(f"{shared.base_url}/nodes/pve-a/tasks/{quote(upid, safe='')}/status",
                         headers=headers).json()["data"]["exitstatus"] == "OK"
        cluster.remove_vm("pve-b", vmid)
        resp = httpx.get(f"{shared.base_url}/nodes/pve-b/qemu/{vmid}/status/current", headers=headers)
        assert resp.status_code == 500 and "does not exist" in resp.json()["message"]


@pytest.mark.parametrize("status, text", [(500, "something broke"), (503, None), (595, None)])
def test_injected_status_faults_use_the_pve_error_style(sim, api, status, text):
    sim.faults.add("GET /version", "status", status=status, message=text)
    message = error(api.get("/version"), status)
    assert message == (text or {503: "Service Unavailable", 595: "No route to host"}[status])
    data(api.get("/version"))
