"""The Matomo adapter's parsing, error mapping, request encoding and redaction hold against shared/fixtures/matomo."""

import json
from datetime import UTC
from datetime import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hostdeck.backends.errors import AuthError
from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.errors import PermissionDenied
from hostdeck.backends.errors import ProtocolError
from hostdeck.backends.errors import RateLimitedError
from hostdeck.backends.errors import UnavailableError
from hostdeck.backends.errors import UnsupportedError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.events import EventLog
from hostdeck.backends.matomo.adapter import site_url
from hostdeck.backends.matomo.adapter import url_key
from hostdeck.backends.matomo.adapter import www_variant
from hostdeck.backends.matomo.api import ScrubbedEvents
from hostdeck.backends.matomo.api import form_params
from hostdeck.backends.matomo.errors import classify
from hostdeck.backends.matomo.errors import from_message
from hostdeck.backends.matomo.parse import MatomoSite
from hostdeck.backends.matomo.parse import as_bool
from hostdeck.backends.matomo.parse import as_int
from hostdeck.backends.matomo.parse import new_site_id
from hostdeck.backends.matomo.parse import parse_site
from hostdeck.backends.matomo.parse import parse_ts
from hostdeck.backends.matomo.parse import scalar
from hostdeck.backends.matomo.parse import site_ids
from hostdeck.backends.matomo.parse import success
from hostdeck.backends.matomo.parse import tracking_code
from hostdeck.backends.matomo.parse import url_list
from hostdeck.backends.matomo.parse import version
from hostdeck.backends.models import Event
from hostdeck.backends.models import EventKind
from hostdeck.backends.redact import redact
from hostdeck.backends.redact import redact_url
from hostdeck.backends.sim.matomo import normalized_urls
from hostdeck.backends.sim.matomo import php_params
from tests.fixture_paths import FIXTURES as ALL_FIXTURES

FIXTURES = ALL_FIXTURES / "matomo"
TOKEN = "sentinelMatomoToken0123456789abcdef42"


def fixture(name: str):
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def mapped(case: dict) -> BackendError:
    """What the adapter makes of an errors.json case: the http core's classifier for non-200, the body check for 200."""
    status, body = case["status"], case["body"]
    return from_message(body["message"], "op", "mt", status) if status == 200 else classify(status, body, "op", "mt")


# wrapped scalars and lists --------------------------------------------------------------------------------
def test_scalars_are_unwrapped():
    assert version(fixture("API.getMatomoVersion")) == "5.2.0"
    assert new_site_id(fixture("SitesManager.addSite")) == 8 and new_site_id({"value": "8"}) == 8
    success(fixture("SitesManager.deleteSite"))
    code = tracking_code(fixture("SitesManager.getJavascriptTag"))
    assert code.startswith("<!-- Matomo -->") and "_paq.push(['setSiteId', '7']);" in code
    assert 'var u="//matomo.example.com/";' in code and code.rstrip().endswith("<!-- End Matomo Code -->")


def test_site_ids_and_urls():
    assert site_ids(fixture("SitesManager.getSitesIdFromSiteUrl.found")) == [7]
    assert site_ids(fixture("SitesManager.getSitesIdFromSiteUrl.none")) == []
    assert site_ids([{"idsite": "12"}, {"idsite": 3}, {"idsite": "12"}]) == [3, 12]     # ints or strings, sorted, unique
    assert site_ids(["1", "2", 10]) == [1, 2, 10]                                        # getAllSitesId
    assert url_list(fixture("SitesManager.getSiteUrlsFromId")) == ["https://shop.example.com",
                                                                    "https://www.shop.example.com"]


def test_site_row_values_are_strings_and_are_cast():
    row = fixture("SitesManager.getSiteFromId")
    assert all(isinstance(v, str) for v in row.values())
    site = parse_site("mt", row)
    assert isinstance(site, MatomoSite) and site.id == 7 and site.name == "shop.example.com"
    assert site.created == datetime(2026, 3, 2, 10, 20, tzinfo=UTC)
    assert (site.ecommerce, site.site_search, site.exclude_unknown_urls, site.keep_url_fragment) == (False, True, False, 0)
    assert (site.timezone, site.timezone_name, site.currency, site.currency_name) == ("Europe/Berlin", "Germany", "EUR", "Euro")
    assert site.type == "website" and site.creator_login == "admin" and site.excluded_ips == () and site.raw == row
    viewer = parse_site("mt", {k: v for k, v in row.items() if k != "creator_login"} | {"excluded_ips": "1.2.3.4, 10.0.0.*"})
    assert viewer.creator_login is None and viewer.excluded_ips == ("1.2.3.4", "10.0.0.*")


