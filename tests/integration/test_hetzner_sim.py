"""The Hetzner simulator over real loopback sockets: schema, paging, filters, auth, state machines, faults."""

from __future__ import annotations

import copy
import http.client
import json
import re
import time
from decimal import Decimal
from typing import Any

import httpx
import pytest

from hostdeck.backends.sim.hetzner import HetznerSim
from hostdeck.backends.sim.hetzner import load_catalog
from hostdeck.backends.sim.hetzner import parse_label_selector
from hostdeck.backends.sim.server import route_matches
from tests.fixture_paths import FIXTURES as ALL_FIXTURES

TOKEN, READONLY = "demo-hetzner-token", "demo-hetzner-readonly"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SPEC_PATH = ALL_FIXTURES / "hetzner" / "openapi.json"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
A = 10.0  # action_seconds for fake-clock sims


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_795_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --------------------------------------------------------------------------- OpenAPI schema


def _adjusted_spec(legacy_datacenter: bool) -> dict[str, Any]:
    """A copy of the February 2026 spec with three documented, minimal adjustments.

    1. `datacenter` was removed from servers and primary IPs on 2026-07-01 (hetzner.md, gotcha 3): drop it from
       their `required` unless the simulator runs with legacy_datacenter=True.
    2. `server_type.locations[]` gained `available`/`recommended` in 2026-04: add them as required booleans,
       so the newer fields are checked rather than merely tolerated.
    3. The spec marks nullable references as `{"allOf": [{"$ref": ...}], "nullable": true}`; the validator
       evaluates the (non-nullable) referenced schema inside allOf and so rejects null. Rewrite each to
       `anyOf: [<the allOf>, null]`, which is what the spec means.
    """
    spec = copy.deepcopy(json.loads(SPEC_PATH.read_text(encoding="utf-8")))
    schemas = spec["components"]["schemas"]
    if not legacy_datacenter:
        schemas["server"]["required"].remove("datacenter")
        for response in ("list_primary_ips_response", "get_primary_ip_response"):   # primary IPs lost it too
            props = schemas[response]["properties"]
            record = props["primary_ips"]["items"] if "primary_ips" in props else props["primary_ip"]
            record["required"].remove("datacenter")
    loc = schemas["server_type_location"]
    loc["properties"].update({"available": {"type": "boolean"}, "recommended": {"type": "boolean"}})
    loc["required"] += ["available", "recommended"]

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            node = {k: rewrite(v) for k, v in node.items()}
            if "allOf" in node and node.get("nullable") is True:
                node.pop("nullable")
                return {"anyOf": [node, {"nullable": True, "enum": [None]}]}
            return node
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    spec["components"] = rewrite(spec["components"])
    return spec


@pytest.fixture(scope="module")
def schema_check():
    if not SPEC_PATH.exists():
        pytest.skip(f"OpenAPI spec not found at {SPEC_PATH}")
    from openapi_schema_validator import OAS30Validator
    from openapi_schema_validator import oas30_format_checker

    specs = {flag: _adjusted_spec(flag) for flag in (False, True)}
    operations = {op["operationId"]: op for item in specs[False]["paths"].values() for op in item.values()
                  if isinstance(op, dict) and "operationId" in op}

    def check(operation_id: str, response: httpx.Response, legacy: bool = False) -> None:
        responses = operations[operation_id]["responses"]
        key = str(response.status_code) if str(response.status_code) in responses else f"{response.status_code // 100}xx"
        ref = responses[key]["content"]["application/json"]["schema"]["$ref"]
        validator = OAS30Validator({"components": specs[legacy]["components"], "$ref": ref},
                                   format_checker=oas30_format_checker)
        errors = sorted(validator.iter_errors(response.json()), key=lambda e: list(e.path))
        assert not errors, f"{operation_id}: " + "; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5])

    return check


# --------------------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def ro_sim():
    """A shared simulator the read-only tests never mutate."""
    with HetznerSim(servers=200, seed=1) as sim:
        yield sim


@pytest.fixture
def sim():
    """A fresh simulator per test, with a fake clock so state machines advance exactly."""
    s = HetznerSim(servers=60, seed=5, action_seconds=A)
    s.clock = FakeClock()
    with s:
        yield s


def client(sim: HetznerSim, token: str | None = TOKEN, **kwargs: Any) -> httpx.Client:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.Client(base_url=sim.base_url, headers=headers, timeout=kwargs.pop("timeout", 10.0), **kwargs)


def running_server(sim: HetznerSim, *, protected: bool = False, skip: set[int] = frozenset()) -> int:
    for sid, s in sim.servers.items():
        if s["status"] == "running" and s["protection"]["delete"] == protected and sid not in skip \
                and sid not in sim.acpi_ignored:
            return sid
    raise LookupError("no such server in the seed")


def server_status(c: httpx.Client, sid: int) -> str:
    return c.get(f"/servers/{sid}").json()["server"]["status"]


def assert_error(r: httpx.Response, status: int, code: str) -> dict[str, Any]:
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/json")
    err = r.json()["error"]
    assert err["code"] == code and isinstance(err["message"], str) and "details" in err
    return err


# --------------------------------------------------------------------------- schema of every endpoint


