"""The VPS panel adapter against the simulator over real loopback sockets: every method, retry safety (create never
resent, update/delete retried), the status mapping of record_for, the fault matrix, and no key in recorded events."""

from __future__ import annotations

import json
import time

import pytest

from hostdeck.backends.errors import AuthError
from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import ConfigError
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.errors import ProtocolError
from hostdeck.backends.errors import RateLimitedError
from hostdeck.backends.errors import ReadOnlyError
from hostdeck.backends.errors import UnavailableError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.models import Server
from hostdeck.backends.models import ServerStatus
from hostdeck.backends.registry import adapter_class
from hostdeck.backends.vpspanel import VpsPanelAdapter
from hostdeck.backends.vpspanel import VpsRecord
from hostdeck.backends.vpspanel import record_for
from hostdeck.backends.vpspanel.models import panel_status
from tests.support.fixtures import adapter_fixture
from tests.support.fixtures import sim_fixture

from .net import free_port
from .vp import KEY
from .vp import a_record
from .vp import listing
from .vp import make_adapter
from .vp import open_sim
from .vp import sync_posts

sim = sim_fixture(open_sim)
vp = adapter_fixture(make_adapter)


def event_text(adapter) -> str:
    return json.dumps([e.as_dict() for e in adapter.events.recent()], default=str)


def a_server(status: ServerStatus = ServerStatus.RUNNING, **over) -> Server:
    fields = dict(backend="hz", id="4711", name="web-1.example.com", status=status, raw_status=status.value, cores=2,
                  memory_mb=4096, disk_gb=40, ipv4="203.0.113.7",
                  raw={"image": {"description": "Ubuntu 24.04", "os_flavor": "ubuntu", "os_version": "24.04"}})
    fields.update(over)
    return Server(**fields)


# basics -----------------------------------------------------------------------------------------------
def test_registered_and_declared():
    assert adapter_class("vpspanel") is VpsPanelAdapter
    assert VpsPanelAdapter.kind == "vpspanel" and VpsPanelAdapter.secret_fields == ("api_key",)
    assert VpsPanelAdapter.capabilities == frozenset()


async def test_connection_test_accepts_the_key_and_changes_nothing(sim, vp):
    before = json.dumps(sim.records, sort_keys=True)
    report = await vp.test_connection()
    assert report.ok and report.error is None and report.version is None
    assert report.latency_ms > 0 and report.credential_source == "demo"
    assert [r["body"] for r in sim.request_log] == [{"action": "update", "vps": {}}]
    assert json.dumps(sim.records, sort_keys=True) == before


async def test_connection_test_works_in_read_only_mode(sim):
    adapter = make_adapter(sim, read_only=True)
    assert (await adapter.test_connection()).ok
    await adapter.aclose()


async def test_connection_test_reports_a_rejected_key(sim):
    adapter = make_adapter(sim, key=KEY[:-1] + "?")
    report = await adapter.test_connection()
    assert not report.ok and "key rejected (401)" in report.error and "hostdeck secret set vp api_key" in report.error
    assert len(sim.request_log) == 1  # never retried
    await adapter.aclose()


async def test_connection_test_reports_a_wrong_url(sim):
    adapter = make_adapter(sim, url=sim.base_url + "/panel")
    report = await adapter.test_connection()
    assert not report.ok and "URL is wrong" in report.error and "/api/vps/sync" in report.error
    await adapter.aclose()


async def test_connection_test_reports_a_panel_that_is_down(sim, vp):
    sim.faults.add("POST /api/vps/sync", "html", status=502, count=50)
    report = await vp.test_connection()
    assert not report.ok and "down" in report.error


async def test_connection_refused_is_plain(sim):
    adapter = make_adapter(sim, url=f"http://127.0.0.1:{free_port()}")
    report = await adapter.test_connection()
    assert not report.ok and "connection refused" in report.error
    with pytest.raises(UnavailableError) as err:
        await adapter.create_vps(a_record())
    assert err.value.code == "not_sent" and "safe to try again" in err.value.message
    await adapter.aclose()


async def test_short_key_is_refused_before_any_request(sim):
    adapter = make_adapter(sim, key="x" * 31)
    with pytest.raises(ConfigError, match="at least 32"):
        await adapter.create_vps(a_record())
    report = await adapter.test_connection()
    assert not report.ok and "at least 32" in report.error and "x" * 31 not in report.error
    assert sim.request_log == []
    await adapter.aclose()


