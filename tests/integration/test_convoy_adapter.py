"""The Convoy adapter against the simulator over real loopback sockets: every operation and its vendor faults;
the faults every adapter shares are in test_conformance.py."""

from __future__ import annotations

import asyncio
import dataclasses

import httpx
import pytest

from hostdeck.backends.contract import Capability
from hostdeck.backends.contract import PowerAction
from hostdeck.backends.convoy import ConvoyAdapter
from hostdeck.backends.convoy import ConvoyServerSpec
from hostdeck.backends.convoy.api import ConvoyApi
from hostdeck.backends.convoy.errors import classify
from hostdeck.backends.convoy.spec import password_problem
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
from hostdeck.backends.http import HttpCore
from hostdeck.backends.models import CatalogKind
from hostdeck.backends.models import CatalogSource
from hostdeck.backends.models import ServerStatus
from hostdeck.backends.registry import adapter_class
from hostdeck.backends.sim.convoy import MIB
from tests.support.fixtures import adapter_fixture
from tests.support.fixtures import sim_fixture

from .cv import NON_ADMIN
from .cv import SERVERS
from .cv import TOKEN
from .cv import make_adapter
from .cv import open_sim
from .net import free_port

sim = sim_fixture(open_sim)
cv = adapter_fixture(make_adapter)


def writes(sim, suffix: str = "") -> list[dict]:
    return [r for r in sim.request_log if r["method"] in ("POST", "PATCH", "PUT", "DELETE") and r["path"].endswith(suffix)]


def a_server(sim, status=None) -> dict:
    for s in sim.servers.values():
        if s["status"] == status and sim._server_addresses.get(s["internal_id"]):
            return s
    raise AssertionError(f"the sim has no server with status {status}")


def spec_for(sim, node_id: int = 1, **overrides) -> ConvoyServerSpec:
    group = next(g for g in sim.template_groups.values() if g["node_id"] == node_id)
    template = next(t for t in sim.templates.values() if t["template_group_id"] == group["id"])
    values = dict(name="c-1003 new vps", hostname="new1.example.com", user_id=3, node_id=node_id,
                  template_uuid=template["uuid"], cpu=2, memory_mb=2048, disk_gb=20, snapshot_limit=2, backup_limit=2,
                  address_ids=[sim.free_addresses(node_id)[0]["id"]])
    values.update(overrides)
    return ConvoyServerSpec(**values)


def secrets_in_events(adapter: ConvoyAdapter, *values: str) -> list[str]:
    log = repr([e.as_dict() for e in adapter.events.recent()])
    return [v for v in values if v and v in log]


# listing and lookup -------------------------------------------------------------------
async def test_lists_every_server_across_pages_concurrently(sim, cv):
    pages = []
    servers = await cv.list_servers(progress=lambda done, total: pages.append((done, total)))
    assert sorted(s.id for s in servers) == sorted(sim.servers) and len(servers) == SERVERS
    server_pages = [r for r in sim.request_log if r["path"] == "/api/application/servers"]
    assert len(server_pages) == 3 and pages[-1] == (3, 3)       # per_page 100: 230 in three pages, each once
    assert all(r["query"]["per_page"] == ["100"] for r in server_pages)
    by_id = {s.id: s for s in servers}
    for sid, raw in sim.servers.items():
        s = by_id[sid]
        assert s.raw["vmid"] == raw["vmid"] and s.raw["uuid_short"] == sid
        assert s.raw["node"] == sim.nodes[raw["node_id"]]["cluster"]           # the Proxmox join key
        assert s.memory_mb == raw["memory_mib"] and s.cores == raw["cpu"]
        if raw["status"] is None:
            assert s.status is ServerStatus.UNKNOWN and s.raw_status == "null"   # no power state without Proxmox
    assert {s.status for s in servers} >= {ServerStatus.UNKNOWN, ServerStatus.SUSPENDED}
    assert all(isinstance(s.id, str) for s in servers) and any(s.id.startswith("00") for s in servers)


