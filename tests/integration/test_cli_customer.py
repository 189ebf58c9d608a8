"""`hostdeck customer QUERY [--json]` against the simulators `hostdeck sim` runs (started here, on loopback), after
`hostdeck sync services --accept-all --yes`, as a support agent would use it: one child process per command."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from hostdeck.backends.demo import start_demo
from hostdeck.backends.models import Event
from hostdeck.backends.models import EventKind
from hostdeck.backends.secrets import env_name
from hostdeck.backends.sites.jobs import SiteJob
from hostdeck.backends.sites.jobs import SiteJobs
from hostdeck.backends.store import Store
from tests.support.cli import cli_env
from tests.support.cli import run_cli


class Sim:
    def __init__(self, env: Any, settings: dict[str, str], links: list[dict[str, Any]]) -> None:
        self.env, self.settings, self.links = env, settings, links
        self.hz, self.cv, self.whmcs = env.sims[0], env.sims[1], env.sims[3]

    def run(self, *args: str) -> Any:
        return run_cli(self.settings, *args)

    def customer(self, query: str) -> list[dict[str, Any]]:
        proc = self.run("customer", query, "--json")
        assert proc.returncode == 0, (proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr
        return json.loads(proc.stdout)["matches"]

    def client_of(self, service_id: str) -> dict[str, Any]:
        return self.whmcs.clients[int(self.whmcs.services[int(service_id)]["clientid"])]

    def hz_server(self, server_id: str) -> dict[str, Any]:
        return self.hz.servers[int(server_id)]

    def store(self) -> Store:
        return Store(path=Path(self.settings["HOSTDECK_DATA_DIR"]) / "hostdeck.db")


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    env = start_demo(servers=40, latency_ms=0, clients=60, action_seconds=0.2)
    try:
        root = tmp_path_factory.mktemp("customer")
        config = root / "config.toml"
        config.write_text(env.config_toml(), encoding="utf-8")
        settings = cli_env(config=config, data=root / "data",
                           **{env_name(b, f): v for (b, f), v in env.demo_secrets.items()})
        accepted = run_cli(settings, "sync", "services", "--accept-all", "--yes", "--json")
        assert accepted.returncode == 0, accepted.stderr
        links = [o for o in json.loads(accepted.stdout)["outcomes"] if o["result"] == "linked"]
        assert links
        world = Sim(env, settings, links)
        _seed_local_facts(world)
        yield world
    finally:
        env.stop()


def _seed_local_facts(world: Sim) -> None:
    """A site made by the site pipeline for a hosting client's domain, before the index is first built."""
    hosting = next(s for s in world.whmcs.services.values() if s["name"] == "Web Hosting" and s["status"] == "Active")
    store = world.store()
    try:
        SiteJobs(store).save(SiteJob(backend="web1", domain="shop." + hosting["domain"], kind="php", spec={},
                                     analytics="stats", status="done"))
    finally:
        store.close()


def hz_address(server: dict[str, Any], family: str = "ipv4") -> str | None:
    return ((server.get("public_net") or {}).get(family) or {}).get("ip")


def cv_address(world: Sim, server_id: str) -> str | None:
    found = world.cv.server_json(server_id)["limits"]["addresses"]["ipv4"]
    return found[0]["address"] if found else None


def linked_address(world: Sim, link: dict[str, Any]) -> str | None:
    if link["backend"] == "hz":
        return hz_address(world.hz_server(link["server_id"]))
    return cv_address(world, link["server_id"]) if link["backend"] == "vps" else None


def hz_link(world: Sim) -> tuple[dict[str, Any], dict[str, Any]]:
    """The first linked Hetzner server with both addresses (its IPv4 is nobody else's: each simulator has its range)."""
    for link in world.links:
        if link["backend"] == "hz":
            server = world.hz_server(link["server_id"])
            if hz_address(server) and hz_address(server, "ipv6"):
                return link, server
    raise AssertionError("no linked Hetzner server with both addresses")


def has_server(match: dict[str, Any], backend: str, server_id: str) -> bool:
    return any(s["backend"] == backend and s["id"] == server_id for s in match["servers"])


# ------------------------------------------------------------------------------------------- acceptance


def test_found_by_ipv4_email_and_server_name_is_the_client_of_the_link_with_that_server(sim):
    convoy = next(link for link in sim.links if link["backend"] == "vps" and cv_address(sim, link["server_id"]))
    first = sim.customer(cv_address(sim, convoy["server_id"]) or "")[0]
    assert first["client"]["id"] == str(sim.client_of(convoy["service_id"])["id"])
    assert has_server(first, "vps", convoy["server_id"])
    link, server = hz_link(sim)
    client = sim.client_of(link["service_id"])
    for query in (hz_address(server), client["email"], server["name"]):
        first = sim.customer(query)[0]
        assert first["client"]["id"] == str(client["id"]), query
        assert first["client"]["email"] == client["email"]
        assert has_server(first, "hz", link["server_id"]), query
        listed = next(s for s in first["servers"] if s["id"] == link["server_id"])
        assert listed["name"] == server["name"] and listed["status"] in ("running", "off", "starting", "stopping")


