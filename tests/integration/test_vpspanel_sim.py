"""The VPS panel simulator against its contract (shared/api/vpspanel.md), over real loopback sockets."""

from __future__ import annotations

import json
import time

import httpx
import pytest

from hostdeck.backends.sim.vpspanel import DEFAULT_API_KEY
from hostdeck.backends.sim.vpspanel import VpsPanelSim

from .vp import KEY
from .vp import listing
from .vp import sync

CREATE = {"user_id": 42, "name": "vps1.example.com", "status": "creating", "cpu": 2, "ram": 2048, "disk": 40,
          "os": "Ubuntu 22.04 LTS", "hypervisor": "proxmox"}


@pytest.fixture(scope="module")
def shared():
    """A read-mostly simulator for the checks that change nothing."""
    with VpsPanelSim(seed=3, api_key=KEY) as s:
        yield s


@pytest.fixture
def sim():
    with VpsPanelSim(seed=3, api_key=KEY) as s:
        yield s


def create(sim, **over) -> dict:
    r = sync(sim, {"action": "create", "vps": {**CREATE, **over}})
    assert r.status_code == 201, r.text
    return r.json()["vps"]


# the key: first, constant length rule, exact message -------------------------------------------------
@pytest.mark.parametrize("key", [None, "", "x" * 31, KEY[:-1] + "!", KEY[:31], KEY + "x"])
def test_missing_short_or_wrong_key_is_401_before_the_body(shared, key):
    before = dict(shared.records)
    for body in ({"action": "create", "vps": CREATE}, {"action": "update", "vps": {}}):
        r = sync(shared, body, key=key)
        assert r.status_code == 401 and r.json() == {"message": "Invalid or missing API key"}
    r = sync(shared, None, key=key, raw=b"{not json")  # bad key with a bad body: still 401, not 400/422
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/json")
    assert shared.records == before


def test_a_short_panel_key_rejects_even_the_matching_key():
    with VpsPanelSim(api_key="short-key-only-20chr") as short:
        assert sync(short, {"action": "update", "vps": {}}, key="short-key-only-20chr").status_code == 401


def test_demo_key_is_long_enough_and_the_default():
    assert len(DEFAULT_API_KEY) >= 32 and VpsPanelSim().api_key == DEFAULT_API_KEY


# JSON and fields ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("raw", [b"{not json", b"[1, 2]", b'"text"', b"", b"\xff\xfe"])
def test_body_that_is_not_a_json_object_is_400(shared, raw):
    r = sync(shared, None, raw=raw)
    assert r.status_code == 400 and r.json() == {"message": "Invalid JSON body"}


def test_connection_probe_is_422_and_changes_nothing(shared):
    before = json.dumps(shared.records, sort_keys=True)
    r = sync(shared, {"action": "update", "vps": {}})
    assert r.status_code == 422
    assert r.json() == {"message": "Missing required fields", "errors": {"id": ["required"], "status": ["required"]}}
    assert json.dumps(shared.records, sort_keys=True) == before


def test_create_missing_fields_names_each(shared):
    r = sync(shared, {"action": "create", "vps": {"user_id": 42, "name": "x"}})
    assert r.status_code == 422
    body = r.json()
    assert body["message"] == "Missing required fields"
    assert body["errors"] == {f: ["required"] for f in ("status", "cpu", "ram", "disk", "os")}


@pytest.mark.parametrize("field, value, reason", [
    ("cpu", "2", "must be an integer"), ("ram", 2048.0, "must be an integer"), ("disk", True, "must be an integer"),
    ("cpu", 0, "must be at least 1"), ("user_id", -1, "must be at least 1"), ("ram", None, "required"),
    ("name", "", "must be between 1 and 255 characters"), ("name", "x" * 256, "must be between 1 and 255 characters"),
    ("os", 22, "must be a string"), ("hypervisor", "h" * 51, "must be between 1 and 50 characters"),
    ("status", "active", "must be one of"), ("status", "Running", "must be one of"), ("user_id", 9999, "unknown user"),
])
def test_strict_types_and_values_are_422_per_field(shared, field, value, reason):
    before = len(shared.records)
    r = sync(shared, {"action": "create", "vps": {**CREATE, field: value}})
    assert r.status_code == 422 and r.json()["message"] == "Missing required fields"
    assert list(r.json()["errors"]) == [field] and r.json()["errors"][field][0].startswith(reason)
    assert len(shared.records) == before


@pytest.mark.parametrize("body, field", [
    ({"action": "rebuild", "vps": {"id": 1}}, "action"), ({"vps": {"id": 1}}, "action"),
    ({"action": "delete"}, "vps"), ({"action": "delete", "vps": [1]}, "vps"),
    ({"action": "delete", "vps": {"id": "1001"}}, "id"), ({"action": "update", "vps": {"id": 1001}}, "status"),
    ({"action": "update", "vps": {"id": 1001, "status": "deleted"}}, "status"),
    ({"action": "update", "vps": {"id": 1001, "status": "running", "user_id": 777}}, "user_id"),
])
def test_unknown_action_missing_vps_and_update_rules_are_422(shared, body, field):
    r = sync(shared, body)
    assert r.status_code == 422 and field in r.json()["errors"]


