"""Small clients per Hetzner resource, named like the API (servers, actions, server_types, ...)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from ..adapter_base.paging import FirstPage
from ..adapter_base.paging import PageProgress
from ..adapter_base.paging import read_all
from ..errors import BackendError
from ..errors import ProtocolError
from ..http import HttpCore
from ..http import Reply
from ..models import ActionProgress
from .errors import RETRY_CODES_FOR_ACTIONS

PER_PAGE = 50


def _page(reply: Reply, root: str, operation: str, backend: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    data = reply.data
    if not isinstance(data, dict) or not isinstance(data.get(root), list):
        raise ProtocolError(f"{operation}: the answer has no {root!r} list.", backend=backend, operation=operation)
    pagination = (data.get("meta") or {}).get("pagination")
    if not isinstance(pagination, dict):
        raise ProtocolError(f"{operation}: the answer has no meta.pagination, so the list cannot be known to be complete.",
                            backend=backend, operation=operation)
    return data[root], pagination


async def list_all(http: HttpCore, path: str, root: str, *, operation: str, params: dict[str, Any] | None = None,
                   progress: PageProgress | None = None, sortable: bool = True) -> list[dict[str, Any]]:
    """Every item of a paged collection: page 1, then the rest concurrently; complete or an error. `sortable=False`
    for collections without a `sort` parameter (`/server_types`: the spec lists only name, page, per_page)."""
    base = dict(params or {})
    if sortable:
        base.setdefault("sort", "id:asc")
    base["per_page"] = PER_PAGE

    async def page(n: int) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        reply = await http.request("GET", path, operation=operation, params={**base, "page": n})
        return _page(reply, root, operation, http.backend)

    async def first() -> FirstPage[int]:
        items, pagination = await page(1)
        last_page, total = pagination.get("last_page"), pagination.get("total_entries")
        if last_page:
            return FirstPage(items, range(2, last_page + 1), total)
        next_page = pagination.get("next_page")   # no last_page: follow next_page, one page after another
        while next_page:
            more, pagination = await page(next_page)
            items = items + more
            next_page = pagination.get("next_page")
        return FirstPage(items, (), total, counted=False)

    async def rest(n: int) -> list[dict[str, Any]]:
        return (await page(n))[0]

    return await read_all(first, rest, key=lambda item: item.get("id"), operation=operation, backend=http.backend,
                          progress=progress)


class ActionsClient:
    def __init__(self, http: HttpCore, poll_initial: float = 1.0, poll_max: float = 5.0) -> None:
        self.http = http
        self.poll_initial = poll_initial
        self.poll_max = poll_max

    async def get(self, ids: list[int | str]) -> list[dict[str, Any]]:
        reply = await self.http.request("GET", "/actions", operation="get actions", params=[("id", i) for i in ids])
        actions = reply.data.get("actions") if isinstance(reply.data, dict) else None
        if not isinstance(actions, list):
            raise ProtocolError("get actions: the answer has no 'actions' list.", backend=self.http.backend)
        return actions

    async def wait(self, action: dict[str, Any], *, timeout: float = 300.0,
                   progress: Callable[[ActionProgress], None] | None = None) -> dict[str, Any]:
        """Follow an action until success or error; a failed action raises with its message."""
        deadline = time.monotonic() + timeout
        delay = self.poll_initial
        current = action
        while True:
            status = current.get("status")
            if progress:
                progress(ActionProgress(id=str(current.get("id")), command=str(current.get("command")),
                                        status=str(status), progress=int(current.get("progress") or 0),
                                        error=(current.get("error") or {}).get("message")))
            if status == "success":
                return current
            if status == "error":
                err = current.get("error") or {}
                raise BackendError(f"{str(current.get('command')).replace('_', ' ')} failed: {err.get('message') or 'no reason given'} "
                                   f"(action {current.get('id')}).", backend=self.http.backend,
                                   operation=str(current.get("command")), code=err.get("code"))
            if time.monotonic() >= deadline:
                raise BackendError(f"{current.get('command')} is still running after {timeout:.0f} s; follow action "
                                   f"{current.get('id')} in the Hetzner console.", backend=self.http.backend,
                                   operation=str(current.get("command")))
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, self.poll_max)
            found = await self.get([current["id"]])
            if not found:
                raise ProtocolError(f"action {current.get('id')} disappeared while it was followed.", backend=self.http.backend)
            current = found[0]


class ServersClient:
    def __init__(self, http: HttpCore) -> None:
        self.http = http

    async def get_all(self, progress: PageProgress | None = None, **params: Any) -> list[dict[str, Any]]:
        return await list_all(self.http, "/servers", "servers", operation="list servers", params=params, progress=progress)

    async def get_by_id(self, server_id: int | str) -> dict[str, Any]:
        reply = await self.http.request("GET", f"/servers/{server_id}", operation="get server")
        return _root(reply, "server", self.http.backend)

    async def get_by_name(self, name: str) -> dict[str, Any] | None:
        reply = await self.http.request("GET", "/servers", operation="find server by name", params={"name": name})
        items, _ = _page(reply, "servers", "find server by name", self.http.backend)
        return items[0] if items else None

    async def create(self, body: dict[str, Any]) -> dict[str, Any]:
        # Resent only when the failure proves nothing was made (429, conflict); the caller reconciles the rest.
        reply = await self.http.request("POST", "/servers", operation="create server", json_body=body, expect=(201,),
                                        retry_codes=frozenset({"conflict"}))
        created: dict[str, Any] = reply.data   # checked by the caller (server, action, root_password)
        return created

    async def delete(self, server_id: int | str) -> dict[str, Any]:
        reply = await self.http.request("DELETE", f"/servers/{server_id}", operation="delete server", expect=(200,), safe=False)
        return _root(reply, "action", self.http.backend)

    async def action(self, server_id: int | str, command: str, *, retry_safe: bool = True) -> dict[str, Any]:
        reply = await self.http.request(
            "POST", f"/servers/{server_id}/actions/{command}", operation=command.replace("_", " "), expect=(201,),
            retry_codes=RETRY_CODES_FOR_ACTIONS if retry_safe else frozenset())
        _root(reply, "action", self.http.backend)
        answer: dict[str, Any] = reply.data    # a dict: _root found its "action" object
        return answer


class CatalogClient:
    """server_types, locations and images: read together for the catalog."""

    def __init__(self, http: HttpCore) -> None:
        self.http = http

    async def server_types(self) -> list[dict[str, Any]]:
        return await list_all(self.http, "/server_types", "server_types", operation="list server types", sortable=False)

    async def locations(self) -> list[dict[str, Any]]:
        return await list_all(self.http, "/locations", "locations", operation="list locations")

    async def images(self) -> list[dict[str, Any]]:
        return await list_all(self.http, "/images", "images", operation="list images")

    async def ssh_keys(self) -> list[dict[str, Any]]:
        return await list_all(self.http, "/ssh_keys", "ssh_keys", operation="list ssh keys")


def _root(reply: Reply, key: str, backend: str) -> dict[str, Any]:
    data = reply.data
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        raise ProtocolError(f"the answer has no {key!r} object.", backend=backend)
    found: dict[str, Any] = data[key]
    return found


class Day2Client:
    """The calls of the day-2 operations: server actions with a body, images, pricing, metrics, attachments."""

    def __init__(self, http: HttpCore) -> None:
        self.http = http

    async def server_action(self, server_id: int | str, command: str, body: dict[str, Any] | None, *,
                            retry_safe: bool = True) -> dict[str, Any]:
        reply = await self.http.request(
            "POST", f"/servers/{server_id}/actions/{command}", operation=command.replace("_", " "), expect=(201,),
            json_body=body, retry_codes=RETRY_CODES_FOR_ACTIONS if retry_safe else frozenset())
        _root(reply, "action", self.http.backend)
        answer: dict[str, Any] = reply.data
        return answer

    async def update_server(self, server_id: int | str, body: dict[str, Any]) -> dict[str, Any]:
        reply = await self.http.request("PUT", f"/servers/{server_id}", operation="update server", json_body=body,
                                        safe=False)
        return _root(reply, "server", self.http.backend)

    async def find_by_name(self, path: str, root: str, name: str) -> dict[str, Any] | None:
        reply = await self.http.request("GET", path, operation=f"find {root.replace('_', ' ')[:-1]} {name}",
                                        params={"name": name})
        items, _ = _page(reply, root, f"find {name}", self.http.backend)
        return items[0] if items else None

    async def images(self, kind: str, *, bound_to: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"type": kind}
        if bound_to is not None:
            params["bound_to"] = bound_to
        return await list_all(self.http, "/images", "images", operation=f"list {kind} images", params=params)

    async def get_image(self, image_id: int | str) -> dict[str, Any]:
        return _root(await self.http.request("GET", f"/images/{image_id}", operation="get image"), "image",
                     self.http.backend)

    async def delete_image(self, image_id: int | str) -> None:
        await self.http.request("DELETE", f"/images/{image_id}", operation="delete image", expect=(204, 200), safe=False)

    async def pricing(self) -> dict[str, Any]:
        return _root(await self.http.request("GET", "/pricing", operation="get pricing"), "pricing", self.http.backend)

    async def metrics(self, server_id: int | str, kind: str, start: float, end: float) -> dict[str, Any]:
        params = {"type": kind, "start": _rfc3339(start), "end": _rfc3339(end)}
        reply = await self.http.request("GET", f"/servers/{server_id}/metrics", operation=f"{kind} metrics", params=params)
        return _root(reply, "metrics", self.http.backend)

    async def get_optional(self, resource: str, item_id: Any) -> dict[str, Any] | None:
        """/firewalls/{id}, /volumes/{id}: None when it is gone (a stale reference)."""
        from ..errors import NotFoundError

        try:
            reply = await self.http.request("GET", f"/{resource}/{item_id}", operation=f"get {resource[:-1]}")
        except NotFoundError:
            return None
        return _root(reply, resource[:-1], self.http.backend)


def _rfc3339(epoch: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
