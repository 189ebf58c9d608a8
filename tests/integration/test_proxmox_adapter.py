"""The Proxmox adapter against the simulator over real loopback sockets: every operation and its vendor faults;
the faults every adapter shares are in test_conformance.py."""

from __future__ import annotations

import asyncio
from urllib.parse import parse_qs

import httpx
import pytest

from hostdeck.backends.contract import Capability
from hostdeck.backends.contract import PowerAction
from hostdeck.backends.errors import AuthError
from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.errors import PermissionDenied
from hostdeck.backends.errors import ProtocolError
from hostdeck.backends.errors import ReadOnlyError
from hostdeck.backends.errors import UnavailableError
from hostdeck.backends.errors import UnsupportedError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.models import ServerStatus
from hostdeck.backends.proxmox import LiveState
from hostdeck.backends.proxmox import ProxmoxAdapter
from hostdeck.backends.registry import adapter_class
from hostdeck.backends.sim.cluster import VM
from hostdeck.backends.sim.proxmox import ProxmoxSim
from tests.support.fixtures import adapter_fixture
from tests.support.fixtures import sim_fixture

from .pve import SECRET
from .pve import TOKEN_ID
from .pve import make_adapter
from .pve import open_sim

NODE = "pve-fsn-1"


sim = sim_fixture(open_sim)
pve = adapter_fixture(make_adapter)


def a_vm(sim, *, status="running", lock=None, paused=False, agent=True, windows=False, node=None) -> VM:
    for (n, vmid), vm in sorted(sim.cluster.vms.items()):
        g = sim.guest(n, vmid)
        if (node in (None, n) and vm.status == status and vm.lock == lock and g.paused == paused
                and (g.agent_enabled and vm.agent_running) == agent and (g.os[0] == "mswindows") == windows
                and not g.ignores_acpi):
            return vm
    raise AssertionError("no such VM in the seed")


def sid(vm: VM) -> str:
    return f"{vm.node}/{vm.vmid}"


def posts(sim, suffix: str = "") -> list[dict]:
    return [r for r in sim.request_log if r["method"] == "POST" and r["path"].endswith(suffix)]


def events_text(adapter) -> str:
    return repr([e.as_dict() for e in adapter.events.recent()])


# listing and state ----------------------------------------------------------------------------
async def test_lists_every_vm_of_every_node_with_one_call_each(sim, pve):
    progress = []
    servers = await pve.list_servers(progress=lambda done, total: progress.append((done, total)))
    assert sorted(s.id for s in servers) == sorted(f"{n}/{v}" for n, v in sim.cluster.vms)
    lists = [r for r in sim.request_log if r["path"].endswith("/qemu")]
    assert len(lists) == 3 and all(r["query"] == {"full": ["1"]} for r in lists)
    assert progress[-1] == (3, 3)
    vm = sim.vm(NODE, 100)
    s = next(s for s in servers if s.id == f"{NODE}/100")
    assert s.memory_mb == vm.memory_bytes // 1048576 and s.disk_gb == vm.disk_bytes // 1073741824 and s.cores == vm.cores
    assert s.location == NODE and s.backend == "pve" and s.name == vm.name
    assert {"node", "vmid", "cpu", "mem", "maxmem", "uptime"} <= set(s.raw) and s.raw["maxmem"] == vm.memory_bytes


async def test_status_is_normalised_paused_is_unknown(sim, pve):
    servers = {s.id: s for s in await pve.list_servers()}
    for (node, vmid), vm in sim.cluster.vms.items():
        s = servers[f"{node}/{vmid}"]
        if vm.status == "stopped":
            assert s.status is ServerStatus.OFF and s.raw_status == "stopped"
        elif sim.guest(node, vmid).paused:
            assert s.status is ServerStatus.UNKNOWN and s.raw_status == "running (paused)"
        else:
            assert s.status is ServerStatus.RUNNING
        assert s.locked == bool(vm.lock)
    assert any(s.status is ServerStatus.UNKNOWN for s in servers.values())