def test_unknown_keys_are_ignored(sim):
    r = sync(sim, {"action": "create", "vps": {**CREATE, "color": "red", "id": 5}, "extra": 1})
    assert r.status_code == 201
    made = r.json()["vps"]
    assert "color" not in made and made["id"] != 5 and made["id"] in sim.records


# create / update / delete ---------------------------------------------------------------------------------
def test_create_answers_201_with_the_vps_and_auto_increment_ids(sim):
    first = create(sim)
    assert {k: first[k] for k in CREATE} == CREATE
    assert isinstance(first["id"], int) and first["created_at"].endswith("Z") and first["updated_at"] == first["created_at"]
    second = create(sim)
    assert second["id"] == first["id"] + 1  # identical creates are never de-duplicated
    assert sim.records[first["id"]]["ram"] == 2048 and sim.records[second["id"]]["name"] == first["name"]


def test_hypervisor_defaults_to_proxmox(sim):
    vps = {k: v for k, v in CREATE.items() if k != "hypervisor"}
    assert sync(sim, {"action": "create", "vps": vps}).json()["vps"]["hypervisor"] == "proxmox"


def test_any_status_is_allowed_on_create_for_imports(sim):
    assert create(sim, status="running")["status"] == "running"


def test_update_changes_only_the_fields_given_and_returns_the_new_state(sim):
    made = create(sim)
    sim.clock = lambda: time.time() + 60
    r = sync(sim, {"action": "update", "vps": {"id": made["id"], "status": "running", "ram": 4096}})
    assert r.status_code == 200
    after = r.json()["vps"]
    assert after["status"] == "running" and after["ram"] == 4096 and after["cpu"] == 2 and after["name"] == made["name"]
    assert after["updated_at"] > after["created_at"] == made["created_at"]
    assert sim.records[made["id"]]["status"] == "running"


def test_update_can_move_a_vps_to_another_user(sim):
    made = create(sim)
    r = sync(sim, {"action": "update", "vps": {"id": made["id"], "status": "running", "user_id": 43}})
    assert r.json()["vps"]["user_id"] == 43


def test_delete_returns_the_state_before_and_removes_it(sim):
    made = create(sim)
    r = sync(sim, {"action": "delete", "vps": {"id": made["id"], "status": "ignored"}})
    assert r.status_code == 200 and r.json()["vps"]["id"] == made["id"] and r.json()["vps"]["status"] == "creating"
    assert made["id"] not in sim.records


@pytest.mark.parametrize("action", ["update", "delete"])
def test_unknown_id_is_404_vps_not_found(sim, action):
    r = sync(sim, {"action": action, "vps": {"id": 999999, "status": "stopped"}})
    assert r.status_code == 404 and r.json() == {"message": "VPS not found"}


# methods and paths ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "PUT", "PATCH", "DELETE"])
def test_other_methods_on_sync_are_405(shared, method):
    r = sync(shared, None, method=method)
    assert r.status_code == 405 and r.json() == {"message": "Method not allowed"} and r.headers["allow"] == "POST"


def test_unknown_path_is_404_not_found_json(shared):
    r = httpx.post(shared.base_url + "/api/vps/sink", json={}, headers={"X-API-Key": KEY}, timeout=10)
    assert r.status_code == 404 and r.json()["message"] != "VPS not found"
    assert httpx.post(shared.base_url + "/api/vps", json={}, timeout=10).status_code == 405


# customer listing and per-user isolation -------------------------------------------------------------------
def test_each_user_sees_only_their_own_records(sim):
    mine = create(sim, user_id=42, name="mine.example.com")
    theirs = create(sim, user_id=43, name="theirs.example.com")
    tokens = sim.sample_tokens()
    seen = {uid: {v["id"] for v in listing(sim, token).json()["vps"]} for uid, token in tokens.items()}
    for uid, ids in seen.items():
        assert ids == {rid for rid, r in sim.records.items() if r["user_id"] == uid}
    assert mine["id"] in seen[42] and mine["id"] not in seen[43]
    assert theirs["id"] in seen[43] and theirs["id"] not in seen[42]
    assert sum(len(ids) for ids in seen.values()) == len(sim.records)
    # moving the VPS moves its visibility
    sync(sim, {"action": "update", "vps": {"id": mine["id"], "status": "running", "user_id": 43}})
    assert mine["id"] in {v["id"] for v in listing(sim, tokens[43]).json()["vps"]}
    assert mine["id"] not in {v["id"] for v in listing(sim, tokens[42]).json()["vps"]}


