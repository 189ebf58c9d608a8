"""The adapter's parsing holds against the public fixtures (hcloud-python test data and the spec examples)."""

import json
from datetime import UTC
from datetime import datetime
from decimal import Decimal

import pytest

from hostdeck.backends.errors import AuthError
from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.errors import PermissionDenied
from hostdeck.backends.errors import RateLimitedError
from hostdeck.backends.errors import UnavailableError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.hetzner.adapter import load_fallback
from hostdeck.backends.hetzner.errors import classify
from hostdeck.backends.hetzner.parse import parse_catalog
from hostdeck.backends.hetzner.parse import parse_server
from hostdeck.backends.models import CatalogKind
from hostdeck.backends.models import ServerStatus
from tests.fixture_paths import FIXTURES as ALL_FIXTURES

FIXTURES = ALL_FIXTURES / "hetzner"


def fixture(name: str):
    doc = json.loads((FIXTURES / "hcloud-python" / f"{name}.json").read_text())
    return doc["data"]


def spec(name: str):
    return json.loads((FIXTURES / "spec-examples" / f"{name}.json").read_text())


def test_servers_list_fixture():
    servers = [parse_server("hz", raw) for raw in fixture("servers_list")["servers"]]
    first = servers[0]
    assert (first.id, first.name, first.status, first.ipv4, first.ipv6) == ("1", "my-server", ServerStatus.RUNNING, "1.2.3.4", "2001:db8::/64")
    # timestamps without seconds (as hcloud-python's fixtures have them) still parse
    assert first.created == datetime(2016, 1, 30, 23, 50, tzinfo=UTC)
    assert all(s.backend == "hz" and s.raw for s in servers)


def test_full_server_fixture():
    s = parse_server("hz", fixture("server_get_full")["server"])
    assert s.id == "42" and s.disk_gb == 20
    assert s.plan == s.raw["server_type"]["name"]
    assert s.memory_mb == round(s.raw["server_type"]["memory"] * 1024)


def test_spec_example_server_with_legacy_datacenter():
    raw = spec("get_server")["server"]
    s = parse_server("hz", raw)
    assert s.location == (raw.get("location") or raw["datacenter"]["location"])["name"]


def test_null_image_and_ipv4_and_suspended_label():
    raw = dict(fixture("server_get_full")["server"], image=None, status="off", labels={"hostdeck/suspended": "true"})
    raw["public_net"] = dict(raw["public_net"], ipv4=None)
    s = parse_server("hz", raw)
    assert s.image is None and s.ipv4 is None and s.status is ServerStatus.SUSPENDED


@pytest.mark.parametrize("raw, expected", [("initializing", ServerStatus.INSTALLING), ("deleting", ServerStatus.STOPPING),
                                           ("migrating", ServerStatus.STARTING), ("weird", ServerStatus.UNKNOWN)])
def test_status_normalisation(raw, expected):
    s = parse_server("hz", {"id": 1, "name": "a", "status": raw})
    assert s.status is expected and s.raw_status == raw


def test_catalog_fixtures_keep_decimal_prices():
    items = parse_catalog("hz", {"server_types": fixture("server_types_list")["server_types"],
                                 "images": fixture("images_list")["images"], "locations": fixture("locations_list")["locations"]})
    cx11 = next(i for i in items if i.name == "cx11")
    assert cx11.deprecated is True
    price = cx11.price_for("fsn1")
    assert price.hourly_gross == Decimal("1.1900000000000000") and isinstance(price.monthly_net, Decimal)
    assert {i.kind for i in items} == {CatalogKind.SERVER_TYPE, CatalogKind.IMAGE, CatalogKind.LOCATION}
    snapshot = next(i for i in items if i.kind is CatalogKind.IMAGE and i.attrs["type"] == "snapshot")
    assert snapshot.architecture == "x86"


def test_bundled_fallback_catalog_is_complete():
    items = load_fallback("hz")
    types = [i for i in items if i.kind is CatalogKind.SERVER_TYPE]
    locations = {i.name for i in items if i.kind is CatalogKind.LOCATION}
    assert locations == {"fsn1", "nbg1", "hel1", "ash", "hil", "sin"}
    assert {t.architecture for t in types} == {"x86", "arm"}
    assert all(t.prices for t in types if t.attrs["locations"])
    gone = next(t for t in types if t.name == "cpx11")     # unavailable everywhere: no price is offered
    assert gone.prices == () and gone.deprecated and set(gone.attrs["unavailable"]) == locations


@pytest.mark.parametrize("status, code, cls", [
    (401, "unauthorized", AuthError), (403, "token_readonly", PermissionDenied), (403, "protected", PermissionDenied),
    (404, "not_found", NotFoundError), (409, "uniqueness_error", ConflictError), (423, "locked", ConflictError),
    (422, "invalid_input", ValidationError), (429, "rate_limit_exceeded", RateLimitedError),
    (503, "service_error", UnavailableError), (504, "timeout", UnavailableError), (418, "brand_new_code", None),
])
def test_error_classification_by_code(status, code, cls):
    err = classify(status, {"error": {"code": code, "message": "m", "details": None}}, "op")
    if cls is None:  # an unknown code falls back to the HTTP status, then to the base class
        assert type(err).__name__ == "BackendError" and err.message == "m"
    else:
        assert isinstance(err, cls) and err.code == code


def test_invalid_input_names_the_fields():
    err = classify(422, {"error": {"code": "invalid_input", "message": "invalid input in field 'name'",
                                   "details": {"fields": [{"name": "name", "messages": ["must be a valid hostname"]}]}}}, "create")
    assert "name: must be a valid hostname" in err.message


async def test_a_failed_action_from_the_spec_example_is_an_error_with_its_message():
    """The spec's example action has status "error": following it raises at once, with the API's own message."""
    from types import SimpleNamespace

    from hostdeck.backends.hetzner.api import ActionsClient

    action = spec("get_action")["action"]
    steps = []
    with pytest.raises(BackendError) as err:
        await ActionsClient(SimpleNamespace(backend="hz")).wait(action, progress=steps.append)  # no call: it has ended
    assert action["error"]["message"] in err.value.message and err.value.code == action["error"]["code"]
    assert steps[-1].status == "error"
