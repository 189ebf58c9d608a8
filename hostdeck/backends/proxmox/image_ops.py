"""Taking, listing and deleting snapshots and vzdump backups of one VM, each task followed to its end.

Snapshots live in the VM's config (`qemu/{vmid}/snapshot`); backups are archives on a storage that holds "backup"
content (`vzdump`, then the storage's content list). A locked VM (a backup, migration or snapshot running) is refused
before anything is sent, as power actions are.
"""

from __future__ import annotations

from typing import Any

from ..contract import ProgressFn
from ..errors import BackendError
from ..errors import ConflictError
from ..errors import NotFoundError
from ..errors import ValidationError
from ..operations import Image
from .api import PveClient
from .errors import locked_refusal
from .images import ImageRef
from .images import new_snapname
from .images import parse_backups
from .images import parse_snapshots
from .images import snapname_problem
from .parse import parse_live

BACKUP_MODE = "snapshot"      # vzdump's live mode: the VM keeps running
BACKUP_COMPRESS = "zstd"


async def backup_storages(client: PveClient) -> list[dict[str, Any]]:
    """The node's active, enabled storages that hold backups."""
    rows = await client.storages("backup")
    return [r for r in rows if r.get("storage") and r.get("active", 1) not in (0, "0") and r.get("enabled", 1) not in (0, "0")]


async def node_backups(backend: str, client: PveClient) -> list[tuple[bool, Image]]:
    """Every VM backup on the node's backup storages, each with whether its storage is shared (seen from every node)."""
    out = []
    for row in await backup_storages(client):
        content = await client.storage_content(str(row["storage"]), content="backup")
        shared = row.get("shared") not in (None, 0, "0", False)
        out += [(shared, image) for image in parse_backups(backend, client.node, content)]
    return out


class VmImages:
    """The image operations of one VM through its node's client."""

    def __init__(self, backend: str, client: PveClient, vmid: int, *, task_timeout: float) -> None:
        self.backend = backend
        self.client = client
        self.vmid = int(vmid)
        self.task_timeout = task_timeout

    @property
    def node(self) -> str:
        return self.client.node

    async def check_unlocked(self, operation: str) -> None:
        live = parse_live(self.node, await self.client.status(self.vmid), backend=self.backend, vmid=self.vmid)
        if live.lock:
            raise locked_refusal(self.vmid, live.lock, operation, self.backend)

    async def snapshots(self) -> list[Image]:
        return parse_snapshots(self.backend, self.node, self.vmid, await self.client.snapshots(self.vmid))

    async def backup_storages(self) -> list[dict[str, Any]]:
        return await backup_storages(self.client)

    async def backups(self) -> list[Image]:
        images: dict[str, Image] = {}
        for row in await self.backup_storages():
            content = await self.client.storage_content(str(row["storage"]), content="backup", vmid=self.vmid)
            for image in parse_backups(self.backend, self.node, content):
                images.setdefault(image.id, image)
        return sorted(images.values(), key=lambda i: (i.created is None, str(i.created), i.id))

    async def take_snapshot(self, description: str | None, progress: ProgressFn | None,
                            snapname: str | None = None) -> Image:
        name = snapname or new_snapname()
        problem = snapname_problem(name)
        if problem:
            raise ValidationError(f"snapshot name {name!r}: {problem}.", backend=self.backend, operation="create snapshot")
        await self.check_unlocked("create snapshot")
        upid = await self.client.create_snapshot(self.vmid, name, description)
        await self.client.wait(upid, verb="snapshot", timeout=self.task_timeout, progress=progress)
        found = [i for i in await self.snapshots() if i.name == name]
        if not found:
            raise BackendError(f"the snapshot task {upid} finished, but VM {self.vmid} lists no snapshot {name!r}.",
                               backend=self.backend, operation="create snapshot")
        return found[0]

    async def take_backup(self, description: str | None, progress: ProgressFn | None, storage: str | None) -> Image:
        await self.check_unlocked("create backup")
        target = storage or await self._default_storage()
        before = {i.id for i in await self.backups()}
        upid = await self.client.vzdump(self.vmid, storage=target, mode=BACKUP_MODE, compress=BACKUP_COMPRESS,
                                        notes=description)
        await self.client.wait(upid, verb="backup", timeout=self.task_timeout, progress=progress)
        new = [i for i in await self.backups() if i.id not in before]
        if not new:
            raise BackendError(f"the backup task {upid} finished, but no new archive of VM {self.vmid} is listed on "
                               f"storage {target}.", backend=self.backend, operation="create backup")
        return new[-1]

    async def _default_storage(self) -> str:
        """Where vzdump writes when the config names no `backup_storage`: "local" (PVE's default dump directory) if it
        holds backups, else the first storage that does."""
        names = [str(r["storage"]) for r in await self.backup_storages()]
        if not names:
            raise ConflictError(f"node {self.node} has no active storage for backups (content \"backup\"): add one in "
                                "Proxmox (Datacenter > Storage), or set backup_storage in the config.",
                                backend=self.backend, operation="create backup", code="no_backup_storage")
        return "local" if "local" in names else names[0]

    async def delete_snapshot(self, snapname: str, progress: ProgressFn | None) -> str:
        if snapname not in {i.name for i in await self.snapshots()}:
            raise NotFoundError(f"VM {self.vmid} on {self.node} has no snapshot {snapname!r}.", backend=self.backend,
                                operation="delete snapshot")
        await self.check_unlocked("delete snapshot")
        upid = await self.client.delete_snapshot(self.vmid, snapname)
        await self.client.wait(upid, verb="delete snapshot", timeout=self.task_timeout, progress=progress)
        return upid


async def delete_backup(backend: str, client: PveClient, ref: ImageRef, *, task_timeout: float,
                        progress: ProgressFn | None) -> str | None:
    """Delete a vzdump archive; the UPID of the task (None when PVE finished at once)."""
    listed = await client.storage_content(ref.storage, content="backup")
    if ref.volid not in {str(r.get("volid")) for r in listed}:
        raise NotFoundError(f"storage {ref.storage} on node {ref.node} has no backup {ref.volid}.", backend=backend,
                            operation="delete backup")
    upid = await client.delete_volume(ref.storage, ref.volid)
    if upid:
        await client.wait(upid, verb="delete backup", timeout=task_timeout, progress=progress)
    return upid
