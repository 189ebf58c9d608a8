"""The WHMCS simulator over real loopback sockets, held to shared/api/whmcs.md ("A faithful simulator must")."""

from __future__ import annotations

import json
from functools import partial
from typing import Any

import httpx
import pytest

from hostdeck.backends.sim.whmcs import WhmcsSim
from hostdeck.backends.whmcs.parse import custom_fields_param
from tests.fixture_paths import FIXTURES as ALL_FIXTURES
from tests.support import shapes

from .wh import IDENTIFIER
from .wh import SECRET
from .wh import call

FIXTURES = ALL_FIXTURES / "whmcs"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


# prices are keyed by currency code (data, not schema); WHMCS sends null for fields it has no value for
same_shape = partial(shapes.same_shape, keyed_by_data="pricing", null_is_any=True)


def ok(resp: httpx.Response) -> dict[str, Any]:
    assert resp.status_code == 200 and resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert body["result"] == "success", body
    return body


def error(resp: httpx.Response, status: int = 200) -> str:
    assert resp.status_code == status
    body = resp.json()
    assert body["result"] == "error"
    return body["message"]


@pytest.fixture(scope="module")
def sim():
    # shared by tests that send wrong credentials on purpose: bans are tested on their own simulators
    with WhmcsSim(seed=2, identifier=IDENTIFIER, secret=SECRET, ban_after=0) as s:
        yield s


@pytest.fixture
def fresh():
    with WhmcsSim(clients=60, seed=5, identifier=IDENTIFIER, secret=SECRET) as s:
        yield s


SERVERS = ([{"backend": "hz", "kind": "hetzner", "id": str(4_000_000 + n), "name": f"web-{n}", "ipv4": f"203.0.113.{n}",
             "plan": ("cx22", "cx32")[n % 2]} for n in range(1, 121)]
           + [{"backend": "cv", "kind": "convoy", "id": f"{n:08x}", "name": f"vps-{n}.example.net", "ipv4": None,
               "plan": "2 vCPU/2 GB/40 GB"} for n in range(1, 81)])


# transport and envelope ------------------------------------------------------------------------------
def test_only_form_posts_to_api_php(sim):
    assert httpx.get(sim.base_url + "/includes/api.php").status_code == 405
    assert httpx.post(sim.base_url + "/api.php", data={"action": "GetClients"}).status_code == 404
    as_json = httpx.post(sim.base_url + "/includes/api.php", json={"action": "GetClients", "identifier": IDENTIFIER,
                                                                  "secret": SECRET, "responsetype": "json"})
    assert "Authentication Failed" in as_json.text     # a JSON body is not $_POST: no credentials, no responsetype


def test_responsetype_decides_the_format_never_silently_json(sim):
    xml = call(sim, "WhmcsDetails", responsetype="xml")
    assert xml.headers["content-type"].startswith("text/xml") and "<result>success</result>" in xml.text
    missing = call(sim, "WhmcsDetails", responsetype=None)
    assert not missing.headers["content-type"].startswith("application/json")


@pytest.mark.parametrize("action, params, name", [
    ("WhmcsDetails", {}, "WhmcsDetails"),
    ("GetClients", {"limitnum": 2}, "GetClients"),
    ("GetClientsDetails", {"clientid": 7, "stats": "true"}, "GetClientsDetails"),
    ("GetProducts", {"pid": 1}, "GetProducts"),
    ("GetActivityLog", {"limitnum": 2}, "GetActivityLog"),
])
def test_read_answers_have_the_fixture_shapes_and_types(sim, action, params, name):
    same_shape(ok(call(sim, action, **params)), fixture(name), name)


def test_services_have_the_fixture_shape_with_string_numbers(sim):
    cid = next(s["clientid"] for s in sim.services.values() if s["customfields"]["customfield"])
    body = ok(call(sim, "GetClientsProducts", clientid=cid))
    same_shape(body, fixture("GetClientsProducts"), "GetClientsProducts")
    assert isinstance(body["totalresults"], str) and body["startnumber"] == 0 and isinstance(body["numreturned"], int)
    row = body["products"]["product"][0]
    assert all(isinstance(row[k], str) for k in ("id", "clientid", "pid", "recurringamount", "diskusage"))


