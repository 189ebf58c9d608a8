"""The WHMCS adapter against the simulator over real loopback sockets: every action, errors, reconcile, faults."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta
from decimal import Decimal

import pytest

from hostdeck.backends.errors import AuthError
from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.errors import PermissionDenied
from hostdeck.backends.errors import ProtocolError
from hostdeck.backends.errors import RateLimitedError
from hostdeck.backends.errors import ReadOnlyError
from hostdeck.backends.errors import UnavailableError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.registry import adapter_class
from hostdeck.backends.sim.whmcs import WhmcsSim
from hostdeck.backends.whmcs import WhmcsAdapter
from tests.support.fixtures import adapter_fixture
from tests.support.fixtures import sim_fixture

from .wh import ACCESS_KEY
from .wh import IDENTIFIER
from .wh import SECRET
from .wh import actions
from .wh import make_adapter
from .wh import open_big_sim
from .wh import open_sim

NEW = dict(first_name="Ana", last_name="Lima", email="ana.lima.new@example.com", address1="Rua Exemplo 1",
           city="Lisboa", state="Lisboa", postcode="1000-001", country="PT", phone_number="912345678")


big = sim_fixture(open_big_sim, scope="module")
sim = sim_fixture(open_sim)
wh = adapter_fixture(make_adapter)
reader = adapter_fixture(make_adapter, "big", clear_faults=True)


def a_service(sim, status: str = "Active", with_server: bool = True) -> str:
    for sid, row in sim.services.items():
        has = bool(row["customfields"]["customfield"] and row["customfields"]["customfield"][0]["value"])
        if row["status"] == status and has == with_server and sim.products[int(row["pid"])]["module"]:
            return str(sid)
    raise AssertionError(f"the sim has no {status} service")


def recorded(adapter) -> str:
    return repr([e.as_dict() for e in adapter.events.recent()])


# registry and connection ------------------------------------------------------------------------------
def test_registered_as_whmcs():
    assert adapter_class("whmcs") is WhmcsAdapter and WhmcsAdapter.capabilities == frozenset()
    assert WhmcsAdapter.secret_fields == ("identifier", "secret")


async def test_connection_report(sim, wh):
    report = await wh.test_connection()
    assert report.ok and report.version == "8.13.1" and report.latency_ms > 0 and report.credential_source == "demo"
    assert report.details["access_key"] == "not set"
    assert actions(sim) == ["WhmcsDetails"]


@pytest.mark.parametrize("options", [dict(version="7.10.2"), dict(forbidden_actions={"WhmcsDetails"})])
async def test_connection_falls_back_to_get_clients(options):
    with WhmcsSim(clients=30, identifier=IDENTIFIER, secret=SECRET, **options) as s:
        adapter = make_adapter(s)
        report = await adapter.test_connection()
        assert report.ok and report.version is None and report.details["clients"] == 30
        assert actions(s) == ["WhmcsDetails", "GetClients"] and s.request_log[-1]["form"]["limitnum"] == "1"
        await adapter.aclose()


async def test_connection_falls_back_when_whmcs_details_is_an_invalid_api_action(sim):
    """whmcs.md, learned at first contact: "Invalid API Action" answers a credential that works but may not call it."""
    sim.faults.add("WhmcsDetails", "status", status=200, message="Invalid API Action")
    adapter = make_adapter(sim)
    report = await adapter.test_connection()
    assert report.ok and report.details["clients"] == 80 and "Invalid API Action" in report.details["whmcs_details"]
    assert actions(sim) == ["WhmcsDetails", "GetClients"]
    await adapter.aclose()


async def test_connection_failures_are_plain(sim):
    bad = make_adapter(sim, secret="wrong-secret-value")
    report = await bad.test_connection()
    assert not report.ok and report.error.startswith("API credentials rejected") and "hostdeck secret set wh" in report.error
    sim.allowed_ips.clear()
    report = await make_adapter(sim).test_connection()
    assert not report.ok and "this machine's IP is not allowed" in report.error and "127.0.0.1" in report.error
    await bad.aclose()


# clients ------------------------------------------------------------------------------------------------------
async def test_all_1043_clients_in_concurrent_pages(big, reader):
    pages = []
    clients = await reader.get_clients(progress=lambda done, total: pages.append((done, total)))
    assert len(clients) == 1043 and sorted(int(c.id) for c in clients) == sorted(big.clients)
    assert all(isinstance(c.id, str) and c.email for c in clients)
    offsets = sorted(int(r["form"]["limitstart"]) for r in big.request_log if r.get("action") == "GetClients")
    assert offsets == [0, 250, 500, 750, 1000] and pages[-1] == (5, 5)


async def test_listing_is_concurrent_under_php_latency(big):
    """The pages after the first are asked for together, on connections of their own (counted by the simulator, not
    timed, so a loaded machine cannot fail it); one page after another would reuse one connection."""
    big.latency_ms = 100
    reader = make_adapter(big)
    server = big._server
    open_before = server.peak_connections = len(server._conns)   # other tests' idle keep-alive connections
    try:
        assert len(await reader.get_clients()) == 1043
    finally:
        big.latency_ms = 0
        await reader.aclose()
    pages = [p for p in big.page_reads if p["action"] == "getclients"]
    assert len(pages) >= 5 and server.peak_connections - open_before >= 3


async def test_search_and_get_client(big, reader):
    target = big.clients[7]
    found = await reader.get_clients(search=target["email"][:8])
    assert "7" in [c.id for c in found] and all(c.email.lower().startswith(target["email"][:8].lower())
                                                or c.first_name.lower().startswith(target["email"][:8].lower())
                                                for c in found)
    by_id = await reader.get_client(client_id=7)
    by_email = await reader.get_client(email=target["email"])
    assert by_id.id == by_email.id == "7" and by_id.raw["stats"]["productsnumtotal"] >= 0
    assert by_id.raw["users"][0]["is_owner"] is True
    with pytest.raises(NotFoundError, match="no client with email"):
        await reader.get_client(email="nobody@example.com")
    assert await reader.find_client("nobody@example.com") is None


async def test_add_client_returns_the_generated_password_once(sim, wh):
    added = await wh.add_client(**NEW, company="Lima Digital")
    assert not added.reconciled and added.client.email == NEW["email"] and added.client.company == "Lima Digital"
    assert added.password and len(added.password) >= 16
    assert actions(sim) == ["GetClientsDetails", "AddClient", "GetClientsDetails"]
    assert added.password not in recorded(wh) and added.password not in repr(sim.request_log)
    assert "password" not in repr(added)


async def test_add_client_refuses_an_existing_client_email_before_sending(sim, wh):
    with pytest.raises(ConflictError, match="already WHMCS client 3"):
        await wh.add_client(**{**NEW, "email": sim.clients[3]["email"]})
    assert "AddClient" not in actions(sim)


async def test_add_client_email_of_another_user_is_a_conflict(sim, wh):
    colleague = next(u for u in sim.users.values() if u["email"] != sim.clients[u["client_ids"][0]]["email"])
    with pytest.raises(ConflictError, match="owner_user_id"):
        await wh.add_client(**{**NEW, "email": colleague["email"]})
    assert actions(sim).count("AddClient") == 1


async def test_add_client_validation(sim, wh):
    with pytest.raises(ValidationError, match="You did not enter your city"):
        await wh.add_client(**{**NEW, "city": ""})
    with pytest.raises(ValidationError, match="two-letter"):
        await wh.add_client(**{**NEW, "country": "Portugal"})
    with pytest.raises(ValidationError, match="not a valid email"):
        await wh.add_client(**{**NEW, "email": "nope"})
    assert actions(sim).count("AddClient") == 1


async def test_add_client_answer_lost_after_it_was_made_is_reconciled_not_resent(sim, wh):
    sim.faults.add("AddClient", "reset_mid")
    added = await wh.add_client(**NEW)
    assert added.reconciled and added.client.email == NEW["email"] and added.password
    assert actions(sim).count("AddClient") == 1
    assert sum(c["email"] == NEW["email"] for c in sim.clients.values()) == 1
    assert any(e.level == "warning" and "found as client" in e.message for e in wh.events.recent())


async def test_add_client_that_was_not_made_says_it_is_safe_to_try_again(sim, wh):
    sim.faults.add("AddClient", "status", status=500)
    with pytest.raises(UnavailableError, match="safe to try again"):
        await wh.add_client(**NEW)
    assert actions(sim).count("AddClient") == 1 and sim.client_by_email(NEW["email"]) is None


async def test_add_client_timeout_looks_again_and_never_claims_nothing_was_made(sim):
    adapter = make_adapter(sim, timeout=0.4)
    sim.faults.add("AddClient", "hang", delay=1.0)
    with pytest.raises(UnavailableError) as err:
        await adapter.add_client(**NEW)
    assert "may still be running" in err.value.message and "safe to try again" not in err.value.message
    assert actions(sim).count("AddClient") == 1 and actions(sim).count("GetClientsDetails") == 4   # 1 before, 3 looks
    await adapter.aclose()


async def test_update_client(sim, wh):
    client = await wh.update_client(4, city="Porto", first_name="Rui", status="Inactive")
    assert (client.first_name, client.status, client.raw["city"]) == ("Rui", "Inactive", "Porto")
    with pytest.raises(ConflictError, match="already has the email"):
        await wh.update_client(4, email=sim.clients[5]["email"])
    with pytest.raises(NotFoundError, match="no client with id 9999"):
        await wh.update_client(9999, city="x")
    sent = actions(sim).count("UpdateClient")
    with pytest.raises(ValidationError, match="'colour' is not a field"):
        await wh.update_client(4, colour="red")
    with pytest.raises(ValidationError, match="removed password"):
        await wh.update_client(4, password2="x")
    assert actions(sim).count("UpdateClient") == sent


async def test_update_client_is_resent_after_a_transient_failure(sim, wh):
    sim.faults.add("UpdateClient", "status", status=503, count=2)
    client = await wh.update_client(4, city="Braga")
    assert client.raw["city"] == "Braga" and actions(sim).count("UpdateClient") == 3


# services and products --------------------------------------------------------------------------------------
async def test_all_services_and_filters(big, reader):
    services = await reader.get_services()
    assert len(services) == len(big.services) and len({s.id for s in services}) == len(big.services)
    row = big.services[5]
    mine = await reader.get_services(client_id=row["clientid"])
    assert "5" in [s.id for s in mine] and {s.client_id for s in mine} == {row["clientid"]}
    one = await reader.get_service(5)
    assert one.id == "5" and isinstance(one.recurring_amount, Decimal) and one.raw["password"] == "***"
    assert one.server_id == row["customfields"]["customfield"][0]["value"] or not row["customfields"]["customfield"]
    with pytest.raises(NotFoundError, match="no service with id 999999"):
        await reader.get_service(999999)
    passwords = [r["password"] for r in big.services.values()]
    text = recorded(reader)
    assert not any(p in text for p in passwords[:50])


async def test_products(big, reader):
    products = await reader.get_products()
    assert len(products) == len(big.products)
    cx22 = next(p for p in products if p.name == "cx22")
    assert cx22.price("monthly", "EUR") == Decimal("9.90") and cx22.price("quarterly", "EUR") is None
    assert [p.id for p in await reader.get_products(cx22.id)] == [cx22.id]


async def test_update_client_product_sets_server_id_by_name(sim, wh):
    sid = a_service(sim, "Pending", with_server=False)
    service = await wh.update_client_product(sid, server_id="9b2f4c1a", dedicated_ip="203.0.113.10", domain="vps1.example.com")
    assert (service.server_id, service.dedicated_ip, service.domain) == ("9b2f4c1a", "203.0.113.10", "vps1.example.com")
    hosting = next(str(s) for s, r in sim.services.items() if not r["customfields"]["customfield"])
    with pytest.raises(ValidationError, match="no custom field named 'server_id'"):
        await wh.update_client_product(hosting, server_id="x")
    with pytest.raises(NotFoundError):
        await wh.update_client_product(999999, notes="x")


# module actions --------------------------------------------------------------------------------------------
async def test_module_actions_in_turn(sim, wh):
    sid = a_service(sim)
    seen = []
    sim.on_module_action = lambda action, service: seen.append(action)
    assert (await wh.module_suspend(sid, reason="Overdue")).service.status == "Suspended"
    assert sim.services[int(sid)]["suspensionreason"] == "Overdue"
    assert (await wh.module_unsuspend(sid)).service.status == "Active"
    result = await wh.module_change_password(sid, "N3w-Service-Pass")
    assert result.status == "success" and sim.services[int(sid)]["password"] == "N3w-Service-Pass"
    assert (await wh.module_terminate(sid)).service.status == "Terminated"
    assert (await wh.module_create(sid)).service.status == "Active"
    assert seen == ["ModuleSuspend", "ModuleUnsuspend", "ModuleChangePw", "ModuleTerminate", "ModuleCreate"]
    assert "N3w-Service-Pass" not in recorded(wh) and "N3w-Service-Pass" not in repr(sim.request_log)
    log = [e.description for e in await wh.get_activity_log(limit=20)]
    assert f"Module Create Successful - Service ID: {sid}" == log[0]


async def test_module_create_on_an_active_service_is_refused_before_sending(sim, wh):
    sid = a_service(sim)
    with pytest.raises(ConflictError, match="second server"):
        await wh.module_create(sid)
    assert "ModuleCreate" not in actions(sim)
    assert (await wh.module_create(sid, force=True)).status == "success"


async def test_module_error_text_is_shown_verbatim(sim, wh):
    sid = a_service(sim)
    sim.fail_next_module("Convoy answered HTTP 500 while suspending server 9b2f4c1a")
    with pytest.raises(BackendError) as err:
        await wh.module_suspend(sid)
    assert type(err.value) is BackendError and err.value.code == "module_error"
    assert "module answered: Convoy answered HTTP 500 while suspending server 9b2f4c1a" in err.value.message
    assert actions(sim).count("ModuleSuspend") == 1 and sim.services[int(sid)]["status"] == "Active"
    with pytest.raises(NotFoundError):
        await wh.module_suspend(999999)


async def test_module_answer_lost_after_it_ran_is_reported_as_applied(sim, wh):
    sid = a_service(sim)
    sim.faults.add("ModuleSuspend", "reset_mid")
    result = await wh.module_suspend(sid)
    assert result.status == "applied" and result.service.status == "Suspended" and "not sent again" in result.message
    assert actions(sim).count("ModuleSuspend") == 1


@pytest.mark.parametrize("fault", [
    dict(kind="status", status=503), dict(kind="status", status=502), dict(kind="html", status=504),
    dict(kind="reset"), dict(kind="status", status=429),
])
async def test_module_actions_are_never_resent(sim, wh, fault):
    sid = a_service(sim)
    sim.faults.add("ModuleTerminate", count=5, **fault)
    result = None
    with pytest.raises((UnavailableError, RateLimitedError, ProtocolError)) as err:
        result = await wh.module_terminate(sid)
    assert result is None and actions(sim).count("ModuleTerminate") == 1
    assert sim.services[int(sid)]["status"] == "Active" and "not sent again" in err.value.message
    if fault["status" if "status" in fault else "kind"] == 429:
        assert "was not run" in err.value.message


async def test_module_garbled_answer_after_it_ran_is_applied(sim, wh):
    sid = a_service(sim)
    sim.faults.add("ModuleTerminate", "malformed")
    result = await wh.module_terminate(sid)
    assert result.status == "applied" and actions(sim).count("ModuleTerminate") == 1


async def test_module_unclear_failure_reports_what_was_found(sim, wh):
    sid = a_service(sim)
    sim.faults.add("ModuleSuspend", "status", status=503)
    with pytest.raises(UnavailableError) as err:
        await wh.module_suspend(sid)
    text = err.value.message
    assert f"service {sid} is Active" in text and "not sent again" in text and "safe to try again" not in text
    sim.faults.add("ModuleChangePw", "reset_mid")
    with pytest.raises(UnavailableError, match="password change does not show"):
        await wh.module_change_password(sid, "Another-pass-9")
    assert actions(sim).count("ModuleSuspend") == 1 and actions(sim).count("ModuleChangePw") == 1


async def test_module_timeout_looks_again_while_php_may_still_run(sim):
    adapter = make_adapter(sim, timeout=0.3, reconcile_spacing=0.25)
    sid = a_service(sim)
    sim.faults.add("ModuleSuspend", "slow", delay=0.5)       # the module runs after the client gave up
    result = await adapter.module_suspend(sid)
    assert result.status == "applied" and actions(sim).count("ModuleSuspend") == 1
    await adapter.aclose()


# errors ---------------------------------------------------------------------------------------------------
async def test_ip_allow_list_without_and_with_an_access_key():
    with WhmcsSim(clients=20, identifier=IDENTIFIER, secret=SECRET, allowed_ips=("203.0.113.7",),
                  access_key=ACCESS_KEY) as s:
        plain = make_adapter(s)
        with pytest.raises(AuthError) as err:   # an address not on the list is a credential problem: never resent
            await plain.get_clients()
        text = err.value.message
        assert "127.0.0.1" in text and "API IP Access Restriction" in text and "hostdeck secret set wh accesskey" in text
        keyed = make_adapter(s, access_key=ACCESS_KEY)
        assert len(await keyed.get_clients()) == 20
        report = await keyed.test_connection()
        assert report.ok and report.details["access_key"] == "used"
        assert ACCESS_KEY not in recorded(keyed) and ACCESS_KEY not in repr(s.request_log)
        await plain.aclose()
        await keyed.aclose()


async def test_auth_errors_answered_with_403():
    with WhmcsSim(clients=20, identifier=IDENTIFIER, secret=SECRET, allowed_ips=(), auth_error_status=403) as s:
        adapter = make_adapter(s)
        with pytest.raises(AuthError, match="API IP Access Restriction"):
            await adapter.get_clients()
        s.allowed_ips.add("127.0.0.1")
        with pytest.raises(AuthError):
            await make_adapter(s, secret="nope").get_clients()
        await adapter.aclose()


async def test_action_missing_from_the_api_role_is_named():
    with WhmcsSim(clients=20, identifier=IDENTIFIER, secret=SECRET, forbidden_actions={"AddClient"}) as s:
        adapter = make_adapter(s)
        with pytest.raises(PermissionDenied) as err:
            await adapter.add_client(**NEW)
        assert "AddClient" in err.value.message and "API Roles" in err.value.message
        await adapter.aclose()


async def test_read_only_mode_refuses_writes_without_a_call(sim):
    adapter = make_adapter(sim, read_only=True)
    sid = a_service(sim)
    for attempt in (lambda: adapter.add_client(**NEW), lambda: adapter.update_client(4, city="x"),
                    lambda: adapter.update_client_product(sid, notes="x"), lambda: adapter.module_suspend(sid),
                    lambda: adapter.module_create(sid, force=True)):
        with pytest.raises(ReadOnlyError):
            await attempt()
    assert sim.request_log == []
    assert len(await adapter.get_clients()) == 80          # reads are POSTs too, and allowed
    await adapter.aclose()


async def test_wrong_url_says_where_the_api_is(sim):
    adapter = make_adapter(sim, url=sim.base_url + "/billing")
    with pytest.raises(ProtocolError, match="includes/api.php"):
        await adapter.get_clients()
    ok = make_adapter(sim, url=sim.base_url + "/includes/api.php")
    assert (await ok.details()).version == "8.13.1"
    await adapter.aclose()
    await ok.aclose()


# activity log -----------------------------------------------------------------------------------------------
async def test_activity_log_limit_since_and_filters(sim, wh):
    await wh.update_client(9, city="Faro")
    newest = await wh.get_activity_log(limit=5)
    assert len(newest) == 5 and newest[0].description.startswith("Client Profile Modified")
    assert newest[0].date.tzinfo is not None and [e.id for e in newest] == sorted((e.id for e in newest), reverse=True)
    recent = await wh.get_activity_log(since=datetime.now(UTC) - timedelta(minutes=5), limit=None)
    assert [e.client_id for e in recent] == [9]
    assert all(e.client_id == 9 for e in await wh.get_activity_log(client_id=9))
    everything = await wh.get_activity_log(limit=None)
    assert len(everything) == len(sim.activity)


# the fault matrix beyond the conformance suite (test_conformance.py) ---------------------------------
async def test_events_record_every_call_and_no_secret(sim, wh):
    await wh.details()                     # the version (GetClients' paging depends on it) is read first, once
    sim.faults.add("GetClients", "status", status=503)
    await wh.get_clients()
    sid = a_service(sim)
    await wh.module_change_password(sid, "Svc-Secret-Pass-1")
    added = await wh.add_client(**NEW, password="Owner-Secret-Pass-2")
    assert added.password is None                                  # given, not generated: nothing to show
    with pytest.raises(NotFoundError):
        await wh.get_client(client_id=424242)
    events = wh.events.recent()
    assert [e.status for e in events][1:3] == [503, 200] and events[2].attempt == 2
    warning = next(e for e in events if e.message.startswith("GetClientsDetails: result=error"))
    assert warning.level == "warning" and warning.detail["response"]["message"] == "Client Not Found"
    text = recorded(wh)
    for secret in (IDENTIFIER, SECRET, "Svc-Secret-Pass-1", "Owner-Secret-Pass-2"):
        assert secret not in text
    assert '"identifier": "***"' in text