def test_every_endpoint_matches_the_openapi_schema(schema_check):
    s = HetznerSim(servers=80, seed=2, action_seconds=A)
    s.clock = FakeClock()
    with s, client(s) as c:
        used: set[int] = set()

        def fresh_server() -> int:
            sid = running_server(s, skip=used)
            used.add(sid)
            return sid

        for page in (1, 2):  # every seeded server, incl. null image/ipv4, private nets, snapshot images
            schema_check("list_servers", c.get("/servers", params={"per_page": 50, "page": page}))
        schema_check("get_server", c.get(f"/servers/{next(iter(s.servers))}"))
        created = c.post("/servers", json={"name": "schema-new", "server_type": "cx22", "image": "ubuntu-24.04",
                                           "location": "nbg1", "labels": {"customer": "c-1"}})
        assert created.status_code == 201
        schema_check("create_server", created)
        schema_check("replace_server", c.put(f"/servers/{fresh_server()}", json={"labels": {"env": "prod"}}))
        for name, op in [("poweron", "power_on_server"), ("poweroff", "power_off_server"),
                         ("shutdown", "shutdown_server"), ("reboot", "soft_reboot_server"), ("reset", "reset_server"),
                         ("reset_password", "reset_root_password_of_server"),
                         ("request_console", "request_console_for_server"),
                         ("enable_backup", "enable_and_configure_backups_for_server")]:
            r = c.post(f"/servers/{fresh_server()}/actions/{name}")
            assert r.status_code == 201, r.text
            schema_check(op, r)
        r = c.post(f"/servers/{fresh_server()}/actions/rebuild", json={"image": "debian-12"})
        schema_check("rebuild_server_from_image", r)
        deleted = c.delete(f"/servers/{fresh_server()}")
        assert deleted.status_code == 200
        schema_check("delete_server", deleted)
        action_id = deleted.json()["action"]["id"]
        schema_check("get_action", c.get(f"/actions/{action_id}"))
        s.clock.advance(A + 1)
        schema_check("get_action", c.get(f"/actions/{action_id}"))  # finished: success with a timestamp
        schema_check("get_multiple_actions", c.get("/actions", params=[("id", action_id), ("id", r.json()["action"]["id"])]))
        schema_check("list_server_types", c.get("/server_types", params={"per_page": 50}))
        schema_check("get_server_type", c.get("/server_types/22"))
        schema_check("list_locations", c.get("/locations"))
        schema_check("get_location", c.get("/locations/1"))
        schema_check("list_images", c.get("/images", params={"per_page": 50}))
        schema_check("get_image", c.get(f"/images/{s.images[0]['id']}"))
        schema_check("list_prices", c.get("/pricing"))
        schema_check("list_networks", c.get("/networks"))
        schema_check("list_ssh_keys", c.get("/ssh_keys", params={"name": "ops-key"}))
        # errors follow the 4xx error schema
        schema_check("get_server", c.get("/servers/1"))
        schema_check("list_data_centers", c.get("/datacenters"))
        schema_check("create_server", c.post("/servers", json={"name": "-bad-"}))


def test_servers_validate_against_schema_page_by_page(ro_sim, schema_check):
    with client(ro_sim) as c:
        for page in range(1, 5):
            schema_check("list_servers", c.get("/servers", params={"per_page": 50, "page": page}))


def test_legacy_datacenter_is_opt_in(schema_check):
    with HetznerSim(servers=30, seed=4, legacy_datacenter=True) as legacy, client(legacy) as c:
        r = c.get("/servers", params={"per_page": 50})
        assert all("datacenter" in s for s in r.json()["servers"])
        schema_check("list_servers", r, legacy=True)  # the unmodified `required` incl. datacenter
        schema_check("list_data_centers", c.get("/datacenters"), legacy=True)
        dc = r.json()["servers"][0]["datacenter"]
        assert dc["location"]["name"] == r.json()["servers"][0]["location"]["name"]


def test_datacenter_is_omitted_and_its_endpoint_gone(ro_sim):
    with client(ro_sim) as c:
        assert all("datacenter" not in s for s in c.get("/servers").json()["servers"])
        err = assert_error(c.get("/datacenters"), 410, "deprecated_api_endpoint")
        assert err["details"]["announcement"].startswith("https://docs.hetzner.cloud/changelog")


# --------------------------------------------------------------------------- envelopes and headers


def test_every_response_has_json_correlation_and_rate_headers(ro_sim):
    with client(ro_sim) as c, client(ro_sim, token=None) as anon:
        for r in (c.get("/servers"), c.get("/servers/1"), c.get("/nope"), anon.get("/servers"),
                  c.post("/servers", content=b"{not json", headers={"Content-Type": "application/json"}),
                  c.patch("/servers")):
            assert r.headers["content-type"].startswith("application/json"), r.status_code
            assert re.fullmatch(r"[0-9a-f]{16}", r.headers["x-correlation-id"])
            assert int(r.headers["ratelimit-limit"]) == 3600
            assert 0 <= int(r.headers["ratelimit-remaining"]) <= 3600
            assert int(r.headers["ratelimit-reset"]) >= int(time.time())
            if r.status_code >= 400:
                assert set(r.json()) == {"error"} and "details" in r.json()["error"]
    assert_error(r, 405, "method_not_allowed")


def test_timestamps_are_rfc3339_with_seconds(ro_sim):
    with client(ro_sim) as c:
        servers = c.get("/servers", params={"per_page": 50}).json()["servers"]
        images = c.get("/images", params={"per_page": 50}).json()["images"]
    assert all(RFC3339.match(s["created"]) for s in servers)
    assert all(RFC3339.match(i["created"]) for i in images)


