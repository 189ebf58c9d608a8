"""The Matomo adapter against the simulator over real loopback sockets: every method, errors, reconcile, faults, and
the token kept out of URLs and events."""

from __future__ import annotations

import asyncio

import pytest

from hostdeck.backends.errors import AuthError
from hostdeck.backends.errors import ConflictError
from hostdeck.backends.errors import NotFoundError
from hostdeck.backends.errors import PermissionDenied
from hostdeck.backends.errors import ProtocolError
from hostdeck.backends.errors import RateLimitedError
from hostdeck.backends.errors import ReadOnlyError
from hostdeck.backends.errors import UnavailableError
from hostdeck.backends.errors import ValidationError
from hostdeck.backends.matomo import MatomoAdapter
from hostdeck.backends.matomo.parse import MatomoSite
from hostdeck.backends.registry import adapter_class
from hostdeck.backends.secrets import env_name
from hostdeck.backends.sim.matomo import MatomoSim
from tests.support.fixtures import adapter_fixture
from tests.support.fixtures import sim_fixture

from .mt import TOKEN
from .mt import VIEW_TOKEN
from .mt import make_adapter
from .mt import methods
from .mt import open_big_sim
from .mt import open_sim

big = sim_fixture(open_big_sim, scope="module")
sim = sim_fixture(open_sim)
mt = adapter_fixture(make_adapter, timezone="Europe/Berlin", currency="EUR")
reader = adapter_fixture(make_adapter, "big", clear_faults=True)


def recorded(adapter) -> str:
    return repr([e.as_dict() for e in adapter.events.recent()])


def sites_for(sim, url: str) -> list[int]:
    return sim.sites_with_url(url)


# registry and connection --------------------------------------------------------------------------------------
def test_registered_as_matomo():
    assert adapter_class("matomo") is MatomoAdapter and MatomoAdapter.kind == "matomo"
    assert MatomoAdapter.capabilities == frozenset() and MatomoAdapter.secret_fields == ("token",)


async def test_connection_report(sim, mt):
    report = await mt.test_connection()
    assert report.ok and report.version == "5.2.0" and report.latency_ms > 0 and report.credential_source == "demo"
    assert report.details == {"sites": 8, "superuser": True}
    assert methods(sim) == ["API.getMatomoVersion", "SitesManager.getAllSitesId"]


async def test_connection_with_a_view_token_warns(big):
    adapter = make_adapter(big, token=VIEW_TOKEN)
    report = await adapter.test_connection()
    assert report.ok and report.details["superuser"] is False
    assert report.details["warning"] == "token lacks superuser rights: site creation will fail"
    await adapter.aclose()


async def test_rejected_token_stops_and_is_never_sent_again(sim, monkeypatch):
    adapter = make_adapter(sim, token="wrong-token-value")
    report = await adapter.test_connection()
    assert not report.ok and report.error.startswith("token rejected (401)") and "hostdeck secret set mt token" in report.error
    assert methods(sim) == ["API.getMatomoVersion"]                    # stopped: no superuser probe, no retry
    again = await adapter.test_connection()
    assert not again.ok and again.error.startswith("credentials rejected at") and "was not sent" in again.error
    assert again.latency_ms is None                                     # nothing was sent, nothing was measured
    for attempt in (adapter.find_sites_by_url("a.example"), adapter.site(1), adapter.tracking_code(1)):
        with pytest.raises(AuthError, match="credentials rejected at .*was not sent"):
            await attempt
    assert len(sim.request_log) == 1 and len(sim.failed_logins["127.0.0.1"]) == 1
    # a new token (set while hostdeck runs) is sent at once, without closing the adapter
    monkeypatch.setenv(env_name("mt", "token"), TOKEN)
    assert (await adapter.test_connection()).ok
    await adapter.aclose()


# finding and adding sites ----------------------------------------------------------------------------------------
async def test_find_sites_by_url_in_every_variant(big, reader):
    for site_id, urls in list(big.site_urls.items())[:6]:
        host = urls[0].split("://")[1]
        for url in (urls[0], host, f"http://www.{host}/", f"https://{host}"):
            assert await reader.find_sites_by_url(url) == [site_id], url
    assert await reader.find_sites_by_url("https://nothing-here.example") == []


