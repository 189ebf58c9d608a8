"""The VPS record the panel keeps (shared/api/vpspanel.md) and the mapping from a hostdeck `Server` to it.

Units differ on purpose: `ram_mb` is MB, `disk_gb` is GB (gotcha 1). The panel id is an int, hostdeck server ids are
strings: `id` is only ever the panel's id (gotcha 4); the server a record mirrors is kept in `source`, locally.
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from ..errors import ConflictError
from ..errors import ValidationError
from ..models import Server
from ..models import ServerStatus

STATUSES = ("creating", "running", "stopped", "suspended", "error")
DEFAULT_HYPERVISOR = "proxmox"
# hostdeck status -> panel status. Transitional states (starting, stopping, unknown) are not pushed: the sync waits.
PANEL_STATUS = {ServerStatus.RUNNING: "running", ServerStatus.OFF: "stopped", ServerStatus.INSTALLING: "creating",
                ServerStatus.SUSPENDED: "suspended", ServerStatus.ERROR: "error"}
NAME_MAX, OS_MAX, HYPERVISOR_MAX = 255, 255, 50


@dataclass(slots=True)
class VpsRecord:
    """One VPS as the panel holds it. `wire()` is the `vps` object of a create or update."""

    user_id: int                      # the panel user (customer) who owns it
    name: str                         # hostname or server name, 1-255 characters
    status: str                       # creating | running | stopped | suspended | error
    cpu: int                          # cores
    ram_mb: int                       # MB (`ram` on the wire)
    disk_gb: int                      # GB (`disk` on the wire)
    os: str = "Unknown"
    hypervisor: str = DEFAULT_HYPERVISOR
    id: int | None = None             # the panel's VPS id, once created
    created_at: datetime | None = None
    updated_at: datetime | None = None
    source: tuple[str, str] | None = field(default=None, compare=False)  # (hostdeck backend, server id); never sent

    def wire(self) -> dict[str, Any]:
        return {"user_id": self.user_id, "name": self.name, "status": self.status, "cpu": self.cpu, "ram": self.ram_mb,
                "disk": self.disk_gb, "os": self.os, "hypervisor": self.hypervisor}

    def problems(self) -> dict[str, str]:
        """What the panel would reject, by wire field name; empty when the record can be sent."""
        return check_fields(self.wire())


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_fields(vps: dict[str, Any]) -> dict[str, str]:
    """The contract's types and rules for the `vps` fields present in `vps`, by wire name."""
    found: dict[str, str] = {}
    for name in ("id", "user_id", "cpu", "ram", "disk"):
        if name in vps:
            value = vps[name]
            if not _is_int(value):
                found[name] = f"must be a whole number, got {value!r}"
            elif value < 1:
                found[name] = f"must be at least 1, got {value}"
    for name, limit in (("name", NAME_MAX), ("os", OS_MAX), ("hypervisor", HYPERVISOR_MAX)):
        if name in vps:
            value = vps[name]
            if not isinstance(value, str) or not 1 <= len(value) <= limit:
                found[name] = f"must be text of 1 to {limit} characters, got {value!r}"
    if "status" in vps and vps["status"] not in STATUSES:
        found["status"] = f"must be one of {', '.join(STATUSES)}, got {vps['status']!r}"
    return found


def panel_status(status: ServerStatus) -> str | None:
    """The panel status for a hostdeck status; None for a transitional state, which is not pushed."""
    return PANEL_STATUS.get(status)


def os_of(server: Server) -> str:
    """Hetzner: `image.description`, else `os_flavor os_version`; others (Convoy does not expose its template): none."""
    image = server.raw.get("image") if isinstance(server.raw, dict) else None
    if isinstance(image, dict):
        if image.get("description"):
            return str(image["description"])[:OS_MAX]
        flavor = " ".join(str(image[k]) for k in ("os_flavor", "os_version") if image.get(k))
        if flavor:
            return flavor[:OS_MAX]
    return "Unknown"


def record_for(server: Server, panel_user_id: int, *, os: str | None = None, status: str | None = None,
               hypervisor: str = DEFAULT_HYPERVISOR, panel_id: int | None = None) -> VpsRecord:
    """The panel record mirroring `server` for panel user `panel_user_id`.

    `os`: the template name hostdeck recorded at create time (Convoy) or the WHMCS OS option; else it is read from
    the server (Hetzner image) or "Unknown". `status`: give "creating" for a server just created; by default it is
    the server's state mapped (running->running, off->stopped, installing->creating, suspended, error). A server in
    a transitional state (starting, stopping, unknown) is refused with a ConflictError: the sync waits for a stable
    state. Missing sizes are refused with a ValidationError naming them (the panel requires cpu, ram and disk).
    """
    backend, where = server.backend, f"server {server.name} ({server.backend} {server.id})"
    if status is None:
        status = panel_status(server.status)
        if status is None:
            raise ConflictError(f"{where} is {server.status.value}; the panel is only told about stable states, so the "
                                "sync waits until it is running, off, installing, suspended or in error.",
                                backend=backend, operation="vps record", code="transitional_state")
    hostname = server.raw.get("hostname") if isinstance(server.raw, dict) else None
    record = VpsRecord(user_id=panel_user_id, name=str(hostname or server.name), status=status,
                       cpu=server.cores, ram_mb=server.memory_mb, disk_gb=server.disk_gb,  # type: ignore[arg-type]
                       os=os or os_of(server), hypervisor=hypervisor, id=panel_id, source=server.key)
    unknown = [label for label, value in (("cores", server.cores), ("memory", server.memory_mb), ("disk", server.disk_gb))
               if value is None]
    if unknown:
        raise ValidationError(f"{where}: its {', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not known, and "
                              "the panel needs cpu, ram and disk. Refresh the server list and try again.",
                              backend=backend, operation="vps record", code="incomplete_server")
    problems = record.problems()
    if problems:
        raise ValidationError(f"{where} cannot be sent to the panel: "
                              + "; ".join(f"{k}: {v}" for k, v in problems.items()) + ".",
                              backend=backend, operation="vps record", code="invalid_record", details=problems)
    return record