def test_write_answers_have_the_fixture_shapes(fresh):
    added = ok(call(fresh, "AddClient", firstname="A", lastname="B", email="a.b@example.com", address1="x", city="c",
                    state="s", postcode="1", country="PT", phonenumber="912345678", password2="pw-Strong-1"))
    same_shape(added, fixture("AddClient"))
    service = next(iter(fresh.services))
    same_shape(ok(call(fresh, "UpdateClientProduct", serviceid=service, notes="n")), fixture("UpdateClientProduct"))
    assert ok(call(fresh, "ModuleSuspend", serviceid=service)) == fixture("Module_success")


# credentials ----------------------------------------------------------------------------------------
def test_authentication(sim):
    assert error(call(sim, "GetClients", secret="wrong")) == "Authentication Failed"
    assert error(call(sim, "GetClients", identifier="")) == "Authentication Failed"
    alias = httpx.post(sim.base_url + "/includes/api.php", data={"action": "GetClients", "username": IDENTIFIER,
                                                                "password": SECRET, "responsetype": "json"})
    ok(alias)


def test_ip_allow_list_and_the_access_key_bypass():
    with WhmcsSim(clients=5, identifier=IDENTIFIER, secret=SECRET, allowed_ips=("203.0.113.7",),
                  access_key="k-1") as s:
        assert error(call(s, "GetClients")) == "Invalid IP 127.0.0.1"
        assert error(call(s, "GetClients", accesskey="wrong")) == "Invalid IP 127.0.0.1"
        ok(call(s, "GetClients", accesskey="k-1"))
        assert error(call(s, "GetClients", accesskey="k-1", secret="wrong")) == "Authentication Failed"


def test_three_failed_logins_ban_the_address_even_for_the_right_secret():
    """shared/api/whmcs.md, learned at first contact: three failures from one address ban it (15 minutes by default)."""
    with WhmcsSim(clients=5, identifier=IDENTIFIER, secret=SECRET) as s:
        assert s.ban_seconds == 15 * 60
        for _ in range(2):
            assert error(call(s, "GetClients", secret="wrong")) == "Authentication Failed"
        ok(call(s, "GetClients"))                      # two failures: not banned yet
        assert error(call(s, "GetClients", secret="wrong")) == "Authentication Failed"
        assert s.rejected_logins == 3 and "127.0.0.1" in s.banned
        assert error(call(s, "GetClients")) == "IP Banned"          # the right secret, banned all the same
        assert s.rejected_logins == 3                                  # a banned call is not a login attempt
        s.unban("127.0.0.1")
        ok(call(s, "GetClients"))
    with WhmcsSim(clients=5, identifier=IDENTIFIER, secret=SECRET, ban_seconds=0.2, auth_error_status=403) as s:
        for _ in range(3):
            call(s, "GetClients", secret="wrong")
        assert error(call(s, "GetClients"), 403) == "IP Banned"
        import time

        time.sleep(0.25)                                               # the ban expires by itself
        ok(call(s, "GetClients"))


def test_auth_and_ip_errors_may_answer_403():
    with WhmcsSim(clients=5, identifier=IDENTIFIER, secret=SECRET, allowed_ips=(), auth_error_status=403) as s:
        assert error(call(s, "GetClients"), 403) == "Invalid IP 127.0.0.1"
        s.allowed_ips.add("127.0.0.1")
        assert error(call(s, "GetClients", secret="x"), 403) == "Authentication Failed"


def test_api_role_permissions_and_unknown_actions():
    with WhmcsSim(clients=5, identifier=IDENTIFIER, secret=SECRET, forbidden_actions={"AddClient"}, version="7.10.2") as s:
        assert error(call(s, "AddClient", email="x@example.com")) == 'Invalid Permissions: API action "addclient" is not allowed'
        assert error(call(s, "WhmcsDetails")) == "Command Not Found"       # before 8.0
        assert error(call(s, "NoSuchThing")) == "Command Not Found"
        ok(call(s, "getclients"))                                          # action names are case-insensitive


# clients ------------------------------------------------------------------------------------------------
def test_offset_pagination_covers_every_client_once(sim):
    first = ok(call(sim, "GetClients"))
    assert first["totalresults"] == 1043 and first["numreturned"] == 25 and first["startnumber"] == 0
    ids = []
    for start in range(0, 1043, 400):
        page = ok(call(sim, "GetClients", limitstart=start, limitnum=400))
        assert page["startnumber"] == start and page["numreturned"] == len(page["clients"]["client"])
        ids += [c["id"] for c in page["clients"]["client"]]
    assert sorted(ids) == sorted(sim.clients) and len(set(ids)) == 1043
    past = ok(call(sim, "GetClients", limitstart=5000))
    assert past["numreturned"] == 0 and past["clients"] == "" and past["totalresults"] == 1043