def test_keep_alive_serves_several_requests_on_one_connection(ro_sim):
    conn = http.client.HTTPConnection("127.0.0.1", ro_sim.port, timeout=5)
    try:
        for _ in range(3):
            conn.request("GET", "/v1/locations", headers=AUTH)
            r = conn.getresponse()
            assert r.status == 200 and r.getheader("Connection") != "close"
            assert len(json.loads(r.read())["locations"]) == 6
    finally:
        conn.close()


# --------------------------------------------------------------------------- pagination, sort, filters


def test_pagination_walks_every_page_with_nulls_at_the_ends(ro_sim):
    seen, page = [], 1
    with client(ro_sim) as c:
        while page is not None:
            r = c.get("/servers", params={"per_page": 30, "page": page})
            p = r.json()["meta"]["pagination"]
            assert set(p) == {"page", "per_page", "previous_page", "next_page", "last_page", "total_entries"}
            assert p["per_page"] == 30 and p["last_page"] == 7 and p["total_entries"] == 200
            assert p["previous_page"] == (None if page == 1 else page - 1)
            links = r.headers["link"]
            assert 'rel="last"' in links and (f"page={p['last_page']}&") in links
            assert ('rel="prev"' in links) == (page > 1)
            assert ('rel="next"' in links) == (p["next_page"] is not None)
            seen += [s["id"] for s in r.json()["servers"]]
            page = p["next_page"]
        beyond = c.get("/servers", params={"per_page": 30, "page": 8}).json()
    assert seen == sorted(ro_sim.servers) and len(seen) == 200
    assert beyond["servers"] == [] and beyond["meta"]["pagination"]["next_page"] is None


def test_per_page_defaults_to_25_and_clamps_to_50(ro_sim):
    with client(ro_sim) as c:
        assert c.get("/servers").json()["meta"]["pagination"]["per_page"] == 25
        assert len(c.get("/servers").json()["servers"]) == 25
        big = c.get("/servers", params={"per_page": 500}).json()
        assert big["meta"]["pagination"]["per_page"] == 50 and len(big["servers"]) == 50
        assert big["meta"]["pagination"]["last_page"] == 4
        assert_error(c.get("/servers", params={"page": "x"}), 400, "invalid_input")


def test_link_header_keeps_filters(ro_sim):
    with client(ro_sim) as c:
        r = c.get("/servers", params={"per_page": 5, "label_selector": "env=prod", "sort": "name:desc"})
    assert "label_selector=env%3Dprod" in r.headers["link"] and "sort=name:desc" in r.headers["link"]


@pytest.mark.parametrize("sort,key,reverse", [("id", "id", False), ("id:desc", "id", True), ("name", "name", False),
                                              ("name:desc", "name", True), ("created:asc", "created", False),
                                              ("created:desc", "created", True)])
def test_sort(ro_sim, sort, key, reverse):
    with client(ro_sim) as c:
        got = [s["id"] for s in c.get("/servers", params={"sort": sort, "per_page": 50}).json()["servers"]]
    want = [s["id"] for s in sorted(ro_sim.servers.values(), key=lambda s: s[key], reverse=reverse)][:50]
    assert got == want


def test_repeated_sort_and_invalid_sort(ro_sim):
    with client(ro_sim) as c:
        r = c.get("/servers", params=[("sort", "status"), ("per_page", 5)])
        assert_error(r, 400, "invalid_input")
        got = c.get("/images", params=[("sort", "name:asc"), ("sort", "id:desc"), ("per_page", 50)]).json()["images"]
    pairs = [(i["name"] or "", -i["id"]) for i in got]
    assert pairs == sorted(pairs)


def test_name_filter_is_exact(ro_sim):
    target = next(iter(ro_sim.servers.values()))
    with client(ro_sim) as c:
        hits = c.get("/servers", params={"name": target["name"]}).json()["servers"]
        assert [s["id"] for s in hits] == [target["id"]]
        assert c.get("/servers", params={"name": target["name"][:-1]}).json()["servers"] == []


@pytest.mark.parametrize("selector", ["env=prod", "env==staging", "env!=prod", "whmcs_service_id", "!whmcs_service_id",
                                      "env in (staging,dev)", "env notin (prod)", "env=prod,customer,!managed",
                                      "role in (web, db),env!=dev"])
def test_label_selectors(ro_sim, selector):
    match = parse_label_selector(selector)
    want = [s["id"] for s in ro_sim.servers.values() if match(s["labels"])]
    with client(ro_sim) as c:
        got, page = [], 1
        while page:
            r = c.get("/servers", params={"label_selector": selector, "per_page": 50, "page": page}).json()
            got += [s["id"] for s in r["servers"]]
            page = r["meta"]["pagination"]["next_page"]
    assert got == want and 0 < len(want) < len(ro_sim.servers)


def test_label_selector_semantics_by_hand():
    labels = {"env": "prod", "customer": "c-1"}
    assert parse_label_selector("env=prod")(labels) and not parse_label_selector("env!=prod")(labels)
    assert parse_label_selector("!role")(labels) and not parse_label_selector("role")(labels)
    assert parse_label_selector("env in (a, prod)")(labels) and not parse_label_selector("env notin (prod)")(labels)
    assert parse_label_selector("env!=dev,customer=c-1")(labels)


def test_bad_label_selector_is_invalid_input(ro_sim):
    with client(ro_sim) as c:
        assert_error(c.get("/servers", params={"label_selector": "env in prod"}), 400, "invalid_input")


def test_repeated_status_filter(ro_sim):
    want = sorted(sid for sid, s in ro_sim.servers.items() if s["status"] in ("off", "initializing"))
    with client(ro_sim) as c:
        r = c.get("/servers", params=[("status", "off"), ("status", "initializing"), ("per_page", 50)]).json()
        assert_error(c.get("/servers", params={"status": "sleeping"}), 400, "invalid_input")
    assert [s["id"] for s in r["servers"]] == want[:50] and r["meta"]["pagination"]["total_entries"] == len(want)


