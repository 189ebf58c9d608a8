"""The Convoy adapter's parsing, units, spec and error mapping hold against the fixtures in shared/fixtures/convoy."""

import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hostdeck.backends.convoy.accounts import parse_user
from hostdeck.backends.convoy.adapter import load_fallback
from hostdeck.backends.convoy.errors import classify
from hostdeck.backends.convoy.errors import missing_model
from hostdeck.backends.convoy.parse import join_power
from hostdeck.backends.convoy.parse import parse_catalog
from hostdeck.backends.convoy.parse import parse_server
from hostdeck.backends.convoy.rules import refusal
from hostdeck.backends.convoy.spec import ConvoyServerSpec
from hostdeck.backends.convoy.spec import password_problem
from hostdeck.backends.convoy.spec import strong_password
from hostdeck.backends.convoy.units import as_int
from hostdeck.backends.convoy.units import bytes_to_gb
from hostdeck.backends.convoy.units import bytes_to_mb
from hostdeck.backends.convoy.units import gb_to_bytes
from hostdeck.backends.convoy.units import mb_to_bytes
from hostdeck.backends.errors import AuthError
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.errors import PermissionDenied
from hostdeck.backends.errors import UnavailableError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.models import CatalogKind
from hostdeck.backends.models import ServerStatus
from hostdeck.backends.sim.convoy import read_jwt
from tests.fixture_paths import FIXTURES as ALL_FIXTURES

FIXTURES = ALL_FIXTURES / "convoy"


def fixture(name: str):
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


# units ---------------------------------------------------------------------------------
def test_units():
    assert mb_to_bytes(2048) == 2147483648
    assert gb_to_bytes(20) == 21474836480
    assert bytes_to_mb(2147483648) == 2048 and bytes_to_mb(2147483648 + 1048575) == 2048   # floored
    assert bytes_to_mb(1048575) == 0 and bytes_to_gb(21474836479) == 19
    assert bytes_to_mb("4294967296") == 4096 and bytes_to_mb(None) is None and bytes_to_mb("n/a") is None
    assert as_int("12") == 12 and as_int(12.0) == 12 and as_int(True) is None and as_int("") is None


@given(st.integers(min_value=0, max_value=10**7))
def test_mb_round_trips_through_bytes(mb):
    assert bytes_to_mb(mb_to_bytes(mb)) == mb and bytes_to_gb(gb_to_bytes(mb)) == mb


@given(st.integers(min_value=0, max_value=2**50))
def test_bytes_to_mb_floors(value):
    mb = bytes_to_mb(value)
    assert mb_to_bytes(mb) <= value < mb_to_bytes(mb + 1)


# servers -------------------------------------------------------------------------------------
def test_server_show():
    s = parse_server("cv", fixture("server_show")["data"])
    assert (s.id, s.name, s.status, s.raw_status) == ("9b2f4c1a", "c-1001 vps", ServerStatus.UNKNOWN, "null")
    assert (s.ipv4, s.ipv6) == ("203.0.113.10", "2001:db8:10::5")
    assert (s.cores, s.memory_mb, s.disk_gb) == (2, 2048, 20) and s.plan == "2 vCPU/2 GB/20 GB"
    assert s.location == "fra-pve-1" and s.labels == {"user_id": "3", "user": "ana@example.com"}
    raw = s.raw
    assert (raw["node"], raw["vmid"], raw["uuid_short"]) == ("pve1", 512345678, "9b2f4c1a")   # the Proxmox join key
    assert (raw["node_fqdn"], raw["node_port"], raw["user_email"]) == ("pve1.example.net", 8006, "ana@example.com")
    assert raw["resources"] == {"cpu": 2, "memory_mb": 2048, "disk_gb": 20, "bandwidth_gb": None,
                                "bandwidth_usage_mb": 1024, "snapshots": 2, "backups": 2}
    assert [a["id"] for a in raw["addresses"]] == [10, 30]
    assert not s.locked