async def test_configured_nodes_only(sim):
    one = make_adapter(sim, node="pve-fsn-2")
    assert {s.location for s in await one.list_servers()} == {"pve-fsn-2"}
    two = make_adapter(sim, nodes=[{"name": "pve-fsn-1"}, {"name": "pve-nbg-1", "url": sim.base_url}])
    assert {s.location for s in await two.list_servers()} == {"pve-fsn-1", "pve-nbg-1"}
    await one.aclose()
    await two.aclose()


async def test_get_server_by_id_and_name_and_live_state(sim, pve):
    vm = a_vm(sim)
    by_id = await pve.get_server(sid(vm))
    by_name = await pve.get_server(vm.name)
    assert by_id.id == by_name.id == sid(vm) and by_id.status is ServerStatus.RUNNING
    live = await pve.live_state(vm.node, vm.vmid)
    assert isinstance(live, LiveState) and live.status is ServerStatus.RUNNING and live.maxmem == vm.memory_bytes
    assert live.uptime > 0 and 0 < live.mem <= live.maxmem and live.agent and live.server_id == sid(vm)
    with pytest.raises(NotFoundError, match="does not exist"):
        await pve.get_server(f"{NODE}/99999")
    with pytest.raises(NotFoundError):
        await pve.get_server("no-such-vm")


async def test_unknown_node_is_not_found_in_plain_words(sim):
    adapter = make_adapter(sim, node="pve-fsn.example.com")
    with pytest.raises(NotFoundError, match="node name"):
        await adapter.list_servers()
    report = await adapter.test_connection()
    assert not report.ok and "not in this cluster" in report.error and "pve-fsn-1" in report.error
    await adapter.aclose()


@pytest.mark.parametrize("state", ["offline", "unknown"])
async def test_a_node_that_is_down_degrades_only_its_own_rows(sim, pve, state):
    """GET /nodes reports online/offline/unknown (pve-manager PVE/API2/Nodes.pm); the down node's VMs come from
    /cluster/resources with status unknown and the reason, and the other nodes list as usual."""
    sim.set_node_status("pve-nbg-1", state)
    servers = {s.id: s for s in await pve.list_servers()}
    assert set(servers) == {f"{node}/{vmid}" for (node, vmid) in sim.cluster.vms}
    down = [s for s in servers.values() if s.location == "pve-nbg-1"]
    assert down and all(s.status is ServerStatus.UNKNOWN for s in down)
    assert all(f"pve-nbg-1 is {state}" in s.raw["unknown_reason"] for s in down)
    assert f"pve-nbg-1 is {state}" in pve.missing_reason(Capability.REBOOT, down[0])   # actions say why they wait
    assert any(s.status is ServerStatus.RUNNING for s in servers.values() if s.location != "pve-nbg-1")


async def test_a_configured_node_that_does_not_answer_is_listed_through_another(sim):
    adapter = make_adapter(sim, nodes=[{"name": "pve-fsn-1"}, {"name": "pve-nbg-1", "url": sim.base_url}])
    sim.set_node_status("pve-nbg-1", "unknown")
    try:
        servers = await adapter.list_servers()
    finally:
        await adapter.aclose()
    down = [s for s in servers if s.location == "pve-nbg-1"]
    assert down and all(s.status is ServerStatus.UNKNOWN and "did not answer" in s.raw["unknown_reason"] for s in down)
    assert {s.location for s in servers} == {"pve-fsn-1", "pve-nbg-1"}


async def test_configured_offline_node_is_unavailable(sim):
    adapter = make_adapter(sim, node="pve-nbg-1")
    sim.set_node_online("pve-nbg-1", False)
    with pytest.raises(UnavailableError, match="cannot reach that Proxmox node"):
        await adapter.list_servers()
    assert len([r for r in sim.request_log if r["path"].endswith("/qemu")]) == 5  # a read: retried, then typed
    await adapter.aclose()