async def test_get_server_by_short_id_uuid_name_and_hostname(sim, cv):
    raw = a_server(sim)
    digits = next(s for s in sim.servers if s.isdigit() and s.startswith("00"))
    assert (await cv.get_server(raw["uuid_short"])).id == raw["uuid_short"]
    assert (await cv.get_server(raw["uuid"])).id == raw["uuid_short"]
    assert (await cv.get_server(digits)).id == digits
    assert (await cv.get_server(raw["name"])).id == raw["uuid_short"]
    found = await cv.get_server(raw["hostname"])
    assert found.id == raw["uuid_short"] and found.raw["addresses"] and found.raw["node_fqdn"]
    with pytest.raises(NotFoundError):
        await cv.get_server("no-such-server")
    with pytest.raises(NotFoundError):
        await cv.get_server("abcdef12")
    with pytest.raises(NotFoundError):
        await cv.suspend("../users")                                 # never a path segment: looked up as a name
    assert all(".." not in r["path"] for r in sim.request_log) and writes(sim) == []
    assert (await cv.suspend(raw["name"])).server_id == raw["uuid_short"]   # names work for actions too


async def test_an_ambiguous_name_is_an_error_not_a_guess(sim, cv):
    first, second = list(sim.servers.values())[:2]
    second["name"] = first["name"]
    with pytest.raises(ConflictError, match="2 servers are named"):
        await cv.get_server(first["name"])


# create -----------------------------------------------------------------------------------
async def test_create_sends_bytes_waits_for_the_install_and_returns_the_password_once(sim, cv):
    steps = []
    result = await cv.create_server(spec_for(sim), progress=steps.append)
    body = writes(sim, "/servers")[0]["body"]
    assert body["limits"]["memory"] == 2048 * MIB == 2147483648 and body["limits"]["disk"] == 20 * 1024 * MIB
    assert body["vmid"] is None and body["should_create_server"] is True and body["limits"]["bandwidth"] is None
    server = result.server
    assert server.raw_status == "null" and server.status is ServerStatus.UNKNOWN and steps[-1].status == "success"
    assert server.memory_mb == 2048 and server.disk_gb == 20 and server.ipv4
    assert password_problem(result.root_password) is None and body["account_password"] == result.root_password
    vm = sim.cluster.get_vm(server.raw["node"], server.raw["vmid"])
    assert vm is not None and vm.status == "running"
    assert secrets_in_events(cv, result.root_password, TOKEN) == []


async def test_a_bad_spec_is_refused_before_any_call(sim, cv):
    with pytest.raises(ValidationError) as err:
        await cv.create_server(spec_for(sim, hostname="bad_host;rm", memory_mb=8, account_password="weak"))
    assert {"hostname", "memory_mb", "account_password"} <= set(err.value.details)
    assert sim.request_log == []
    with pytest.raises(ValidationError, match="ConvoyServerSpec"):
        from hostdeck.backends.models import ServerSpec
        await cv.create_server(ServerSpec(name="x", plan="cx22", image="ubuntu"))


async def test_a_422_names_the_field_in_user_terms(sim, cv):
    with pytest.raises(ValidationError) as err:
        await cv.create_server(spec_for(sim, memory_mb=64 * 1024 * 1024))
    assert "memory_mb (limits.memory): The memory value exceeds the node's limit." in err.value.message
    used = next(a["id"] for a in sim.addresses.values() if a["server_id"] is not None)
    with pytest.raises(ValidationError, match="address_ids"):
        await cv.create_server(spec_for(sim, address_ids=[used]))


async def test_unknown_node_or_template_says_which(sim, cv):
    with pytest.raises(NotFoundError, match="node 77 does not exist"):
        await cv.create_server(dataclasses.replace(spec_for(sim), node_id=77))
    with pytest.raises(NotFoundError, match="template 0f3c7b9e-2a11-4c55-9f8e-1d2c3b4a5e6f does not exist"):
        await cv.create_server(spec_for(sim, template_uuid="0f3c7b9e-2a11-4c55-9f8e-1d2c3b4a5e6f"))
    other = spec_for(sim, node_id=2).template_uuid
    with pytest.raises(ValidationError, match="belongs to another node"):
        await cv.create_server(spec_for(sim, template_uuid=other))


async def test_a_failed_install_is_an_error(sim, cv):
    sim.fail_next_install()
    with pytest.raises(BackendError, match="installation failed") as err:
        await cv.create_server(spec_for(sim))
    assert err.value.code == "install_failed"


