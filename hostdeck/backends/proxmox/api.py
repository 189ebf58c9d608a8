"""The Proxmox VE calls hostdeck makes, per node, on the shared HTTP core (over `transport.PveTransport`)."""

from __future__ import annotations

import asyncio
import time
from typing import Any
from typing import TypeVar
from typing import overload
from urllib.parse import quote

from ..contract import ProgressFn
from ..errors import BackendError
from ..errors import ProtocolError
from ..http import HttpCore
from ..http import Reply
from ..models import ActionProgress
from .errors import READ_RETRY_CODES
from .errors import task_error
from .parse import task_done
from .parse import task_ok

T = TypeVar("T")


@overload
def _data(reply: Reply, operation: str, backend: str, kind: type[T]) -> T: ...
@overload
def _data(reply: Reply, operation: str, backend: str, kind: None = None) -> Any: ...
def _data(reply: Reply, operation: str, backend: str, kind: type | None = None) -> Any:
    body = reply.data
    if not isinstance(body, dict) or "data" not in body:
        raise ProtocolError(f"{operation}: the answer has no 'data' envelope.", backend=backend, operation=operation)
    data = body["data"]
    if kind is not None and not isinstance(data, kind):
        want = kind.__name__
        raise ProtocolError(f"{operation}: 'data' is {type(data).__name__}, expected {want}.", backend=backend,
                            operation=operation)
    return data


