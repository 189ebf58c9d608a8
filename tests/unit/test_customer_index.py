"""The customer index without a network: what a client is found by, the ranking, normalisation, sites by domain."""

from __future__ import annotations

from datetime import UTC
from datetime import datetime
from datetime import timedelta

import pytest

from hostdeck.backends.customers.index import build
from hostdeck.backends.customers.index import built_at
from hostdeck.backends.customers.index import is_stale
from hostdeck.backends.customers.index import write
from hostdeck.backends.customers.query import entry
from hostdeck.backends.customers.query import search
from hostdeck.backends.customers.sources import Sources
from hostdeck.backends.customers.terms import normalise
from hostdeck.backends.store import Store
from hostdeck.backends.sync.syncmap import Link


def client(cid: str, first: str, last: str, email: str, company: str = "") -> dict:
    return {"id": cid, "first_name": first, "last_name": last, "company": company, "email": email, "status": "Active"}


def service(sid: str, cid: str, domain: str = "", ip: str = "") -> dict:
    return {"id": sid, "client_id": cid, "product": "cx22", "status": "Active", "next_due": "2027-01-01",
            "amount": "9.90", "cycle": "Monthly", "domain": domain, "ip": ip, "assigned_ips": "", "server_id": None}


@pytest.fixture
def store(tmp_path):
    s = Store(path=tmp_path / "hostdeck.db")
    sources = Sources(
        billing="billing",
        clients=[client("1", "Ana", "Lima", "ana@lima.example", "Lima Digital"),
                 client("2", "Bo", "Berg", "bo@berg.example", "Berg AB"),
                 client("3", "Limaro", "Costa", "c@costa.example")],
        services=[service("10", "1", "shop.lima.example", "203.0.113.10"), service("20", "2", "berg.example"),
                  service("11", "1")],
        invoices=[{"id": "501", "client_id": "2", "number": "2026-00007", "status": "Paid", "total": "9.90",
                   "currency": "EUR"}],
        servers={("hz", "4711"): {"backend": "hz", "id": "4711", "name": "web-1", "status": "running",
                                  "ipv4": "198.51.100.7", "ipv6": "2001:DB8:1::/64"}},
        links=[Link("service", "billing", "20", "hz", right_id="4711", left_key="2", status="linked"),
               Link("panel_user", "billing", "1", "panel", right_id="41", left_key="ana@lima.example", status="linked")],
        sites=[{"backend": "web1", "domain": "blog.berg.example", "status": "done", "certificate": "done"}])
    write(s.engine, build(sources))
    yield s
    s.close()


def ids(matches) -> list[str]:
    return [m.client_id for m in matches]


def test_exact_identifiers_are_found_and_ranked_first(store):
    for query, cid, kind in (("198.51.100.7", "2", "ip"), ("2001:db8:1::1", "2", "ip"), ("web-1", "2", "server_name"),
                             ("4711", "2", "server_id"), ("20", "2", "service"), ("2026-00007", "2", "invoice"),
                             ("501", "2", "invoice"), ("ANA@lima.example", "1", "email"),
                             ("shop.lima.example.", "1", "domain"), ("203.0.113.10", "1", "service_ip")):
        first = search(store.engine, query)[0]
        assert (first.client_id, first.kind, first.rank) == (cid, kind, 0), query


def test_prefix_before_substring_of_names(store):
    matches = search(store.engine, "lima")
    assert ids(matches)[:2] in (["1", "3"], ["3", "1"])   # Ana Lima (exact last name) and Limaro (prefix)
    assert all(m.rank == 1 for m in matches[:2])
    assert search(store.engine, "digi")[0].client_id == "1" and search(store.engine, "digi")[0].rank == 2


def test_a_site_belongs_to_the_client_of_its_parent_domain(store):
    first = search(store.engine, "blog.berg.example")[0]
    assert first.client_id == "2"
    indexed = entry(store.engine, "billing", "2")
    assert indexed is not None and [s["domain"] for s in indexed.payload["sites"]] == ["blog.berg.example"]


def test_the_payload_holds_services_with_their_linked_servers_and_panel_users(store):
    berg = entry(store.engine, "billing", "2")
    assert berg is not None
    assert berg.payload["services"][0]["server"] == {"backend": "hz", "id": "4711", "name": "web-1",
                                                     "status": "running", "ipv4": "198.51.100.7",
                                                     "ipv6": "2001:DB8:1::/64"}
    ana = entry(store.engine, "billing", "1")
    assert ana is not None and ana.payload["panel_users"] == [{"backend": "panel", "id": "41",
                                                               "email": "ana@lima.example"}]