def test_listing_shape_is_a_vps_list_with_mb_and_gb(sim):
    body = listing(sim, sim.sample_tokens()[41]).json()
    assert list(body) == ["vps"] and body["vps"]
    for v in body["vps"]:
        assert {"id", "user_id", "name", "status", "cpu", "ram", "disk", "os", "hypervisor"} <= set(v)
        assert v["ram"] >= 1024 and v["disk"] <= 1000 and v["status"] in ("creating", "running", "stopped", "suspended", "error")


def test_bad_tokens_are_401(sim):
    good = sim.sample_tokens()[42]
    head, body, sig = good.split(".")
    forged_sig = ("A" if sig[0] != "A" else "B") + sig[1:]
    for token in (None, "garbage", f"{head}.{body}.{forged_sig}", sim.token_for(42, exp=time.time() - 5),
                  sim.token_for(999), KEY):
        r = listing(sim, token)
        assert r.status_code == 401 and r.json() == {"message": "Invalid or missing token"}, token
    # the API key reads nothing
    r = httpx.get(sim.base_url + "/api/vps", headers={"X-API-Key": KEY}, timeout=10)
    assert r.status_code == 401


def test_token_expiry_follows_the_clock(sim):
    token = sim.token_for(42, lifetime=30)
    assert listing(sim, token).status_code == 200
    sim.clock = lambda: time.time() + 31
    assert listing(sim, token).status_code == 401


def test_given_users_and_their_bearer_tokens():
    users = [{"id": 7, "email": "a@example.com", "name": "A", "bearer": "opaque-token-of-a"},
             {"id": 8, "email": "b@example.com", "name": "B"}]
    with VpsPanelSim(api_key=KEY, users=users, vps=4) as s:
        assert sorted(s.users) == [7, 8] and s.users[8]["bearer"].count(".") == 2  # issued as a JWT
        a = {v["id"] for v in listing(s, "opaque-token-of-a").json()["vps"]}
        b = {v["id"] for v in listing(s, s.users[8]["bearer"]).json()["vps"]}
        assert a and b and not a & b and a | b == set(s.records)


def test_seeding_is_deterministic():
    a, b, c = VpsPanelSim(seed=5), VpsPanelSim(seed=5), VpsPanelSim(seed=6)
    assert a.records == b.records and [u["email"] for u in a.users.values()] == [u["email"] for u in b.users.values()]
    assert [u["email"] for u in a.users.values()] != [u["email"] for u in c.users.values()]
    assert 42 in a.users and all(r["user_id"] in a.users for r in a.records.values())


# faults and the request log ---------------------------------------------------------------------------------
def test_request_log_masks_key_and_token_and_names_the_action(sim):
    sync(sim, {"action": "update", "vps": {}})
    listing(sim, sim.sample_tokens()[42])
    text = json.dumps(sim.request_log)
    assert KEY not in text and sim.sample_tokens()[42] not in text
    assert sim.request_log[0]["headers"]["X-API-Key"] == "***" and sim.request_log[1]["headers"]["Authorization"] == "***"
    assert sim.request_log[0]["action"] == "update" and sim.request_log[0]["body"] == {"action": "update", "vps": {}}


def test_faults_target_one_action(sim):
    sim.faults.add("update", "status", status=503, count=1)
    assert sync(sim, {"action": "create", "vps": CREATE}).status_code == 201
    r = sync(sim, {"action": "update", "vps": {}})
    assert r.status_code == 503 and r.json() == {"message": "Service Unavailable"} and r.headers["retry-after"] == "1"
    assert sync(sim, {"action": "update", "vps": {}}).status_code == 422


def test_429_carries_retry_after(sim):
    sim.faults.add("POST /api/vps/sync", "status", status=429, count=1)
    r = sync(sim, {"action": "update", "vps": {}})
    assert r.status_code == 429 and r.headers["retry-after"] == "1" and r.json()["message"]


def test_html_proxy_page(sim):
    sim.faults.add("delete", "html", status=502)
    r = sync(sim, {"action": "delete", "vps": {"id": 1001}})
    assert r.status_code == 502 and r.headers["content-type"].startswith("text/html") and 1001 in sim.records


def test_reset_after_the_create_was_stored(sim):
    before = len(sim.records)
    sim.faults.add("create", "reset_mid")
    with pytest.raises(httpx.HTTPError):
        sync(sim, {"action": "create", "vps": CREATE})
    assert len(sim.records) == before + 1


def test_create_answered_without_id_still_stores_it(sim):
    sim.omit_id_next()
    r = sync(sim, {"action": "create", "vps": CREATE})
    assert r.status_code == 201 and "id" not in r.json()["vps"] and r.json()["vps"]["name"] == CREATE["name"]
    assert any(rec["name"] == CREATE["name"] for rec in sim.records.values())
    assert "id" in create(sim)  # only the next one


def test_latency_is_applied():
    with VpsPanelSim(api_key=KEY, latency_ms=80) as slow:
        started = time.perf_counter()
        sync(slow, {"action": "update", "vps": {}})
        assert time.perf_counter() - started >= 0.08