def test_catalog_filters(ro_sim):
    with client(ro_sim) as c:
        arm = c.get("/images", params={"type": "system", "architecture": "arm", "per_page": 50}).json()["images"]
        assert len(arm) == 7 and {i["architecture"] for i in arm} == {"arm"}
        ubuntu = c.get("/images", params={"name": "ubuntu-24.04"}).json()["images"]
        assert sorted(i["architecture"] for i in ubuntu) == ["arm", "x86"] and ubuntu[0]["id"] != ubuntu[1]["id"]
        snaps = c.get("/images", params={"type": "snapshot"}).json()["images"]
        assert len(snaps) == 3 and all(i["name"] is None and i["created_from"] for i in snaps)
        assert [i["name"] for i in c.get("/images", params={"type": "app"}).json()["images"]] == ["docker-ce"]
        assert len(c.get("/images", params=[("type", "app"), ("type", "snapshot")]).json()["images"]) == 4
        assert c.get("/images", params={"status": "creating"}).json()["images"] == []
        keys = c.get("/ssh_keys", params={"name": "ops-key"}).json()["ssh_keys"]
        assert [k["name"] for k in keys] == ["ops-key"] and keys[0]["public_key"].startswith("ssh-ed25519 ")
        assert len(c.get("/ssh_keys").json()["ssh_keys"]) == 3
        assert [t["name"] for t in c.get("/server_types", params={"name": "cax11"}).json()["server_types"]] == ["cax11"]
        assert [l["name"] for l in c.get("/locations", params={"sort": "name:desc"}).json()["locations"]] == \
            ["sin", "nbg1", "hil", "hel1", "fsn1", "ash"]
        assert_error(c.get("/server_types/999999"), 404, "not_found")


def test_networks_list_their_servers(ro_sim):
    with client(ro_sim) as c:
        networks = c.get("/networks").json()["networks"]
    attached = {sid for sid, s in ro_sim.servers.items() if s["private_net"]}
    assert attached and attached == {sid for n in networks for sid in n["servers"]}


# --------------------------------------------------------------------------- catalog and seed data


def test_catalog_shape_prices_and_locations():
    catalog = load_catalog()
    assert set(catalog) == {"server_types", "locations", "images"}
    assert {l["name"] for l in catalog["locations"]} == {"fsn1", "nbg1", "hel1", "ash", "hil", "sin"}
    by_name = {t["name"]: t for t in catalog["server_types"]}
    assert {"cx22", "cpx51", "cax41", "ccx33"} <= set(by_name)
    deprecated = [t for t in catalog["server_types"] if t["deprecated"]]
    assert len(deprecated) == 1 and deprecated[0]["deprecation"]["unavailable_after"]
    for t in catalog["server_types"]:
        for price in t["prices"]:
            for key in ("price_hourly", "price_monthly", "price_per_tb_traffic"):
                net, gross = Decimal(price[key]["net"]), Decimal(price[key]["gross"])
                assert re.fullmatch(r"\d+\.\d{10}", price[key]["net"]) and gross >= net
            assert price["included_traffic"] > 0
        assert [p["location"] for p in t["prices"]] == [l["name"] for l in t["locations"]]
        if t["architecture"] == "arm":
            assert {l["name"] for l in t["locations"]} <= {"fsn1", "nbg1", "hel1"}
    ids = [i["id"] for i in catalog["images"]]
    assert len(ids) == len(set(ids)) == 15
    assert {i["os_flavor"] for i in catalog["images"]} >= {"ubuntu", "debian", "rocky", "alma", "fedora"}


def test_seed_is_deterministic_and_realistic():
    a, b = HetznerSim(servers=400, seed=9), HetznerSim(servers=400, seed=9)
    assert json.dumps(a.servers, sort_keys=True) == json.dumps(b.servers, sort_keys=True)
    assert list(HetznerSim(servers=50, seed=10).servers) != list(a.servers)[:50]
    servers = list(a.servers.values())
    statuses = [s["status"] for s in servers]
    assert 0.7 < statuses.count("running") / len(servers) < 0.9 and statuses.count("off") > 10
    assert {"initializing", "stopping", "unknown"} & set(statuses)
    assert len({s["name"] for s in servers}) == len(servers)
    assert all(re.fullmatch(r"[a-z0-9-]+-\d{4}(\.[a-z.]+)?", s["name"]) for s in servers)
    assert any(s["image"] is None for s in servers) and any(s["public_net"]["ipv4"] is None for s in servers)
    assert any(s["private_net"] for s in servers) and any(s["protection"]["delete"] for s in servers)
    assert any("whmcs_service_id" in s["labels"] for s in servers)
    assert any(s["labels"].get("customer", "").startswith("c-") for s in servers)
    assert {s["server_type"]["architecture"] for s in servers} == {"x86", "arm"}
    for s in servers:
        if s["server_type"]["architecture"] == "arm":
            assert s["location"]["name"] in ("fsn1", "nbg1", "hel1")
        if s["public_net"]["ipv6"]:
            assert s["public_net"]["ipv6"]["ip"].endswith("::/64")
        if s["image"]:
            assert s["image"]["architecture"] == s["server_type"]["architecture"]
    assert a.acpi_ignored and all(a.servers[i]["name"].startswith("legacy-") for i in a.acpi_ignored)


