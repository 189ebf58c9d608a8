"""The Convoy simulator over real loopback sockets, held to shared/api/convoy.md ("A faithful simulator must")."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest

from hostdeck.backends.sim.cluster import Cluster
from hostdeck.backends.sim.cluster import Node
from hostdeck.backends.sim.convoy import DEFAULT_NON_ADMIN_TOKEN
from hostdeck.backends.sim.convoy import DEFAULT_TOKEN
from hostdeck.backends.sim.convoy import MIB
from hostdeck.backends.sim.convoy import ConvoySim
from hostdeck.backends.sim.convoy import make_jwt
from hostdeck.backends.sim.convoy import read_jwt
from tests.fixture_paths import FIXTURES as ALL_FIXTURES

FIXTURES = ALL_FIXTURES / "convoy"
JSON = {"Accept": "application/json"}


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def shape(value: Any) -> Any:
    """The key structure of a JSON value (types of leaves, one element of each list)."""
    if isinstance(value, dict):
        return {k: shape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [shape(value[0])] if value else []
    return type(value).__name__ if value is not None else None


def same_keys(a: Any, b: Any, where: str = "") -> None:
    if isinstance(a, dict) and isinstance(b, dict):
        assert set(a) == set(b), f"{where}: {sorted(set(a) ^ set(b))}"
        for k in a:
            same_keys(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, list) and isinstance(b, list) and a and b:
        same_keys(a[0], b[0], f"{where}[]")


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def sim():
    with ConvoySim(servers=230, users=30, seed=4) as s:
        yield s


@pytest.fixture
def fresh():
    clock = FakeClock()
    with ConvoySim(servers=40, users=12, seed=9, install_seconds=5.0, delete_seconds=5.0) as s:
        s.clock = clock
        s.fake_clock = clock
        yield s


def client(sim: ConvoySim, token: str | None = DEFAULT_TOKEN, accept: str | None = "application/json") -> httpx.Client:
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if accept:
        headers["Accept"] = accept
    return httpx.Client(base_url=sim.base_url, headers=headers, timeout=10)


def a_server(sim: ConvoySim, status: str | None = None, **where: Any) -> dict[str, Any]:
    for s in sim.servers.values():
        if s["status"] == status and all(s[k] == v for k, v in where.items()):
            return s
    raise AssertionError(f"no server with status {status}")


def free_v4(sim: ConvoySim, node_id: int) -> list[int]:
    return [a["id"] for a in sim.free_addresses(node_id, "ipv4")]


def template_of(sim: ConvoySim, node_id: int) -> str:
    group = next(g for g in sim.template_groups.values() if g["node_id"] == node_id)
    return next(t["uuid"] for t in sim.templates.values() if t["template_group_id"] == group["id"])


def create_body(sim: ConvoySim, node_id: int = 1, **overrides: Any) -> dict[str, Any]:
    body = {"name": "c-1003 vps", "user_id": 3, "node_id": node_id, "vmid": None, "hostname": "vps9.example.com",
            "limits": {"cpu": 2, "memory": 2 * 1024 * MIB, "disk": 20 * 1024 * MIB, "snapshots": 2, "backups": None,
                       "bandwidth": None, "address_ids": free_v4(sim, node_id)[:1]},
            "account_password": "Str0ng!Passw0rd", "should_create_server": True,
            "template_uuid": template_of(sim, node_id), "start_on_completion": True}
    body.update(overrides)
    return body


# --------------------------------------------------------------------------- shapes, envelopes, units


def test_server_show_has_the_fixture_shape(sim):
    sid = next(iter(sim.servers))
    with client(sim) as c:
        got = c.get(f"/servers/{sid}", params={"include": "user,node"}).json()
    same_keys(got, fixture("server_show"))
    data = got["data"]
    assert isinstance(data["id"], str) and len(data["id"]) == 8 and data["uuid"].startswith(data["id"])
    assert set(data["user"]) == {"data"} and set(data["node"]) == {"data"}
    for key in ("memory", "disk"):                      # bytes, whole MiB
        assert data["limits"][key] % MIB == 0


def test_other_bodies_have_the_fixture_shapes(sim):
    with client(sim) as c:
        same_keys(c.get("/nodes/1/template-groups").json(), fixture("node_template_groups"))
        same_keys(c.get("/nodes/1/addresses", params={"filter[type]": "ipv4", "per_page": 1000}).json(),
                  fixture("node_addresses_ipv4"))
        user = sim.users[3]
        same_keys(c.get("/users", params={"filter[email]": user["email"]}).json(), fixture("users_filter_email"))
        same_keys(c.post("/users/3/generate-sso-token").json(), fixture("sso_token"))
        page = c.get("/servers", params={"per_page": 2}).json()
        same_keys(page["meta"], fixture("servers_list_page")["meta"])


def test_pagination_meta_links_and_caps(sim):
    with client(sim) as c:
        first = c.get("/servers").json()
        assert first["meta"]["pagination"] == {
            "total": 230, "count": 50, "per_page": 50, "current_page": 1, "total_pages": 5,
            "links": {"next": first["meta"]["pagination"]["links"]["next"]}}
        capped = c.get("/servers", params={"per_page": 500}).json()["meta"]["pagination"]
        assert capped["per_page"] == 100 and capped["total_pages"] == 3 and capped["count"] == 100
        middle = c.get("/servers", params={"per_page": 100, "page": 2}).json()["meta"]["pagination"]
        assert set(middle["links"]) == {"previous", "next"}
        assert middle["links"]["next"].startswith(f"{sim.base_url}/servers?page=3")
        nxt = httpx.get(middle["links"]["next"], headers={**JSON, "Authorization": f"Bearer {sim.token}"}).json()
        assert nxt["meta"]["pagination"]["current_page"] == 3 and nxt["meta"]["pagination"]["count"] == 30
        one = c.get("/nodes").json()["meta"]["pagination"]
        assert one["links"] == {} and one["total_pages"] == 1
        beyond = c.get("/servers", params={"page": 99}).json()
        assert beyond["data"] == [] and set(beyond["meta"]["pagination"]["links"]) == {"previous"}
        addresses = c.get("/nodes/1/addresses", params={"per_page": 5000}).json()["meta"]["pagination"]
        assert addresses["per_page"] == 5000 and addresses["total_pages"] == 1   # addresses allow up to 999999


def test_default_sort_is_newest_first_and_pages_cover_everything(sim):
    with client(sim) as c:
        ids = [s["internal_id"] for p in (1, 2, 3) for s in c.get("/servers", params={"per_page": 100, "page": p}).json()["data"]]
    assert ids == sorted(ids, reverse=True) and len(set(ids)) == 230


def test_exact_and_partial_filters(sim):
    with client(sim) as c:
        mine = c.get("/servers", params={"filter[user_id]": 3, "per_page": 100}).json()["data"]
        assert mine and all(s["user_id"] == 3 for s in mine)              # exact: not 13, 30, ...
        assert len(mine) == sum(1 for s in sim.servers.values() if s["user_id"] == 3)
        on_two = c.get("/servers", params={"filter[node_id]": 2, "per_page": 100}).json()["data"]
        assert on_two and all(s["node_id"] == 2 for s in on_two)
        partial = c.get("/servers", params={"filter[name]": "VPS 2", "per_page": 100}).json()["data"]
        assert partial and all("vps 2" in s["name"] for s in partial)      # LIKE, case-insensitive
        host = next(iter(sim.servers.values()))["hostname"]
        assert [s["hostname"] for s in c.get("/servers", params={"filter[*]": host}).json()["data"]] == [host]
        email = sim.users[4]["email"]
        users = c.get("/users", params={"filter[email]": email.upper()}).json()
        assert [u["email"] for u in users["data"]] == [email] and users["meta"]["pagination"]["total"] == 1
        assert c.get("/users", params={"filter[email]": email[:-1]}).json()["data"] == []   # exact, not LIKE
        bad = c.get("/servers", params={"filter[hostname]": "x"})
        assert bad.status_code == 400 and "not allowed" in bad.json()["message"]
        pool = c.get("/servers", params={"filter[address_pool_id]": 1, "per_page": 100}).json()["data"]
        assert pool and all(a["address_pool_id"] == 1 for s in pool for a in s["limits"]["addresses"]["ipv4"])


def test_includes(sim):
    with client(sim) as c:
        plain = c.get("/servers", params={"per_page": 1}).json()["data"][0]
        assert "user" not in plain and "node" not in plain
        both = c.get("/servers", params={"per_page": 1, "include": "user,node"}).json()["data"][0]
        assert both["user"]["data"]["id"] == both["user_id"] and both["node"]["data"]["id"] == both["node_id"]
        assert c.get("/servers", params={"include": "owner"}).status_code == 400
        free = c.get("/nodes/1/addresses", params={"include": "server", "per_page": 1000}).json()["data"]
        used = next(a for a in free if a["server_id"] is not None)
        assert used["server"]["data"]["internal_id"] == used["server_id"]


def test_server_route_key_is_uuid_short_or_uuid_never_the_number(sim):
    server = next(iter(sim.servers.values()))
    with client(sim) as c:
        assert c.get(f"/servers/{server['uuid_short']}").json()["data"]["id"] == server["uuid_short"]
        assert c.get(f"/servers/{server['uuid']}").json()["data"]["id"] == server["uuid_short"]
        numeric = c.get(f"/servers/{server['internal_id']}")
        assert numeric.status_code == 404
        assert numeric.json() == {"message": "No query results for model [Convoy\\Models\\Server]."}
        digits = [s for s in sim.servers if s.isdigit()]
        assert digits and any(d.startswith("00") for d in digits)       # one all-digit id with leading zeros
        for d in digits:
            got = c.get(f"/servers/{d}").json()["data"]["id"]
            assert got == d and isinstance(got, str)
        missing = c.get("/users/9999").json()
        assert missing == {"message": "No query results for model [Convoy\\Models\\User] 9999"}


# --------------------------------------------------------------------------- auth


def test_auth_like_sanctum(sim):
    assert DEFAULT_TOKEN.split("|")[0] == "1" and len(DEFAULT_TOKEN.split("|")[1]) == 40
    with client(sim, token=None) as c:
        r = c.get("/servers")
        assert r.status_code == 401 and r.json() == {"message": "Unauthenticated."}
    with client(sim, token="1|" + "x" * 40) as c:
        assert c.get("/servers").status_code == 401
    with client(sim, token=None, accept=None) as c:
        r = c.get("/servers")
        assert r.status_code == 302 and r.headers["location"].endswith("/login")
        assert r.headers["content-type"].startswith("text/html")
    with client(sim, token=None, accept="Application/vnd.convoy.v1+json") as c:
        assert c.get("/servers").status_code == 401                        # +json counts as JSON
    with client(sim, token=DEFAULT_NON_ADMIN_TOKEN) as c:
        r = c.get("/servers")
        assert r.status_code == 403 and r.json() == {"message": ""}
    with client(sim, token=None) as c:
        assert c.get("/no-such-route").status_code == 404                  # routes are matched before auth


# --------------------------------------------------------------------------- create


def test_create_answers_200_installing_then_ready_in_bytes_floored_to_mib(fresh):
    body = create_body(fresh)
    body["limits"]["memory"] += 12345                                     # floored to whole MiB
    address = body["limits"]["address_ids"][0]
    with client(fresh) as c:
        r = c.post("/servers", json=body)
        assert r.status_code == 200
        data = r.json()["data"]
        assert data["status"] == "installing" and data["limits"]["memory"] == 2 * 1024 * MIB
        assert set(data) >= {"user", "node"}                               # creates always include both
        assert [a["id"] for a in data["limits"]["addresses"]["ipv4"]] == [address]
        assert 100 <= data["vmid"] <= 999_999_999
        vm = fresh.cluster.get_vm(data["node"]["data"]["cluster"], data["vmid"])
        assert vm is not None and vm.status == "stopped" and vm.memory_bytes == 2 * 1024 * MIB
        fresh.fake_clock.now += 5.1
        assert c.get(f"/servers/{data['id']}").json()["data"]["status"] is None
        assert vm.status == "running"                                      # start_on_completion


def test_install_failure_can_be_injected(fresh):
    fresh.fail_next_install()
    with client(fresh) as c:
        sid = c.post("/servers", json=create_body(fresh)).json()["data"]["id"]
        fresh.fake_clock.now += 6
        assert c.get(f"/servers/{sid}").json()["data"]["status"] == "install_failed"


def test_create_validation_is_laravel_shaped(fresh):
    with client(fresh) as c:
        r = c.post("/servers", json={})
        body = r.json()
        assert r.status_code == 422
        count = sum(len(v) for v in body["errors"].values())
        assert body["message"] == f"The name field is required. (and {count - 1} more errors)"
        assert {"name", "user_id", "node_id", "vmid", "hostname", "limits", "should_create_server",
                "start_on_completion", "limits.snapshots"} <= set(body["errors"])
        huge = create_body(fresh)
        huge["limits"]["memory"] = 1 << 50
        r = c.post("/servers", json=huge)
        assert r.status_code == 422 and r.json()["errors"] == {"limits.memory": ["The memory value exceeds the node's limit."]}
        assert r.json()["message"] == "The memory value exceeds the node's limit."
        weak = c.post("/servers", json=create_body(fresh, account_password="password"))
        assert weak.status_code == 422 and "account_password" in weak.json()["errors"]
        small = create_body(fresh)
        small["limits"]["memory"] = 1024
        assert "limits.memory" in c.post("/servers", json=small).json()["errors"]
        used = create_body(fresh)
        used["limits"]["address_ids"] = [next(a["id"] for a in fresh.addresses.values() if a["server_id"] is not None)]
        assert c.post("/servers", json=used).json()["errors"]["limits.address_ids"] == [
            "One or more of the selected addresses are already in use"]
        one_more = c.post("/servers", json=create_body(fresh, name="x" * 41, hostname="")).json()
        assert one_more["message"].endswith("(and 1 more error)")


def test_create_404_and_400_name_the_model(fresh):
    with client(fresh) as c:
        r = c.post("/servers", json={**create_body(fresh), "node_id": 77})
        assert r.status_code == 404 and r.json()["message"] == "No query results for model [Convoy\\Models\\Node] 77"
        r = c.post("/servers", json=create_body(fresh, template_uuid="0f3c7b9e-2a11-4c55-9f8e-1d2c3b4a5e6f"))
        assert r.status_code == 404 and r.json()["message"] == "No query results for model [Convoy\\Models\\Template]."
        other = create_body(fresh, template_uuid=template_of(fresh, 2))
        r = c.post("/servers", json=other)
        assert r.status_code == 400 and r.json() == {"message": "This template is inaccessible to the specified node"}
    assert all(s["name"] != "c-1003 vps" or s["hostname"] != "vps9.example.com" for s in fresh.servers.values())


# --------------------------------------------------------------------------- state machines


def test_suspend_and_unsuspend_are_204_idempotent_and_drive_the_vm(fresh):
    server = a_server(fresh, None)
    vm = fresh.cluster.get_vm(fresh.nodes[server["node_id"]]["cluster"], server["vmid"])
    vm.status = "running"
    with client(fresh) as c:
        for _ in range(2):
            r = c.post(f"/servers/{server['uuid_short']}/settings/suspend")
            assert r.status_code == 204 and r.content == b""
        assert server["status"] == "suspended" and vm.status == "stopped"
        for _ in range(2):
            assert c.post(f"/servers/{server['uuid_short']}/settings/unsuspend").status_code == 204
        assert server["status"] is None and vm.status == "running"
        fresh.cluster.nodes[vm.node].online = False                       # Proxmox unreachable
        r = c.post(f"/servers/{server['uuid_short']}/settings/suspend")
        assert r.status_code == 500 and r.json() == {"message": "Server Error"} and server["status"] is None
        r = c.patch(f"/servers/{server['uuid_short']}", json={"hostname": "other.example.com"})
        assert r.status_code == 503 and r.json()["message"] == f"Server {server['uuid']} failed to sync hostname."


def test_delete_queues_deleting_then_gone_and_blocks_other_routes(fresh):
    server = a_server(fresh, None)
    sid, node = server["uuid_short"], fresh.nodes[server["node_id"]]["cluster"]
    with client(fresh) as c:
        r = c.delete(f"/servers/{sid}")
        assert r.status_code == 204 and r.content == b""
        assert c.get(f"/servers/{sid}").json()["data"]["status"] == "deleting"     # show still works
        assert c.patch(f"/servers/{sid}", json={"name": "still editable"}).status_code == 200
        second = c.delete(f"/servers/{sid}")
        assert second.status_code == 409 and second.json()["message"].startswith("This server is currently in an unsupported")
        assert c.post(f"/servers/{sid}/settings/suspend").status_code == 409
        fresh.fake_clock.now += 5.1
        assert c.get(f"/servers/{sid}").status_code == 404
    assert fresh.cluster.get_vm(node, server["vmid"]) is None


def test_delete_failure_and_no_purge(fresh):
    failing, kept = list(s for s in fresh.servers.values() if s["status"] is None)[:2]
    fresh.fail_next_delete()
    with client(fresh) as c:
        c.delete(f"/servers/{failing['uuid_short']}")
        fresh.fake_clock.now += 6
        assert c.get(f"/servers/{failing['uuid_short']}").json()["data"]["status"] == "deletion_failed"
        assert c.delete(f"/servers/{failing['uuid_short']}").status_code == 409
        assert c.request("DELETE", f"/servers/{kept['uuid_short']}", json={"no_purge": True}).status_code == 204
        assert c.get(f"/servers/{kept['uuid_short']}").status_code == 404
    assert fresh.cluster.get_vm(fresh.nodes[kept["node_id"]]["cluster"], kept["vmid"]) is not None   # VM left


def test_resize_replaces_the_address_set_and_needs_present_fields(fresh):
    server = next(s for s in fresh.servers.values() if s["status"] is None and fresh._server_addresses.get(s["internal_id"]))
    sid = server["uuid_short"]
    with client(fresh) as c:
        missing = c.patch(f"/servers/{sid}/settings/build", json={"cpu": 2, "memory": 2 << 30, "disk": 40 << 30})
        assert missing.status_code == 422
        assert {"address_ids", "snapshot_limit", "backup_limit", "bandwidth_limit"} <= set(missing.json()["errors"])
        body = fixture("server_build_update_request")
        body["address_ids"] = []
        r = c.patch(f"/servers/{sid}/settings/build", json=body)
        assert r.status_code == 200
        data = r.json()["data"]
        assert data["limits"]["addresses"] == {"ipv4": [], "ipv6": []}   # replaced, not merged
        assert data["limits"]["cpu"] == 4 and data["limits"]["memory"] == 8589934592
    vm = fresh.cluster.get_vm(fresh.nodes[server["node_id"]]["cluster"], server["vmid"])
    assert (vm.cores, vm.memory_bytes) == (4, 8589934592)


# --------------------------------------------------------------------------- users and SSO


def test_users_create_update_delete(fresh):
    with client(fresh) as c:
        r = c.post("/users", json=fixture("user_create_request"))
        assert r.status_code == 200
        user = r.json()["data"]
        assert user["email"] == "bo@example.org" and user["root_admin"] is False and user["servers_count"] == 0
        dup = c.post("/users", json={**fixture("user_create_request"), "email": "BO@example.org"})
        assert dup.status_code == 422 and dup.json()["errors"]["email"] == ["The email has already been taken."]
        short = c.post("/users", json={**fixture("user_create_request"), "email": "x@example.org", "password": "short"})
        assert short.status_code == 422 and "password" in short.json()["errors"]
        no_admin_flag = {k: v for k, v in fixture("user_create_request").items() if k != "root_admin"}
        assert c.post("/users", json={**no_admin_flag, "email": "y@example.org"}).status_code == 500
        put = c.put(f"/users/{user['id']}", json={"name": "Bo B. Berg", "email": "bo@example.org", "root_admin": False})
        assert put.status_code == 200 and put.json()["data"]["name"] == "Bo B. Berg"
        assert c.delete(f"/users/{user['id']}").status_code == 204
        owner = next(iter(fresh.servers.values()))["user_id"]
        r = c.delete(f"/users/{owner}")
        assert r.status_code == 400 and r.json() == {"message": "The user cannot be deleted with servers still associated."}


def test_demoting_the_token_owner_revokes_the_token(fresh):
    with client(fresh) as c:
        assert c.put("/users/1", json={"name": "x", "email": "admin@hostdeck.example", "root_admin": False}).status_code == 200
        assert c.get("/servers").status_code == 401


def test_sso_token_is_an_hs256_jwt_that_logs_in_for_15_seconds(fresh):
    with client(fresh) as c:
        data = c.post("/users/3/generate-sso-token").json()["data"]
    assert data["user_id"] == 3
    claims = read_jwt(data["token"], "demo-app-key")
    assert claims["user_uuid"] == fresh.users[3]["uuid"] and claims["exp"] - claims["iat"] == 15
    assert read_jwt(data["token"], "another-key") is None
    web = httpx.Client(base_url=fresh.panel_url, timeout=10)
    r = web.get("/authenticate", params={"token": data["token"]})
    assert r.status_code == 302 and r.headers["location"] == f"{fresh.panel_url}/" and fresh.sso_logins == [3]
    # routes/auth.php is guest-only: a browser with a Convoy session is redirected as itself, the token unread
    with client(fresh) as c:
        other = c.post("/users/4/generate-sso-token").json()["data"]["token"]
    r = web.get("/authenticate", params={"token": other})
    assert r.status_code == 302 and fresh.sso_logins == [3]
    web.cookies.clear()
    tampered = data["token"][:-2] + ("AA" if not data["token"].endswith("AA") else "BB")
    assert web.get("/authenticate", params={"token": tampered}, headers=JSON).json() == {"message": "Invalid JWT token"}
    stranger = make_jwt({"user_uuid": "6d1f2e3a-4b5c-4d6e-8f70-8192a3b4c5d6", "iat": int(fresh.clock()),
                         "exp": int(fresh.clock()) + 15}, "demo-app-key")
    r = web.get("/authenticate", params={"token": stranger}, headers=JSON)
    assert r.status_code == 401 and r.json() == {"message": "Invalid JWT claims"}
    fresh.fake_clock.now += 16
    assert web.get("/authenticate", params={"token": data["token"]}).status_code == 401
    fixture_token = fixture("sso_token")["data"]["token"]                   # signed with the same demo key
    assert read_jwt(fixture_token, "demo-app-key")["user_uuid"] == "6d1f2e3a-4b5c-4d6e-8f70-8192a3b4c5d6"
    web.close()


# --------------------------------------------------------------------------- nodes, templates, addresses


def test_nodes_report_allocation_against_capacity(sim):
    with client(sim) as c:
        nodes = c.get("/nodes").json()["data"]
    for node in nodes:
        mine = [s for s in sim.servers.values() if s["node_id"] == node["id"]]
        assert node["servers_count"] == len(mine)
        assert node["memory_allocated"] == sum(s["memory_mib"] for s in mine) * MIB
        assert node["disk_allocated"] == sum(s["disk_mib"] for s in mine) * MIB
        assert node["memory_allocated"] <= node["memory"] * (1 + node["memory_overallocate"] / 100)
        assert node["cluster"] in sim.cluster.nodes


def test_template_groups_and_addresses(sim):
    with client(sim) as c:
        groups = c.get("/nodes/2/template-groups").json()
        assert "meta" not in groups and all(g["node_id"] == 2 for g in groups["data"])
        assert all(t["uuid"] and t["template_group_id"] == g["id"] for g in groups["data"] for t in g["templates"]["data"])
        assert [g["name"] for g in c.get("/nodes/2/template-groups", params={"filter[name]": "deb"}).json()["data"]] == ["Debian"]
        gid, tid = groups["data"][0]["id"], groups["data"][0]["templates"]["data"][0]["id"]
        assert c.get(f"/nodes/2/template-groups/{gid}/templates/{tid}").status_code == 500   # no show() in v4
        free = c.get("/nodes/2/addresses", params={"filter[type]": "ipv4", "filter[server_id]": "", "per_page": 1000}).json()
        assert free["data"] and all(a["server_id"] is None and a["type"] == "ipv4" for a in free["data"])
        assert len(free["data"]) == len(sim.free_addresses(2))
        assert c.get("/nodes/99/addresses").json() == {"message": "No query results for model [Convoy\\Models\\Node] 99"}
        locations = c.get("/locations").json()["data"]
        assert sum(l["nodes_count"] for l in locations) == len(sim.nodes)
        pools = c.get("/address-pools").json()["data"]
        assert sum(p["addresses_count"] for p in pools) == len(sim.addresses)


# --------------------------------------------------------------------------- seed data and the cluster


def test_seed_is_deterministic_and_every_server_is_a_vm_in_the_cluster():
    a, b = ConvoySim(servers=120, seed=5), ConvoySim(servers=120, seed=5)
    assert list(a.servers) == list(b.servers) and a.users[7]["email"] == b.users[7]["email"]
    assert list(ConvoySim(servers=120, seed=6).servers) != list(a.servers)
    for s in a.servers.values():
        vm = a.cluster.get_vm(a.nodes[s["node_id"]]["cluster"], s["vmid"])
        assert vm is not None and vm.cores == s["cpu"] and vm.memory_bytes == s["memory_mib"] * MIB
        if s["status"] in ("suspended", "installing"):
            assert vm.status == "stopped"
    statuses = {s["status"] for s in a.servers.values()}
    assert None in statuses and "suspended" in statuses


def test_a_shared_cluster_names_the_nodes_and_keeps_vmids_unique():
    cluster = Cluster([Node("pve1"), Node("pve2")])
    with cluster.lock:
        from hostdeck.backends.sim.cluster import VM
        cluster.add_vm(VM(vmid=100, node="pve1", name="not-convoy"))
    sim = ConvoySim(servers=50, seed=2, cluster=cluster)
    assert sorted(n["cluster"] for n in sim.nodes.values()) == ["pve1", "pve2"]
    assert sim.cluster is cluster and len(cluster.vms) == 51
    assert len({vmid for (_n, vmid) in cluster.vms}) == 51


def test_ten_thousand_servers_seed_quickly():
    started = time.perf_counter()
    big = ConvoySim(servers=10_000, users=1_000, seed=1)
    assert len(big.servers) == 10_000 and len(big.users) == 1_000
    assert time.perf_counter() - started < 3.0


# --------------------------------------------------------------------------- faults


def test_faults_use_convoys_bodies(sim):
    with client(sim) as c:
        sim.faults.add(route="GET /servers", kind="status", status=429, count=1)
        r = c.get("/servers")
        assert r.status_code == 429 and r.json() == {"message": "Too Many Attempts."} and r.headers["retry-after"] == "1"
        sim.faults.add(route="GET /servers", kind="status", status=500, count=1)
        assert c.get("/servers").json() == {"message": "Server Error"}
        sim.faults.add(route="GET /servers", kind="html", status=504, count=1)
        r = c.get("/servers")
        assert r.status_code == 504 and r.headers["content-type"].startswith("text/html")
        assert c.get("/servers").status_code == 200
    logged = [e for e in sim.request_log if e["fault"]]
    assert [e["fault"] for e in logged[-3:]] == ["status", "status", "html"]
    assert all(e["headers"].get("Authorization") in (None, "***") for e in sim.request_log)


def test_the_proxmox_simulator_on_the_same_cluster_sees_what_convoy_does():
    from hostdeck.backends.sim.proxmox import ProxmoxSim

    cluster = Cluster()
    pve_auth = {"Authorization": "PVEAPIToken=hostdeck@pve!hostdeck=demo-proxmox-secret-uuid"}
    with ConvoySim(servers=20, cluster=cluster, install_seconds=0.0) as convoy, ProxmoxSim(cluster=cluster) as pve:
        with client(convoy) as c:
            created = c.post("/servers", json=create_body(convoy)).json()["data"]
            node, vmid = created["node"]["data"]["cluster"], created["vmid"]

            def pve_status() -> str:
                r = httpx.get(f"{pve.base_url}/nodes/{node}/qemu/{vmid}/status/current", headers=pve_auth)
                return r.json()["data"]["status"]

            assert c.get(f"/servers/{created['id']}").json()["data"]["status"] is None
            assert pve_status() == "running"
            c.post(f"/servers/{created['id']}/settings/suspend")
            assert pve_status() == "stopped"
            c.post(f"/servers/{created['id']}/settings/unsuspend")
            assert pve_status() == "running"
            listed = httpx.get(f"{pve.base_url}/nodes/{node}/qemu", headers=pve_auth).json()["data"]
            assert sum(1 for s in convoy.servers.values() if convoy.nodes[s["node_id"]]["cluster"] == node) == len(listed)
