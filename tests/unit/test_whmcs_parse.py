"""The WHMCS adapter's parsing, error mapping, request encoding and scrubbing hold against shared/fixtures/whmcs."""

import base64
import json
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hostdeck.backends.errors import AuthError
from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.errors import PermissionDenied
from hostdeck.backends.errors import RateLimitedError
from hostdeck.backends.errors import UnavailableError
from hostdeck.backends.errors import UnsupportedError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.events import EventLog
from hostdeck.backends.models import Event
from hostdeck.backends.models import EventKind
from hostdeck.backends.sim.whmcs import php_unserialize
from hostdeck.backends.whmcs.errors import classify
from hostdeck.backends.whmcs.errors import from_message
from hostdeck.backends.whmcs.fields import CLIENT_ALIASES
from hostdeck.backends.whmcs.fields import CLIENT_FIELDS
from hostdeck.backends.whmcs.fields import SERVICE_ALIASES
from hostdeck.backends.whmcs.fields import SERVICE_FIELDS
from hostdeck.backends.whmcs.fields import strong_password
from hostdeck.backends.whmcs.fields import wire_fields
from hostdeck.backends.whmcs.parse import as_id
from hostdeck.backends.whmcs.parse import as_int
from hostdeck.backends.whmcs.parse import custom_fields_param
from hostdeck.backends.whmcs.parse import items
from hostdeck.backends.whmcs.parse import money
from hostdeck.backends.whmcs.parse import parse_activity
from hostdeck.backends.whmcs.parse import parse_client
from hostdeck.backends.whmcs.parse import parse_date
from hostdeck.backends.whmcs.parse import parse_datetime
from hostdeck.backends.whmcs.parse import parse_details
from hostdeck.backends.whmcs.parse import parse_product
from hostdeck.backends.whmcs.parse import parse_service
from hostdeck.backends.whmcs.parse import php_serialize
from hostdeck.backends.whmcs.scrub import ScrubbedEvents
from tests.fixture_paths import FIXTURES as ALL_FIXTURES

FIXTURES = ALL_FIXTURES / "whmcs"


def fixture(name: str):
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


# numbers, containers, dates ------------------------------------------------------------------
def test_numbers_arrive_as_strings_or_ints_and_are_cast():
    assert as_int("1044") == 1044 and as_int(7) == 7 and as_int(7.0) == 7 and as_int("-1") == -1
    assert as_int(True) is None and as_int("") is None and as_int("n/a") is None and as_int(None) is None
    assert as_id("1044") == as_id(1044) == "1044"
    assert as_id(fixture("AddClient")["clientid"]) == "1044" and as_id(fixture("UpdateClientProduct")["serviceid"]) == "31"
    assert money("12.95") == Decimal("12.95") and money("0.00") == Decimal("0") and money("$2645.80 USD") is None
    assert as_int(fixture("GetClients")["totalresults"]) == 1043 and as_int(fixture("GetClientsProducts")["totalresults"]) == 2


@pytest.mark.parametrize("container, expected", [
    ({"client": [{"id": 1}, {"id": 2}]}, [{"id": 1}, {"id": 2}]),
    ({"client": {"id": 1}}, [{"id": 1}]),
    ({"client": []}, []), ([], []), ({}, []), ("", []), (None, []),
    ([{"id": 3}], [{"id": 3}]),
])
def test_containers_are_flattened_and_empty_ones_are_lists(container, expected):
    assert items(container, "client") == expected


def test_dates():
    assert parse_date("2026-12-01") == date(2026, 12, 1)
    assert parse_date("0000-00-00") is None and parse_date("") is None and parse_date(None) is None
    assert parse_datetime("0000-00-00 00:00:00") is None
    assert parse_datetime("2026-03-02 10:21:44") == datetime(2026, 3, 2, 10, 21, 44, tzinfo=UTC)
    lisbon_summer = parse_datetime("2026-07-01 12:00:00", ZoneInfo("Europe/Lisbon"))
    assert lisbon_summer == datetime(2026, 7, 1, 11, 0, tzinfo=UTC)


