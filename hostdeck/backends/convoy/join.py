"""Joining Convoy servers to the Proxmox VE backends of their nodes (by node name and VMID).

Convoy's token API has no power control, no live state and no password reset; when a node's Proxmox API is
configured, those go through Proxmox. The Convoy backend names its Proxmox backends in the config:

    [[backends]]
    name = "vps"
    kind = "convoy"
    url = "https://panel.example.com"
    proxmox = "pve"                       # one Proxmox backend for every node, or per node:
    # [backends.proxmox_nodes]
    # pve-fsn-1 = "pve-fsn"
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING
from typing import Any
from typing import cast

from ..config import BackendConfig
from ..errors import BackendError
from ..errors import ConfigError
from ..roles import Hypervisor
from ..roles import Role

if TYPE_CHECKING:
    from ..contract import Adapter
    from ..models import Server


def proxmox_names(config: BackendConfig) -> tuple[str | None, dict[str, str]]:
    default = config.option("proxmox")
    per_node = config.option("proxmox_nodes") or {}
    where = f"backends.{config.name}"
    if default is not None and not isinstance(default, str):
        raise ConfigError("proxmox must name a Proxmox backend.", key=f"{where}.proxmox", fix='write proxmox = "pve".')
    if not isinstance(per_node, dict) or not all(isinstance(v, str) for v in per_node.values()):
        raise ConfigError("proxmox_nodes must map node names to Proxmox backends.", key=f"{where}.proxmox_nodes",
                          fix='write [backends.proxmox_nodes] with lines like pve-fsn-1 = "pve".')
    return default, dict(per_node)


class ProxmoxJoin:
    """Which Proxmox adapter serves which Convoy node, and the live state of their VMs."""

    def __init__(self, convoy: BackendConfig, adapters: dict[str, Adapter]) -> None:
        default, per_node = proxmox_names(convoy)
        self.default: Hypervisor | None = None
        self.per_node: dict[str, Hypervisor] = {}
        for key, name in ([("proxmox", default)] if default else []) + [(f"proxmox_nodes.{n}", b) for n, b in per_node.items()]:
            adapter = adapters.get(name)
            if adapter is None or not adapter.plays(Role.HYPERVISOR):
                known = ", ".join(n for n, a in adapters.items() if a.plays(Role.HYPERVISOR)) or "none configured"
                raise ConfigError(f"{name!r} is not a Proxmox backend (Proxmox backends: {known}).",
                                  key=f"backends.{convoy.name}.{key}",
                                  fix='add a [[backends]] table with kind = "proxmox" and that name, or fix the name.')
            hypervisor = cast(Hypervisor, adapter)   # it plays the role, so it keeps the promise
            if key == "proxmox":
                self.default = hypervisor
            else:
                self.per_node[key.split(".", 1)[1]] = hypervisor
        self.last_error: str | None = None

    @property
    def active(self) -> bool:
        return self.default is not None or bool(self.per_node)

    @property
    def adapters(self) -> list[Hypervisor]:
        found = ([self.default] if self.default else []) + list(self.per_node.values())
        return list({id(a): a for a in found}.values())

    def for_node(self, node: str | None) -> Hypervisor | None:
        if not node:
            return None
        if node in self.per_node:
            return self.per_node[node]
        if self.default is not None and self.default.serves_node(node):
            return self.default
        return None

    def for_server(self, server: Server) -> Hypervisor | None:
        return self.for_node(server.raw.get("node"))

    async def live_states(self) -> dict[tuple[str, int], dict[str, Any]]:
        """{(node, vmid): Proxmox VM record} from every joined backend. A failing Proxmox degrades (no live state,
        `last_error` says why); it never fails the Convoy list."""
        results = await asyncio.gather(*(a.list_servers() for a in self.adapters), return_exceptions=True)
        states: dict[tuple[str, int], dict[str, Any]] = {}
        errors = []
        for adapter, result in zip(self.adapters, results):
            if isinstance(result, BackendError):
                errors.append(f"{adapter.name}: {result.message}")
                continue
            if isinstance(result, BaseException):
                raise result
            for vm in result:
                node, vmid = vm.raw.get("node"), vm.raw.get("vmid")
                if node is not None and vmid is not None:
                    states[(str(node), int(vmid))] = vm.raw
        self.last_error = "; ".join(errors) or None
        return states