def test_every_match_has_the_documented_keys_and_lists(sim):
    link, _server = hz_link(sim)
    match = sim.customer(sim.client_of(link["service_id"])["email"])[0]
    assert set(match["client"]) >= {"id", "name", "email", "status"}
    for key in ("services", "servers", "sites", "invoices", "tickets", "panel_users", "events"):
        assert isinstance(match[key], list), key
    assert all(set(s) >= {"backend", "id", "name", "status"} for s in match["servers"])


def test_an_unknown_query_exits_1_and_says_so(sim):
    proc = sim.run("customer", "no-such-customer.invalid")
    assert proc.returncode == 1
    assert "no customer matches no-such-customer.invalid" in proc.stderr
    assert proc.stdout == ""


def test_no_two_simulated_servers_share_an_ipv4(sim):
    addresses = Counter(hz_address(s) for s in sim.hz.servers.values() if hz_address(s))
    addresses.update(a for a in (cv_address(sim, sid) for sid in sim.cv.servers) if a)
    assert addresses and addresses.most_common(1)[0][1] == 1


def test_every_linked_servers_ipv4_finds_the_client_of_its_link_first_and_alone(sim):
    """Any linked server, Hetzner or Convoy, by its IPv4: the link's client first, and no address that merely begins
    like it (198.18.0.2 is not 198.18.0.20)."""
    from hostdeck.backends.customers.query import search

    sim.customer(sim.links[0]["service_id"])                 # the index is built now
    store = sim.store()
    try:
        checked = Counter()
        for link in sim.links:
            ip = linked_address(sim, link)
            if ip:
                matches = search(store.engine, ip)
                assert matches[0].client_id == str(sim.client_of(link["service_id"])["id"]), (link, ip)
                assert all(m.rank == 0 and ip in m.label for m in matches), (ip, matches)
                checked[link["backend"]] += 1
    finally:
        store.close()
    assert checked["hz"] and checked["vps"], checked


# ------------------------------------------------------------------------------------------- query kinds


def test_by_service_id(sim):
    link = sim.links[0]
    first = sim.customer(link["service_id"])[0]
    assert first["client"]["id"] == str(sim.client_of(link["service_id"])["id"])
    assert first["matched"]["kind"] == "service" and first["matched"]["rank"] == "exact"


def test_by_server_id(sim):
    link, _server = hz_link(sim)
    first = sim.customer(link["server_id"])[0]
    assert has_server(first, "hz", link["server_id"])


def test_by_invoice_number(sim):
    invoice = next(i for i in sim.whmcs.desk.invoices.values() if i["invoicenum"])
    for query in (invoice["invoicenum"], invoice["id"]):
        first = sim.customer(query)[0]
        assert first["client"]["id"] == invoice["userid"] and first["matched"]["kind"] == "invoice"


def test_by_domain_of_a_service_case_and_url_forgiven(sim):
    hosting = next(s for s in sim.whmcs.services.values() if s["name"] == "Web Hosting")
    first = sim.customer(f"https://{hosting['domain'].upper()}/wp-admin")[0]
    assert first["client"]["id"] == hosting["clientid"] and first["matched"]["kind"] == "domain"


def test_by_ipv6_of_a_linked_server(sim):
    link, server = hz_link(sim)
    network = hz_address(server, "ipv6") or ""              # Hetzner gives a /64; ::1 is the server's usual address
    first = sim.customer(network.split("/")[0] + "1")[0]
    assert has_server(first, "hz", link["server_id"])


def test_by_name_prefix_and_company_substring_ranked_after_identifiers(sim):
    client = next(c for c in sim.whmcs.clients.values() if c["companyname"])
    matches = sim.customer(client["lastname"].lower()[:3])
    assert str(client["id"]) in {m["client"]["id"] for m in matches}
    assert {m["matched"]["rank"] for m in matches} <= {"prefix", "contains"}
    company = sim.customer(client["companyname"][2:7])
    assert str(client["id"]) in {m["client"]["id"] for m in company}


# ------------------------------------------------------------------------------------------- sections


def test_services_carry_product_status_due_date_amount_and_the_linked_server(sim):
    link, server = hz_link(sim)
    service = sim.whmcs.services[int(link["service_id"])]
    first = sim.customer(link["service_id"])[0]
    row = next(s for s in first["services"] if s["id"] == link["service_id"])
    assert row["product"] == service["name"] and row["status"] == service["status"]
    assert row["amount"] == service["recurringamount"] and row["next_due"] == service["nextduedate"]
    assert row["server"]["backend"] == "hz" and row["server"]["name"] == server["name"]
    assert first["source"] == "live" and first["age_seconds"] < 60