def test_search_is_a_prefix_over_email_and_names(sim):
    client = sim.clients[7]
    for text in (client["email"][:6], client["lastname"][:4], f"{client['firstname']} {client['lastname'][:2]}"):
        rows = ok(call(sim, "GetClients", search=text, limitnum=2000))["clients"]["client"]
        assert 7 in [r["id"] for r in rows]
    assert ok(call(sim, "GetClients", search="zz-nobody"))["totalresults"] == 0
    closed = ok(call(sim, "GetClients", status="Closed", limitnum=2000))
    assert {r["status"] for r in closed["clients"]["client"]} == {"Closed"}


def test_clients_details_by_id_or_exact_email(sim):
    client = sim.clients[7]
    by_email = ok(call(sim, "GetClientsDetails", email=client["email"]))
    assert by_email["client"]["id"] == 7 and "stats" not in by_email
    assert by_email["client"]["users"]["user"][0]["is_owner"] is True
    assert error(call(sim, "GetClientsDetails", email=client["email"][:-1])) == "Client Not Found"
    assert error(call(sim, "GetClientsDetails", clientid=999999)) == "Client Not Found"
    assert error(call(sim, "GetClientsDetails")) == "Either clientid Or email Is Required"
    stats = ok(call(sim, "GetClientsDetails", clientid=7, stats=1))["stats"]
    assert stats["productsnumtotal"] == sum(s["clientid"] == "7" for s in sim.services.values())


def test_add_client_validates_and_keeps_emails_unique(fresh):
    base = dict(firstname="Ana", lastname="Lima", email="ana.new@example.com", address1="Rua 1", city="Lisboa",
                state="Lisboa", postcode="1000", country="PT", phonenumber="912345678", password2="Pw-123456")
    assert error(call(fresh, "AddClient", **{**base, "city": ""})) == "You did not enter your city"
    assert error(call(fresh, "AddClient", **{**base, "email": ""})) == "You did not enter your email address"
    assert error(call(fresh, "AddClient", **{**base, "email": "nope"})) == "The email address you entered was not valid"
    assert error(call(fresh, "AddClient", **{**base, "country": "Portugal"})) == "Valid country required"
    assert error(call(fresh, "AddClient", **{**base, "password2": ""})) == "You did not enter a password"
    taken = fresh.clients[3]["email"]
    assert error(call(fresh, "AddClient", **{**base, "email": taken.upper()})) == "A user already exists with that email address"
    colleague = next(u for u in fresh.users.values() if u["email"] != fresh.clients[u["client_ids"][0]]["email"])
    assert error(call(fresh, "AddClient", **{**base, "email": colleague["email"]})) == "A user already exists with that email address"
    assert error(call(fresh, "AddClient", **{**base, "owner_user_id": 99999})) == "Invalid Owner User ID"
    new_id = ok(call(fresh, "AddClient", **base))["clientid"]
    assert new_id == "61" and fresh.clients[61]["email"] == base["email"]
    assert ok(call(fresh, "AddClient", **{**base, "email": "lean@example.com", "city": "", "skipvalidation": "true"}))
    assert "Created Client Ana Lima - Client ID: 61" in [e["description"] for e in fresh.activity]


def test_update_client(fresh):
    assert error(call(fresh, "UpdateClient", clientid=9999, city="x")) == "Client ID Not Found"
    assert error(call(fresh, "UpdateClient", clientid=4, email=fresh.clients[5]["email"])) == "Duplicate Email Address"
    assert ok(call(fresh, "UpdateClient", clientid=4, city="Porto", status="Inactive")) == {"result": "success",
                                                                                           "clientid": "4"}
    assert (fresh.clients[4]["city"], fresh.clients[4]["status"]) == ("Porto", "Inactive")
    ok(call(fresh, "UpdateClient", clientemail=fresh.clients[4]["email"], lastname="Novo"))
    assert fresh.clients[4]["lastname"] == "Novo"
    assert any("Client Profile Modified" in e["description"] for e in fresh.activity)


# products and services ---------------------------------------------------------------------------------
def test_products_have_pricing_strings_with_disabled_cycles(sim):
    products = ok(call(sim, "GetProducts"))["products"]["product"]
    assert len(products) == len(sim.products)
    eur = products[0]["pricing"]["EUR"]
    assert eur["quarterly"] == "-1.00" and isinstance(eur["monthly"], str) and eur["monthly"] != "-1.00"
    assert [p["pid"] for p in ok(call(sim, "GetProducts", pid="1,2"))["products"]["product"]] == [1, 2]
    assert {p["module"] for p in ok(call(sim, "GetProducts", module="convoy"))["products"]["product"]} == {"convoy"}