# power ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("action, start, end, command", [
    (PowerAction.ON, "stopped", "running", "start"), (PowerAction.OFF, "running", "stopped", "stop"),
    (PowerAction.SHUTDOWN, "running", "stopped", "shutdown"), (PowerAction.REBOOT, "running", "running", "reboot"),
    (PowerAction.RESET, "running", "running", "reset"),
])
async def test_power_actions_follow_the_task_to_the_end(sim, pve, action, start, end, command):
    vm = a_vm(sim, status=start)
    uptime = (await pve.live_state(vm.node, vm.vmid)).uptime
    steps = []
    result = await pve.power(sid(vm), action, progress=steps.append)
    assert result.status == "success" and result.command == command and result.action_id.startswith("UPID:")
    assert steps[0].status == "running" and steps[-1].status == "success" and steps[-1].progress == 100
    assert {s.id for s in steps} == {result.action_id}
    assert vm.status == end
    assert [r["path"] for r in posts(sim)] == [f"/api2/json/nodes/{vm.node}/qemu/{vm.vmid}/status/{command}"]
    if action in (PowerAction.REBOOT, PowerAction.RESET):
        assert (await pve.live_state(vm.node, vm.vmid)).uptime < uptime
    if action is PowerAction.SHUTDOWN:
        assert parse_qs(posts(sim)[0]["body"]) == {"timeout": ["1"]}


async def test_power_vm_for_the_convoy_join(sim, pve):
    vm = a_vm(sim, node="pve-nbg-1")
    result = await pve.power_vm("pve-nbg-1", vm.vmid, PowerAction.OFF)
    assert result.server_id == sid(vm) and vm.status == "stopped"


async def test_no_op_actions_send_nothing(sim, pve):
    running, stopped = a_vm(sim), a_vm(sim, status="stopped")
    assert "already running" in (await pve.power(sid(running), PowerAction.ON)).message
    assert "already off" in (await pve.power(sid(stopped), PowerAction.SHUTDOWN)).message
    with pytest.raises(ConflictError, match="use power on"):
        await pve.power(sid(stopped), PowerAction.REBOOT)
    assert posts(sim) == []


async def test_locked_vm_is_refused_before_any_action_call(sim, pve):
    vm = a_vm(sim, lock="backup")
    for action in PowerAction:
        with pytest.raises(ConflictError, match=r"locked \(backup\).*nothing was sent") as err:
            await pve.power(sid(vm), action)
        assert err.value.code == "locked"
    with pytest.raises(ConflictError, match="locked"):
        await pve.reset_password(sid(vm))
    assert posts(sim) == []
    server = await pve.get_server(sid(vm))
    assert server.locked and "locked (backup)" in pve.missing_reason(Capability.REBOOT, server)


async def test_paused_vm_cannot_shut_down(sim, pve):
    vm = a_vm(sim, paused=True)
    with pytest.raises(ConflictError, match="paused"):
        await pve.power(sid(vm), PowerAction.SHUTDOWN)
    assert posts(sim) == []
    assert (await pve.power(sid(vm), PowerAction.OFF)).status == "success" and vm.status == "stopped"


async def test_guest_that_ignores_acpi_reports_signal_sent(sim, pve):
    vm = a_vm(sim)
    sim.ignore_acpi(vm.node, vm.vmid)
    result = await pve.power(sid(vm), PowerAction.SHUTDOWN)  # shutdown_timeout = 1 s in the tests
    assert result.status == "signal_sent" and "power off" in result.message and vm.status == "running"


async def test_failed_task_is_an_error_with_its_text(sim, pve):
    vm = a_vm(sim)
    sim.fail_next_task(vm.node, vm.vmid, "start failed: QEMU exited with code 1")
    with pytest.raises(BackendError, match="QEMU exited with code 1") as err:
        await pve.power(sid(vm), PowerAction.RESET)
    assert "reset failed" in err.value.message and err.value.code == "task_failed"