def test_list_page_keeps_all_digit_ids_as_strings_and_uses_the_node_map():
    rows = fixture("servers_list_page")["data"]
    nodes = {1: fixture("server_show")["data"]["node"]["data"]}
    first, second = (parse_server("cv", r, nodes) for r in rows)
    assert first.id == "40213377" and isinstance(first.id, str)
    assert first.status is ServerStatus.SUSPENDED and first.ipv4 is None
    assert first.raw["node"] == "pve1" and first.location == "fra-pve-1"
    assert parse_server("cv", rows[0]).location == "node 1"            # without the map: the id, no guess
    assert second.status is ServerStatus.UNKNOWN


def test_create_response_is_installing():
    s = parse_server("cv", fixture("server_create_response")["data"])
    assert s.status is ServerStatus.INSTALLING and s.raw_status == "installing" and s.locked
    assert s.memory_mb == 4096 and s.disk_gb == 40 and s.raw["vmid"] == 734120987


@pytest.mark.parametrize("status, expected", [
    (None, ServerStatus.UNKNOWN), ("installing", ServerStatus.INSTALLING), ("restoring_backup", ServerStatus.INSTALLING),
    ("restoring_snapshot", ServerStatus.INSTALLING), ("suspended", ServerStatus.SUSPENDED),
    ("deleting", ServerStatus.STOPPING), ("install_failed", ServerStatus.ERROR), ("deletion_failed", ServerStatus.ERROR),
    ("something_new", ServerStatus.UNKNOWN),
])
def test_status_table(status, expected):
    raw = {**fixture("server_show")["data"], "status": status}
    assert parse_server("cv", raw).status is expected


def test_join_power_only_for_normal_servers():
    normal = parse_server("cv", fixture("server_show")["data"])
    assert join_power(normal, "running").status is ServerStatus.RUNNING
    assert join_power(normal, "stopped").status is ServerStatus.OFF
    assert join_power(normal, "running", "paused").status is ServerStatus.UNKNOWN
    assert join_power(normal, None) is normal
    suspended = parse_server("cv", {**fixture("server_show")["data"], "status": "suspended"})
    assert join_power(suspended, "running").status is ServerStatus.SUSPENDED


def test_a_record_without_id_is_a_protocol_error():
    from hostdeck.backends.errors import ProtocolError

    with pytest.raises(ProtocolError):
        parse_server("cv", {"name": "x"})


# spec ------------------------------------------------------------------------------------------
def test_spec_body_matches_the_create_request_fixture():
    want = fixture("server_create_request")
    spec = ConvoyServerSpec(name="c-1002 vps", hostname="vps3.example.com", user_id=3, node_id=1,
                            template_uuid="0f3c7b9e-2a11-4c55-9f8e-1d2c3b4a5e6f", cpu=2, memory_mb=4096, disk_gb=40,
                            snapshot_limit=2, backup_limit=2, address_ids=[11])
    spec.check()
    assert spec.to_body("Str0ng!Passw0rd") == want
    assert "Str0ng" not in repr(dataclasses.replace(spec, account_password="Str0ng!Passw0rd"))


def test_spec_problems_name_the_fields():
    spec = ConvoyServerSpec(name="x" * 41, hostname="bad host", user_id=0, node_id=1, template_uuid="nope", cpu=0,
                            memory_mb=8, disk_gb=0, bandwidth_gb=-1, address_ids=[3, 3], vmid=5,
                            account_password="password")
    assert {name for name, _ in spec.problems()} == {"name", "hostname", "user_id", "cpu", "memory_mb", "disk_gb",
                                                     "bandwidth_gb", "template_uuid", "address_ids", "vmid",
                                                     "account_password"}
    with pytest.raises(ValidationError, match="memory_mb must be a whole number of at least 16"):
        spec.check("cv")


def test_generated_passwords_satisfy_convoys_rules():
    for _ in range(200):
        password = strong_password()
        assert password_problem(password) is None and len(password) == 20
    assert "lower-case" in password_problem("ABCDEFG1!")
    assert "one of !@#$%^&*" in password_problem("Abcdefg12")
    assert "printable ASCII" in password_problem("Abc def1!")
    assert password_problem(fixture("server_create_request")["account_password"]) is None
    assert password_problem(fixture("user_create_request")["password"]) is None