async def test_missing_url_is_a_config_error(sim):
    adapter = make_adapter(sim)
    adapter.config.url = None
    with pytest.raises(ConfigError, match="panel's URL"):
        await adapter.delete_vps(1001)


async def test_url_with_the_endpoint_path_is_accepted(sim):
    adapter = make_adapter(sim, url=sim.base_url + "/api/vps/sync/")
    assert (await adapter.test_connection()).ok
    await adapter.aclose()


# create ------------------------------------------------------------------------------------------------------
async def test_create_returns_the_panel_id_and_the_owner_sees_it(sim, vp):
    vps_id = await vp.create_vps(a_record(user_id=42, name="vps1.example.com"))
    stored = sim.records[vps_id]
    assert stored["ram"] == 2048 and stored["disk"] == 40 and stored["status"] == "creating"
    assert stored["hypervisor"] == "proxmox" and stored["os"] == "Ubuntu 22.04 LTS"
    owner = {v["id"] for v in listing(sim, sim.sample_tokens()[42]).json()["vps"]}
    other = {v["id"] for v in listing(sim, sim.sample_tokens()[43]).json()["vps"]}
    assert vps_id in owner and vps_id not in other
    audits = [e for e in vp.events.recent() if e.kind.value == "action"]
    assert audits and audits[-1].target == str(vps_id)


async def test_create_of_a_mapped_server_sends_mb_and_gb(sim, vp):
    vps_id = await vp.create_vps(record_for(a_server(memory_mb=8192, disk_gb=160, cores=4), 43, status="creating"))
    stored = sim.records[vps_id]
    assert {k: stored[k] for k in ("ram", "disk", "cpu", "user_id", "os", "name", "status")} == {
        "ram": 8192, "disk": 160, "cpu": 4, "user_id": 43, "os": "Ubuntu 24.04", "name": "web-1.example.com",
        "status": "creating"}


@pytest.mark.parametrize("fault", [
    dict(kind="reset_mid"),                      # stored, the answer lost mid-body
    dict(kind="status", status=503),             # the panel's JSON 503
    dict(kind="status", status=500),
    dict(kind="html", status=502),               # a proxy page
    dict(kind="html", status=504),
    dict(kind="reset"),                          # closed without an answer
    dict(kind="malformed"),                      # a garbled 201: stored
])
async def test_create_is_never_resent_after_an_ambiguous_failure(sim, vp, fault):
    sim.faults.add("create", **fault)
    with pytest.raises((UnavailableError, ProtocolError)) as err:
        await vp.create_vps(a_record())
    assert err.value.code == "create_unknown" and not err.value.retryable
    assert "may have stored" in err.value.message and "Check the panel" in err.value.message
    assert "vps-new.example.com" in err.value.message and "42" in err.value.message
    assert len(sync_posts(sim, "create")) == 1
    assert any(e.level == "warning" and "not sent again" in e.message for e in vp.events.recent())


async def test_create_unknown_after_5xx_is_an_unavailable_error(sim, vp):
    sim.faults.add("create", "reset_mid")
    before = len(sim.records)
    with pytest.raises(UnavailableError) as err:
        await vp.create_vps(a_record())
    assert err.value.code == "create_unknown"
    assert len(sim.records) == before + 1  # it was stored: exactly why it must not be resent


async def test_create_that_times_out_is_not_resent(sim):
    adapter = make_adapter(sim, timeout=0.3)
    sim.faults.add("create", "hang", delay=1.0)
    with pytest.raises(UnavailableError, match="timeout") as err:
        await adapter.create_vps(a_record())
    assert err.value.code == "create_unknown" and len(sync_posts(sim, "create")) == 1
    await adapter.aclose()


async def test_create_answered_without_an_id_is_a_protocol_error_for_review(sim, vp):
    sim.omit_id_next()
    with pytest.raises(ProtocolError) as err:
        await vp.create_vps(a_record())
    assert err.value.code == "create_unknown" and "without the new record's id" in err.value.message
    assert len(sync_posts(sim, "create")) == 1


