"""Convoy servers joined to the Proxmox API of their node: live state, power and passwords through Proxmox."""

from __future__ import annotations

import pytest

from hostdeck.backends.contract import Capability
from hostdeck.backends.contract import PowerAction
from hostdeck.backends.errors import ConfigError
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import UnsupportedError
from hostdeck.backends.models import ServerStatus

from .joined import joined_sims
from .joined import workspace


@pytest.fixture
def sims():
    with joined_sims(servers=24, seed=4) as both:
        yield both


async def test_rows_show_live_state_and_pve_is_not_listed_twice(sims):
    cv, pve = sims
    ws = workspace(cv, pve, proxmox="pve")
    assert [a.name for a in ws.listing_adapters()] == ["vps"]
    servers = await ws.adapter("vps").list_servers()
    normal = [s for s in servers if s.raw_status == "null"]
    assert normal and all(s.status in (ServerStatus.RUNNING, ServerStatus.OFF) for s in normal)
    for s in normal:
        vm = pve.cluster.get_vm(s.raw["node"], s.raw["vmid"])
        assert (s.status is ServerStatus.RUNNING) == (vm.status == "running")
        assert s.raw["live"]["maxmem"] == vm.memory_bytes
    await ws.aclose()


async def test_power_and_password_go_through_proxmox(sims):
    cv, pve = sims
    ws = workspace(cv, pve, proxmox="pve")
    vps = ws.adapter("vps")
    server = next(s for s in await vps.list_servers() if s.status is ServerStatus.RUNNING)
    assert vps.can(Capability.POWER) and vps.missing_reason(Capability.REBOOT, server) is None
    call = vps.describe_call(Capability.REBOOT, server, PowerAction.REBOOT)
    assert call == f"via Proxmox (pve): POST /nodes/{server.raw['node']}/qemu/{server.raw['vmid']}/status/reboot"
    convoy_calls = len(cv.request_log)
    result = await vps.power(server.id, PowerAction.OFF)
    assert result.status == "success"
    assert pve.cluster.get_vm(server.raw["node"], server.raw["vmid"]).status == "stopped"
    assert (await vps.get_server(server.id)).status is ServerStatus.OFF
    assert not [r for r in cv.request_log[convoy_calls:] if r["method"] != "GET"]  # Convoy saw no mutation
    await vps.power(server.id, PowerAction.ON)
    secret = await vps.reset_password(server.id)
    assert len(secret.secret) >= 16
    assert any("set-user-password" in r["path"] for r in pve.request_log)
    # like Convoy's own ServerAuthService: the cloud-init password is written too, so a regeneration keeps it
    assert pve.guest(server.raw["node"], server.raw["vmid"]).cipassword == secret.secret and secret.note is None
    assert secret.secret not in repr([e.as_dict() for e in ws.events.recent()])
    await ws.aclose()


async def test_a_password_reset_on_a_stopped_server_is_refused_up_front_with_the_reason(sims):
    cv, pve = sims
    ws = workspace(cv, pve, proxmox="pve")
    vps = ws.adapter("vps")
    servers = await vps.list_servers()
    stopped = next(s for s in servers if s.status is ServerStatus.OFF)
    running = next(s for s in servers if s.status is ServerStatus.RUNNING)
    reason = vps.missing_reason(Capability.RESET_PASSWORD, stopped)  # the menu greys the action out with it
    assert reason and "the server is off" in reason and "Power it on first" in reason
    assert vps.missing_reason(Capability.RESET_PASSWORD, running) is None
    sent = len(pve.request_log)
    with pytest.raises(ConflictError) as refused:
        await vps.reset_password(stopped.id)
    assert reason in refused.value.message and stopped.name in refused.value.message
    assert not [r for r in pve.request_log[sent:] if r["method"] != "GET" or "/agent/" in r["path"]]
    await ws.aclose()


async def test_a_node_without_proxmox_says_why_and_sends_nothing(sims):
    cv, pve = sims
    ws = workspace(cv, pve, proxmox_nodes={"pve-fsn-1": "pve"})
    vps = ws.adapter("vps")
    servers = await vps.list_servers()
    other = next(s for s in servers if s.raw["node"] != "pve-fsn-1")
    joined = next(s for s in servers if s.raw["node"] == "pve-fsn-1" and s.raw_status == "null")
    assert vps.missing_reason(Capability.POWER, joined) is None
    reason = vps.missing_reason(Capability.POWER, other)
    assert "no power control" in reason and other.raw["node"] in reason and 'proxmox = "<name>"' in reason
    assert other.status is ServerStatus.UNKNOWN
    before = len(pve.request_log)
    with pytest.raises(UnsupportedError):
        await vps.power(other.id, PowerAction.REBOOT)
    assert not [r for r in pve.request_log[before:] if r["method"] == "POST"]
    await ws.aclose()


async def test_a_failing_proxmox_degrades_the_rows_not_the_list(sims):
    cv, pve = sims
    ws = workspace(cv, pve, proxmox="pve")
    pve.faults.add(route="*", kind="status", status=503, count=1000)
    vps = ws.adapter("vps")
    servers = await vps.list_servers()
    assert len(servers) == len(cv.servers)
    assert all(s.status is not ServerStatus.RUNNING for s in servers)  # no live state, so nothing claims running
    assert vps.join.last_error and "pve" in vps.join.last_error
    await ws.aclose()


def test_a_wrong_proxmox_name_is_a_config_error_naming_the_fix(sims):
    cv, pve = sims
    with pytest.raises(ConfigError) as err:
        workspace(cv, pve, proxmox="nope").adapters
    assert "backends.vps.proxmox" in str(err.value) and 'kind = "proxmox"' in str(err.value)


def test_removing_the_proxmox_backend_while_running_unjoins_the_panel():
    from hostdeck.backends.contract import Capability

    with joined_sims(servers=3, seed=7) as (cv, pve):
        ws = workspace(cv, pve, proxmox="pve")
        panel = ws.adapters["vps"]
        assert Capability.METRICS in panel.capabilities and ws.attached == {"pve": "vps"}
        removed = ws.unload_backend("pve")
        assert removed is not None and removed.name == "pve"
        assert set(ws.adapters) == {"vps"} and ws.attached == {}
        assert panel.join is None and Capability.METRICS not in panel.capabilities
        assert [a.name for a in ws.listing_adapters()] == ["vps"]
