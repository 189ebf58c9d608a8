"""Proxmox VM status records -> hostdeck models. Numbers are parsed leniently (PVE may send "12" or 12)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ProtocolError
from ..errors import ValidationError
from ..models import Server
from ..models import ServerStatus

MIB, GIB = 1 << 20, 1 << 30


def num(value: Any, default: float = 0.0) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def whole(value: Any) -> int:
    return int(num(value))


def normalise(status: Any, qmpstatus: Any = None) -> ServerStatus:
    """README table: running/running -> running, stopped -> off, running with any other qmpstatus -> unknown."""
    if status == "stopped":
        return ServerStatus.OFF
    if status == "running":
        return ServerStatus.RUNNING if qmpstatus in (None, "", "running") else ServerStatus.UNKNOWN
    return ServerStatus.UNKNOWN


def raw_status(status: Any, qmpstatus: Any = None) -> str:
    status = str(status or "unknown")
    return status if qmpstatus in (None, "", status) else f"{status} ({qmpstatus})"


def server_id(node: str, vmid: int | str) -> str:
    return f"{node}/{vmid}"


def split_id(ref: str, *, backend: str | None = None) -> tuple[str, int]:
    node, sep, vmid = str(ref).rpartition("/")
    if not sep or not node or not vmid.isdigit():
        raise ValidationError(f"{ref!r} is not a Proxmox server id; expected node/vmid, e.g. pve1/104.", backend=backend,
                              operation="parse server id")
    return node, int(vmid)


@dataclass(slots=True, frozen=True)
class LiveState:
    """What `status/current` says about one VM right now (bytes, seconds, cpu as a fraction of its cores)."""

    node: str
    vmid: int
    name: str
    status: ServerStatus
    raw_status: str
    qmpstatus: str | None
    cpu: float
    mem: int
    maxmem: int
    uptime: int
    lock: str | None = None
    agent: bool = False     # the guest agent is enabled in the VM config (not that it runs)

    @property
    def server_id(self) -> str:
        return server_id(self.node, self.vmid)

    @property
    def running(self) -> bool:
        return self.status is ServerStatus.RUNNING


def _vmid(raw: Any, backend: str) -> int:
    vmid = raw.get("vmid") if isinstance(raw, dict) else None
    try:
        return int(str(vmid))
    except (TypeError, ValueError):
        raise ProtocolError("a VM record has no valid vmid.", backend=backend, operation="parse vm") from None


def parse_live(node: str, raw: dict[str, Any], *, backend: str = "proxmox", vmid: int | None = None) -> LiveState:
    if not isinstance(raw, dict):
        raise ProtocolError("the VM status is not an object.", backend=backend, operation="parse vm status")
    status, qmp = raw.get("status"), raw.get("qmpstatus")
    vmid = _vmid(raw, backend) if "vmid" in raw or vmid is None else vmid
    return LiveState(node=node, vmid=vmid,
                     name=str(raw.get("name") or ""), status=normalise(status, qmp), raw_status=raw_status(status, qmp),
                     qmpstatus=qmp, cpu=num(raw.get("cpu")), mem=whole(raw.get("mem")), maxmem=whole(raw.get("maxmem")),
                     uptime=whole(raw.get("uptime")), lock=raw.get("lock") or None, agent=bool(whole(raw.get("agent"))))


def parse_vm(backend: str, node: str, raw: dict[str, Any]) -> Server:
    vmid = _vmid(raw, backend)
    status, qmp = raw.get("status"), raw.get("qmpstatus")
    cpus = raw.get("cpus", raw.get("maxcpu"))
    maxmem, maxdisk = raw.get("maxmem"), raw.get("maxdisk")
    return Server(
        backend=backend,
        id=server_id(node, vmid),
        name=str(raw.get("name") or f"VM {vmid}"),
        status=normalise(status, qmp),
        raw_status=raw_status(status, qmp),
        location=node,
        cores=round(num(cpus)) if cpus is not None else None,
        memory_mb=whole(maxmem) // MIB if maxmem is not None else None,
        disk_gb=whole(maxdisk) // GIB if maxdisk is not None else None,
        labels={tag: "" for tag in str(raw.get("tags") or "").split(";") if tag},
        locked=bool(raw.get("lock")),
        raw={**raw, "node": node, "vmid": vmid, "cpu": num(raw.get("cpu")), "mem": whole(raw.get("mem")),
             "maxmem": whole(maxmem), "uptime": whole(raw.get("uptime"))},
    )


def task_done(task: dict[str, Any]) -> bool:
    return task.get("status") == "stopped"


def task_ok(task: dict[str, Any]) -> tuple[bool, str]:
    """(succeeded, note): "OK" succeeds; "WARNINGS: N" succeeds with a note; anything else is the error text."""
    exitstatus = str(task.get("exitstatus") or "").strip()
    if exitstatus == "OK":
        return True, ""
    if exitstatus.upper().startswith("WARNINGS"):
        return True, f"finished with {exitstatus.lower()} (see the task log in Proxmox)"
    return False, exitstatus or "the task ended without an exit status"