async def test_create_is_resent_after_429_which_proves_it_was_not_applied(sim, vp):
    sim.retry_after = 1
    sim.faults.add("create", "status", status=429, count=1)
    before = len(sim.records)
    started = time.perf_counter()
    vps_id = await vp.create_vps(a_record())
    assert time.perf_counter() - started >= 1.0  # Retry-After honoured
    assert len(sync_posts(sim, "create")) == 2 and len(sim.records) == before + 1 and vps_id in sim.records


async def test_two_creates_make_two_records(sim, vp):
    first, second = await vp.create_vps(a_record()), await vp.create_vps(a_record())
    assert second == first + 1  # the panel does not de-duplicate: the sync map is the only record


@pytest.mark.parametrize("over, field", [
    (dict(ram_mb=0), "ram"), (dict(cpu="2"), "cpu"), (dict(status="active"), "status"), (dict(name=""), "name"),
    (dict(user_id=True), "user_id"), (dict(os="o" * 256), "os"), (dict(hypervisor="h" * 51), "hypervisor"),
])
async def test_invalid_records_are_refused_before_any_call(sim, vp, over, field):
    with pytest.raises(ValidationError) as err:
        await vp.create_vps(a_record(**over))
    assert field in err.value.details and sim.request_log == []


async def test_unknown_panel_user_names_the_fix(sim, vp):
    with pytest.raises(ValidationError) as err:
        await vp.create_vps(a_record(user_id=9999))
    assert "user_id: unknown user" in err.value.message and "map the customer" in err.value.message
    assert len(sync_posts(sim)) == 1  # a 422 is not retried


# update ------------------------------------------------------------------------------------------------------
async def test_update_returns_the_new_state(sim, vp):
    vps_id = await vp.create_vps(a_record())
    record = await vp.update_vps(vps_id, status="running", ram_mb=4096, disk=80)
    assert isinstance(record, VpsRecord) and record.id == vps_id
    assert (record.status, record.ram_mb, record.disk_gb, record.cpu) == ("running", 4096, 80, 2)
    assert record.created_at is not None and record.created_at.tzinfo is not None
    assert sim.records[vps_id]["status"] == "running"


async def test_update_with_a_full_record_and_a_hostdeck_status(sim, vp):
    vps_id = await vp.create_vps(a_record())
    desired = record_for(a_server(status=ServerStatus.OFF), 44)
    record = await vp.update_vps(vps_id, **desired.wire())
    assert record.status == "stopped" and record.user_id == 44 and record.ram_mb == 4096
    assert (await vp.update_vps(vps_id, status=ServerStatus.SUSPENDED)).status == "suspended"
    with pytest.raises(ConflictError, match="transitional"):
        await vp.update_vps(vps_id, status=ServerStatus.STOPPING)


@pytest.mark.parametrize("fault", [
    dict(kind="status", status=502, count=2), dict(kind="status", status=503, count=2),
    dict(kind="status", status=504, count=2), dict(kind="html", status=502, count=2),
    dict(kind="status", status=429, count=2), dict(kind="reset", count=2), dict(kind="reset_mid", count=2),
])
async def test_update_is_retried_through_transient_faults(sim, vp, fault):
    sim.faults.add("update", **fault)
    record = await vp.update_vps(1001, status="stopped")
    assert record.status == "stopped" and len(sync_posts(sim, "update")) == 3


async def test_update_of_a_missing_record_says_the_link_is_broken(sim, vp):
    with pytest.raises(NotFoundError) as err:
        await vp.update_vps(999999, status="running")
    assert err.value.code == "vps_not_found" and "999999" in err.value.message and "create the record again" in err.value.message
    assert len(sync_posts(sim)) == 1


async def test_update_refusals_before_any_call(sim, vp):
    with pytest.raises(ValidationError, match="needs status"):
        await vp.update_vps(1001, cpu=4)
    with pytest.raises(ValidationError, match="no field 'color'"):
        await vp.update_vps(1001, status="running", color="red")
    with pytest.raises(ValidationError, match="hostdeck server ids are text"):
        await vp.update_vps("1001", status="running")  # type: ignore[arg-type]
    with pytest.raises(ValidationError, match="1 or more"):
        await vp.update_vps(0, status="running")
    with pytest.raises(ValidationError) as err:
        await vp.update_vps(1001, status="running", ram=2048.5)
    assert "ram" in err.value.details
    assert sim.request_log == []