def test_lenient_numbers_booleans_and_dates():
    assert as_int("7") == as_int(7) == as_int(7.0) == 7 and as_int("x") is None and as_int(True) is None
    assert as_bool("1") and as_bool(1) and not as_bool("0") and not as_bool("") and not as_bool(None)
    assert parse_ts("2026-03-02 10:20:00").tzinfo is UTC
    assert parse_ts("2026-03-02") == datetime(2026, 3, 2, tzinfo=UTC)
    assert parse_ts("") is None and parse_ts("0000-00-00 00:00:00") is None and parse_ts("soon") is None


@pytest.mark.parametrize("call, data", [
    (lambda d: scalar(d, "m"), {"result": "success", "message": "ok"}),
    (lambda d: scalar(d, "m"), [{"value": 1}]),
    (lambda d: version(d), {"value": None}),
    (lambda d: new_site_id(d), {"value": "eight"}),
    (lambda d: new_site_id(d), {"value": 0}),
    (lambda d: site_ids(d), {"value": []}),
    (lambda d: site_ids(d), [{"id": "7"}]),
    (lambda d: url_list(d), {"0": "https://a.com"}),
    (lambda d: tracking_code(d), {"value": 7}),
    (lambda d: tracking_code(d), {"value": "ok"}),
    (lambda d: success(d, "m"), {"value": True}),
    (lambda d: parse_site("mt", d), [fixture("SitesManager.getSiteFromId")]),
    (lambda d: parse_site("mt", d), {"name": "no id"}),
])
def test_answers_of_the_wrong_shape_are_protocol_errors(call, data):
    with pytest.raises(ProtocolError, match="not the Matomo API answer"):
        call(data)


# errors ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("case, cls, code", [
    ("bad_token", AuthError, "token_rejected"),
    ("token_in_url", AuthError, "token_not_in_post"),
    ("not_superuser", PermissionDenied, "superuser_required"),
    ("no_view_access", PermissionDenied, "no_site_access"),
    ("empty_name", ValidationError, "validation"),
    ("bad_timezone", ValidationError, "validation"),
    ("site_not_found", NotFoundError, "site_not_found"),
    ("brute_force", RateLimitedError, "ip_blocked"),
])
def test_error_fixtures_are_mapped(case, cls, code):
    cases = fixture("errors")
    err = mapped(cases[case])
    assert type(err) is cls and err.code == code and err.http_status == cases[case]["status"]
    assert cases[case]["body"]["message"] in repr(err.details)          # the raw text is kept for the detail view


def test_error_words_say_what_to_do():
    cases = fixture("errors")
    token = mapped(cases["bad_token"]).message
    assert token.startswith("token rejected (401)") and "hostdeck secret set mt token" in token and "block" in token
    assert "POST" in mapped(cases["token_in_url"]).message
    view = mapped(cases["no_view_access"])
    assert "'view' access to Matomo site 7, or there is no site 7" in view.message and view.details["site_id"] == "7"
    assert "not a superuser" in mapped(cases["not_superuser"]).message
    assert mapped(cases["site_not_found"]).message == "Matomo has no site 999."
    assert "unblock" in mapped(cases["brute_force"]).message


@pytest.mark.parametrize("message, cls", [
    ('The currency "XYZ" is not valid. Please enter a valid currency symbol (eg. USD, EUR, etc.)', ValidationError),
    ("The url 'http://exa mple.com' is not a valid URL.", ValidationError),
    ("You must specify at least one URL for the website.", ValidationError),
    ("Invalid website type blog", ValidationError),
    ("Please specify a value for 'siteName'.", ValidationError),
    ("An unexpected website was found in the request: website id was set to '42' .", NotFoundError),
    ("It is not possible to delete this website as it is the only registered website. Add a new website first, then "
     "delete this one.", ConflictError),
    ("The method 'getFoo' does not exist or is not available in the module '\\Piwik\\Plugins\\SitesManager\\API'.",
     UnsupportedError),
    ("Something the module said", BackendError),
])
def test_other_messages_of_the_api_page(message, cls):
    assert type(from_message(message, "op", "mt")) is cls