class PveClient:
    """The calls for one node, through an HttpCore pointed at a cluster member."""

    def __init__(self, http: HttpCore, node: str, *, poll_initial: float = 1.0, poll_max: float = 5.0) -> None:
        self.http = http
        self.node = node
        self.poll_initial = poll_initial
        self.poll_max = poll_max

    @property
    def backend(self) -> str:
        return self.http.backend

    def vm_path(self, vmid: int, suffix: str = "") -> str:
        return f"/nodes/{quote(self.node, safe='')}/qemu/{int(vmid)}{suffix}"

    async def _get(self, path: str, operation: str, kind: type[T], *, params: dict[str, Any] | None = None,
                   timeout: float | None = None) -> T:
        reply = await self.http.request("GET", path, operation=operation, params=params, retry_codes=READ_RETRY_CODES,
                                        timeout=timeout)
        return _data(reply, operation, self.backend, kind)

    # reads ------------------------------------------------------------------------------
    async def version(self, timeout: float | None = None) -> dict[str, Any]:
        return await self._get("/version", "connection test", dict, timeout=timeout)

    async def nodes(self) -> list[dict[str, Any]]:
        return await self._get("/nodes", "list nodes", list)

    async def cluster_vms(self) -> list[dict[str, Any]]:
        """Every guest of the cluster, as this member sees it; guests of a node that is down have status "unknown"
        (pve-manager PVE/API2Tools.pm `extract_vm_stats`)."""
        return await self._get("/cluster/resources", "list cluster guests", list, params={"type": "vm"})

    async def vms(self) -> list[dict[str, Any]]:
        # full=1 adds qmpstatus, which tells a paused guest from a running one
        return await self._get(f"/nodes/{quote(self.node, safe='')}/qemu", f"list VMs on {self.node}", list,
                               params={"full": 1})

    async def status(self, vmid: int) -> dict[str, Any]:
        return await self._get(self.vm_path(vmid, "/status/current"), f"read VM {vmid} status", dict)

    async def task(self, upid: str) -> dict[str, Any]:
        return await self._get(f"/nodes/{quote(self.node, safe='')}/tasks/{quote(upid, safe='')}/status",
                               "read task status", dict)

    async def agent_osinfo(self, vmid: int) -> dict[str, Any]:
        data = await self._get(self.vm_path(vmid, "/agent/get-osinfo"), "read guest OS", dict)
        result = data.get("result")
        return result if isinstance(result, dict) else {}

    async def snapshots(self, vmid: int) -> list[dict[str, Any]]:
        """The VM's snapshots plus the entry "current" (the running state, not a snapshot)."""
        return await self._get(self.vm_path(vmid, "/snapshot"), f"list snapshots of VM {vmid}", list)

    async def storages(self, content: str) -> list[dict[str, Any]]:
        """The node's storages that hold this content type (e.g. "backup")."""
        return await self._get(f"/nodes/{quote(self.node, safe='')}/storage", "list storages", list,
                               params={"content": content})

    async def storage_content(self, storage: str, *, content: str, vmid: int | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"content": content}
        if vmid is not None:
            params["vmid"] = int(vmid)
        return await self._get(f"/nodes/{quote(self.node, safe='')}/storage/{quote(storage, safe='')}/content",
                               f"list {content} on {storage}", list, params=params)

    async def rrddata(self, vmid: int, timeframe: str) -> list[dict[str, Any]]:
        return await self._get(self.vm_path(vmid, "/rrddata"), f"read VM {vmid} statistics", list,
                               params={"timeframe": timeframe, "cf": "AVERAGE"})

    # actions ----------------------------------------------------------------------------
    async def task_call(self, method: str, path: str, operation: str, form: dict[str, Any] | None = None) -> str:
        """A call that starts a task and answers its UPID; never resent after an ambiguous failure."""
        reply = await self.http.request(method, path, operation=operation, form=form or None, safe=False)
        upid = _data(reply, operation, self.backend, str)
        if not upid.startswith("UPID:"):
            raise ProtocolError(f"{operation}: the answer is not a task id (UPID).", backend=self.backend,
                                operation=operation)
        return upid

    async def create_snapshot(self, vmid: int, snapname: str, description: str | None) -> str:
        form = {"snapname": snapname, **({"description": description} if description else {})}
        return await self.task_call("POST", self.vm_path(vmid, "/snapshot"), "create snapshot", form)

    async def delete_snapshot(self, vmid: int, snapname: str) -> str:
        return await self.task_call("DELETE", self.vm_path(vmid, f"/snapshot/{quote(snapname, safe='')}"),
                                    "delete snapshot")

    async def vzdump(self, vmid: int, *, storage: str | None, mode: str, compress: str, notes: str | None) -> str:
        form: dict[str, Any] = {"vmid": str(int(vmid)), "mode": mode, "compress": compress}
        if storage:
            form["storage"] = storage
            if notes:   # the schema: notes-template requires storage
                form["notes-template"] = notes
        return await self.task_call("POST", f"/nodes/{quote(self.node, safe='')}/vzdump", "create backup", form)

    async def delete_volume(self, storage: str, volid: str) -> str | None:
        """DELETE a storage volume: a UPID (the task deleting it), or null when it finished at once."""
        path = f"/nodes/{quote(self.node, safe='')}/storage/{quote(storage, safe='')}/content/{quote(volid, safe='')}"
        reply = await self.http.request("DELETE", path, operation="delete backup", safe=False)
        data = _data(reply, "delete backup", self.backend)
        if data is not None and not (isinstance(data, str) and data.startswith("UPID:")):
            raise ProtocolError("delete backup: the answer is neither a task id nor null.", backend=self.backend,
                                operation="delete backup")
        return data

    async def power(self, vmid: int, command: str, params: dict[str, Any] | None = None) -> str:
        """POST status/<command>; never resent after an ambiguous failure (the caller reconciles)."""
        reply = await self.http.request("POST", self.vm_path(vmid, f"/status/{command}"), operation=command,
                                        form=params or None, safe=False)
        upid = _data(reply, command, self.backend, str)
        if not upid.startswith("UPID:"):
            raise ProtocolError(f"{command}: the answer is not a task id (UPID).", backend=self.backend, operation=command)
        return upid

    async def agent_ping(self, vmid: int) -> None:
        # a POST that changes nothing: resending it is harmless
        reply = await self.http.request("POST", self.vm_path(vmid, "/agent/ping"), operation="guest agent ping", safe=True)
        _data(reply, "guest agent ping", self.backend)

    async def set_user_password(self, vmid: int, username: str, password: str) -> None:
        reply = await self.http.request("POST", self.vm_path(vmid, "/agent/set-user-password"),
                                        operation="set user password", form={"username": username, "password": password},
                                        safe=False)
        _data(reply, "set user password", self.backend)

    async def set_cipassword(self, vmid: int, password: str) -> None:
        """PUT config (the synchronous variant) with `cipassword`: the cloud-init password, which a cloud-init
        regeneration applies again. Setting the same value twice is harmless, so it may be resent."""
        reply = await self.http.request("PUT", self.vm_path(vmid, "/config"), operation="store cloud-init password",
                                        form={"cipassword": password}, safe=True)
        _data(reply, "store cloud-init password", self.backend)

    async def set_options(self, vmid: int, form: dict[str, Any], operation: str) -> None:
        """PUT config (synchronous) with options that are the same when set twice, so it may be resent."""
        reply = await self.http.request("PUT", self.vm_path(vmid, "/config"), operation=operation, form=form, safe=True)
        _data(reply, operation, self.backend)

    async def wait(self, upid: str, *, verb: str, timeout: float, progress: ProgressFn | None = None) -> dict[str, Any]:
        """Follow a task until it stops; a failed task raises with its exit status. Returns the final task."""
        deadline = time.monotonic() + timeout
        delay = self.poll_initial
        while True:
            try:
                task = await self.task(upid)
            except BackendError as exc:
                exc.message = f"the {verb} was sent (task {upid}) but following it failed: {exc.message}"
                raise
            if task_done(task):
                ok, note = task_ok(task)
                if progress:
                    progress(ActionProgress(id=upid, command=verb, status="success" if ok else "error",
                                            progress=100, error=None if ok else note))
                if not ok:
                    raise task_error(note, verb=verb, upid=upid)
                return task
            if progress:
                progress(ActionProgress(id=upid, command=verb, status="running", progress=0))
            if time.monotonic() >= deadline:
                raise BackendError(f"{verb} is still running after {timeout:.0f} s; follow task {upid} in the Proxmox "
                                   "web UI.", backend=self.backend, operation=verb)
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, self.poll_max)