async def test_add_site_sends_what_it_is_given(sim, mt):
    site_id = await mt.add_site("Shop & Co", ["shop.example.com", "https://www.shop.example.com/"], ecommerce=True,
                                timezone="Europe/Lisbon", currency="USD")
    assert isinstance(site_id, int) and site_id == 9
    row = sim.sites[site_id]
    assert (row["name"], row["ecommerce"], row["timezone"], row["currency"]) == ("Shop & Co", "1", "Europe/Lisbon", "USD")
    assert sim.site_urls[site_id] == ["https://shop.example.com", "https://www.shop.example.com"]
    form = sim.request_log[-1]["form"]
    assert form["urls"] == ["https://shop.example.com", "https://www.shop.example.com"] and form["token_auth"] == "***"
    assert methods(sim) == ["SitesManager.getSitesIdFromSiteUrl", "SitesManager.addSite"]
    defaults = await mt.add_site("b", "https://b.example.com")           # the backend's configured timezone/currency
    assert (sim.sites[defaults]["timezone"], sim.sites[defaults]["currency"]) == ("Europe/Berlin", "EUR")
    assert any(e.message == "addSite Shop & Co: site 9 created" for e in mt.events.recent())


async def test_add_site_refusals_before_any_call(sim, mt):
    for name, urls, words in (("", ["https://a.example"], "name is empty"), ("a", [], "at least one URL"),
                              ("a", ["ftp://a.example"], r"not an http\(s\) URL"), ("a", ["https://a b.example"], "not an")):
        with pytest.raises(ValidationError, match=words):
            await mt.add_site(name, urls)
    assert sim.request_log == []


async def test_matomo_validation_is_a_validation_error(sim, mt):
    with pytest.raises(ValidationError, match='The timezone "Mars/Olympus" is not valid'):
        await mt.add_site("a", ["https://a.example"], timezone="Mars/Olympus")
    with pytest.raises(ValidationError, match='The currency "XYZ" is not valid'):
        await mt.add_site("a", ["https://a.example"], currency="XYZ")
    assert len(sim.sites) == 8


async def test_ensure_site_finds_first_and_adds_only_when_absent(sim, mt):
    site_id, created = await mt.ensure_site("new.example.com", "new.example.com")
    assert created and sim.site_urls[site_id] == ["https://new.example.com", "https://www.new.example.com"]
    for url in ("https://new.example.com", "http://www.new.example.com/", "new.example.com"):
        assert await mt.ensure_site("new.example.com", url) == (site_id, False)
    assert methods(sim).count("SitesManager.addSite") == 1 and sites_for(sim, "https://new.example.com") == [site_id]
    existing = sim.site_urls[2][0]
    assert await mt.ensure_site("whatever", existing) == (2, False)
    assert len(sim.sites) == 9


async def test_ensure_site_concurrently_makes_one_site(sim, mt):
    results = await asyncio.gather(*(mt.ensure_site("race.example.com", url) for url in
                                     ("race.example.com", "https://race.example.com", "http://www.race.example.com",
                                      "https://race.example.com/", "race.example.com")))
    ids = {r[0] for r in results}
    assert len(ids) == 1 and sum(created for _, created in results) == 1
    assert methods(sim).count("SitesManager.addSite") == 1


async def test_ensure_site_with_duplicates_picks_the_lowest_and_warns(sim, mt):
    first = await mt.add_site("dup", ["https://dup.example.com"])
    second = await mt.add_site("dup", ["https://www.dup.example.com"])      # Matomo lets this happen
    assert await mt.ensure_site("dup", "dup.example.com") == (first, False) and second > first
    warning = next(e for e in mt.events.recent() if "2 sites for it" in e.message)
    assert warning.level == "warning" and warning.detail["site_ids"] == [first, second]


@pytest.mark.parametrize("fault", [dict(kind="reset_mid"), dict(kind="malformed"), dict(kind="content_type")])
async def test_ensure_site_answer_lost_after_it_was_made_is_reconciled_not_resent(sim, mt, fault):
    sim.faults.add("SitesManager.addSite", **fault)
    site_id, created = await mt.ensure_site("lost.example.com", "lost.example.com")
    assert created and sites_for(sim, "https://lost.example.com") == [site_id]
    assert methods(sim).count("SitesManager.addSite") == 1
    assert any(e.level == "warning" and "not sent again" in e.message for e in mt.events.recent())
    assert await mt.ensure_site("lost.example.com", "https://lost.example.com") == (site_id, False)
    assert methods(sim).count("SitesManager.addSite") == 1


@pytest.mark.parametrize("fault", [dict(kind="status", status=500), dict(kind="status", status=503),
                                   dict(kind="html", status=502), dict(kind="reset")])