def test_classification_by_status_first():
    blocked = {"result": "error", "message": "Logging in has been turned off since a suspicious amount of failed "
                                             "attempts were made during the last hour."}
    assert type(classify(403, blocked, "op")) is RateLimitedError
    # a Matomo in another language: a quoted access level means an access error, anything else a rejected token
    german_view = {"result": "error", "message": "Sie benötigt 'view' Zugriff für die Website id = 7."}
    german_token = {"result": "error", "message": "Authentifizierung mit dem Token fehlgeschlagen."}
    assert type(classify(401, german_view, "op")) is PermissionDenied
    assert type(classify(401, german_token, "op")) is AuthError and type(classify(401, None, "op")) is AuthError
    assert type(classify(403, {"result": "error", "message": "Verboten"}, "op")) is PermissionDenied
    assert type(classify(429, None, "op")) is RateLimitedError and classify(429, None, "op").retryable
    err = classify(503, {"result": "error", "message": "Matomo is under maintenance"}, "op")
    assert type(err) is UnavailableError and err.retryable and "maintenance" in err.message
    assert type(classify(500, None, "op")) is UnavailableError and not classify(500, None, "op").retryable
    assert type(classify(404, None, "op")) is NotFoundError and "index.php" in classify(404, None, "op").message


# request encoding and secrets ----------------------------------------------------------------------------------
def test_form_params_use_php_array_syntax_in_order():
    form = form_params({"siteName": "a.com", "urls": ["https://a.com", "https://www.a.com"], "ecommerce": False,
                        "timezone": None, "idSite": 7})
    assert form == {"siteName": "a.com", "urls[0]": "https://a.com", "urls[1]": "https://www.a.com", "ecommerce": "0",
                    "idSite": "7"}
    assert list(form) == ["siteName", "urls[0]", "urls[1]", "ecommerce", "idSite"]


@given(st.lists(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1), min_size=1, max_size=6))
def test_lists_survive_the_php_decoding_of_the_simulator(urls):
    assert php_params(list(form_params({"urls": urls}).items()))["urls"] == urls


def test_token_auth_is_redacted_by_key_in_bodies_and_urls():
    assert redact({"module": "API", "token_auth": TOKEN})["token_auth"] == "***"
    assert TOKEN not in redact_url(f"/index.php?module=API&token_auth={TOKEN}")
    assert TOKEN not in redact(f"https://m.example.com/index.php?token_auth={TOKEN}&idSite=1")


def test_scrubbed_events_mask_the_token_value_anywhere():
    log = EventLog()
    events = ScrubbedEvents(log, [TOKEN])
    events.record(Event(backend="mt", kind=EventKind.API, message=f"echo {TOKEN}", path=f"/index.php?t={TOKEN}",
                        detail={"nested": [TOKEN, {"x": f"a{TOKEN}b"}]}))
    assert TOKEN not in repr([e.as_dict() for e in log.recent()]) and "***" in log.recent()[0].message


# site URLs ----------------------------------------------------------------------------------------------------------
def test_site_urls_and_their_www_variant():
    assert site_url("shop.example.com") == "https://shop.example.com"
    assert site_url("http://shop.example.com/") == "http://shop.example.com"
    assert site_url("https://shop.example.com/blog/") == "https://shop.example.com/blog"
    for bad in ("", "   ", "ftp://x.com", "https://", "https://exa mple.com"):
        with pytest.raises(ValidationError, match="nothing was sent"):
            site_url(bad)
    assert www_variant("https://shop.example.com") == "https://www.shop.example.com"
    assert www_variant("https://www.shop.example.com") == "https://shop.example.com"
    assert www_variant("https://shop.example.com/blog") is None
    assert url_key("https://WWW.Shop.example.com/") == url_key("http://shop.example.com") == "shop.example.com"


def test_the_simulator_normalises_urls_like_matomo():
    assert normalized_urls("http://www.a.com") == ["http://www.a.com", "http://a.com", "http://www.a.com",
                                                   "https://a.com", "https://www.a.com"]
    assert normalized_urls("a.com")[0] == "a.com" and "https://www.a.com" in normalized_urls("a.com")
