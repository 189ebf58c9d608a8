"""The Hetzner adapter against the simulator over real loopback sockets: every operation and its vendor faults;
the faults every adapter shares are in test_conformance.py."""

from __future__ import annotations

import pytest

from hostdeck.backends.contract import PowerAction
from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.errors import PermissionDenied
from hostdeck.backends.errors import ProtocolError
from hostdeck.backends.errors import ReadOnlyError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.models import ServerSpec
from hostdeck.backends.models import ServerStatus
from hostdeck.backends.sim.hetzner import HetznerSim
from tests.support.fixtures import adapter_fixture
from tests.support.fixtures import sim_fixture

from .hz import READONLY_TOKEN
from .hz import TOKEN
from .hz import make_adapter
from .hz import open_sim

sim = sim_fixture(open_sim)
hz = adapter_fixture(make_adapter)


def posts(sim, suffix: str = "") -> list[dict]:
    return [r for r in sim.request_log if r["method"] in ("POST", "DELETE") and r["path"].endswith(suffix)]


def a_server(sim, status: str = "running", protected: bool = False):
    for sid, s in sorted(sim.servers.items()):
        if s["status"] == status and bool(s["protection"]["delete"]) == protected and not s["name"].startswith("legacy"):
            return sid, s
    raise AssertionError(f"the sim has no {status} server")


# listing -------------------------------------------------------------------------
async def test_lists_every_server_across_pages_concurrently(sim, hz):
    pages = []
    servers = await hz.list_servers(progress=lambda done, total: pages.append((done, total)))
    assert sorted(int(s.id) for s in servers) == sorted(sim.servers)
    assert len(servers) == 260
    page_requests = [r for r in sim.request_log if r["path"] == "/v1/servers"]
    assert len(page_requests) == 6  # 260 / 50, each page once
    assert pages[-1] == (6, 6)
    assert {s.status for s in servers} >= {ServerStatus.RUNNING, ServerStatus.OFF}


async def test_get_server_by_id_and_by_name(sim, hz):
    sid, raw = a_server(sim)
    by_id = await hz.get_server(str(sid))
    by_name = await hz.get_server(raw["name"])
    assert by_id.id == by_name.id == str(sid)
    with pytest.raises(NotFoundError):
        await hz.get_server("no-such-server")
    with pytest.raises(NotFoundError):
        await hz.get_server("999999999")


# actions -------------------------------------------------------------------------
@pytest.mark.parametrize("action, start, end", [
    (PowerAction.OFF, "running", "off"), (PowerAction.ON, "off", "running"), (PowerAction.SHUTDOWN, "running", "off"),
    (PowerAction.REBOOT, "running", "running"), (PowerAction.RESET, "running", "running"),
])
async def test_power_actions_follow_to_the_end(sim, hz, action, start, end):
    sid, _ = a_server(sim, start)
    steps = []
    result = await hz.power(str(sid), action, progress=steps.append)
    assert result.status == "success" and steps[-1].status == "success"
    assert (await hz.get_server(str(sid))).raw_status == end


async def test_shutdown_ignored_by_the_guest_says_so(sim, hz):
    sid, _ = a_server(sim)
    sim.ignore_acpi(sid)
    result = await hz.power(str(sid), PowerAction.SHUTDOWN)
    assert result.status == "signal_sent" and "power off" in result.message


async def test_failed_action_is_an_error_with_its_message(sim, hz):
    sid, _ = a_server(sim)
    sim.fail_next_action(sid)
    with pytest.raises(BackendError) as err:
        await hz.power(str(sid), PowerAction.REBOOT)
    assert "reboot server failed" in err.value.message and err.value.code == "action_failed"


async def test_suspend_and_unsuspend_are_power_off_and_on(sim, hz):
    sid, _ = a_server(sim)
    await hz.suspend(str(sid))
    assert sim.servers[sid]["status"] == "off"
    await hz.unsuspend(str(sid))
    assert sim.servers[sid]["status"] == "running"


async def test_reset_password_returns_the_new_password_and_never_records_it(sim, hz):
    sid, _ = a_server(sim)
    result = await hz.reset_password(str(sid))
    assert len(result.secret) >= 8
    log = repr([e.as_dict() for e in hz.events.recent()])
    assert result.secret not in log and TOKEN not in log


async def test_console_returns_url_and_password(sim, hz):
    sid, _ = a_server(sim)
    result = await hz.console(str(sid))
    assert result.url.startswith("wss://") and result.secret
    assert "token=" not in repr([e.as_dict() for e in hz.events.recent()]).replace("token=***", "")


# create and delete -----------------------------------------------------------------
async def test_create_without_keys_returns_a_root_password(sim, hz):
    steps = []
    result = await hz.create_server(ServerSpec(name="new-web-1", plan="cx22", image="ubuntu-24.04", location="fsn1",
                                               labels={"customer": "c-9"}), progress=steps.append)
    assert result.server.name == "new-web-1" and result.server.status is ServerStatus.RUNNING
    assert result.root_password and result.server.labels == {"customer": "c-9"}
    assert {s.command for s in steps} >= {"create_server", "start_server"}
    assert int(result.server.id) in sim.servers