def test_services_filters_and_paging(sim):
    total = len(sim.services)
    first = ok(call(sim, "GetClientsProducts", limitnum=100))
    assert first["totalresults"] == str(total) and first["numreturned"] == 100
    service = sim.services[42]
    assert [p["id"] for p in ok(call(sim, "GetClientsProducts", serviceid=42))["products"]["product"]] == ["42"]
    by_domain = ok(call(sim, "GetClientsProducts", domain=service["domain"]))["products"]["product"]
    assert "42" in [p["id"] for p in by_domain]
    none = ok(call(sim, "GetClientsProducts", serviceid=999999))
    assert none["totalresults"] == "0" and none["products"] == ""


def test_services_follow_the_simulated_servers():
    a, b = WhmcsSim(clients=300, seed=3, servers=SERVERS), WhmcsSim(clients=300, seed=3, servers=SERVERS)
    assert a.services == b.services and a.orphans == b.orphans                  # deterministic from the seed
    linked = list(a.service_servers.items())
    statuses = [a.services[sid]["status"] for sid, _ in linked]
    assert statuses.count("Active") > len(linked) * 0.7 and {"Suspended", "Terminated"} <= set(statuses)
    assert 150 < len(linked) <= 200
    for sid, server in linked:
        row = a.services[sid]
        assert row["customfields"]["customfield"][0] == {"id": row["customfields"]["customfield"][0]["id"],
                                                         "name": "server_id", "value": server["id"]}
        assert row["domain"] == server["name"] and row["dedicatedip"] == (server["ipv4"] or "")
        assert row["name"] == server["plan"] and row["servername"] == server["backend"]
    ids = {s["id"] for s in SERVERS}
    assert a.orphans and all(a.services[o]["customfields"]["customfield"][0]["value"] not in ids for o in a.orphans)
    assert a.service_of("cv", SERVERS[-1]["id"]) in (None, a.services.get(max(a.service_servers)))
    assert {p["name"] for p in a.products.values()} >= {"cx22", "cx32", "2 vCPU/2 GB/40 GB"}


def test_update_client_product_sets_fields_and_custom_fields(fresh):
    sid = next(s for s, row in fresh.services.items() if row["customfields"]["customfield"])
    field = fresh.services[sid]["customfields"]["customfield"][0]
    ok(call(fresh, "UpdateClientProduct", serviceid=sid, dedicatedip="198.51.100.9", status="Suspended",
            customfields=custom_fields_param({int(field["id"]): "newsrv01"})))
    row = fresh.services[sid]
    assert (row["dedicatedip"], row["status"], field["value"]) == ("198.51.100.9", "Suspended", "newsrv01")
    assert error(call(fresh, "UpdateClientProduct", serviceid=99999, notes="x")) == "Service ID Not Found"
    assert error(call(fresh, "UpdateClientProduct", serviceid=sid, status="Gone")).startswith("Invalid status")


# module actions -----------------------------------------------------------------------------------------
def test_module_actions_change_the_status_and_call_the_hook(fresh):
    seen = []
    fresh.on_module_action = lambda action, service: seen.append((action, service["id"]))
    sid = next(s for s, row in fresh.services.items() if row["status"] == "Active" and row["pid"] != "1"
               and fresh.products[int(row["pid"])]["module"])
    for action, status in (("ModuleSuspend", "Suspended"), ("ModuleUnsuspend", "Active"), ("ModuleChangePw", "Active"),
                           ("ModuleTerminate", "Terminated"), ("ModuleCreate", "Active")):
        ok(call(fresh, action, serviceid=sid, suspendreason="Overdue", servicepassword="New-pass-1"))
        assert fresh.services[sid]["status"] == status
    assert seen == [(a, str(sid)) for a in ("ModuleSuspend", "ModuleUnsuspend", "ModuleChangePw", "ModuleTerminate",
                                            "ModuleCreate")]
    assert fresh.services[sid]["password"] == "New-pass-1"
    log = [e["description"] for e in fresh.activity]
    assert f"Module Suspend Successful - Service ID: {sid}" in log