def test_refusal_rules():
    assert refusal(None, "suspend") is None and refusal("suspended", "unsuspend") is None
    assert refusal("suspended", "suspend") == "it is already suspended"
    assert refusal(None, "unsuspend") == "it is not suspended"
    assert "installing" in refusal("installing", "resize") and "being deleted" in refusal("deleting", "delete")
    assert refusal("suspended", "delete") is None and refusal("install_failed", "delete") is None
    assert refusal("installing", "sso") is None and refusal("deleting", "sso")


# users, SSO -------------------------------------------------------------------------------------
def test_user_from_the_email_filter():
    page = fixture("users_filter_email")
    assert page["meta"]["pagination"]["total"] == 1
    user = parse_user("cv", page["data"][0])
    assert (user.id, user.name, user.email, user.root_admin, user.servers_count) == (3, "Ana Lima", "ana@example.com",
                                                                                     False, 2)
    client = user.client("cv")
    assert (client.id, client.first_name, client.last_name) == ("3", "Ana", "Lima")


def test_sso_fixture_is_an_hs256_jwt_with_a_15_second_life():
    token = fixture("sso_token")["data"]["token"]
    claims = read_jwt(token, "demo-app-key")
    assert claims["exp"] - claims["iat"] == 15 and claims["user_uuid"]
    assert read_jwt(token, "wrong-key") is None


# errors -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("case, cls", [
    ("401_unauthenticated", AuthError), ("403_not_root_admin", PermissionDenied), ("404_server", NotFoundError),
    ("409_deleting", ConflictError), ("422_create", ValidationError), ("422_email_taken", ConflictError),
    ("400_template_node", ValidationError), ("400_user_has_servers", ValidationError),
    ("503_hostname_sync", UnavailableError), ("500_production", UnavailableError),
])
def test_error_fixtures_map_to_the_hierarchy(case, cls):
    doc = fixture("errors")[case]
    err = classify(doc["status"], doc["body"], "an operation", "cv")
    assert type(err) is cls and err.http_status == doc["status"] and err.message


def test_error_messages_name_the_field_the_model_and_the_fix():
    errors = fixture("errors")
    invalid = classify(422, errors["422_create"]["body"], "create server", "cv")
    assert "hostname: The hostname field is required." in invalid.message
    assert "limits.memory: The memory value exceeds the node's limit." in invalid.message
    assert "hostdeck secret set cv token" in classify(401, errors["401_unauthenticated"]["body"], "x", "cv").message
    assert classify(404, errors["404_server"]["body"], "x", "cv").code == "server"
    node = classify(404, {"message": "No query results for model [Convoy\\Models\\Node] 99"}, "x", "cv")
    assert node.code == "node" and node.message == "node 99 does not exist in Convoy."
    assert missing_model("No query results for model [Convoy\\Models\\Template].") == ("template", None)
    assert classify(502, None, "x", "cv").retryable and not classify(500, None, "x", "cv").retryable


# catalog -----------------------------------------------------------------------------------------
def test_catalog_from_fixtures():
    node = fixture("server_show")["data"]["node"]["data"]
    items = parse_catalog("cv", {"nodes": [node], "template_groups": {"1": fixture("node_template_groups")["data"]},
                                 "addresses": {"1": fixture("node_addresses_ipv4")["data"]}})
    (n,) = [i for i in items if i.kind is CatalogKind.NODE]
    assert n.attrs["memory_mb"] == 131072 and n.attrs["memory_allocated_mb"] == 3072
    assert n.attrs["memory_free_mb"] == 131072 - 3072 and n.attrs["cluster"] == "pve1"
    templates = [i for i in items if i.kind is CatalogKind.TEMPLATE]
    assert [(t.id, t.attrs["group"]) for t in templates] == [
        ("0f3c7b9e-2a11-4c55-9f8e-1d2c3b4a5e6f", "Ubuntu"), ("7a6b5c4d-3e2f-4a1b-8c9d-0e1f2a3b4c5d", "Ubuntu"),
        ("9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b", "Debian")]
    (pool,) = [i for i in items if i.kind is CatalogKind.IP_POOL]
    assert pool.id == "1:ipv4" and pool.attrs["free_count"] == 1 and pool.attrs["free"][0]["id"] == 11
    assert pool.attrs["total"] == 2


def test_the_convoy_fallback_invents_no_nodes_or_templates():
    assert load_fallback("cv") == []