# --------------------------------------------------------------------------- auth and rate limits


def test_auth(ro_sim):
    with client(ro_sim, token=None) as anon, client(ro_sim, token="wrong") as wrong, \
            client(ro_sim, token=READONLY) as ro:
        assert_error(anon.get("/servers"), 401, "unauthorized")
        assert_error(wrong.get("/servers"), 401, "unauthorized")
        assert_error(anon.get("/servers", headers={"Authorization": TOKEN}), 401, "unauthorized")  # no Bearer
        assert ro.get("/servers").status_code == 200
        sid = next(iter(ro_sim.servers))
        assert_error(ro.post(f"/servers/{sid}/actions/poweroff"), 403, "forbidden")  # as seen in the field
        assert_error(ro.delete(f"/servers/{sid}"), 403, "forbidden")
        assert_error(ro.post("/servers", json={"name": "x", "server_type": "cx22", "image": "debian-12"}),
                     403, "forbidden")


def test_rate_limit_bucket_and_429():
    with HetznerSim(servers=5, seed=1, rate_limit=5, refill_per_second=4.0) as s:
        clock = FakeClock()
        s.clock = clock
        with client(s) as c, client(s, token=READONLY) as other:
            remaining = []
            for _ in range(5):
                r = c.get("/locations")
                assert r.status_code == 200
                remaining.append(int(r.headers["ratelimit-remaining"]))
            assert remaining == [4, 3, 2, 1, 0]
            r = c.get("/locations")
            err = assert_error(r, 429, "rate_limit_exceeded")
            assert err["details"] is None and r.headers["ratelimit-remaining"] == "0"
            assert int(r.headers["ratelimit-reset"]) == int(clock.now) + 2  # 5 tokens at 4/s
            assert other.get("/locations").status_code == 200  # buckets are per token
            clock.advance(0.3)  # 1.2 tokens back
            assert c.get("/locations").status_code == 200
            assert c.get("/locations").status_code == 429
            clock.advance(10)
            assert c.get("/locations").headers["ratelimit-remaining"] == "4"


# --------------------------------------------------------------------------- state machines


def test_create_initializing_starting_running(sim):
    with client(sim) as c:
        r = c.post("/servers", json={"name": "web-new.example.com", "server_type": "cax11", "image": "ubuntu-24.04",
                                     "location": "hel1", "labels": {"customer": "c-1001"}, "networks": [1_200_000]})
        assert r.status_code == 201, r.text
        body = r.json()
        server, action = body["server"], body["action"]
        assert server["status"] == "initializing" and server["image"]["architecture"] == "arm"
        assert action["command"] == "create_server" and action["status"] == "running"
        assert [a["command"] for a in body["next_actions"]] == ["start_server"]
        assert isinstance(body["root_password"], str) and len(body["root_password"]) >= 16
        assert server["private_net"][0]["network"] == 1_200_000 and "datacenter" not in server
        sid = server["id"]
        sim.clock.advance(A / 2)
        a = c.get(f"/actions/{action['id']}").json()["action"]
        assert a["status"] == "running" and 0 < a["progress"] < 100
        assert_error(c.post(f"/servers/{sid}/actions/reboot"), 423, "locked")
        sim.clock.advance(A / 2 + 0.1)
        assert server_status(c, sid) == "starting"
        assert c.get(f"/actions/{action['id']}").json()["action"]["status"] == "success"
        sim.clock.advance(A)
        assert server_status(c, sid) == "running"
        actions = c.get("/actions", params=[("id", action["id"]), ("id", body["next_actions"][0]["id"])]).json()
        assert [a["status"] for a in actions["actions"]] == ["success", "success"]
        assert all(RFC3339.match(a["finished"]) and a["progress"] == 100 for a in actions["actions"])
        assert set(actions["meta"]["pagination"]) >= {"page", "next_page"}


def test_create_with_ssh_key_has_no_password_and_stays_off_without_start(sim):
    with client(sim) as c:
        body = c.post("/servers", json={"name": "db-new", "server_type": "cpx21", "image": 114690387,
                                        "location": "ash", "ssh_keys": ["ops-key"], "start_after_create": False,
                                        "public_net": {"enable_ipv4": False, "enable_ipv6": True}}).json()
        assert body["root_password"] is None and body["next_actions"] == []
        assert body["server"]["public_net"]["ipv4"] is None and body["server"]["location"]["name"] == "ash"
        sim.clock.advance(A + 1)
        assert server_status(c, body["server"]["id"]) == "off"


@pytest.mark.parametrize("payload,field", [
    ({"name": "-bad", "server_type": "cx22", "image": "debian-12"}, "name"),
    ({"name": "bad-", "server_type": "cx22", "image": "debian-12"}, "name"),
    ({"name": "under_score", "server_type": "cx22", "image": "debian-12"}, "name"),
    ({"name": "a" * 64, "server_type": "cx22", "image": "debian-12"}, "name"),
    ({"name": "", "server_type": "cx22", "image": "debian-12"}, "name"),
    ({"server_type": "cx22", "image": "debian-12"}, "name"),
    ({"name": "ok", "server_type": "cx99", "image": "debian-12"}, "server_type"),
    ({"name": "ok", "server_type": "cpx11", "image": "debian-12"}, "server_type"),  # deprecated, unavailable
    ({"name": "ok", "server_type": "cx22", "image": "windows-95"}, "image"),
    ({"name": "ok", "server_type": "cx22", "image": "debian-12", "location": "mars1"}, "location"),
    ({"name": "ok", "server_type": "cax11", "image": "debian-12", "location": "ash"}, "location"),
    ({"name": "ok", "server_type": "cx22", "image": "debian-12", "datacenter": "fsn1-dc14"}, "datacenter"),
    ({"name": "ok", "server_type": "cx22", "image": "debian-12", "labels": {"hetzner.cloud/x": "1"}}, "labels"),
    ({"name": "ok", "server_type": "cx22", "image": "debian-12", "ssh_keys": ["nope"]}, "ssh_keys"),
])
def test_create_validation(sim, payload, field):
    with client(sim) as c:
        err = assert_error(c.post("/servers", json=payload), 422, "invalid_input")
    assert field in [f["name"] for f in err["details"]["fields"]]
    assert all(f["messages"] for f in err["details"]["fields"])