# clients ------------------------------------------------------------------------------------------
def test_get_clients_rows():
    rows = items(fixture("GetClients")["clients"], "client")
    ana, bo = (parse_client("bill", r) for r in rows)
    assert (ana.id, ana.email, ana.first_name, ana.last_name, ana.status) == ("7", "ana@example.com", "Ana", "Lima", "Active")
    assert (bo.id, bo.company, bo.status) == ("8", "Berg AB", "Inactive") and isinstance(bo.id, str)


def test_get_clients_details_keeps_users_and_stats():
    data = fixture("GetClientsDetails")
    client = parse_client("bill", data["client"], data["stats"])
    assert client.id == "7" and client.email == "ana@example.com"
    assert client.raw["users"] == [{"id": 12, "name": "Ana Lima", "email": "ana@example.com", "is_owner": True}]
    assert client.raw["stats"]["productsnumactive"] == 2
    assert client.raw["customfields"] == [{"id": 3, "value": "panel-user-42"}]


def test_a_client_without_id_or_email_is_a_protocol_error():
    from hostdeck.backends.errors import ProtocolError

    with pytest.raises(ProtocolError):
        parse_client("bill", {"firstname": "x"})


# services -------------------------------------------------------------------------------------------
def test_get_clients_products_casts_flattens_and_masks_the_password():
    vps, hosting = (parse_service("bill", r) for r in items(fixture("GetClientsProducts")["products"], "product"))
    assert (vps.id, vps.client_id, vps.product_id, vps.product, vps.status) == ("31", "7", "4", "VPS S", "Active")
    assert vps.recurring_amount == Decimal("9.90") and isinstance(vps.recurring_amount, Decimal)
    assert vps.next_due_date == date(2026, 12, 1) and vps.registered == date(2025, 11, 1)
    assert (vps.domain, vps.dedicated_ip, vps.server_id, vps.billing_cycle) == ("vps1.example.com", "203.0.113.10",
                                                                                "9b2f4c1a", "Monthly")
    assert vps.custom_fields == {"server_id": "9b2f4c1a"} and vps.custom_field_ids == {"server_id": "12"}
    assert vps.config_options == {"Location": "Frankfurt"} and vps.server == "convoy-fra"
    assert hosting.server_id is None and hosting.status == "Suspended" and hosting.suspension_reason == "Overdue on payment"
    assert (hosting.disk_usage_mb, hosting.disk_limit_mb, hosting.bw_usage_mb, hosting.bw_limit_mb) == (812, 10240, 2048, 102400)
    for service in (vps, hosting):
        assert service.raw["password"] == "***"
        assert "xxxxxxxx" not in repr(service.raw) and "xxxxxxxx" not in repr(service)
        assert service.raw["customfields"] == items(service.raw["customfields"], "customfield")  # flattened


def test_services_without_custom_fields_container():
    row = dict(items(fixture("GetClientsProducts")["products"], "product")[0])
    row["customfields"] = ""
    row["configoptions"] = {}
    service = parse_service("bill", row)
    assert service.server_id is None and service.custom_fields == {} and service.config_options == {}


# products ---------------------------------------------------------------------------------------------
def test_product_pricing_strings_and_disabled_cycles():
    product = parse_product("bill", items(fixture("GetProducts")["products"], "product")[0])
    assert (product.id, product.group_id, product.name, product.module) == ("4", "2", "VPS S", "convoy")
    assert product.prices == {"EUR": {"monthly": Decimal("9.90"), "annually": Decimal("99.00")}}
    assert product.disabled_cycles["EUR"] == ("quarterly", "semiannually", "biennially", "triennially")
    assert product.price("monthly") == Decimal("9.90") and product.price("quarterly") is None
    assert product.price("monthly", "USD") is None
    assert product.setup_fees == {"EUR": {"monthly": Decimal("0.00"), "annually": Decimal("0.00")}}


