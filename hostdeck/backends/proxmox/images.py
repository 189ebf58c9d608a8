"""Proxmox snapshots (`qemu/{vmid}/snapshot`) and vzdump backups (storage content) as hostdeck Images.

Image ids say where the image lives, so it can be deleted without listing first:
- a snapshot is "<node>/<vmid>/<snapname>" (a snapname is a PVE config id: letters, digits, "_" and "-", no ":");
- a backup is "<node>/<volid>", e.g. "pve1/local:backup/vzdump-qemu-104-2026_12_07-01_00_00.vma.zst".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC
from datetime import datetime
from typing import Any

from ..errors import ValidationError
from ..operations import Image
from ..operations import ImageKind
from .parse import num
from .parse import server_id

GIB = float(1 << 30)
SNAPNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{1,39}$")   # pve-configid, maxLength 40
RESERVED = frozenset({"current", "pending"})


@dataclass(frozen=True, slots=True)
class ImageRef:
    kind: ImageKind
    node: str
    vmid: int | None = None       # snapshots
    snapname: str = ""
    volid: str = ""               # backups

    @property
    def storage(self) -> str:
        return self.volid.split(":", 1)[0]


def snapshot_id(node: str, vmid: int, snapname: str) -> str:
    return f"{node}/{vmid}/{snapname}"


def backup_id(node: str, volid: str) -> str:
    return f"{node}/{volid}"


def parse_image_id(image_id: str, *, backend: str | None = None) -> ImageRef:
    node, sep, rest = str(image_id).partition("/")
    if sep and node and ":" in rest and rest.split(":", 1)[0] and rest.split(":", 1)[1]:
        return ImageRef(ImageKind.BACKUP, node, volid=rest)
    vmid, sep2, snapname = rest.partition("/")
    if sep and node and sep2 and vmid.isdigit() and SNAPNAME.match(snapname):
        return ImageRef(ImageKind.SNAPSHOT, node, vmid=int(vmid), snapname=snapname)
    raise ValidationError(f"{image_id!r} is not a Proxmox image id; expected node/vmid/snapname for a snapshot "
                          "(e.g. pve1/104/before-upgrade) or node/volid for a backup "
                          "(e.g. pve1/local:backup/vzdump-qemu-104-….vma.zst).", backend=backend,
                          operation="parse image id")


def new_snapname(now: datetime | None = None) -> str:
    """A snapshot name from the time: "hostdeck-20261207-013045" (a PVE config id, unique to the second)."""
    moment = now or datetime.now(UTC)
    return moment.strftime("hostdeck-%Y%m%d-%H%M%S")


def snapname_problem(snapname: str) -> str | None:
    if snapname.lower() in RESERVED:
        return f"{snapname!r} is a reserved name in Proxmox"
    if not SNAPNAME.match(snapname):
        return "a snapshot name is 2 to 40 letters, digits, '_' or '-', starting with a letter"
    return None


def _when(value: Any) -> datetime | None:
    seconds = num(value, default=-1.0)
    return datetime.fromtimestamp(seconds, UTC) if seconds >= 0 else None


def parse_snapshots(backend: str, node: str, vmid: int, rows: list[dict[str, Any]],
                    owner: str | None = None) -> list[Image]:
    """The snapshot list without its "current" entry (the VM's present state), oldest first."""
    images = []
    for row in rows:
        name = str(row.get("name") or "")
        if not name or name == "current":
            continue
        images.append(Image(backend=backend, id=snapshot_id(node, vmid, name), name=name, kind=ImageKind.SNAPSHOT,
                            description=str(row.get("description") or "").strip(), created=_when(row.get("snaptime")),
                            server_id=owner or server_id(node, vmid)))
    return sorted(images, key=lambda i: (i.created is None, i.created or datetime.min.replace(tzinfo=UTC), i.name))


def parse_backups(backend: str, node: str, rows: list[dict[str, Any]], owners: dict[int, str] | None = None) -> list[Image]:
    """vzdump archives of VMs (`subtype` qemu, or a `vzdump-qemu-` file) from a storage's backup content."""
    images = []
    for row in rows:
        volid = str(row.get("volid") or "")
        vmid = row.get("vmid")
        if not volid or row.get("content", "backup") != "backup" or vmid is None:
            continue
        if row.get("subtype", "qemu") != "qemu" and "vzdump-qemu-" not in volid:
            continue
        size = row.get("size", row.get("approximate-size"))
        vm = int(num(vmid))
        owner = (owners or {}).get(vm, server_id(node, vm))
        images.append(Image(backend=backend, id=backup_id(node, volid), name=volid.split("/")[-1], kind=ImageKind.BACKUP,
                            description=str(row.get("notes") or "").strip(), created=_when(row.get("ctime")),
                            size_gb=round(num(size) / GIB, 2) if size is not None else None, server_id=owner,
                            protected=bool(num(row.get("protected")))))
    return sorted(images, key=lambda i: (i.created is None, i.created or datetime.min.replace(tzinfo=UTC), i.id))