def test_valid_hostnames_with_dots_and_63_char_labels(sim):
    with client(sim) as c:
        for name in ("a", "a" * 63, "mail-01.customer.example", "X1-y2"):
            assert c.post("/servers", json={"name": name, "server_type": "cx22", "image": "debian-12"}).status_code == 201


def test_json_error_and_uniqueness(sim):
    first = next(iter(sim.servers.values()))
    existing = first["name"]
    with client(sim) as c:
        assert_error(c.post("/servers", content=b"{", headers={"Content-Type": "application/json"}), 400, "json_error")
        err = assert_error(c.post("/servers", json={"name": existing, "server_type": "cx22", "image": "debian-12"}),
                           409, "uniqueness_error")
        assert err["details"] == {"fields": [{"name": "name"}]}
        sid = running_server(sim, skip={first["id"]})
        assert_error(c.put(f"/servers/{sid}", json={"name": existing}), 409, "uniqueness_error")


def test_poweroff_then_poweron(sim):
    sid = running_server(sim)
    with client(sim) as c:
        r = c.post(f"/servers/{sid}/actions/poweroff")
        assert r.status_code == 201 and r.json()["action"]["command"] == "stop_server"
        assert r.json()["action"]["resources"] == [{"id": sid, "type": "server"}]
        sim.clock.advance(A)
        assert server_status(c, sid) == "off"
        r = c.post(f"/servers/{sid}/actions/poweron")
        assert r.json()["action"]["command"] == "start_server" and server_status(c, sid) == "starting"
        sim.clock.advance(A)
        assert server_status(c, sid) == "running"
        assert c.get(f"/actions/{r.json()['action']['id']}").json()["action"]["status"] == "success"


def test_shutdown_goes_through_stopping(sim):
    sid = running_server(sim)
    with client(sim) as c:
        action = c.post(f"/servers/{sid}/actions/shutdown").json()["action"]
        assert action["command"] == "shutdown_server" and server_status(c, sid) == "stopping"
        sim.clock.advance(A)
        sim.advance()
        assert sim.servers[sid]["status"] == "off"  # advanced without a request
        assert server_status(c, sid) == "off"


def test_shutdown_of_a_guest_ignoring_acpi_never_turns_it_off(sim):
    sid = running_server(sim)
    sim.ignore_acpi(sid)
    with client(sim) as c:
        action = c.post(f"/servers/{sid}/actions/shutdown").json()["action"]
        sim.clock.advance(A * 5)
        assert c.get(f"/actions/{action['id']}").json()["action"]["status"] == "success"
        assert server_status(c, sid) == "running"


def test_reboot_and_reset(sim):
    sid = running_server(sim)
    off = next(i for i, s in sim.servers.items() if s["status"] == "off")
    with client(sim) as c:
        assert c.post(f"/servers/{sid}/actions/reboot").json()["action"]["command"] == "reboot_server"
        sim.clock.advance(A)
        assert server_status(c, sid) == "running"
        assert c.post(f"/servers/{off}/actions/reset").json()["action"]["command"] == "reset_server"
        sim.clock.advance(A)
        assert server_status(c, off) == "running"


def test_injected_action_failure(sim):
    sid = running_server(sim)
    sim.fail_next_action(sid)
    with client(sim) as c:
        action = c.post(f"/servers/{sid}/actions/poweroff").json()["action"]
        sim.clock.advance(A)
        failed = c.get(f"/actions/{action['id']}").json()["action"]
        assert failed["status"] == "error" and failed["error"]["code"] == "action_failed"
        assert failed["finished"] and server_status(c, sid) == "running"
        action = c.post(f"/servers/{sid}/actions/poweroff").json()["action"]  # only the next one fails
        sim.clock.advance(A)
        assert c.get(f"/actions/{action['id']}").json()["action"]["status"] == "success"


def test_locked_while_an_action_runs(sim):
    sid = running_server(sim)
    with client(sim) as c:
        c.post(f"/servers/{sid}/actions/reboot")
        assert_error(c.post(f"/servers/{sid}/actions/poweroff"), 423, "locked")
        assert_error(c.delete(f"/servers/{sid}"), 423, "locked")
        assert c.get(f"/servers/{sid}").status_code == 200
        sim.clock.advance(A)
        assert c.post(f"/servers/{sid}/actions/poweroff").status_code == 201