async def test_lock_taken_after_the_check_fails_the_task_as_a_conflict(sim, pve):
    vm = a_vm(sim)
    sim.fail_next_task(vm.node, vm.vmid, "VM is locked (backup)")
    with pytest.raises(ConflictError, match="locked"):
        await pve.power(sid(vm), PowerAction.REBOOT)


async def test_a_running_power_task_shows_as_stopping(sim, pve):
    sim.task_seconds = 0.4
    vm = a_vm(sim)
    job = asyncio.ensure_future(pve.power(sid(vm), PowerAction.OFF))
    await asyncio.sleep(0.15)
    listed = {s.id: s for s in await pve.list_servers()}
    assert listed[sid(vm)].status is ServerStatus.STOPPING
    await job
    assert (await pve.get_server(sid(vm))).status is ServerStatus.OFF


# password -------------------------------------------------------------------------------------
async def test_reset_password_through_the_guest_agent(sim, pve):
    vm = a_vm(sim)
    steps = []
    result = await pve.reset_password(sid(vm), progress=steps.append)
    assert len(result.secret) >= 16 and any(c.isdigit() for c in result.secret) and any(c.isupper() for c in result.secret)
    assert sim.guest(vm.node, vm.vmid).passwords == {"root": result.secret}
    assert steps[-1].status == "success"
    assert result.secret not in repr(result) and result.secret not in events_text(pve) and SECRET not in events_text(pve)
    other = await pve.reset_password_vm(vm.node, vm.vmid)  # the Convoy join's entry point
    assert other.secret != result.secret


async def test_a_reset_password_survives_a_cloud_init_regeneration(sim, pve):
    """The guest agent's password alone is lost when cloud-init regenerates the configuration; Convoy writes
    `cipassword` as well (ConvoyPanel/panel ServerAuthService::updatePassword), and so does hostdeck."""
    vm = a_vm(sim)
    result = await pve.reset_password(sid(vm))
    guest = sim.guest(vm.node, vm.vmid)
    assert guest.cipassword == result.secret and result.note is None
    assert sim.regenerate_cloudinit(vm.node, vm.vmid) == result.secret
    assert guest.passwords["root"] == result.secret
    assert result.secret not in events_text(pve)
    assert "cipassword" in pve.describe_call(Capability.RESET_PASSWORD, await pve.get_server(sid(vm)))


async def test_without_the_cloud_init_privilege_the_result_says_it_will_not_survive(sim):
    vm = a_vm(sim)
    sim.add_token("agent@pve!pw", "pw-secret", {"VM.Audit", "VM.GuestAgent.Audit", "VM.GuestAgent.Unrestricted"})
    adapter = make_adapter(sim, secret="pw-secret", token_id="agent@pve!pw")
    try:
        result = await adapter.reset_password(sid(vm))
    finally:
        await adapter.aclose()
    guest = sim.guest(vm.node, vm.vmid)
    assert guest.passwords["root"] == result.secret and guest.cipassword != result.secret
    assert result.note and "cloud-init regeneration will bring the old password back" in result.note
    assert "VM.Config.Cloudinit" in result.note


async def test_windows_guest_gets_administrator(sim, pve):
    vm = a_vm(sim, windows=True)
    result = await pve.reset_password(sid(vm))
    assert sim.guest(vm.node, vm.vmid).passwords == {"Administrator": result.secret}


async def test_agent_not_running_says_what_to_do_and_sets_nothing(sim, pve):
    vm = a_vm(sim)
    vm.agent_running = False
    with pytest.raises(ConflictError) as err:
        await pve.reset_password(sid(vm))
    assert err.value.message.startswith("the QEMU guest agent is not running in this VM: install qemu-guest-agent")
    assert "use the console" in err.value.message and err.value.code == "agent_not_running"
    assert posts(sim, "set-user-password") == []