def test_module_errors_pass_through_and_leave_the_status(fresh):
    sid = next(s for s, row in fresh.services.items() if row["status"] == "Active")
    fresh.on_module_action = lambda action, service: "Convoy answered HTTP 500 while suspending server x"
    assert error(call(fresh, "ModuleSuspend", serviceid=sid)) == "Convoy answered HTTP 500 while suspending server x"
    fresh.on_module_action = None
    fresh.fail_next_module("Node is offline", action="ModuleTerminate")
    ok(call(fresh, "ModuleSuspend", serviceid=sid))                  # not the targeted action
    assert error(call(fresh, "ModuleTerminate", serviceid=sid)) == "Node is offline"
    assert fresh.services[sid]["status"] == "Suspended"
    assert error(call(fresh, "ModuleSuspend")) == "Service ID is required"
    assert error(call(fresh, "ModuleSuspend", serviceid=99999)) == "Service ID not found"
    manual = next(p for p, prod in fresh.products.items() if prod["module"] == "")     # "Support Hours": no module
    fresh.services[sid]["pid"] = str(manual)
    assert error(call(fresh, "ModuleCreate", serviceid=sid)) == "Service not assigned to a module"
    assert any("Module Terminate Failed" in e["description"] for e in fresh.activity)


# activity log ------------------------------------------------------------------------------------------------
def test_activity_log_is_newest_first_with_filters(fresh):
    ok(call(fresh, "UpdateClient", clientid=2, city="Faro"))
    body = ok(call(fresh, "GetActivityLog", limitnum=5))
    entries = body["activity"]["entry"]
    assert body["totalresults"] == len(fresh.activity) and "numreturned" not in body
    assert entries[0]["description"].startswith("Client Profile Modified") and entries[0]["username"] == "hostdeck"
    assert [e["id"] for e in entries] == sorted((e["id"] for e in entries), reverse=True)
    mine = ok(call(fresh, "GetActivityLog", clientid=2))["activity"]["entry"]
    assert mine and all(e["clientId"] == 2 for e in mine)
    day = entries[1]["date"][:10]
    localised = f"{day[8:10]}/{day[5:7]}/{day[:4]}"
    assert all(e["date"].startswith(day) for e in ok(call(fresh, "GetActivityLog", date=localised))["activity"]["entry"])
    assert ok(call(fresh, "GetActivityLog", description="no such words"))["activity"] == ""


# faults and the request log ------------------------------------------------------------------------------------
def test_faults_can_target_one_action(fresh):
    fresh.faults.add("AddClient", "status", status=500)
    ok(call(fresh, "GetClients"))                                     # another action: untouched
    oops = call(fresh, "AddClient", email="x@example.com")
    assert oops.status_code == 500 and "Oops" in oops.text and oops.headers["content-type"].startswith("text/html")
    fresh.faults.add("POST /includes/api.php", "status", status=503)
    maintenance = call(fresh, "GetClients")
    assert maintenance.status_code == 503 and maintenance.headers["retry-after"] == "1" and "maintenance" in maintenance.text
    fresh.faults.add("GetClients", "status", status=429)
    assert call(fresh, "GetClients").headers["retry-after"] == "1"
    fresh.faults.add("GetClients", "status", status=200, code="no_result")
    assert "result" not in call(fresh, "GetClients").json()
    fresh.faults.add("GetClients", "status", status=200, message="Something odd")
    assert error(call(fresh, "GetClients")) == "Something odd"


def test_a_lost_answer_after_the_write_applied(fresh):
    fresh.faults.add("AddClient", "reset_mid")
    with pytest.raises(httpx.HTTPError):
        call(fresh, "AddClient", firstname="A", lastname="B", email="lost@example.com", address1="x", city="c",
             state="s", postcode="1", country="PT", phonenumber="912345678", password2="Pw-123456")
    assert fresh.client_by_email("lost@example.com") is not None


def test_request_log_masks_credentials_and_passwords(fresh):
    sid = next(iter(fresh.services))
    call(fresh, "ModuleChangePw", serviceid=sid, servicepassword="Serv1cePassw0rd")
    call(fresh, "AddClient", email="z@example.com", password2="Owner-Passw0rd", accesskey="AccessKey-77")
    text = repr(fresh.request_log)
    for secret in (IDENTIFIER, SECRET, "Serv1cePassw0rd", "Owner-Passw0rd", "AccessKey-77"):
        assert secret not in text
    entry = fresh.request_log[-1]
    assert entry["action"] == "AddClient" and entry["form"]["password2"] == "***" and entry["form"]["email"] == "z@example.com"