# delete ------------------------------------------------------------------------------------------------------
async def test_delete_then_delete_again_counts_as_done(sim, vp):
    vps_id = await vp.create_vps(a_record())
    assert await vp.delete_vps(vps_id) is True and vps_id not in sim.records
    assert await vp.delete_vps(vps_id) is False
    assert any("already gone" in e.message for e in vp.events.recent())


@pytest.mark.parametrize("fault", [
    dict(kind="status", status=502, count=2), dict(kind="status", status=503, count=2), dict(kind="html", status=504, count=1),
])
async def test_delete_is_retried_on_502_503(sim, vp, fault):
    sim.faults.add("delete", **fault)
    assert await vp.delete_vps(1002) is True and 1002 not in sim.records
    assert len(sync_posts(sim, "delete")) == fault["count"] + 1


async def test_delete_whose_answer_was_lost_is_resent_and_the_404_counts_as_done(sim, vp):
    sim.faults.add("delete", "reset_mid")
    assert await vp.delete_vps(1003) is False and 1003 not in sim.records
    assert len(sync_posts(sim, "delete")) == 2


async def test_a_404_from_a_wrong_url_is_not_taken_as_deleted(sim):
    adapter = make_adapter(sim, url=sim.base_url + "/other")
    with pytest.raises(NotFoundError) as err:
        await adapter.delete_vps(1001)
    assert err.value.code == "no_endpoint" and 1001 in sim.records
    await adapter.aclose()


@pytest.mark.parametrize("call", ["update", "delete"])
async def test_a_success_without_the_vps_object_is_a_protocol_error(sim, vp, call):
    sim.faults.add(call, "status", status=200, message="ok")  # 200 {"message": "ok"}
    with pytest.raises(ProtocolError, match="without the 'vps' object"):
        if call == "update":
            await vp.update_vps(1001, status="running")
        else:
            await vp.delete_vps(1001)


# read-only and auth --------------------------------------------------------------------------------------------
async def test_read_only_mode_refuses_every_change_without_a_call(sim):
    adapter = make_adapter(sim, read_only=True)
    with pytest.raises(ReadOnlyError):
        await adapter.create_vps(a_record())
    with pytest.raises(ReadOnlyError):
        await adapter.update_vps(1001, status="running")
    with pytest.raises(ReadOnlyError):
        await adapter.delete_vps(1001)
    assert sim.request_log == []
    await adapter.aclose()


@pytest.mark.parametrize("call", ["create", "update", "delete"])
async def test_bad_key_is_an_auth_error_naming_the_fix_and_never_retried(sim, call):
    adapter = make_adapter(sim, key="another-key-that-is-long-enough-0123456789")
    with pytest.raises(AuthError) as err:
        if call == "create":
            await adapter.create_vps(a_record())
        elif call == "update":
            await adapter.update_vps(1001, status="running")
        else:
            await adapter.delete_vps(1001)
    assert "hostdeck secret set vp api_key" in err.value.message and "Invalid or missing API key" in err.value.message
    assert len(sim.request_log) == 1
    await adapter.aclose()


# status mapping (record_for) --------------------------------------------------------------------------------------
@pytest.mark.parametrize("status, panel", [
    (ServerStatus.RUNNING, "running"), (ServerStatus.OFF, "stopped"), (ServerStatus.INSTALLING, "creating"),
    (ServerStatus.SUSPENDED, "suspended"), (ServerStatus.ERROR, "error"),
])
def test_stable_states_map_to_panel_statuses(status, panel):
    assert panel_status(status) == panel
    assert record_for(a_server(status), 42).status == panel


@pytest.mark.parametrize("status", [ServerStatus.STARTING, ServerStatus.STOPPING, ServerStatus.UNKNOWN])
def test_transitional_states_are_not_pushed(status):
    assert panel_status(status) is None
    with pytest.raises(ConflictError) as err:
        record_for(a_server(status), 42)
    assert err.value.code == "transitional_state"
    assert record_for(a_server(status), 42, status="creating").status == "creating"  # an explicit status wins


