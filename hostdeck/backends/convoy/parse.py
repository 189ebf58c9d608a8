"""Convoy API records -> hostdeck models. Lenient where the API is (nulls, numbers as strings, missing includes)."""

from __future__ import annotations

import dataclasses
from typing import Any

from ..adapter_base.shapes import as_mapping
from ..errors import ProtocolError
from ..models import CatalogItem
from ..models import CatalogKind
from ..models import Server
from ..models import ServerStatus
from .units import as_int
from .units import bytes_to_gb
from .units import bytes_to_mb

# Convoy's `status` alone. `null` means "installed and normal" and says nothing about power: without the node's
# Proxmox state it is UNKNOWN (see `join_power`).
STATUS = {
    "installing": ServerStatus.INSTALLING,
    "restoring_backup": ServerStatus.INSTALLING,
    "restoring_snapshot": ServerStatus.INSTALLING,
    "suspended": ServerStatus.SUSPENDED,
    "deleting": ServerStatus.STOPPING,
    "install_failed": ServerStatus.ERROR,
    "deletion_failed": ServerStatus.ERROR,
}
BUSY = frozenset({"installing", "restoring_backup", "restoring_snapshot", "deleting"})


def unwrap(include: Any) -> dict[str, Any] | None:
    """An include is `{"data": {...}}` (Fractal); tolerate a bare object too."""
    if isinstance(include, dict):
        inner = include.get("data", include)
        return inner if isinstance(inner, dict) else None
    return None


def _plan(cpu: int | None, memory_mb: int | None, disk_gb: int | None) -> str | None:
    if cpu is None and memory_mb is None and disk_gb is None:
        return None
    memory = "?" if memory_mb is None else f"{memory_mb // 1024} GB" if memory_mb % 1024 == 0 else f"{memory_mb} MB"
    return f"{cpu if cpu is not None else '?'} vCPU/{memory}/{disk_gb if disk_gb is not None else '?'} GB"


def parse_server(backend: str, raw: dict[str, Any], nodes: dict[int, dict[str, Any]] | None = None) -> Server:
    """`nodes` ({id: node record}) names the node when the record was listed without `include=node`."""
    sid = raw.get("id") if isinstance(raw, dict) else None
    name = raw.get("name") if isinstance(raw, dict) else None
    if sid is None or name is None:
        raise ProtocolError("a server record has no id or name.", backend=backend, operation="parse_server")
    sid = str(sid)          # uuid_short: may be all digits, never an int (leading zeros matter)
    status_value = raw.get("status")
    raw_status = "null" if status_value is None else str(status_value)
    limits = as_mapping(raw.get("limits"))
    by_type = as_mapping(limits.get("addresses"))
    addresses = [a for kind in ("ipv4", "ipv6") for a in (by_type.get(kind) or []) if isinstance(a, dict)]
    node_id = as_int(raw.get("node_id"))
    node = unwrap(raw.get("node")) or ((nodes or {}).get(node_id) if node_id is not None else None)
    user = unwrap(raw.get("user"))
    cpu, memory_mb, disk_gb = as_int(limits.get("cpu")), bytes_to_mb(limits.get("memory")), bytes_to_gb(limits.get("disk"))
    flat = {k: v for k, v in raw.items() if k not in ("node", "user")}
    flat.update({
        "uuid_short": sid,
        "node": node.get("cluster") if node else None,          # the Proxmox node name: the join key with the VMID
        "node_name": node.get("name") if node else None,
        "node_fqdn": node.get("fqdn") if node else None,
        "node_port": as_int(node.get("port")) if node else None,
        "vmid": as_int(raw.get("vmid")),
        "user_email": user.get("email") if user else None,
        "node_record": node,
        "user_record": user,
        "resources": {
            "cpu": cpu, "memory_mb": memory_mb, "disk_gb": disk_gb,
            "bandwidth_gb": bytes_to_gb(limits.get("bandwidth")),   # None = unlimited
            "bandwidth_usage_mb": bytes_to_mb((raw.get("usages") or {}).get("bandwidth")),
            "snapshots": as_int(limits.get("snapshots")), "backups": as_int(limits.get("backups")),
        },
        "addresses": addresses,
    })
    ipv4 = next((a.get("address") for a in addresses if a.get("type") == "ipv4"), None)
    ipv6 = next((a.get("address") for a in addresses if a.get("type") == "ipv6"), None)
    labels = {"user_id": str(raw.get("user_id"))} if raw.get("user_id") is not None else {}
    if user and user.get("email"):
        labels["user"] = str(user["email"])
    return Server(
        backend=backend, id=sid, name=str(name),
        status=STATUS.get(raw_status, ServerStatus.UNKNOWN), raw_status=raw_status,
        ipv4=ipv4, ipv6=ipv6, plan=_plan(cpu, memory_mb, disk_gb),
        location=(node.get("name") if node else None) or (f"node {node_id}" if node_id is not None else None),
        cores=cpu, memory_mb=memory_mb, disk_gb=disk_gb, labels=labels,
        locked=raw_status in BUSY, raw=flat,
    )