@pytest.mark.parametrize("fault", [dict(kind="reset_mid"), dict(kind="malformed"), dict(kind="content_type")])
async def test_create_reconciles_after_an_ambiguous_failure_instead_of_resending(sim, cv, fault):
    before = len(sim.servers)
    sim.faults.add(route="POST /servers", count=1, **fault)       # the panel made it; the answer got lost
    result = await cv.create_server(spec_for(sim))
    assert len(writes(sim, "/servers")) == 1 and len(sim.servers) == before + 1
    assert result.server.name == "c-1003 new vps" and result.root_password
    assert any(e.level == "warning" and "found after an unclear failure" in e.message for e in cv.events.recent())


async def test_create_that_was_not_applied_says_it_is_safe_to_retry(sim, cv):
    before = len(sim.servers)
    sim.faults.add(route="POST /servers", kind="status", status=503, count=1)
    with pytest.raises(UnavailableError, match="nothing was done; it is safe to try again"):
        await cv.create_server(spec_for(sim))
    assert len(writes(sim, "/servers")) == 1 and len(sim.servers) == before     # never resent


# delete, suspend, resize, rename -------------------------------------------------------------
async def test_delete_follows_until_gone(sim, cv):
    raw = a_server(sim)
    steps = []
    result = await cv.delete_server(raw["uuid_short"], progress=steps.append)
    assert result.status == "success" and raw["uuid_short"] not in sim.servers
    assert sim.cluster.get_vm(sim.nodes[raw["node_id"]]["cluster"], raw["vmid"]) is None
    assert len(writes(sim)) == 1 and steps[-1].status == "success"


@pytest.mark.parametrize("fault", [dict(kind="reset_mid"), dict(kind="slow", delay=0.8)])
async def test_delete_reconciles_after_an_ambiguous_failure(sim, fault):
    """The panel applied it but the answer was lost (reset mid-answer) or came after the client gave up (slow)."""
    adapter = make_adapter(sim, timeout=0.3)
    raw = a_server(sim)
    sim.faults.add(route="DELETE /servers/*", count=1, **fault)
    result = await adapter.terminate(raw["uuid_short"])
    assert result.status == "success" and len(writes(sim)) == 1 and raw["uuid_short"] not in sim.servers
    await adapter.aclose()


async def test_delete_that_never_arrived_is_not_resent_and_not_called_done(sim):
    adapter = make_adapter(sim, timeout=0.3)
    raw = a_server(sim)
    sim.faults.add(route="DELETE /servers/*", kind="hang", delay=1.0, count=1)
    with pytest.raises(UnavailableError, match="may still be running on the panel"):
        await adapter.delete_server(raw["uuid_short"])
    assert len(writes(sim)) == 1 and sim.servers[raw["uuid_short"]]["status"] is None
    sim.faults.add(route="DELETE /servers/*", kind="status", status=500, count=1)   # Laravel answered: not applied
    with pytest.raises(UnavailableError, match="nothing was done; it is safe to try again"):
        await adapter.delete_server(raw["uuid_short"])
    await adapter.aclose()


async def test_delete_of_a_deleting_server_is_refused_before_any_call_and_failures_are_reported(sim, cv):
    raw = a_server(sim)
    sim.set_status(raw["uuid_short"], "deleting")
    with pytest.raises(ConflictError, match="it is being deleted"):
        await cv.delete_server(raw["uuid_short"])
    assert writes(sim) == []
    other = list(s for s in sim.servers.values() if s["status"] is None)[5]
    sim.fail_next_delete()
    with pytest.raises(BackendError, match="deletion_failed"):
        await cv.delete_server(other["uuid_short"])


async def test_suspend_and_unsuspend_drive_the_vm(sim, cv):
    raw = a_server(sim)
    vm = sim.cluster.get_vm(sim.nodes[raw["node_id"]]["cluster"], raw["vmid"])
    assert (await cv.suspend(raw["uuid_short"])).status == "success"
    assert raw["status"] == "suspended" and vm.status == "stopped"
    with pytest.raises(ConflictError, match="already suspended"):
        await cv.suspend(raw["uuid_short"])
    await cv.unsuspend(raw["uuid_short"])
    assert raw["status"] is None and vm.status == "running"
    with pytest.raises(ConflictError, match="not suspended"):
        await cv.unsuspend(raw["uuid_short"])
    assert [w["path"].rsplit("/", 1)[1] for w in writes(sim)] == ["suspend", "unsuspend"]


