"""The simulated Proxmox cluster that the Convoy simulator provisions its servers on.

The Convoy and Proxmox simulators share one Cluster, so a Convoy server exists as a VM on a simulated node
(same node name and VMID) and a power action through Proxmox is what the Convoy row shows next.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from dataclasses import field


@dataclass
class VM:
    vmid: int
    node: str
    name: str
    status: str = "running"          # running | stopped
    cores: int = 1
    memory_bytes: int = 1 << 30
    disk_bytes: int = 10 << 30
    started_at: float | None = field(default_factory=time.time)
    agent_running: bool = True      # QEMU guest agent (needed for set-user-password)
    lock: str | None = None         # e.g. "backup", "migrate": actions are refused while set
    cpu: float = 0.03               # fraction of the cores in use
    mem_used_bytes: int = 0

    @property
    def uptime(self) -> int:
        return int(time.time() - self.started_at) if self.status == "running" and self.started_at else 0


@dataclass
class Node:
    name: str
    cpus: int = 32
    memory_bytes: int = 128 << 30
    disk_bytes: int = 2000 << 30
    online: bool = True
    status_unknown: bool = False     # GET /nodes says "unknown": the node's status daemon is silent, it does not answer


class Cluster:
    def __init__(self, nodes: list[Node] | None = None) -> None:
        self.lock = threading.RLock()
        self.nodes: dict[str, Node] = {n.name: n for n in (nodes or [Node("pve-fsn-1"), Node("pve-fsn-2"), Node("pve-nbg-1")])}
        self.vms: dict[tuple[str, int], VM] = {}
        self._next_vmid = 100

    def next_vmid(self) -> int:
        with self.lock:
            used = {vmid for (_node, vmid) in self.vms}
            while self._next_vmid in used:
                self._next_vmid += 1
            self._next_vmid += 1
            return self._next_vmid - 1

    def add_vm(self, vm: VM) -> VM:
        with self.lock:
            if vm.node not in self.nodes:
                raise KeyError(f"no node {vm.node!r}")
            self.vms[(vm.node, vm.vmid)] = vm
            return vm

    def get_vm(self, node: str, vmid: int) -> VM | None:
        with self.lock:
            return self.vms.get((node, vmid))

    def remove_vm(self, node: str, vmid: int) -> None:
        with self.lock:
            self.vms.pop((node, vmid), None)

    def vms_on(self, node: str) -> list[VM]:
        with self.lock:
            return [vm for (n, _), vm in sorted(self.vms.items()) if n == node]