# system -------------------------------------------------------------------------------------------------
def test_whmcs_details_and_activity():
    info = parse_details(fixture("WhmcsDetails"))
    assert (info.version, info.canonical_version) == ("8.13.1", "8.13.1-release.1")
    first, cron = (parse_activity(r) for r in items(fixture("GetActivityLog")["activity"], "entry"))
    assert (first.id, first.client_id, first.admin_id, first.username) == (9811, 7, 1, "hostdeck")
    assert first.date == datetime(2026, 3, 2, 10, 21, 44, tzinfo=UTC)
    assert "Service ID: 32" in first.description and cron.client_id == 0 and cron.ip_address == ""


# errors --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case, cls, words", [
    ("auth", AuthError, ["hostdeck secret set bill identifier", "hostdeck secret set bill secret"]),
    ("ip", AuthError, ["203.0.113.7", "API IP Access Restriction", "hostdeck secret set bill accesskey"]),
    ("permission", PermissionDenied, ["AddClient", "API role"]),
    ("client_not_found", NotFoundError, ["Client Not Found"]),
    ("user_exists", ConflictError, ["A user already exists"]),
    ("duplicate_email", ConflictError, ["Duplicate Email Address"]),
    ("service_not_found", NotFoundError, ["Service ID not found"]),
    ("module_error", BackendError, ["Convoy answered HTTP 500 while suspending server 9b2f4c1a"]),
    ("validation", ValidationError, ["You did not enter your email address"]),
])
def test_error_fixtures_map_to_the_hierarchy_with_fixes(case, cls, words):
    spec = fixture("errors")[case]
    assert spec["status"] == 200 and spec["body"]["result"] == "error"
    err = from_message(spec["body"]["message"], "SomeAction", "bill")
    assert type(err) is cls
    for w in words:
        assert w in err.message


def test_error_matching_ignores_case_and_keeps_the_raw_message():
    err = from_message("authentication failed", "GetClients", "bill")
    assert isinstance(err, AuthError) and err.details == "authentication failed"
    err = from_message('Invalid Permissions: API action "getclientsproducts" is not allowed', "GetClientsProducts", "bill")
    assert err.code == "action_not_allowed" and err.details["action"] == "GetClientsProducts"
    assert isinstance(from_message("Command Not Found", "WhmcsDetails"), UnsupportedError)
    assert isinstance(from_message("Client ID Not Found", "UpdateClient"), NotFoundError)
    assert isinstance(from_message("Service not assigned to a module", "ModuleCreate"), ValidationError)


def test_http_statuses():
    forbidden = classify(403, {"result": "error", "message": "Invalid IP 10.0.0.9"}, "GetClients", "bill")
    assert isinstance(forbidden, AuthError) and forbidden.http_status == 403 and "10.0.0.9" in forbidden.message
    assert isinstance(classify(403, {"result": "error", "message": "Authentication Failed"}, "GetClients"), AuthError)
    assert isinstance(classify(403, None, "GetClients"), PermissionDenied)
    assert isinstance(classify(429, None, "GetClients"), RateLimitedError)
    assert isinstance(classify(503, {"result": "error", "message": "down"}, "GetClients"), UnavailableError)


# request encoding -------------------------------------------------------------------------------------------
def test_php_serialize_matches_php():
    assert php_serialize({12: "9b2f4c1a"}) == 'a:1:{i:12;s:8:"9b2f4c1a";}'
    assert php_serialize({"12": "é"}) == 'a:1:{i:12;s:2:"é";}'        # byte length, numeric keys as ints
    assert php_serialize({"name": 5, 3: True}) == 'a:2:{s:4:"name";i:5;i:3;b:1;}'
    assert base64.b64decode(custom_fields_param({12: "x"})).decode() == 'a:1:{i:12;s:1:"x";}'


