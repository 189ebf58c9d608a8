"""Hetzner behaviours learned from the vendor's own sources (the OpenAPI description in tests/fixtures/hetzner lists
only name/page/per_page for GET /server_types; hcloud-python's ServerTypeLocation has per-location `available` and
`deprecation`) and from first contact (read-only tokens answer 403), held against the simulator."""

from __future__ import annotations

import json
from datetime import UTC
from datetime import datetime

import httpx
import pytest

from hostdeck.backends.contract import PowerAction
from hostdeck.backends.errors import PermissionDenied
from hostdeck.backends.hetzner.parse import parse_server_type
from hostdeck.backends.models import CatalogKind
from hostdeck.backends.sim.hetzner import HetznerSim
from tests.fixture_paths import FIXTURES

from .hz import READONLY_TOKEN
from .hz import TOKEN
from .hz import make_adapter


def test_the_spec_has_no_sort_on_server_types():
    spec = json.loads((FIXTURES / "hetzner" / "openapi.json").read_text(encoding="utf-8"))
    names = {p.get("name") for p in spec["paths"]["/server_types"]["get"].get("parameters", [])}
    assert "sort" not in names and "sort" in {p.get("name") for p in spec["paths"]["/locations"]["get"]["parameters"]}


def test_a_type_is_priced_only_where_it_can_be_ordered():
    raw = json.loads((FIXTURES / "hetzner" / "learned" / "server_type_locations.json").read_text())["data"]
    item = parse_server_type("hz", raw, now=datetime(2026, 12, 6, tzinfo=UTC))
    assert item.attrs["locations"] == ["fsn1", "ash"]
    assert set(item.attrs["unavailable"]) == {"nbg1", "hel1"} and "2026-04-01" in item.attrs["unavailable"]["hel1"]
    assert item.price_for("nbg1") is None and item.price_for("hel1") is None
    assert item.price_for("fsn1") is not None and item.price_for("ash") is not None
    assert item.attrs["deprecated_in"] == {"ash": "2027-03-01T00:00:00Z"} and not item.deprecated


async def test_catalog_from_the_sim_honours_availability_and_sends_no_sort_on_server_types():
    with HetznerSim(servers=5, seed=3, token=TOKEN, readonly_token=READONLY_TOKEN) as sim:
        refused = httpx.get(sim.base_url + "/server_types", params={"sort": "id:asc"},
                            headers={"Authorization": f"Bearer {TOKEN}"})
        assert refused.status_code == 400 and refused.json()["error"]["code"] == "invalid_input"
        before = len(sim.request_log)
        hz = make_adapter(sim)
        try:
            catalog = await hz.catalog(refresh=True)
        finally:
            await hz.aclose()
        asked = [r for r in sim.request_log[before:] if r["path"] == "/v1/server_types"]
        assert asked and all("sort" not in (r.get("query") or {}) for r in asked)
        types = {i.name: i for i in catalog.items if i.kind is CatalogKind.SERVER_TYPE}
        assert "hil" not in types["ccx33"].attrs["locations"] and types["ccx33"].price_for("hil") is None
        assert types["ccx33"].price_for("fsn1") is not None
        assert types["cpx11"].prices == () and types["cpx11"].deprecated
        assert "fsn1" in types["cx52"].attrs["deprecated_in"] and types["cx52"].price_for("fsn1") is not None


@pytest.mark.parametrize("code", ["token_readonly", "forbidden"])
async def test_a_read_only_token_is_recognised_and_refused_actions_say_so(code):
    with HetznerSim(servers=5, seed=3, token=TOKEN, readonly_token=READONLY_TOKEN, readonly_code=code) as sim:
        assert sim.readonly_token == READONLY_TOKEN
        hz = make_adapter(sim, token=READONLY_TOKEN)
        try:
            report = await hz.test_connection()
            assert report.ok and report.details["token"] == "read-only"
            sid = next(iter(sorted(sim.servers)))
            with pytest.raises(PermissionDenied, match="Read & Write"):
                await hz.power(str(sid), PowerAction.OFF)
        finally:
            await hz.aclose()
