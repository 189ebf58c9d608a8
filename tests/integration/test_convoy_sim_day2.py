"""The Convoy simulator has what ConvoyPanel v4.6.1's application API has for day-2 work, and nothing more: reinstall,
backups, ISOs and statistics exist only in the session-authenticated client API (routes/api-client.php), so a token
gets Laravel's route-not-found answer for them, and nothing changes."""

from __future__ import annotations

import httpx
import pytest

from hostdeck.backends.sim.convoy import DEFAULT_TOKEN
from hostdeck.backends.sim.convoy import ConvoySim

HEADERS = {"Accept": "application/json", "Authorization": f"Bearer {DEFAULT_TOKEN}"}


@pytest.fixture(scope="module")
def sim():
    with ConvoySim(servers=12, users=6, seed=2) as s:
        yield s


@pytest.mark.parametrize(("method", "suffix", "body"), [
    ("POST", "/settings/reinstall", {"template_uuid": "x", "account_password": "Str0ng!Passw0rd"}),
    ("GET", "/backups", None),
    ("POST", "/backups", {"name": "b", "mode": "snapshot", "compression_type": "zstd"}),
    ("GET", "/settings/template-groups", None),
    ("GET", "/settings/hardware/isos", None),
    ("GET", "/state", None),
])
def test_client_api_routes_are_not_in_the_application_api(sim, method, suffix, body):
    sid = next(iter(sim.servers))
    before = dict(sim.servers[sid])
    path = f"/api/application/servers/{sid}{suffix}"
    resp = httpx.request(method, sim.panel_url + path, json=body, headers=HEADERS)
    assert resp.status_code == 404
    assert resp.json() == {"message": f"The route {path.lstrip('/')} could not be found."}
    assert sim.servers[sid] == before


def test_nodes_name_the_storage_convoy_keeps_backups_on(sim):
    resp = httpx.get(sim.base_url + "/nodes", headers=HEADERS)
    node = resp.json()["data"][0]
    assert node["backup_storage"] == "local" and isinstance(node["cluster"], str)