def test_delete_then_not_found_and_protection(sim):
    sid = running_server(sim)
    protected = running_server(sim, protected=True)
    with client(sim) as c:
        r = c.delete(f"/servers/{sid}")
        assert r.status_code == 200 and r.json()["action"]["command"] == "delete_server"
        assert_error(c.get(f"/servers/{sid}"), 404, "not_found")
        assert_error(c.delete(f"/servers/{sid}"), 404, "not_found")
        assert sid not in [s["id"] for s in c.get("/servers", params={"per_page": 50}).json()["servers"]]
        assert_error(c.delete(f"/servers/{protected}"), 403, "protected")
        assert_error(c.post(f"/servers/{protected}/actions/rebuild", json={"image": "debian-12"}), 403, "protected")
        assert c.get(f"/servers/{protected}").status_code == 200
        assert_error(c.post("/servers/123/actions/poweron"), 404, "not_found")
        assert_error(c.post(f"/servers/{protected}/actions/explode"), 404, "not_found")


def test_reset_password_console_rebuild_backup(sim):
    sid = running_server(sim)
    off = next(i for i, s in sim.servers.items() if s["status"] == "off")
    with client(sim) as c:
        first = c.post(f"/servers/{sid}/actions/reset_password").json()
        assert first["action"]["command"] == "reset_password" and len(first["root_password"]) >= 16
        sim.clock.advance(A)
        second = c.post(f"/servers/{sid}/actions/reset_password").json()
        assert second["root_password"] != first["root_password"]
        assert_error(c.post(f"/servers/{off}/actions/reset_password"), 422, "server_not_running")
        sim.clock.advance(A)
        console = c.post(f"/servers/{sid}/actions/request_console").json()
        assert re.fullmatch(rf"wss://console\.hetzner\.cloud/\?server_id={sid}&token=[\w-]+", console["wss_url"])
        assert console["password"] and console["action"]["command"] == "request_console"
        sim.clock.advance(A)
        assert_error(c.post(f"/servers/{sid}/actions/rebuild", json={}), 422, "invalid_input")
        rebuilt = c.post(f"/servers/{sid}/actions/rebuild", json={"image": "rocky-9"}).json()
        assert rebuilt["action"]["command"] == "rebuild_server" and rebuilt["root_password"]
        assert server_status(c, sid) == "rebuilding"
        sim.clock.advance(A)
        server = c.get(f"/servers/{sid}").json()["server"]
        assert server["status"] == "running" and server["image"]["name"] == "rocky-9"
        sim.servers[sid]["backup_window"] = None
        assert c.post(f"/servers/{sid}/actions/enable_backup").status_code == 201
        sim.clock.advance(A)
        assert c.get(f"/servers/{sid}").json()["server"]["backup_window"]


def test_actions_endpoint_requires_ids(sim):
    with client(sim) as c:
        err = assert_error(c.get("/actions"), 400, "invalid_input")
        assert err["details"]["fields"][0]["name"] == "id"
        assert_error(c.get("/actions", params={"id": "abc"}), 400, "invalid_input")
        assert c.get("/actions", params={"id": 1, "page": 1}).json()["actions"] == []
        assert_error(c.get("/actions/1"), 404, "not_found")


def test_update_server_labels(sim):
    sid = running_server(sim)
    with client(sim) as c:
        r = c.put(f"/servers/{sid}", json={"labels": {"hostdeck/suspended": "true"}})
        assert r.json()["server"]["labels"] == {"hostdeck/suspended": "true"}
        assert c.get("/servers", params={"label_selector": "hostdeck/suspended=true"}).json()["servers"][0]["id"] == sid
        assert_error(c.put(f"/servers/{sid}", json={"name": "no_underscores"}), 422, "invalid_input")


# --------------------------------------------------------------------------- faults


def test_status_fault_for_the_next_n_requests(ro_sim):
    ro_sim.faults.add(route="GET /servers", kind="status", status=503, count=2)
    try:
        with client(ro_sim) as c:
            for _ in range(2):
                r = c.get("/servers")
                assert_error(r, 503, "service_error")
                assert "x-correlation-id" in r.headers and "ratelimit-limit" in r.headers
            assert c.get("/servers").status_code == 200
    finally:
        ro_sim.faults.clear()


@pytest.mark.parametrize("status,code", [(500, "server_error"), (502, "bad_gateway"), (504, "timeout"),
                                         (429, "rate_limit_exceeded")])
def test_status_fault_codes(ro_sim, status, code):
    ro_sim.faults.add(route="GET /locations", kind="status", status=status)
    with client(ro_sim) as c:
        err = assert_error(c.get("/locations"), status, code)
        assert c.get("/locations").status_code == 200
    if status == 429:
        assert err["details"] is None


def test_conflict_fault_then_success_leaves_state_alone(sim):
    sid = running_server(sim)
    sim.faults.add(route="POST /servers/*/actions/*", kind="status", status=409, code="conflict", count=1)
    with client(sim) as c:
        assert_error(c.post(f"/servers/{sid}/actions/poweroff"), 409, "conflict")
        assert server_status(c, sid) == "running" and not sim._jobs
        assert c.post(f"/servers/{sid}/actions/poweroff").status_code == 201


def test_html_fault_on_every_route(ro_sim):
    ro_sim.faults.add(route="*", kind="html", status=502, count=1)
    with client(ro_sim) as c:
        r = c.get("/ssh_keys")
        assert r.status_code == 502 and r.headers["content-type"].startswith("text/html")
        assert "502 Bad Gateway" in r.text
        assert c.get("/ssh_keys").status_code == 200


def test_content_type_malformed_and_empty_faults(ro_sim):
    with client(ro_sim) as c:
        ro_sim.faults.add(route="GET /servers", kind="content_type", count=1)
        r = c.get("/servers")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        assert "servers" in r.json()  # the same list, just labelled wrongly
        ro_sim.faults.add(route="GET /servers", kind="malformed", count=1)
        r = c.get("/servers")
        assert r.headers["content-type"] == "application/json"
        with pytest.raises(ValueError):
            json.loads(r.content)
        ro_sim.faults.add(route="GET /servers", kind="empty", count=1)
        r = c.get("/servers")
        assert r.status_code == 200 and r.content == b""
        assert c.get("/servers").json()["servers"]