def test_record_for_a_hetzner_server():
    record = record_for(a_server(memory_mb=round(3.5 * 1024)), 42)
    assert record.wire() == {"user_id": 42, "name": "web-1.example.com", "status": "running", "cpu": 2, "ram": 3584,
                             "disk": 40, "os": "Ubuntu 24.04", "hypervisor": "proxmox"}
    assert record.source == ("hz", "4711") and record.id is None
    flavor = record_for(a_server(raw={"image": {"os_flavor": "debian", "os_version": "12"}}), 42)
    assert flavor.os == "debian 12"
    assert record_for(a_server(raw={"image": None}), 42).os == "Unknown"


def test_record_for_a_convoy_server_uses_hostname_and_the_recorded_template():
    server = a_server(backend="vps", id="a1b2c3d4", name="Customer VM", raw={"hostname": "vm1.example.net"},
                      memory_mb=2048, disk_gb=20, cores=1)
    record = record_for(server, 41, os="Debian 12", hypervisor="proxmox", panel_id=1005)
    assert (record.name, record.os, record.ram_mb, record.id) == ("vm1.example.net", "Debian 12", 2048, 1005)
    assert record_for(server, 41).os == "Unknown"


def test_record_for_refuses_what_the_panel_would_reject():
    with pytest.raises(ValidationError, match="memory is not known"):
        record_for(a_server(memory_mb=None), 42)
    with pytest.raises(ValidationError) as err:
        record_for(a_server(), 0)
    assert "user_id" in err.value.details


# the fault matrix beyond the conformance suite (test_conformance.py) ---------------------------------
async def test_rate_limit_beyond_the_budget_is_a_rate_limited_error(sim):
    from hostdeck.backends.http import RetryPolicy

    adapter = make_adapter(sim)
    adapter._policy = RetryPolicy(max_retries=4, base=0.01, cap=0.1, rate_limit_budget=0.5)
    sim.retry_after = 1  # longer than the budget left
    sim.faults.add("update", "status", status=429, count=50)
    with pytest.raises(RateLimitedError, match="rate limit"):
        await adapter.update_vps(1001, status="running")
    await adapter.aclose()


async def test_update_timeout_is_retried_then_unavailable(sim):
    adapter = make_adapter(sim, timeout=0.2)
    sim.faults.add("update", "hang", delay=0.6, count=10)
    with pytest.raises(UnavailableError, match="timeout"):
        await adapter.update_vps(1001, status="running")
    assert len(sync_posts(sim, "update")) == 5  # the first try and 4 retries
    await adapter.aclose()


# secrets ---------------------------------------------------------------------------------------------------------------
async def test_the_api_key_never_appears_in_events_or_errors(sim, vp):
    report = await vp.test_connection()
    sim.faults.add("update", "status", status=503, count=1)
    vps_id = await vp.create_vps(a_record())
    await vp.update_vps(vps_id, status="running")
    await vp.delete_vps(vps_id)
    await vp.delete_vps(vps_id)
    sim.faults.add("create", "reset_mid")
    with pytest.raises(BackendError) as err:
        await vp.create_vps(a_record())
    bad = make_adapter(sim, key=KEY[::-1])
    with pytest.raises(AuthError) as auth:
        await bad.delete_vps(1001)
    await bad.aclose()
    text = event_text(vp) + event_text(bad) + json.dumps(report.as_dict()) + str(err.value) + str(auth.value)
    assert KEY not in text and KEY[::-1] not in text
    assert KEY not in json.dumps(sim.request_log, default=str)
    statuses = [e.status for e in vp.events.recent() if e.kind.value == "api"]
    assert statuses[:5] == [422, 201, 503, 200, 200] and 404 in statuses


@pytest.mark.parametrize("fault", [dict(kind="status", status=400), dict(kind="html", status=400),
                                   dict(kind="status", status=422, message="Unprocessable")])
async def test_a_bare_400_or_422_does_not_pass_the_connection_test(sim, vp, fault):
    """Only the documented validation answer ('Missing required fields') shows the key was accepted."""
    sim.faults.add("POST /api/vps/sync", count=5, **fault)
    report = await vp.test_connection()
    assert not report.ok and ("does not show that the key was accepted" in report.error
                              or "is not the VPS panel" in report.error)


async def test_a_panel_that_answers_field_errors_with_400_passes(sim, vp):
    """The contract lets a panel use 400 for field errors; its body still says 'Missing required fields'."""
    sim.field_error_status = 400
    report = await vp.test_connection()
    assert report.ok and "HTTP 400 'Missing required fields'" in report.details["probe"]