async def test_agent_not_enabled_and_vm_off_are_refused_before_the_agent(sim, pve):
    vm = a_vm(sim)
    sim.guest(vm.node, vm.vmid).agent_enabled = False
    with pytest.raises(ConflictError, match="not enabled.*QEMU Guest Agent"):
        await pve.reset_password(sid(vm))
    stopped = a_vm(sim, status="stopped")
    with pytest.raises(ConflictError, match="Start it first"):
        await pve.reset_password(sid(stopped))
    assert posts(sim) == []


async def test_set_user_password_is_resent_once_with_the_same_password(sim, pve):
    vm = a_vm(sim)
    sim.faults.add("POST /nodes/*/qemu/*/agent/set-user-password", "reset_mid", count=1)
    result = await pve.reset_password(sid(vm))
    sent = [parse_qs(r["body"])["password"][0] for r in posts(sim, "set-user-password")]
    assert sent == [result.secret, result.secret]


async def test_set_user_password_failing_twice_says_the_state_is_unclear(sim, pve):
    vm = a_vm(sim)
    sim.faults.add("POST /nodes/*/qemu/*/agent/set-user-password", "status", status=503, count=5)
    with pytest.raises(UnavailableError, match="could not be confirmed"):
        await pve.reset_password(sid(vm))
    assert len(posts(sim, "set-user-password")) == 2


# auth, permissions, read-only -------------------------------------------------------------------
async def test_bad_secret_is_an_auth_error_naming_the_fix(sim):
    adapter = make_adapter(sim, secret="wrong")
    with pytest.raises(AuthError) as err:
        await adapter.list_servers()
    assert "hostdeck secret set pve token_secret" in err.value.message
    assert len(sim.request_log) == 1  # never retried
    report = await adapter.test_connection()   # the rejected secret is not sent again
    assert not report.ok and report.error.startswith("credentials rejected at") and len(sim.request_log) == 1
    report = await adapter.explicit_test()     # a test the person asked for may send it once
    assert not report.ok and report.error.startswith("authentication failed") and len(sim.request_log) == 2
    await adapter.aclose()


async def test_slow_auth_failure_is_reported_as_authentication_not_timeout():
    with ProxmoxSim(vms_per_node=1, token_id=TOKEN_ID, token_secret=SECRET, auth_failure_delay=0.6) as slow:
        adapter = make_adapter(slow, secret="wrong", timeout=0.3)  # the connection test waits at least 10 s
        report = await adapter.test_connection()
        assert not report.ok and "authentication failed" in report.error and report.latency_ms >= 600
        await adapter.aclose()


async def test_permission_denied_names_the_privilege(sim):
    vm = a_vm(sim)
    sim.add_token("audit@pve!ro", "ro-secret", {"VM.Audit", "VM.GuestAgent.Audit"})
    adapter = make_adapter(sim, secret="ro-secret", token_id="audit@pve!ro")
    assert len(await adapter.list_servers()) == 45
    with pytest.raises(PermissionDenied, match=r"grant VM\.PowerMgmt on /vms/") as err:
        await adapter.power(sid(vm), PowerAction.REBOOT)
    assert err.value.http_status == 403
    with pytest.raises(PermissionDenied, match="VM.GuestAgent.Unrestricted"):
        await adapter.reset_password(sid(vm))
    await adapter.aclose()


async def test_read_only_mode_refuses_without_a_call(sim):
    adapter = make_adapter(sim, read_only=True)
    vm = a_vm(sim)
    with pytest.raises(ReadOnlyError):
        await adapter.power(sid(vm), PowerAction.OFF)
    with pytest.raises(ReadOnlyError):
        await adapter.reset_password(sid(vm))
    assert sim.request_log == [] and not adapter.can(Capability.REBOOT) and adapter.can(Capability.LIST)
    await adapter.aclose()