def test_reset_faults(ro_sim):
    with client(ro_sim) as c:
        ro_sim.faults.add(route="GET /servers", kind="reset", count=1)
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            c.get("/servers")
        ro_sim.faults.add(route="GET /servers", kind="reset_mid", count=1)
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            c.get("/servers")
        assert c.get("/servers").status_code == 200


def test_hang_fault_times_out_the_client(ro_sim):
    ro_sim.faults.add(route="GET /servers", kind="hang", count=1)
    with client(ro_sim, timeout=httpx.Timeout(5.0, read=0.4)) as c:
        started = time.monotonic()
        with pytest.raises(httpx.ReadTimeout):
            c.get("/servers")
        assert time.monotonic() - started < 5
        assert c.get("/servers").status_code == 200


def test_slow_and_dribble_faults(ro_sim):
    with client(ro_sim) as c:
        ro_sim.faults.add(route="GET /servers", kind="slow", delay=0.4, count=1)
        started = time.monotonic()
        assert c.get("/servers").status_code == 200
        assert time.monotonic() - started >= 0.35
        ro_sim.faults.add(route="GET /servers", kind="dribble", delay=0.4, count=1)
        started = time.monotonic()
        with c.stream("GET", "/servers") as r:
            head_at = time.monotonic() - started
            chunks = list(r.iter_raw())
        assert time.monotonic() - started >= 0.35 and head_at < 0.3 and len(chunks) > 1
        assert json.loads(b"".join(chunks))["servers"]


def test_probability_fault_and_route_patterns(ro_sim):
    ro_sim.faults.add(route="GET /servers", kind="status", status=429, probability=0.3)
    try:
        with client(ro_sim) as c:
            codes = [c.get("/servers").status_code for _ in range(40)]
            assert 0 < codes.count(429) < 40 and set(codes) == {200, 429}
            assert all(c.get(f"/servers/{sid}").status_code == 200 for sid in list(ro_sim.servers)[:5])
    finally:
        ro_sim.faults.clear()
    assert len(ro_sim.faults) == 0
    with pytest.raises(ValueError):
        ro_sim.faults.add(route="*", kind="explode")
    assert route_matches("POST /servers/*/actions/*", "POST", "/servers/42/actions/poweron")
    assert not route_matches("POST /servers/*/actions/*", "GET", "/servers/42/actions/poweron")
    assert not route_matches("GET /servers", "GET", "/servers/42")
    assert route_matches("* /servers/*", "DELETE", "/servers/42") and route_matches("*", "PUT", "/x")


def test_latency_applies_before_the_status_line():
    with HetznerSim(servers=5, seed=1, latency_ms=150, jitter_ms=50) as s, client(s) as c:
        started = time.monotonic()
        assert c.get("/locations").status_code == 200
        assert time.monotonic() - started >= 0.14


def test_request_log_redacts_secrets(sim):
    with client(sim) as c:
        c.get("/servers", params={"per_page": 5, "label_selector": "env=prod"})
        c.post("/servers", json={"name": "log-me", "server_type": "cx22", "image": "debian-12"},
               headers={"Cookie": "session=abc", "X-API-Key": "k" * 40})
    get, post = sim.request_log[-2:]
    assert (get["method"], get["path"], get["route"]) == ("GET", "/v1/servers", "GET /servers")
    assert get["query"] == {"per_page": ["5"], "label_selector": ["env=prod"]}
    assert get["headers"]["Authorization"] == "***" and get["status"] == 200
    assert post["headers"]["Cookie"] == "***" and post["headers"]["X-API-Key"] == "***"
    assert post["body"]["name"] == "log-me" and post["status"] == 201
    assert TOKEN not in json.dumps(sim.request_log)


# --------------------------------------------------------------------------- scale and official client


def test_ten_thousand_servers_serve_a_page_quickly():
    with HetznerSim(servers=10_000, seed=3) as s, client(s) as c:
        started = time.monotonic()
        r = c.get("/servers", params={"per_page": 50, "page": 120})
        elapsed = time.monotonic() - started
        p = r.json()["meta"]["pagination"]
        assert len(r.json()["servers"]) == 50 and p["total_entries"] == 10_000 and p["last_page"] == 200
        assert elapsed < 2.0  # generous; typically ~10 ms
        r = c.get("/servers", params={"per_page": 50, "sort": "name:desc", "label_selector": "env=prod"})
        names = [x["name"] for x in r.json()["servers"]]
        assert names == sorted(names, reverse=True) and r.json()["meta"]["pagination"]["total_entries"] > 4000


def test_hcloud_python_lists_every_server():
    hcloud = pytest.importorskip("hcloud")
    with HetznerSim(servers=230, seed=6) as s:
        api = hcloud.Client(token=TOKEN, api_endpoint=s.base_url, poll_interval=0.05)
        servers = api.servers.get_all()
        assert sorted(x.id for x in servers) == sorted(s.servers)
        assert api.ssh_keys.get_by_name("ops-key").name == "ops-key"
        assert api.images.get_by_name_and_architecture("debian-12", "arm").architecture == "arm"
        pages = [e for e in s.request_log if e["route"] == "GET /servers"]
        assert len(pages) == 5 and all(e["query"]["per_page"] == ["50"] for e in pages)
