"""The learned WHMCS shapes in tests/fixtures/whmcs/learned (string numbers, `""` for empty lists, a module's "User not
found", an 8.1 version) go through the adapter's parsing and error mapping."""

import json

from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.whmcs.api import ORDERBY_SINCE
from hostdeck.backends.whmcs.api import version_tuple
from hostdeck.backends.whmcs.errors import from_message
from hostdeck.backends.whmcs.parse import as_int
from hostdeck.backends.whmcs.parse import items
from hostdeck.backends.whmcs.parse import parse_activity
from hostdeck.backends.whmcs.parse import parse_client
from hostdeck.backends.whmcs.parse import parse_details
from tests.fixture_paths import FIXTURES

LEARNED = FIXTURES / "whmcs" / "learned"


def learned(name: str):
    return json.loads((LEARNED / f"{name}.json").read_text(encoding="utf-8"))


def test_string_numbers_parse_like_ints():
    body = learned("GetClients.strings")
    assert as_int(body["totalresults"]) == 2 and as_int(body["numreturned"]) == 2
    clients = [parse_client("wh", row) for row in items(body["clients"], "client")]
    assert [c.id for c in clients] == ["1", "2"]
    entries = [parse_activity(row) for row in items(learned("GetActivityLog.strings")["activity"], "entry")]
    assert [e.id for e in entries] == [2, 1] and entries[0].date is not None


def test_empty_string_containers_are_empty_lists():
    assert items(learned("GetClients.empty")["clients"], "client") == []
    assert items(learned("GetClientsProducts.empty")["products"], "product") == []
    assert items(learned("GetActivityLog.empty")["activity"], "entry") == []


def test_version_decides_orderby():
    info = parse_details(learned("WhmcsDetails.8.1"))
    assert version_tuple(info.version) == (8, 1, 3) < ORDERBY_SINCE
    assert version_tuple("8.2.0-release.1") >= ORDERBY_SINCE and version_tuple("") == ()


def test_user_not_found_after_a_module_action_is_not_a_missing_service():
    message = learned("ModuleChangePw.user_not_found")["message"]
    err = from_message(message, "ModuleChangePw", "wh")
    assert not isinstance(err, NotFoundError) and err.code == "panel_user_not_found"
    assert isinstance(from_message("Client Not Found", "GetClientsDetails", "wh"), NotFoundError)