async def test_connection_report(sim, pve):
    report = await pve.test_connection()
    assert report.ok and report.version == "9.1.2 (9.1)" and report.latency_ms > 0 and report.credential_source == "demo"
    assert report.details["insecure"] is False and report.details["nodes"] == ["pve-fsn-1", "pve-fsn-2", "pve-nbg-1"]


async def test_insecure_tls_is_marked(sim):
    adapter = make_adapter(sim, insecure_tls=True)
    assert adapter.insecure
    report = await adapter.test_connection()
    assert report.ok and report.details["insecure"] and "OFF" in report.details["warning"]
    assert not make_adapter(sim).insecure
    await adapter.aclose()


async def test_node_without_configured_endpoint_is_unsupported(sim):
    adapter = make_adapter(sim, url="http://127.0.0.1:1", nodes=[{"name": "pve-fsn-1", "url": sim.base_url}])
    adapter.config.url = None
    with pytest.raises(UnsupportedError, match="needs Proxmox credentials for node pve-fsn-2"):
        await adapter.power_vm("pve-fsn-2", 116, PowerAction.OFF)
    await adapter.aclose()


def test_contract_metadata(sim):
    assert adapter_class("proxmox") is ProxmoxAdapter
    adapter = make_adapter(sim)
    assert adapter.kind == "proxmox" and adapter.secret_fields == ("token_secret",)
    assert adapter.capabilities == {Capability.LIST, Capability.POWER, Capability.SHUTDOWN, Capability.REBOOT,
                                    Capability.RESET, Capability.RESET_PASSWORD, Capability.IMAGES, Capability.METRICS,
                                    Capability.PROTECT}
    from hostdeck.backends.models import Server
    server = Server(backend="pve", id="pve-fsn-1/104", name="x", status=ServerStatus.RUNNING, raw_status="running")
    assert adapter.describe_call(Capability.REBOOT, server, PowerAction.REBOOT) == \
        "POST /nodes/pve-fsn-1/qemu/104/status/reboot"
    assert adapter.describe_call(Capability.POWER, server, PowerAction.OFF) == "POST /nodes/pve-fsn-1/qemu/104/status/stop"
    assert "agent/set-user-password" in adapter.describe_call(Capability.RESET_PASSWORD, server)
    with pytest.raises(ValidationError, match="node/vmid"):
        asyncio.run(adapter.power("104", PowerAction.OFF))


# the fault matrix beyond the conformance suite (test_conformance.py) ---------------------------------
async def test_html_page_with_200_is_a_protocol_error(sim, pve):
    sim.faults.add(route="GET /nodes/*/qemu", kind="content_type", content_type="text/html", count=1)
    with pytest.raises(ProtocolError, match="text/html"):
        await pve.list_servers()


async def test_body_without_data_envelope_is_a_protocol_error():
    from hostdeck.backends.http import HttpCore
    from hostdeck.backends.proxmox.api import PveClient
    from hostdeck.backends.proxmox.errors import classify

    http = HttpCore(backend="pve", base_url="http://127.0.0.1:1/api2/json", classify=classify,
                    transport=httpx.MockTransport(lambda request: httpx.Response(200, json=[{"vmid": 100}])))
    with pytest.raises(ProtocolError, match="'data'"):
        await PveClient(http, NODE).vms()
    await http.aclose()


async def test_pre_2025_servers_reason_phrase_becomes_the_message():
    with ProxmoxSim(vms_per_node=3, token_id=TOKEN_ID, token_secret=SECRET, legacy_errors=True, task_seconds=0.05) as old:
        adapter = make_adapter(old)
        with pytest.raises(NotFoundError, match="qemu-server/99999.conf' does not exist"):
            await adapter.get_server(f"{NODE}/99999")
        vm = a_vm(old)
        vm.agent_running = False
        with pytest.raises(ConflictError, match="guest agent is not running in this VM"):
            await adapter.reset_password(sid(vm))
        await adapter.aclose()