async def test_create_with_ssh_key_and_backups(sim, hz):
    result = await hz.create_server(ServerSpec(name="new-db-1", plan="cx22", image="ubuntu-24.04", location="nbg1",
                                               ssh_keys=["ops-key"], backups=True))
    assert result.root_password is None
    assert sim.servers[int(result.server.id)]["backup_window"] is not None


async def test_invalid_name_is_refused_before_any_call(sim, hz):
    with pytest.raises(ValidationError, match="invalid server name"):
        await hz.create_server(ServerSpec(name="bad_name;rm -rf", plan="cx22", image="ubuntu-24.04"))
    assert posts(sim) == []


async def test_duplicate_name_is_a_conflict(sim, hz):
    _, raw = a_server(sim)
    with pytest.raises(ConflictError):
        await hz.create_server(ServerSpec(name=raw["name"], plan="cx22", image="ubuntu-24.04", location="fsn1"))


async def test_unknown_type_names_the_field(sim, hz):
    with pytest.raises(ValidationError) as err:
        await hz.create_server(ServerSpec(name="x1", plan="cx999", image="ubuntu-24.04", location="fsn1"))
    assert "server_type" in err.value.message


async def test_delete(sim, hz):
    sid, _ = a_server(sim)
    await hz.delete_server(str(sid))
    with pytest.raises(NotFoundError):
        await hz.get_server(str(sid))


async def test_delete_refuses_protected_servers_without_calling_delete(sim, hz):
    sid, _ = a_server(sim, protected=True)
    with pytest.raises(PermissionDenied, match="delete protection"):
        await hz.delete_server(str(sid))
    assert [r for r in sim.request_log if r["method"] == "DELETE"] == []


async def test_locked_server_is_retried_until_the_running_action_ends(sim):
    from hostdeck.backends.http import RetryPolicy

    hz = make_adapter(sim)
    hz._policy = RetryPolicy(max_retries=8, base=0.05, cap=0.2)  # enough patience for a 0.1 s action
    sid, _ = a_server(sim)
    first = await hz.servers.action(sid, "reboot")  # leaves an action running: the server is locked
    assert first["action"]["status"] == "running"
    result = await hz.power(str(sid), PowerAction.RESET)
    assert result.status == "success"
    assert 423 in [e.status for e in hz.events.recent()]  # refused while locked, then resent (423 proves not applied)


# read-only ---------------------------------------------------------------------------
async def test_read_only_mode_refuses_mutations_without_a_call(sim):
    adapter = make_adapter(sim, read_only=True)
    sid, _ = a_server(sim)
    with pytest.raises(ReadOnlyError):
        await adapter.power(str(sid), PowerAction.OFF)
    with pytest.raises(ReadOnlyError):
        await adapter.http.request("POST", f"/servers/{sid}/actions/poweroff", operation="raw", expect=(201,))
    assert posts(sim) == []
    assert len(await adapter.list_servers()) == 260
    await adapter.aclose()


async def test_read_only_token_is_reported_and_mutations_are_refused(sim):
    adapter = make_adapter(sim, token=READONLY_TOKEN)
    report = await adapter.test_connection()
    assert report.ok and report.details["token"] == "read-only"
    sid, _ = a_server(sim)
    with pytest.raises(PermissionDenied, match="read-only"):
        await adapter.power(str(sid), PowerAction.OFF)
    await adapter.aclose()


async def test_connection_report(sim, hz):
    report = await hz.test_connection()
    assert report.ok and report.latency_ms > 0 and report.credential_source == "demo"
    assert report.details["token"] == "read-write"
    assert report.details["rate_limit"]["limit"] == 3600 and report.details["rate_limit"]["remaining"] < 3600


# the fault matrix beyond the conformance suite (test_conformance.py) ---------------------------------
async def test_a_list_without_pagination_is_refused():
    """A page without meta.pagination cannot be known complete: a ProtocolError, never a short list."""
    import httpx

    from hostdeck.backends.hetzner.api import list_all
    from hostdeck.backends.hetzner.errors import classify
    from hostdeck.backends.http import HttpCore

    def handler(request):
        return httpx.Response(200, json={"servers": [{"id": 1, "name": "a"}]})

    http = HttpCore(backend="hz", base_url="http://127.0.0.1:1/v1", classify=classify, transport=httpx.MockTransport(handler))
    with pytest.raises(ProtocolError, match="pagination"):
        await list_all(http, "/servers", "servers", operation="list servers")
    await http.aclose()


async def test_rate_limited_listing_waits_and_completes():
    with HetznerSim(servers=500, seed=5, token=TOKEN, rate_limit=4, refill_per_second=8.0) as small:
        adapter = make_adapter(small)
        servers = await adapter.list_servers()
        assert len(servers) == 500
        statuses = [e.status for e in adapter.events.recent()]
        assert 429 in statuses  # it did hit the limit, and waited instead of failing
        await adapter.aclose()


async def test_events_record_every_call_without_secrets(sim, hz):
    sim.faults.add(route="GET /servers", kind="status", status=503, count=1)
    await hz.list_servers()
    events = hz.events.recent()
    assert [e.status for e in events][:2] == [503, 200]
    assert all(e.method == "GET" and e.duration_ms is not None for e in events)
    assert events[0].attempt == 1 and events[1].attempt == 2
    assert TOKEN not in repr([e.as_dict() for e in events])