def join_power(server: Server, pve_status: str | None, qmpstatus: str | None = None) -> Server:
    """The README's join: Convoy `null` + Proxmox running/stopped -> running/off. Any other Convoy status wins."""
    if server.raw_status != "null" or pve_status is None:
        return server
    if pve_status == "running":
        status = ServerStatus.RUNNING if qmpstatus in (None, "running") else ServerStatus.UNKNOWN
    elif pve_status == "stopped":
        status = ServerStatus.OFF
    else:
        status = ServerStatus.UNKNOWN
    return dataclasses.replace(server, status=status, raw={**server.raw, "pve_status": pve_status, "qmpstatus": qmpstatus})


# ----------------------------------------------------------------------------- catalog


def parse_node(backend: str, raw: dict[str, Any]) -> CatalogItem:
    def mb(key: str) -> int | None:
        return bytes_to_mb(raw.get(key))

    def gb(key: str) -> int | None:
        return bytes_to_gb(raw.get(key))

    def capacity(total: int | None, over: Any) -> int | None:
        percent = as_int(over) or 0
        return None if total is None else int(total * (1 + percent / 100))

    memory_cap, disk_cap = capacity(mb("memory"), raw.get("memory_overallocate")), capacity(gb("disk"), raw.get("disk_overallocate"))
    memory_alloc, disk_alloc = mb("memory_allocated"), gb("disk_allocated")
    return CatalogItem(
        backend=backend, kind=CatalogKind.NODE, id=str(raw.get("id")), name=str(raw.get("name") or raw.get("id")),
        description=f"Proxmox node {raw.get('cluster')} at {raw.get('fqdn')}:{raw.get('port')}",
        attrs={
            "cluster": raw.get("cluster"), "fqdn": raw.get("fqdn"), "port": as_int(raw.get("port")),
            "location_id": as_int(raw.get("location_id")), "servers_count": as_int(raw.get("servers_count")),
            "memory_mb": mb("memory"), "memory_capacity_mb": memory_cap, "memory_allocated_mb": memory_alloc,
            "memory_free_mb": None if memory_cap is None or memory_alloc is None else memory_cap - memory_alloc,
            "disk_gb": gb("disk"), "disk_capacity_gb": disk_cap, "disk_allocated_gb": disk_alloc,
            "disk_free_gb": None if disk_cap is None or disk_alloc is None else disk_cap - disk_alloc,
            "memory_overallocate": as_int(raw.get("memory_overallocate")),
            "disk_overallocate": as_int(raw.get("disk_overallocate")),
        },
    )


def parse_templates(backend: str, node: dict[str, Any], groups: list[dict[str, Any]]) -> list[CatalogItem]:
    items = []
    for group in groups:
        templates = (group.get("templates") or {}).get("data") if isinstance(group.get("templates"), dict) else group.get("templates")
        for t in templates or []:
            if not isinstance(t, dict) or not t.get("uuid"):
                continue
            items.append(CatalogItem(
                backend=backend, kind=CatalogKind.TEMPLATE, id=str(t["uuid"]), name=str(t.get("name") or t["uuid"]),
                description=f"{group.get('name')} on {node.get('name')}",
                deprecated=bool(t.get("hidden") or group.get("hidden")),
                attrs={"uuid": t["uuid"], "group": group.get("name"), "group_uuid": group.get("uuid"),
                       "node_id": as_int(node.get("id")), "node": node.get("name"), "vmid": as_int(t.get("vmid")),
                       "hidden": bool(t.get("hidden") or group.get("hidden"))},
            ))
    return items


def parse_ip_pools(backend: str, node: dict[str, Any], addresses: list[dict[str, Any]], *,
                   listed: int = 1000) -> list[CatalogItem]:
    """One item per node and address type: how many are free, and (up to `listed` of) the free ones."""
    items = []
    for kind, label in (("ipv4", "IPv4"), ("ipv6", "IPv6")):
        rows = [a for a in addresses if a.get("type") == kind]
        if not rows:
            continue
        free = [{"id": as_int(a.get("id")), "address": a.get("address"), "cidr": as_int(a.get("cidr")),
                 "gateway": a.get("gateway"), "pool_id": as_int(a.get("address_pool_id"))}
                for a in rows if a.get("server_id") is None]
        items.append(CatalogItem(
            backend=backend, kind=CatalogKind.IP_POOL, id=f"{node.get('id')}:{kind}",
            name=f"{node.get('name')} {label}", description=f"{len(free)} of {len(rows)} {label} addresses free",
            attrs={"node_id": as_int(node.get("id")), "node": node.get("name"), "type": kind, "total": len(rows),
                   "free_count": len(free), "free": free[:listed]},
        ))
    return items


def parse_catalog(backend: str, raw: dict[str, Any]) -> list[CatalogItem]:
    """`raw`: {"nodes": [...], "template_groups": {node id: [...]}, "addresses": {node id: [...]}} (keys as strings)."""
    nodes = [n for n in raw.get("nodes") or [] if isinstance(n, dict)]
    items = [parse_node(backend, n) for n in nodes]
    for node in nodes:
        key = str(node.get("id"))
        items += parse_templates(backend, node, (raw.get("template_groups") or {}).get(key) or [])
        items += parse_ip_pools(backend, node, (raw.get("addresses") or {}).get(key) or [])
    return items
