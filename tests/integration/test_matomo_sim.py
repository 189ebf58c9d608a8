"""The Matomo simulator over real loopback sockets, held to shared/api/matomo.md ("A faithful simulator must")."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from hostdeck.backends.sim.matomo import DEFAULT_TOKEN
from hostdeck.backends.sim.matomo import MatomoSim
from tests.fixture_paths import FIXTURES as ALL_FIXTURES
from tests.support.shapes import same_shape

from .mt import TOKEN
from .mt import VIEW_TOKEN
from .mt import call
from .mt import methods

FIXTURES = ALL_FIXTURES / "matomo"
ERRORS = json.loads((FIXTURES / "errors.json").read_text(encoding="utf-8"))


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def ok(resp: httpx.Response) -> Any:
    assert resp.status_code == 200 and resp.headers["content-type"] == "application/json; charset=utf-8", resp.text
    body = resp.json()
    assert not (isinstance(body, dict) and body.get("result") == "error"), body
    return body


def error(resp: httpx.Response, status: int = 200) -> str:
    assert resp.status_code == status, resp.text
    body = resp.json()
    assert body["result"] == "error" and set(body) == {"result", "message"}
    return body["message"]


@pytest.fixture(scope="module")
def sim():
    """Read by the tests that change nothing."""
    with MatomoSim(sites=12, seed=2, token=TOKEN) as s:
        s.add_token(VIEW_TOKEN, login="viewer", view_sites=(2, 3))
        yield s


@pytest.fixture
def fresh():
    with MatomoSim(sites=6, seed=5, token=TOKEN, brute_force_limit=3, retry_after=0) as s:
        yield s


# transport and envelope ------------------------------------------------------------------------------------
def test_api_is_index_php_with_module_api(sim):
    assert httpx.post(sim.base_url + "/api.php", data={"module": "API"}).status_code == 404
    assert httpx.put(sim.base_url + "/index.php").status_code == 405
    login = httpx.post(sim.base_url + "/index.php", data={"module": "CoreHome", "token_auth": TOKEN})
    assert login.status_code == 200 and login.headers["content-type"].startswith("text/html") and "Sign in" in login.text
    as_json = httpx.post(sim.base_url + "/index.php", json={"module": "API", "method": "API.getMatomoVersion",
                                                             "format": "json", "token_auth": TOKEN})
    assert as_json.headers["content-type"].startswith("text/html")      # a JSON body is not $_POST: no module=API
    assert ok(call(sim, "API.getMatomoVersion")) == {"value": sim.version}
    root = httpx.post(sim.base_url + "/", data={"module": "API", "method": "API.getMatomoVersion", "format": "json",
                                                "token_auth": TOKEN})
    assert root.json() == {"value": "5.2.0"}


def test_format_json_or_the_default_xml(sim):
    xml = call(sim, "API.getMatomoVersion", format=None)
    assert xml.headers["content-type"].startswith("text/xml") and "<result>5.2.0</result>" in xml.text
    assert "&lt;!-- Matomo --&gt;" in call(sim, "SitesManager.getJavascriptTag", format="xml", idSite=2).text
    raw = call(sim, "SitesManager.getSiteUrlsFromId", idSite=1).text
    assert "https:\\/\\/" in raw                                        # PHP's json_encode escapes slashes


def test_scalars_are_wrapped_and_methods_without_result_say_ok(fresh):
    assert ok(call(fresh, "API.getMatomoVersion")) == fixture("API.getMatomoVersion")
    added = ok(call(fresh, "SitesManager.addSite", siteName="a.example.com", urls=["https://a.example.com"]))
    same_shape(added, fixture("SitesManager.addSite"))
    assert added == {"value": 7}
    assert ok(call(fresh, "SitesManager.deleteSite", idSite=7)) == fixture("SitesManager.deleteSite")


def test_rows_and_lists_have_the_fixture_shapes(sim):
    row = ok(call(sim, "SitesManager.getSiteFromId", idSite=4))
    same_shape(row, fixture("SitesManager.getSiteFromId"))
    assert all(isinstance(v, str) for v in row.values()) and row["idsite"] == "4"
    assert row == {**sim.sites[4], "timezone_name": row["timezone_name"], "currency_name": row["currency_name"]}
    same_shape(ok(call(sim, "SitesManager.getSiteUrlsFromId", idSite=4)), fixture("SitesManager.getSiteUrlsFromId"))
    found = ok(call(sim, "SitesManager.getSitesIdFromSiteUrl", url=sim.site_urls[4][0]))
    same_shape(found, fixture("SitesManager.getSitesIdFromSiteUrl.found"))
    assert found == [{"idsite": "4"}]
    assert ok(call(sim, "SitesManager.getSitesIdFromSiteUrl", url="https://nowhere.example")) == \
        fixture("SitesManager.getSitesIdFromSiteUrl.none")
    assert ok(call(sim, "SitesManager.getAllSitesId")) == [str(i) for i in range(1, 13)]


def test_seeded_sites_are_deterministic():
    with MatomoSim(sites=30, seed=9) as a, MatomoSim(sites=30, seed=9) as b, MatomoSim(sites=30, seed=10) as c:
        assert a.sites == b.sites and a.site_urls == b.site_urls and a.site_urls != c.site_urls
        assert len({a.sites[i]["name"] for i in a.sites}) == 30
        assert any(u[0].startswith("http://") for u in a.site_urls.values())
        assert any(len(u) == 1 for u in a.site_urls.values()) and any(len(u) == 2 for u in a.site_urls.values())
        assert a.token == DEFAULT_TOKEN == "demo-matomo-token-0123456789abcdef"


# token handling ------------------------------------------------------------------------------------------------
def test_token_only_in_the_post_body(sim):
    assert error(call(sim, "API.getMatomoVersion", token="wrong-token"), 401) == ERRORS["bad_token"]["body"]["message"]
    in_url = call(sim, "API.getMatomoVersion", token=None, query={"token_auth": TOKEN})
    assert error(in_url, 401) == ERRORS["token_in_url"]["body"]["message"]
    both = call(sim, "API.getMatomoVersion", query={"token_auth": TOKEN})
    assert error(both, 401) == ERRORS["token_in_url"]["body"]["message"]
    get = httpx.get(sim.base_url + "/index.php", params={"module": "API", "method": "API.getMatomoVersion",
                                                           "format": "json", "token_auth": TOKEN})
    assert error(get, 401) == ERRORS["token_in_url"]["body"]["message"]
    sim.unblock()


def test_secure_only_is_per_token():
    with MatomoSim(sites=3, token=TOKEN) as s:
        s.add_token("relaxed-token-for-get-requests", superuser=True, secure_only=False)
        get = httpx.get(s.base_url + "/index.php", params={"module": "API", "method": "API.getMatomoVersion",
                                                           "format": "json", "token_auth": "relaxed-token-for-get-requests"})
        assert get.json() == {"value": "5.2.0"}
    with MatomoSim(sites=3, token=TOKEN, secure_only=False) as s:
        assert ok(call(s, "API.getMatomoVersion", token=None, query={"token_auth": TOKEN})) == {"value": "5.2.0"}


def test_request_log_masks_the_token_everywhere(fresh):
    call(fresh, "API.getMatomoVersion")
    call(fresh, "API.getMatomoVersion", token=None, query={"token_auth": TOKEN})
    text = repr(fresh.request_log)
    assert TOKEN not in text and text.count("***") >= 3
    first, second = fresh.request_log
    assert first["form"]["token_auth"] == "***" and not first["token_in_query"] and first["api_method"] == "API.getMatomoVersion"
    assert second["token_in_query"] and second["target"].endswith("token_auth=***") and second["query"]["token_auth"] == ["***"]


# access ------------------------------------------------------------------------------------------------------------
def test_view_access_and_superuser_only_methods(sim):
    assert ok(call(sim, "API.getMatomoVersion", token=VIEW_TOKEN)) == {"value": "5.2.0"}
    own = ok(call(sim, "SitesManager.getSiteFromId", token=VIEW_TOKEN, idSite=2))
    assert own["idsite"] == "2" and "creator_login" not in own
    other = error(call(sim, "SitesManager.getSiteFromId", token=VIEW_TOKEN, idSite=7), 401)
    assert other == ERRORS["no_view_access"]["body"]["message"]
    assert "website id = 999." in error(call(sim, "SitesManager.getSiteUrlsFromId", token=VIEW_TOKEN, idSite=999), 401)
    assert error(call(sim, "SitesManager.getJavascriptTag", token=VIEW_TOKEN, idSite=7), 401) == other
    superuser = ERRORS["not_superuser"]["body"]["message"]
    assert error(call(sim, "SitesManager.addSite", token=VIEW_TOKEN, siteName="x", urls=["https://x.example"]), 401) == superuser
    assert error(call(sim, "SitesManager.deleteSite", token=VIEW_TOKEN, idSite=2), 401) == superuser
    assert error(call(sim, "SitesManager.getAllSitesId", token=VIEW_TOKEN), 401) == superuser
    # the URL lookup sees only the sites the token can see
    assert ok(call(sim, "SitesManager.getSitesIdFromSiteUrl", token=VIEW_TOKEN, url=sim.site_urls[3][0])) == [{"idsite": "3"}]
    assert ok(call(sim, "SitesManager.getSitesIdFromSiteUrl", token=VIEW_TOKEN, url=sim.site_urls[5][0])) == []


def test_anonymous_and_siteless_tokens_have_no_view_access(fresh):
    fresh.add_token("siteless-token-0123456789", login="nobody")
    for token in (None, "siteless-token-0123456789"):
        assert "'view' access for at least one website" in error(call(fresh, "API.getMatomoVersion", token=token), 401)
    assert not fresh.failed_logins                          # a valid token or none is not a failed login


# sites -----------------------------------------------------------------------------------------------------------
def test_url_lookup_ignores_scheme_www_trailing_slash_and_case(fresh):
    site = ok(call(fresh, "SitesManager.addSite", siteName="shop", urls=["https://www.shop.example.com",
                                                                          "https://shop.example.com/blog"]))["value"]
    for url in ("https://www.shop.example.com", "http://shop.example.com", "shop.example.com", "https://shop.example.com/",
                "https://WWW.Shop.Example.COM", "http://www.shop.example.com/blog"):
        assert ok(call(fresh, "SitesManager.getSitesIdFromSiteUrl", url=url)) == [{"idsite": str(site)}], url
    # Matomo strips "http://" and "www." case-sensitively; only the database comparison ignores case
    assert ok(call(fresh, "SitesManager.getSitesIdFromSiteUrl", url="HTTP://WWW.SHOP.EXAMPLE.COM")) == []
    assert ok(call(fresh, "SitesManager.getSitesIdFromSiteUrl", url="https://shop.example.co")) == []
    assert ok(call(fresh, "SitesManager.getSitesIdFromSiteUrl", url="https://shop.example.com/b")) == []


def test_add_site_does_not_de_duplicate(fresh):
    ids = [ok(call(fresh, "SitesManager.addSite", siteName="twice", urls=["https://twice.example.com"]))["value"]
           for _ in range(2)]
    assert ids == [7, 8]
    found = ok(call(fresh, "SitesManager.getSitesIdFromSiteUrl", url="http://www.twice.example.com"))
    assert found == [{"idsite": "7"}, {"idsite": "8"}]


def test_add_site_stores_what_was_sent(fresh):
    new = ok(call(fresh, "SitesManager.addSite", siteName="Café & Co", urls=["cafe.example.com/", "https://www.cafe.example.com"],
                  timezone="Europe/Lisbon", currency="EUR", ecommerce=1, startDate="2026-01-15", excludedIps="1.2.3.4, 10.0.0.*"))
    row = ok(call(fresh, "SitesManager.getSiteFromId", idSite=new["value"]))
    assert (row["name"], row["main_url"], row["ecommerce"], row["timezone"], row["currency"]) == (
        "Café & Co", "http://cafe.example.com", "1", "Europe/Lisbon", "EUR")
    assert row["ts_created"] == "2026-01-15 00:00:00" and row["excluded_ips"] == "1.2.3.4,10.0.0.*"
    assert (row["timezone_name"], row["currency_name"], row["creator_login"]) == ("Portugal - Lisbon", "Euro", "admin")
    assert ok(call(fresh, "SitesManager.getSiteUrlsFromId", idSite=new["value"])) == ["http://cafe.example.com",
                                                                                       "https://www.cafe.example.com"]
    defaults = ok(call(fresh, "SitesManager.getSiteFromId", idSite=ok(call(fresh, "SitesManager.addSite", siteName="d",
                                                                            urls="https://d.example"))["value"]))
    assert (defaults["timezone"], defaults["currency"], defaults["ecommerce"], defaults["sitesearch"]) == ("UTC", "USD", "0", "1")
    offset = ok(call(fresh, "SitesManager.addSite", siteName="o", urls=["https://o.example"], timezone="UTC+5.5"))["value"]
    assert ok(call(fresh, "SitesManager.getSiteFromId", idSite=offset))["timezone_name"] == "UTC+5:30"


@pytest.mark.parametrize("params, message", [
    (dict(siteName="", urls=["https://a.example"]), ERRORS["empty_name"]["body"]["message"]),
    (dict(siteName="0", urls=["https://a.example"]), ERRORS["empty_name"]["body"]["message"]),
    (dict(siteName="a", urls=["https://a.example"], timezone="Mars/Olympus"), ERRORS["bad_timezone"]["body"]["message"]),
    (dict(siteName="a", urls=["https://a.example"], timezone="US/Eastern"), 'The timezone "US/Eastern" is not valid.'),
    (dict(siteName="a", urls=["https://a.example"], currency="XYZ"),
     'The currency "XYZ" is not valid. Please enter a valid currency symbol (eg. USD, EUR, etc.)'),
    (dict(siteName="a", urls=["https://a.example"], type="blog"), "Invalid website type blog"),
    (dict(siteName="a"), "You must specify at least one URL for the website."),
    (dict(siteName="a", urls=["", " "]), "You must specify at least one URL for the website."),
    (dict(siteName="a", urls=["https://a.example", "exa mple.com"]), "The url 'http://exa mple.com' is not a valid URL."),
    (dict(siteName="a", urls=["javascript://alert(1)"]), "The url 'javascript://alert(1)' is not a valid URL."),
    (dict(urls=["https://a.example"]), "Please specify a value for 'siteName'."),
    # Matomo's order: the name, then timezone and currency, then the URLs
    (dict(siteName="a", timezone="Mars/Olympus"), ERRORS["bad_timezone"]["body"]["message"]),
])
def test_add_site_validation_messages(fresh, params, message):
    assert error(call(fresh, "SitesManager.addSite", **params)).startswith(message)
    assert len(fresh.sites) == 6


def test_missing_sites_and_unknown_methods(sim):
    assert error(call(sim, "SitesManager.getSiteFromId", idSite=999)) == \
        "An unexpected website was found in the request: website id was set to '999' ."
    assert ok(call(sim, "SitesManager.getSiteUrlsFromId", idSite=999)) == []
    assert error(call(sim, "SitesManager.deleteSite", idSite=999)) == ERRORS["site_not_found"]["body"]["message"]
    assert "does not exist or is not available" in error(call(sim, "SitesManager.getFooBar"))
    assert error(call(sim, "SitesManager.getSiteFromId")) == "Please specify a value for 'idSite'."


def test_delete_site_refuses_the_only_site():
    with MatomoSim(sites=1, token=TOKEN) as s:
        assert error(call(s, "SitesManager.deleteSite", idSite=1)).startswith(
            "It is not possible to delete this website as it is the only registered website.")
        new = ok(call(s, "SitesManager.addSite", siteName="b", urls=["https://b.example"]))["value"]
        assert ok(call(s, "SitesManager.deleteSite", idSite=1))["result"] == "success"
        assert list(s.sites) == [new] and new == 2                      # ids are never reused


def test_tracking_code_is_rendered_from_the_template(sim):
    code = ok(call(sim, "SitesManager.getJavascriptTag", idSite=7, piwikUrl="https://matomo.example.com"))
    assert code == fixture("SitesManager.getJavascriptTag")
    own = ok(call(sim, "SitesManager.getJavascriptTag", idSite=3))["value"]
    assert f'var u="//127.0.0.1:{sim.port}/";' in own and "_paq.push(['setSiteId', '3']);" in own
    with MatomoSim(sites=2, token=TOKEN, matomo_url="https://stats.example.org/", force_ssl=True,
                   legacy_tracker=True) as s:
        legacy = ok(call(s, "SitesManager.getJavascriptTag", idSite=1))["value"]
        assert 'var u="https://stats.example.org/";' in legacy and "u+'piwik.php'" in legacy and "u+'piwik.js'" in legacy


# brute force -------------------------------------------------------------------------------------------------------
def test_repeated_token_failures_block_the_ip(fresh):
    for _ in range(3):
        assert error(call(fresh, "API.getMatomoVersion", token="wrong-token"), 401).startswith("Unable to authenticate")
    blocked = call(fresh, "API.getMatomoVersion")                      # even the right token, from this IP
    assert blocked.status_code == ERRORS["brute_force"]["status"] and blocked.json() == ERRORS["brute_force"]["body"]
    assert error(call(fresh, "API.getMatomoVersion", token="wrong-token")) == ERRORS["brute_force"]["body"]["message"]
    assert len(fresh.failed_logins["127.0.0.1"]) == 3 and fresh.is_blocked()   # blocked requests add no failures
    other_ip = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.2"))
    resp = other_ip.post(fresh.api_url, data={"module": "API", "method": "API.getMatomoVersion", "format": "json",
                                              "token_auth": TOKEN})
    assert resp.json() == {"value": "5.2.0"}
    other_ip.close()
    fresh.unblock()
    assert ok(call(fresh, "API.getMatomoVersion")) == {"value": "5.2.0"}


def test_failed_logins_age_out_of_the_window():
    with MatomoSim(sites=2, token=TOKEN, brute_force_limit=2, brute_force_window=0.3) as s:
        for _ in range(2):
            call(s, "API.getMatomoVersion", token="wrong-token")
        assert "Too many failed logins" in error(call(s, "API.getMatomoVersion"))
        time.sleep(0.35)
        assert ok(call(s, "API.getMatomoVersion")) == {"value": "5.2.0"}


def test_a_blocked_user_login_is_a_403(fresh):
    fresh.login_blocked = True
    assert error(call(fresh, "API.getMatomoVersion"), 403).startswith("Logging in has been turned off")


# faults -------------------------------------------------------------------------------------------------------------
def test_faults_by_method_and_their_bodies(fresh):
    fresh.faults.add("SitesManager.addSite", "status", status=500)
    assert ok(call(fresh, "API.getMatomoVersion")) == {"value": "5.2.0"}
    fatal = call(fresh, "SitesManager.addSite", siteName="x", urls=["https://x.example"])
    assert fatal.status_code == 500 and "Fatal error" in fatal.text and fatal.headers["content-type"].startswith("text/html")
    assert len(fresh.sites) == 6                                         # the app never saw it
    fresh.faults.add("*", "status", status=503)
    maintenance = call(fresh, "API.getMatomoVersion")
    assert maintenance.status_code == 503 and "maintenance" in maintenance.text and maintenance.headers["retry-after"] == "0"
    fresh.faults.add("API.getMatomoVersion", "status", status=200, code="no_value")
    assert call(fresh, "API.getMatomoVersion").json() == {"message": "ok"}
    fresh.faults.add("API.getMatomoVersion", "status", status=503, message="Matomo is under maintenance")
    assert error(call(fresh, "API.getMatomoVersion"), 503) == "Matomo is under maintenance"
    fresh.faults.add("API.getMatomoVersion", "content_type")
    assert call(fresh, "API.getMatomoVersion").headers["content-type"].startswith("text/plain")
    fresh.faults.add("API.getMatomoVersion", "malformed")
    with pytest.raises(ValueError):
        call(fresh, "API.getMatomoVersion").json()
    fresh.faults.add("SitesManager.addSite", "reset_mid")
    with pytest.raises(httpx.HTTPError):
        call(fresh, "SitesManager.addSite", siteName="lost", urls=["https://lost.example"])
    assert fresh.sites_with_url("https://lost.example") == [7]           # made, the answer lost
    assert [r["fault"] for r in fresh.request_log] == [None, "status", "status", "status", "status", "content_type",
                                                       "malformed", "reset_mid"]
    assert methods(fresh)[-1] == "SitesManager.addSite"


def test_latency_is_applied_before_the_answer():
    with MatomoSim(sites=2, token=TOKEN, latency_ms=60) as s:
        started = time.perf_counter()
        ok(call(s, "API.getMatomoVersion"))
        assert time.perf_counter() - started >= 0.06