# the fault matrix: mutations are never resent ------------------------------------------------------------
@pytest.mark.parametrize("fault, applied", [
    (dict(kind="status", status=503), False),
    (dict(kind="status", status=500, message="proxy went away"), False),
    (dict(kind="html", status=502), False),
    (dict(kind="reset"), False),
    (dict(kind="reset_mid"), True),
    (dict(kind="malformed"), True),
    (dict(kind="hang", delay=1.0), False),
])
async def test_ambiguous_power_failure_is_reconciled_never_resent(sim, fault, applied):
    adapter = make_adapter(sim, timeout=0.4, reconcile_seconds=0.5)
    vm = a_vm(sim)
    sim.faults.add(route="POST /nodes/*/qemu/*/status/stop", count=5, **fault)
    if applied:
        result = await adapter.power(sid(vm), PowerAction.OFF)
        assert result.status == "success" and "took effect" in result.message and vm.status == "stopped"
    else:
        with pytest.raises(UnavailableError, match="Nothing was resent") as err:
            await adapter.power(sid(vm), PowerAction.OFF)
        assert "running" in err.value.message and vm.status == "running"
    assert len(posts(sim, "/status/stop")) == 1
    reads = [r for r in sim.request_log if r["path"].endswith("/status/current")]
    assert len(reads) >= 2  # one before sending, at least one to reconcile
    await adapter.aclose()


async def test_reboot_reconciled_by_uptime(sim):
    adapter = make_adapter(sim, reconcile_seconds=1.0)
    vm = a_vm(sim)
    sim.faults.add(route="POST /nodes/*/qemu/*/status/reboot", kind="reset_mid", count=1)
    result = await adapter.power(sid(vm), PowerAction.REBOOT)
    assert "took effect" in result.message and len(posts(sim, "/status/reboot")) == 1
    await adapter.aclose()


# events --------------------------------------------------------------------------------------------------
async def test_events_record_every_call_without_secrets(sim, pve):
    vm = a_vm(sim)
    sim.faults.add(route="GET /nodes/*/qemu", kind="status", status=503, count=1)
    await pve.list_servers()
    await pve.power(sid(vm), PowerAction.REBOOT)
    result = await pve.reset_password(sid(vm))
    events = pve.events.recent()
    api = [e for e in events if e.kind.value == "api"]
    assert 503 in [e.status for e in api] and {e.method for e in api} == {"GET", "POST", "PUT"}
    assert all(e.duration_ms is not None and e.attempt for e in api)
    assert [e.message for e in events if e.kind.value == "action"] == [
        "power reboot: success", "reset password via guest agent: success (also stored as cipassword)"]
    text = events_text(pve)
    assert SECRET not in text and result.secret not in text and "PVEAPIToken" not in text


# the Convoy join -------------------------------------------------------------------------------------------
async def test_vms_made_by_the_convoy_simulator_are_served_and_powered_here():
    from hostdeck.backends.sim.cluster import Cluster
    from hostdeck.backends.sim.convoy import ConvoySim

    cluster = Cluster()
    convoy = ConvoySim(servers=12, seed=2, cluster=cluster)
    with ProxmoxSim(cluster, token_id=TOKEN_ID, token_secret=SECRET, task_seconds=0.05) as shared:
        adapter = make_adapter(shared)
        listed = {s.id for s in await adapter.list_servers()}
        assert listed == {f"{n}/{v}" for n, v in cluster.vms} and len(listed) == 12  # not seeded: Convoy's VMs only
        node, vmid = next((n, v) for (n, v), vm in sorted(cluster.vms.items()) if vm.status == "running" and not vm.lock)
        await adapter.power_vm(node, vmid, PowerAction.OFF)
        assert cluster.get_vm(node, vmid).status == "stopped"
        await adapter.aclose()
    assert convoy.cluster is cluster