async def test_ensure_site_that_was_not_made_is_never_resent(sim, mt, fault):
    sim.faults.add("SitesManager.addSite", count=5, **fault)
    with pytest.raises(UnavailableError) as err:
        await mt.ensure_site("flaky.example.com", "flaky.example.com")
    assert "not sent again" in err.value.message and "no new site" in err.value.message
    assert methods(sim).count("SitesManager.addSite") == 1 and sites_for(sim, "https://flaky.example.com") == []
    sim.faults.clear()
    site_id, created = await mt.ensure_site("flaky.example.com", "flaky.example.com")
    assert created and sites_for(sim, "https://flaky.example.com") == [site_id]


async def test_add_site_answered_500_says_it_is_safe_to_try_again(sim, mt):
    sim.faults.add("SitesManager.addSite", "status", status=500)
    with pytest.raises(UnavailableError, match="safe to try again"):
        await mt.add_site("x", ["https://x.example.com"])


async def test_add_site_timeout_looks_again_and_never_claims_nothing_was_made(sim):
    adapter = make_adapter(sim, timeout=0.3)
    sim.faults.add("SitesManager.addSite", "hang", delay=0.6)
    with pytest.raises(UnavailableError) as err:
        await adapter.ensure_site("hang.example.com", "hang.example.com")
    assert "may still be running" in err.value.message and "safe to try again" not in err.value.message
    assert methods(sim).count("SitesManager.addSite") == 1
    assert methods(sim).count("SitesManager.getSitesIdFromSiteUrl") == 4     # 1 before, 3 looks
    await adapter.aclose()


async def test_add_site_that_runs_after_the_client_gave_up_is_found(sim):
    adapter = make_adapter(sim, timeout=0.3, reconcile_spacing=0.25)
    sim.faults.add("SitesManager.addSite", "slow", delay=0.5)            # PHP makes the site after the timeout
    site_id, created = await adapter.ensure_site("slow.example.com", "slow.example.com")
    assert created and sites_for(sim, "https://slow.example.com") == [site_id]
    assert methods(sim).count("SitesManager.addSite") == 1
    await adapter.aclose()


# reading sites ------------------------------------------------------------------------------------------------------
async def test_site_urls_and_tracking_code(big, reader):
    site = await reader.site(5)
    assert isinstance(site, MatomoSite) and site.id == 5 and site.name == big.sites[5]["name"]
    assert site.created is not None and site.created.tzinfo is not None and site.creator_login == "admin"
    assert site.ecommerce == (big.sites[5]["ecommerce"] == "1") and site.timezone_name
    assert await reader.site_urls(5) == big.site_urls[5]
    code = await reader.tracking_code(5)
    assert "_paq.push(['setSiteId', '5']);" in code and f'var u="//127.0.0.1:{big.port}/";' in code
    with pytest.raises(NotFoundError, match="Matomo has no site 999"):
        await reader.site(999)
    with pytest.raises(ValidationError):
        await reader.site("abc")


async def test_tracking_code_with_the_configured_tracker_url(big):
    adapter = make_adapter(big, tracker_url="https://stats.example.org")
    assert 'var u="//stats.example.org/";' in await adapter.tracking_code(3)
    await adapter.aclose()


async def test_view_token_reads_its_sites_only(big):
    adapter = make_adapter(big, token=VIEW_TOKEN)
    assert (await adapter.site(2)).creator_login is None
    assert await adapter.find_sites_by_url(big.site_urls[7][0]) == []
    with pytest.raises(PermissionDenied, match="no 'view' access to Matomo site 7, or there is no site 7"):
        await adapter.site(7)
    with pytest.raises(PermissionDenied, match="not a superuser"):
        await adapter.add_site("x", ["https://x.example"])
    with pytest.raises(PermissionDenied, match="not a superuser"):
        await adapter.delete_site(2)
    assert (await adapter.test_connection()).ok                      # permission errors do not stop the session
    await adapter.aclose()


# deleting sites -----------------------------------------------------------------------------------------------------
async def test_delete_site(sim, mt):
    await mt.delete_site(3)
    assert 3 not in sim.sites
    with pytest.raises(NotFoundError, match="no site 3; nothing was deleted"):
        await mt.delete_site(3)
    assert any(e.message == "deleteSite 3: deleted" for e in mt.events.recent())


async def test_delete_site_refuses_the_last_site():
    with MatomoSim(sites=1, token=TOKEN) as s:
        adapter = make_adapter(s)
        with pytest.raises(ConflictError, match="only site in Matomo"):
            await adapter.delete_site(1)
        assert 1 in s.sites
        await adapter.aclose()