def test_client_carries_credit_currency_and_links(sim):
    link, _server = hz_link(sim)
    client = sim.client_of(link["service_id"])
    first = sim.customer(client["email"])[0]["client"]
    assert first["credit"] == client["credit"] and first["currency"] in ("EUR", "USD")
    assert first["client_area"].endswith("/clientarea.php")
    assert first["admin_url"].endswith(f"/admin/clientssummary.php?userid={client['id']}")


def test_invoices_are_the_unpaid_ones_with_the_overdue_marked(sim):
    suspended = next(s for s in sim.whmcs.services.values() if s["status"] == "Suspended")
    first = sim.customer(sim.whmcs.clients[int(suspended["clientid"])]["email"])[0]
    assert first["invoices"] and {i["status"] for i in first["invoices"]} <= {"Unpaid", "Overdue"}
    assert any(i["overdue"] for i in first["invoices"])
    assert all(i["url"].endswith(f"/admin/invoices.php?action=edit&id={i['id']}") for i in first["invoices"])


def test_tickets_are_the_open_ones_custom_statuses_included(sim):
    link, _server = hz_link(sim)
    client = sim.client_of(link["service_id"])
    sim.whmcs.desk.add_ticket(client, "[red]site down[/red]", "Waiting on Datacenter")
    sim.whmcs.desk.add_ticket(client, "old question", "Closed")
    tickets = sim.customer(client["email"])[0]["tickets"]
    subjects = {t["subject"]: t for t in tickets}
    assert "[red]site down[/red]" in subjects and "old question" not in subjects
    ticket = subjects["[red]site down[/red]"]
    assert ticket["status"] == "Waiting on Datacenter" and ticket["tid"] != ticket["id"]
    assert ticket["url"].endswith(f"/admin/supporttickets.php?action=view&id={ticket['id']}")


def test_panel_users_come_from_the_client_links(sim):
    link, _server = hz_link(sim)
    client = sim.client_of(link["service_id"])
    pushed = sim.run("sync", "clients", "--yes", "--json")
    assert pushed.returncode == 0, pushed.stderr
    users = sim.customer(client["email"])[0]["panel_users"]
    assert any(u["backend"] == "vps" and u["id"] and u["email"] == client["email"] for u in users)


def test_sites_of_the_clients_domains(sim):
    job = next(j for j in _site_jobs(sim))
    parent = job.domain.removeprefix("shop.")
    owner = next(s for s in sim.whmcs.services.values() if s["domain"] == parent)
    first = sim.customer(job.domain)[0]
    assert first["client"]["id"] == owner["clientid"]
    assert [s["domain"] for s in first["sites"]] == [job.domain]
    assert first["sites"][0]["analytics"] == "stats"


def _site_jobs(world: Sim) -> list[SiteJob]:
    store = world.store()
    try:
        return SiteJobs(store).all()
    finally:
        store.close()


def test_events_touching_the_servers_newest_first(sim):
    link, _server = hz_link(sim)
    store = sim.store()
    try:
        store.add_events([Event(backend="hz", kind=EventKind.ACTION, message="reboot: success", target=link["server_id"]),
                          Event(backend="hz", kind=EventKind.ACTION, message="someone else's", target="1")])
    finally:
        store.close()
    events = sim.customer(link["service_id"])[0]["events"]
    assert events[0]["message"] == "reboot: success" and events[0]["target"] == link["server_id"]
    assert "someone else's" not in {e["message"] for e in events}


def test_a_link_made_after_the_index_was_built_shows_live(sim):
    from hostdeck.backends.sync.syncmap import Link
    from hostdeck.backends.sync.syncmap import SyncMap

    linked = {link["server_id"] for link in sim.links if link["backend"] == "hz"}
    server_id = next(str(sid) for sid in sorted(sim.hz.servers) if str(sid) not in linked)
    hosting = next(s for s in sim.whmcs.services.values() if s["name"] == "Web Hosting" and s["status"] == "Active")
    client = sim.whmcs.clients[int(hosting["clientid"])]
    sim.customer(client["email"])                       # the index is built now, without that link
    store = sim.store()
    try:
        SyncMap(store).write([Link("service", "billing", hosting["id"], "hz", right_id=server_id,
                                   left_key=hosting["clientid"], status="linked")], [])
    finally:
        store.close()
    first = sim.customer(client["email"])[0]
    assert first["source"] == "live" and has_server(first, "hz", server_id)
    listed = next(s for s in first["servers"] if s["id"] == server_id)
    assert listed["name"] == sim.hz_server(server_id)["name"]


def test_the_plain_view_names_the_client_and_its_sections(sim):
    link, server = hz_link(sim)
    proc = sim.run("customer", server["name"])
    assert proc.returncode == 0, proc.stderr
    client = sim.client_of(link["service_id"])
    assert f"client {client['id']}: " in proc.stdout and client["email"] in proc.stdout
    assert "services:" in proc.stdout and "servers:" in proc.stdout and server["name"] in proc.stdout