@pytest.fixture
def shared_address(tmp_path):
    """203.0.113.5 is the dedicated IP client 1's service declares (no link), and the address of the server that
    client 2's service is linked to; 203.0.113.50 and .51 are other clients' addresses."""
    s = Store(path=tmp_path / "shared.db")
    sources = Sources(
        billing="billing",
        clients=[client("1", "Una", "Linked", "una@example.net"), client("2", "Lin", "Ked", "lin@example.net"),
                 client("3", "Pre", "Fix", "pre@example.net"), client("4", "Dot", "Two", "dot@example.net")],
        services=[service("10", "1", ip="203.0.113.5"), service("20", "2"), service("30", "3", ip="203.0.113.50"),
                  service("40", "4")],
        invoices=[],
        servers={("cv", "ab12"): {"backend": "cv", "id": "ab12", "name": "vps-2", "status": "running",
                                  "ipv4": "203.0.113.5", "ipv6": None},
                 ("hz", "9"): {"backend": "hz", "id": "9", "name": "web-9", "status": "running",
                               "ipv4": "203.0.113.51", "ipv6": None}},
        links=[Link("service", "billing", "20", "cv", right_id="ab12", left_key="2", status="linked"),
               Link("service", "billing", "40", "hz", right_id="9", left_key="4", status="linked")],
        sites=[])
    write(s.engine, build(sources))
    yield s
    s.close()


def test_a_whole_address_finds_its_exact_hits_only_and_the_linked_client_first(shared_address):
    matches = search(shared_address.engine, "203.0.113.5")
    assert ids(matches) == ["2", "1"]                        # not .50 or .51, which merely begin like it
    assert (matches[0].kind, matches[0].rank) == ("ip", 0) and (matches[1].kind, matches[1].rank) == ("service_ip", 0)
    assert ids(search(shared_address.engine, "[203.0.113.51]")) == ["4"]


def test_part_of_an_address_still_finds_the_addresses_it_begins(shared_address):
    assert set(ids(search(shared_address.engine, "203.0.113.5"[:-1]))) == {"1", "2", "3", "4"}
    assert set(ids(search(shared_address.engine, "203.0.113.5"))) == {"1", "2"}


def test_nothing_for_nothing_and_wildcards_are_text(store):
    assert search(store.engine, "") == [] and search(store.engine, "zzz") == []
    assert search(store.engine, "%") == [] and search(store.engine, "_") == []


def test_age_and_staleness(store):
    stamp = built_at(store.engine)
    assert stamp is not None and abs((datetime.now(UTC) - stamp).total_seconds()) < 60
    assert not is_stale(store.engine)
    assert is_stale(store.engine, now=datetime.now(UTC) + timedelta(hours=1))


def test_an_empty_store_has_no_index(tmp_path):
    s = Store(path=tmp_path / "empty.db")
    try:
        assert built_at(s.engine) is None and is_stale(s.engine)
    finally:
        s.close()


def test_normalise_reduces_urls_addresses_and_case():
    assert normalise(" https://Shop.Example.com/path?x=1 ") == "shop.example.com"
    assert normalise("2001:DB8:0:0::1") == "2001:db8::1"
    assert normalise("[2001:db8::1]") == "2001:db8::1"
    assert normalise("Example.COM.") == "example.com"


def test_a_server_list_stored_after_the_build_makes_the_index_behind(store):
    from sqlalchemy import text

    from hostdeck.backends.customers.index import behind_inventory

    assert not behind_inventory(store.engine)   # nothing listed yet
    built = built_at(store.engine)
    with store.engine.begin() as conn:
        conn.execute(text("INSERT INTO snapshots (scope, backend, fetched_at, payload) VALUES ('servers', 'hz', :t, '[]')"),
                     {"t": built - timedelta(minutes=1)})
    assert not behind_inventory(store.engine)   # listed before the build
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE snapshots SET fetched_at = :t"), {"t": built + timedelta(seconds=5)})
    assert behind_inventory(store.engine)


def test_a_certificate_runs_out_90_days_after_the_pipeline_installed_it():
    from hostdeck.backends.customers.sources import certificate_expiry
    from hostdeck.backends.sites.jobs import Step

    assert certificate_expiry(Step(status="done", finished="2026-12-01T10:00:00+00:00")) == "2027-03-01"
    assert certificate_expiry(Step(status="failed", finished="2026-12-01T10:00:00+00:00")) is None
    assert certificate_expiry(Step(status="done")) is None
    assert certificate_expiry(None) is None