@pytest.mark.parametrize("status, words", [("installing", "not finished installing"),
                                           ("restoring_backup", "backup is being restored"),
                                           ("deletion_failed", "deletion failed")])
async def test_busy_servers_are_refused_with_the_reason_before_any_call(sim, cv, status, words):
    raw = a_server(sim)
    sim.set_status(raw["uuid_short"], status)
    for action in (cv.suspend(raw["uuid_short"]), cv.resize(raw["uuid_short"], cpu=4),
                   cv.rename(raw["uuid_short"], name="x")):
        with pytest.raises(ConflictError, match=words):
            await action
    assert writes(sim) == []
    server = await cv.get_server(raw["uuid_short"])
    assert words in cv.missing_reason(Capability.SUSPEND, server)


async def test_resize_keeps_the_addresses(sim, cv):
    raw = a_server(sim)
    before = sorted(sim._server_addresses[raw["internal_id"]])
    server = await cv.resize(raw["uuid_short"], cpu=4, memory_mb=8192, disk_gb=raw["disk_mib"] // 1024 + 10)
    body = writes(sim, "/settings/build")[0]["body"]
    assert sorted(body["address_ids"]) == before and sorted(sim._server_addresses[raw["internal_id"]]) == before
    assert body["memory"] == 8 * 1024 * MIB and set(body) >= {"snapshot_limit", "backup_limit", "bandwidth_limit"}
    assert server.cores == 4 and server.memory_mb == 8192 and server.ipv4
    assert raw["snapshot_limit"] == body["snapshot_limit"]            # unchanged limits are sent back as they are


async def test_resize_refuses_a_smaller_disk_and_suspended_servers(sim, cv):
    raw = a_server(sim)
    with pytest.raises(ValidationError, match="cannot shrink"):
        await cv.resize(raw["uuid_short"], disk_gb=1)
    sim.set_status(raw["uuid_short"], "suspended")
    with pytest.raises(ConflictError, match="suspended; unsuspend it first"):
        await cv.resize(raw["uuid_short"], cpu=8)
    assert writes(sim) == []


async def test_rename_changes_name_and_hostname(sim, cv):
    raw = a_server(sim)
    server = await cv.rename(raw["uuid_short"], hostname="renamed.example.com")
    assert server.raw["hostname"] == "renamed.example.com" and server.name == raw["name"]
    assert sim.cluster.get_vm(server.raw["node"], raw["vmid"]).name == "renamed.example.com"
    with pytest.raises(ValidationError):
        await cv.rename(raw["uuid_short"], hostname="not valid!")


# panel users and SSO -------------------------------------------------------------------------
async def test_find_create_update_users(sim, cv):
    known = sim.users[5]
    found = await cv.find_user(known["email"].upper())
    assert found.id == 5 and found.email == known["email"]
    assert await cv.find_user("nobody@example.com") is None
    link = await cv.create_user("new.person@example.com", "New Person")
    assert link.created and password_problem(link.password) is None
    assert writes(sim, "/users")[0]["body"]["root_admin"] is False
    updated = await cv.update_user(link.user.id, name="Renamed Person")
    assert updated.name == "Renamed Person" and updated.email == "new.person@example.com"
    assert writes(sim, f"/users/{link.user.id}")[0]["body"]["root_admin"] is False
    with pytest.raises(ConflictError, match="already has a Convoy account"):
        await cv.create_user(known["email"], "Someone")
    with pytest.raises(ValidationError):
        await cv.create_user("not-an-email", "x")
    assert secrets_in_events(cv, link.password, TOKEN) == []


async def test_create_or_link_never_duplicates_a_user(sim, cv):
    existing = await cv.create_or_link_user(sim.users[4]["email"], "Whoever")
    assert not existing.created and existing.password is None and existing.user.id == 4
    links = await asyncio.gather(*(cv.create_or_link_user("race@example.com", "Race Person") for _ in range(3)))
    assert sum(1 for u in sim.users.values() if u["email"] == "race@example.com") == 1
    assert len({link.user.id for link in links}) == 1 and sum(link.created for link in links) == 1


async def test_user_create_reconciles_after_an_ambiguous_failure(sim, cv):
    sim.faults.add(route="POST /users", kind="reset_mid", count=1)
    link = await cv.create_or_link_user("lost.answer@example.com", "Lost Answer")
    assert link.created and link.password
    assert sum(1 for u in sim.users.values() if u["email"] == "lost.answer@example.com") == 1
    assert len(writes(sim, "/users")) == 1


async def test_sso_url_is_fresh_logs_in_and_is_never_recorded(sim, cv):
    raw = a_server(sim)
    result = await cv.sso_url(raw["uuid_short"])
    assert result.url.startswith(f"{sim.panel_url}/authenticate?token=") and result.secret in result.url
    r = httpx.get(result.url)
    assert r.status_code == 302 and sim.sso_logins == [raw["user_id"]]
    again = await cv.sso_url(await cv.get_server(raw["uuid_short"]))
    assert len(writes(sim, "/generate-sso-token")) == 2              # made fresh each time, never cached
    assert secrets_in_events(cv, result.secret, again.secret, TOKEN) == []
    assert "token" not in repr(result)


async def test_read_only_refuses_sso_and_mutations(sim):
    """The SSO link is a full panel session as the customer (power, reinstall, delete): read-only refuses it too."""
    adapter = make_adapter(sim, read_only=True)
    raw = a_server(sim)
    for call in (adapter.sso_url(raw["uuid_short"]), adapter.suspend(raw["uuid_short"]),
                 adapter.delete_server(raw["uuid_short"]), adapter.resize(raw["uuid_short"], cpu=2),
                 adapter.create_or_link_user("a@example.com", "A")):
        with pytest.raises(ReadOnlyError):
            await call
    assert writes(sim) == []
    assert not adapter.can(Capability.DELETE) and not adapter.can(Capability.SSO)
    assert adapter.missing_reason(Capability.SSO) == "read-only mode is on."
    from hostdeck.tui.screens.server_actions import build_menu

    server = await adapter.get_server(raw["uuid_short"])
    assert "sso" not in [item.id for item in build_menu(adapter, server, read_only=True)]  # hidden in the TUI
    writable = make_adapter(sim)
    assert "sso" in [item.id for item in build_menu(writable, server, read_only=False)]
    await writable.aclose()
    await adapter.aclose()


# catalog, capabilities, connection -------------------------------------------------------------
async def test_catalog_nodes_templates_and_free_addresses(sim, cv):
    catalog = await cv.catalog()
    assert catalog.source is CatalogSource.LIVE
    nodes = catalog.of_kind(CatalogKind.NODE)
    assert len(nodes) == len(sim.nodes)
    for item in nodes:
        mine = [s for s in sim.servers.values() if s["node_id"] == int(item.id)]
        assert item.attrs["servers_count"] == len(mine)
        assert item.attrs["memory_allocated_mb"] == sum(s["memory_mib"] for s in mine)
        assert item.attrs["memory_capacity_mb"] >= item.attrs["memory_mb"] and item.attrs["disk_free_gb"] > 0
    templates = catalog.of_kind(CatalogKind.TEMPLATE)
    assert {t.id for t in templates} == {t["uuid"] for t in sim.templates.values()}
    assert all(t.attrs["group"] and t.attrs["node_id"] for t in templates)
    pools = {p.id: p for p in catalog.of_kind(CatalogKind.IP_POOL)}
    assert pools["1:ipv4"].attrs["free_count"] == len(sim.free_addresses(1))
    assert {a["id"] for a in pools["1:ipv4"].attrs["free"]} == {a["id"] for a in sim.free_addresses(1)}


async def test_without_panel_or_cache_the_catalog_is_unavailable_and_invents_nothing(sim):
    """A panel's nodes and templates are its own: no bundled node or template uuid may stand in for them."""
    adapter = make_adapter(sim, url=f"http://127.0.0.1:{free_port()}")
    catalog = await adapter.catalog()
    assert catalog.source is CatalogSource.UNAVAILABLE and catalog.items == []
    assert "connection refused" in catalog.note and catalog.note.startswith("unavailable")
    await adapter.aclose()


def test_capabilities_and_why_power_is_missing(sim):
    adapter = make_adapter(sim)
    assert adapter_class("convoy") is ConvoyAdapter
    assert adapter.capabilities == {Capability.LIST, Capability.CREATE, Capability.DELETE, Capability.SUSPEND,
                                    Capability.SSO, Capability.CATALOG, Capability.RESIZE, Capability.RENAME}
    reason = adapter.missing_reason(Capability.POWER)
    assert reason.startswith("Convoy's API has no power control: add the node's Proxmox API to the config")
    assert "kind = \"proxmox\"" in reason
    assert "root password" in adapter.missing_reason(Capability.RESET_PASSWORD)
    assert not adapter.can(Capability.POWER) and adapter.can(Capability.SUSPEND)
    assert adapter.describe_call(Capability.SUSPEND, variant="unsuspend") == "via Convoy: POST /servers/{server}/settings/unsuspend"


async def test_power_names_the_node_to_configure(sim, cv):
    server = await cv.get_server(a_server(sim)["uuid_short"])
    reason = cv.missing_reason(Capability.REBOOT, server)
    assert server.raw["node"] in reason and server.raw["node_fqdn"] in reason
    with pytest.raises(UnsupportedError, match="no power control"):
        await cv.power(server.id, PowerAction.REBOOT)


async def test_connection_report(sim, cv):
    report = await cv.test_connection()
    assert report.ok and report.latency_ms > 0 and report.details["nodes"] == len(sim.nodes)
    assert report.credential_source == "demo"
    call = sim.request_log[-1]
    assert call["path"] == "/api/application/nodes" and call["query"]["per_page"] == ["1"]


async def test_connection_report_for_a_non_admin_and_a_bad_token(sim):
    for token, words in ((NON_ADMIN, "not a root admin (403)"), ("9|" + "y" * 40, "token rejected")):
        adapter = make_adapter(sim, token=token)
        report = await adapter.test_connection()
        assert not report.ok and words in report.error
        await adapter.aclose()


async def test_a_redirect_to_login_is_an_auth_error(sim):
    http = HttpCore(backend="cv", base_url=sim.base_url, classify=classify, headers={"Accept": "text/html"})
    with pytest.raises(AuthError, match="login page"):
        await ConvoyApi(http).call("GET", "/servers", operation="list servers")
    await http.aclose()


# the fault matrix beyond the conformance suite (test_conformance.py) ---------------------------------
async def test_non_admin_token_is_a_permission_error(sim):
    adapter = make_adapter(sim, token=NON_ADMIN)
    with pytest.raises(PermissionDenied, match="not a root admin"):
        await adapter.list_servers()
    await adapter.aclose()


async def test_a_list_without_pagination_is_refused():
    def handler(request):
        return httpx.Response(200, json={"data": [{"id": "abcdef12", "name": "a"}]})

    http = HttpCore(backend="cv", base_url="http://127.0.0.1:1/api/application", classify=classify,
                    transport=httpx.MockTransport(handler))
    with pytest.raises(ProtocolError, match="pagination"):
        await ConvoyApi(http).list_all("/servers", operation="list servers")
    await http.aclose()


async def test_no_secret_ever_reaches_the_event_log(sim, cv):
    sim.faults.add(route="GET /servers", kind="status", status=503, count=1)
    await cv.list_servers()
    created = await cv.create_server(spec_for(sim))
    link = await cv.create_user("secret.keeper@example.com", "Secret Keeper")
    sso = await cv.sso_url(created.server.id)
    sim.faults.add(route="POST /users", kind="status", status=422, count=1)
    with pytest.raises(ValidationError):
        await cv.create_user("another@example.com", "Another", password="An0ther!Password")
    events = cv.events.recent()
    assert 503 in [e.status for e in events] and 422 in [e.status for e in events]
    assert secrets_in_events(cv, TOKEN, created.root_password, link.password, sso.secret, "An0ther!Password") == []
    assert any("***" in str(e.detail.get("request")) for e in events if e.method == "POST")
