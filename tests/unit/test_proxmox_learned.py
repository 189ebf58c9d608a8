"""Nodes that are down, in the shapes pve-manager gives them (tests/fixtures/proxmox; see the fixtures README)."""

import json

from hostdeck.backends.models import ServerStatus
from hostdeck.backends.proxmox.parse import parse_vm
from tests.fixture_paths import FIXTURES

PVE = FIXTURES / "proxmox"


def load(name: str):
    return json.loads((PVE / f"{name}.json").read_text())["data"]


def test_node_status_is_online_offline_or_unknown():
    nodes = {n["node"]: n for n in load("nodes_one_unknown")}
    assert {n["status"] for n in nodes.values()} == {"online", "offline", "unknown"}
    assert "maxmem" not in nodes["pve2"]       # extract_node_stats: no stats without fresh data


def test_a_guest_of_a_down_node_parses_with_only_id_node_and_status():
    rows = {r["vmid"]: parse_vm("pve", r["node"], r) for r in load("cluster_resources_vm_node_down")}
    assert rows[101].status is ServerStatus.RUNNING
    assert rows[202].status is ServerStatus.UNKNOWN and rows[202].name == "VM 202" and rows[202].memory_mb is None
    assert rows[303].status is ServerStatus.UNKNOWN and rows[303].name == "db-01"