async def test_delete_site_answer_lost_is_reconciled_not_resent(sim, mt):
    sim.faults.add("SitesManager.deleteSite", "reset_mid")
    await mt.delete_site(4)
    assert 4 not in sim.sites and methods(sim).count("SitesManager.deleteSite") == 1
    assert any("gone after an unclear failure" in e.message for e in mt.events.recent())


async def test_delete_site_not_applied_is_not_resent(sim, mt):
    sim.faults.add("SitesManager.deleteSite", "status", status=503, count=5)
    with pytest.raises(UnavailableError, match="site 5 still exists"):
        await mt.delete_site(5)
    assert 5 in sim.sites and methods(sim).count("SitesManager.deleteSite") == 1


async def test_read_only_mode_refuses_writes_without_a_call(sim):
    adapter = make_adapter(sim, read_only=True)
    with pytest.raises(ReadOnlyError):
        await adapter.add_site("a", ["https://a.example"])
    with pytest.raises(ReadOnlyError):
        await adapter.delete_site(2)
    assert sim.request_log == []
    assert await adapter.ensure_site("x", sim.site_urls[2][0]) == (2, False)     # reads are POSTs too, and allowed
    with pytest.raises(ReadOnlyError):
        await adapter.ensure_site("new", "absent.example.com")
    assert "SitesManager.addSite" not in methods(sim)
    await adapter.aclose()


# brute-force protection ----------------------------------------------------------------------------------------------
async def test_brute_force_block_is_rate_limited_and_plain(sim):
    for n in range(4):                                          # four other hostdeck sessions with the same bad token
        bad = make_adapter(sim, token=f"wrong-token-{n}")
        with pytest.raises(AuthError):
            await bad.version()
        await bad.aclose()
    good = make_adapter(sim)
    with pytest.raises(RateLimitedError) as err:
        await good.find_sites_by_url("a.example")
    assert err.value.code == "ip_blocked" and "brute-force" in err.value.message and not err.value.retryable
    report = await good.test_connection()
    assert not report.ok and "blocked this machine's IP" in report.error
    assert len(sim.request_log) == 6                            # never retried
    sim.unblock()
    assert (await good.test_connection()).ok                    # a block is not a rejected token: no session stop
    await good.aclose()


async def test_blocked_user_login_is_rate_limited(sim, mt):
    sim.login_blocked = True
    with pytest.raises(RateLimitedError, match="turned logging in off"):
        await mt.version()


# the fault matrix beyond the conformance suite (test_conformance.py) ---------------------------------
async def test_a_list_of_the_wrong_shape_is_never_an_empty_result(big, reader):
    big.faults.add("SitesManager.getSitesIdFromSiteUrl", "status", status=200, code="no_value")
    with pytest.raises(ProtocolError, match="not a list"):
        await reader.find_sites_by_url("a.example")


async def test_wrong_url_says_where_the_api_is(sim):
    adapter = make_adapter(sim, url=sim.base_url + "/matomo")
    with pytest.raises(ProtocolError, match="no Matomo API at this URL"):
        await adapter.version()
    ok = make_adapter(sim, url=sim.base_url + "/index.php")
    assert await ok.version() == "5.2.0"
    await adapter.aclose()
    await ok.aclose()


# secrets ----------------------------------------------------------------------------------------------------------------
async def test_token_never_in_a_url_nor_in_events(sim, mt):
    sim.faults.add("SitesManager.getSitesIdFromSiteUrl", "status", status=503)
    await mt.ensure_site("secret.example.com", "secret.example.com")
    await mt.site(1)
    await mt.tracking_code(1)
    with pytest.raises(NotFoundError):
        await mt.site(999)
    sim.faults.add("SitesManager.addSite", "reset_mid")
    await mt.add_site("again", ["https://again.example.com"])
    bad = make_adapter(sim, token="wrong-sentinel-token-777")
    with pytest.raises(AuthError):
        await bad.version()
    assert len(sim.request_log) >= 9
    for entry in sim.request_log:                                 # POST body only, never the query string
        assert entry["method"] == "POST" and not entry["token_in_query"] and "token" not in entry["target"]
        assert entry["form"]["token_auth"] == "***"
    for adapter, token in ((mt, TOKEN), (bad, "wrong-sentinel-token-777")):
        text = recorded(adapter)
        assert token not in text and '"token_auth": "***"' in text
        assert all("token" not in (e.path or "") for e in adapter.events.recent())
    events = mt.events.recent()
    assert [e.status for e in events][:3] == [503, 200, 200] and events[1].attempt == 2
    assert TOKEN not in repr(sim.request_log)
    await bad.aclose()