@given(st.dictionaries(st.integers(min_value=1, max_value=10**6), st.text(max_size=40), max_size=6))
def test_custom_fields_round_trip_through_the_simulator(values):
    decoded = php_unserialize(base64.b64decode(custom_fields_param(values)).decode("utf-8"))
    assert decoded == {str(k): v for k, v in values.items()}


def test_field_names_aliases_and_refusals():
    assert wire_fields({"first_name": "A", "company": "C", "status": "Closed"}, CLIENT_FIELDS, CLIENT_ALIASES,
                       backend="bill", operation="UpdateClient") == {"firstname": "A", "companyname": "C", "status": "Closed"}
    out = wire_fields({"dedicated_ip": "1.2.3.4", "next_due_date": date(2026, 1, 2), "recurring_amount": Decimal("9.9")},
                      SERVICE_FIELDS, SERVICE_ALIASES, backend="bill", operation="UpdateClientProduct")
    assert out == {"dedicatedip": "1.2.3.4", "nextduedate": "2026-01-02", "recurringamount": "9.90"}
    for bad in ({"colour": "red"}, {"password2": "x"}, {"status": "Gone"}, {"email": "not-an-email"}):
        with pytest.raises(ValidationError):
            wire_fields(bad, CLIENT_FIELDS, CLIENT_ALIASES, backend="bill", operation="UpdateClient")


def test_generated_passwords_are_strong_and_different():
    a, b = strong_password(), strong_password()
    assert a != b and len(a) == 20
    assert any(c.isupper() for c in a) and any(c.islower() for c in a) and any(c.isdigit() for c in a)


# scrubbing ---------------------------------------------------------------------------------------------------
def test_scrubbed_events_hide_the_identifier_and_every_credential_value():
    log = EventLog()
    events = ScrubbedEvents(log, ["ident-0123456789", "sec-abcdef", None])
    note = json.dumps({"action": "GetClients", "identifier": "ident-0123456789", "secret": "***"})
    events.record(Event(backend="bill", kind=EventKind.API, message="GetClients: key sec-abcdef was sent",
                        path="/includes/api.php?identifier=ident-0123456789", detail={"request": note,
                                                                                   "form": {"identifier": "x1"}}))
    text = repr(log.recent()[0].as_dict())
    assert "ident-0123456789" not in text and "sec-abcdef" not in text and "x1" not in text
    assert '"identifier": "***"' in log.recent()[0].detail["request"]
    assert events.recent() == log.recent()           # everything else is the wrapped log's


@pytest.mark.parametrize("text, code, fix_words", [
    ("Authentication Failed", "auth_failed", ["Manage API Credentials", "hostdeck secret set bill secret"]),
    ("Invalid or missing credentials", "auth_failed", ["hostdeck secret set bill identifier"]),
    ("Invalid administrative identifier", "auth_failed", ["hostdeck secret set bill identifier"]),
    ("Invalid Access Key", "access_key_rejected", ["$api_access_key", "hostdeck secret set bill accesskey"]),
    ("Invalid IP 198.51.100.4", "ip_not_allowed", ["198.51.100.4", "API IP Access Restriction"]),
    ("IP Banned", "ip_banned", ["Banned IPs", "security settings", "hostdeck test bill"]),
    ("Administrator Account Disabled", "admin_disabled", ["Administrators", "enabled admin"]),
])
@pytest.mark.parametrize("status", [200, 403])
def test_every_credential_text_is_an_auth_error_with_its_fix(text, code, fix_words, status):
    """shared/api/whmcs.md, learned at first contact: these all mean "credentials", with 200 or 403."""
    for said in (text, text.upper()):
        err = classify(status, {"result": "error", "message": said}, "GetClients", "bill") if status != 200 else \
            from_message(said, "GetClients", "bill")
        assert isinstance(err, AuthError) and err.code == code, said
        assert all(w in err.message for w in fix_words), err.message


def test_invalid_api_action_is_a_permission_the_connection_test_falls_back_on():
    err = from_message("Invalid API Action", "WhmcsDetails", "bill")
    assert isinstance(err, PermissionDenied) and err.code == "action_not_allowed"
