"""Small clients per Convoy resource (servers, users, nodes) over the shared HTTP core.

`ConvoyApi` adds what every Convoy call needs: the Fractal envelope checks, complete paged listings (page 1,
then the rest concurrently), and the 302-to-/login that Laravel answers instead of 401 when it does not see JSON.
"""

from __future__ import annotations

from typing import Any

from ..adapter_base.paging import FirstPage
from ..adapter_base.paging import PageProgress
from ..adapter_base.paging import read_all
from ..errors import AuthError
from ..errors import ProtocolError
from ..http import HttpCore
from ..http import Reply
from .units import as_int

PER_PAGE = 100        # Convoy silently caps per_page at 100
ADDRESS_PER_PAGE = 1000


class ConvoyApi:
    def __init__(self, http: HttpCore) -> None:
        self.http = http
        self.backend = http.backend

    async def call(self, method: str, path: str, *, operation: str, params: dict[str, Any] | None = None,
                   json_body: Any = None, expect: tuple[int, ...] = (200,), safe: bool | None = None,
                   reads_only: bool = False) -> Reply:
        try:
            return await self.http.request(method, path, operation=operation, params=params, json_body=json_body,
                                           expect=expect, safe=safe, reads_only=reads_only)
        except ProtocolError as exc:
            if exc.http_status in (301, 302, 303, 307, 308):
                raise AuthError(f"Convoy redirected {operation} to its login page (HTTP {exc.http_status}): it did not "
                                "accept the request as an API call with a valid token. Fix: check the URL points at "
                                f"the panel and set the token with `hostdeck secret set {self.backend} token`.",
                                backend=self.backend, operation=operation, http_status=exc.http_status) from None
            raise

    async def item(self, method: str, path: str, *, operation: str, **kwargs: Any) -> dict[str, Any]:
        reply = await self.call(method, path, operation=operation, **kwargs)
        return data_object(reply, operation, self.backend)

    async def page(self, path: str, *, operation: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
        reply = await self.call("GET", path, operation=operation, params=params)
        return data_page(reply, operation, self.backend)

    async def list_all(self, path: str, *, operation: str, params: dict[str, Any] | None = None,
                       per_page: int = PER_PAGE, progress: PageProgress | None = None) -> list[dict[str, Any]]:
        """Every item of a paged collection: page 1, then pages 2..total_pages concurrently; complete or an error."""
        base = {**(params or {}), "per_page": per_page}

        async def first() -> FirstPage[int]:
            items, pagination = await self.page(path, operation=operation, params={**base, "page": 1})
            total, last = as_int(pagination.get("total")), as_int(pagination.get("total_pages"))
            if total is None or last is None or last < 1:
                raise ProtocolError(f"{operation}: meta.pagination has no total/total_pages, so the list cannot be known "
                                    "to be complete.", backend=self.backend, operation=operation)
            return FirstPage(items, range(2, last + 1), total)

        async def rest(n: int) -> list[dict[str, Any]]:
            return (await self.page(path, operation=operation, params={**base, "page": n}))[0]

        return await read_all(first, rest, key=lambda item: item.get("id"), operation=operation, backend=self.backend,
                              progress=progress)


def data_object(reply: Reply, operation: str, backend: str) -> dict[str, Any]:
    data = reply.data.get("data") if isinstance(reply.data, dict) else None
    if not isinstance(data, dict):
        raise ProtocolError(f"{operation}: the answer has no 'data' object.", backend=backend, operation=operation)
    return data


def data_page(reply: Reply, operation: str, backend: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    data = reply.data
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ProtocolError(f"{operation}: the answer has no 'data' list.", backend=backend, operation=operation)
    pagination = (data.get("meta") or {}).get("pagination") if isinstance(data.get("meta"), dict) else None
    if not isinstance(pagination, dict):
        raise ProtocolError(f"{operation}: the answer has no meta.pagination, so the list cannot be known to be complete.",
                            backend=backend, operation=operation)
    return [i for i in data["data"] if isinstance(i, dict)], pagination


class ServersClient:
    def __init__(self, api: ConvoyApi) -> None:
        self.api = api

    async def all(self, progress: PageProgress | None = None, **filters: Any) -> list[dict[str, Any]]:
        params = {"include": "user", **{f"filter[{k}]": v for k, v in filters.items()}}
        return await self.api.list_all("/servers", operation="list servers", params=params, progress=progress)

    async def get(self, server_id: str) -> dict[str, Any]:
        return await self.api.item("GET", f"/servers/{server_id}", operation="get server",
                                   params={"include": "user,node"})

    async def search(self, field: str, value: str) -> list[dict[str, Any]]:
        return await self.api.list_all("/servers", operation="find server", params={f"filter[{field}]": value})

    async def create(self, body: dict[str, Any]) -> dict[str, Any]:
        # Never resent after an ambiguous failure (no idempotency key, names are not unique): the caller reconciles.
        return await self.api.item("POST", "/servers", operation="create server", json_body=body, expect=(200, 201),
                                   safe=False)

    async def update(self, server_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.api.item("PATCH", f"/servers/{server_id}", operation="update server", json_body=body, safe=True)

    async def update_build(self, server_id: str, body: dict[str, Any]) -> dict[str, Any]:
        return await self.api.item("PATCH", f"/servers/{server_id}/settings/build", operation="resize server",
                                   json_body=body, safe=True)

    async def suspension(self, server_id: str, action: str) -> None:
        # Idempotent on Convoy's side (a no-op 204 when already in that state), so it may be resent.
        await self.api.call("POST", f"/servers/{server_id}/settings/{action}", operation=f"{action} server",
                            expect=(204, 200), safe=True)

    async def delete(self, server_id: str, *, no_purge: bool = False) -> None:
        await self.api.call("DELETE", f"/servers/{server_id}", operation="delete server", expect=(204, 200), safe=False,
                            json_body={"no_purge": True} if no_purge else None)


class UsersClient:
    def __init__(self, api: ConvoyApi) -> None:
        self.api = api

    async def all(self, progress: PageProgress | None = None) -> list[dict[str, Any]]:
        return await self.api.list_all("/users", operation="list users", progress=progress)

    async def by_email(self, email: str) -> list[dict[str, Any]]:
        items, _ = await self.api.page("/users", operation="find user by email",
                                       params={"filter[email]": email, "per_page": 10})
        return items

    async def get(self, user_id: int) -> dict[str, Any]:
        return await self.api.item("GET", f"/users/{user_id}", operation="get user")

    async def create(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.api.item("POST", "/users", operation="create user", json_body=body, expect=(200, 201),
                                   safe=False)

    async def update(self, user_id: int, body: dict[str, Any]) -> dict[str, Any]:
        return await self.api.item("PUT", f"/users/{user_id}", operation="update user", json_body=body, safe=True)

    async def sso_token(self, user_id: int) -> str:
        # Each call makes a new 15 s token and changes nothing else: safe to resend, allowed in read-only mode.
        data = await self.api.item("POST", f"/users/{user_id}/generate-sso-token", operation="make SSO token",
                                   safe=True, reads_only=True)
        token = data.get("token")
        if not isinstance(token, str) or not token:
            raise ProtocolError("make SSO token: the answer has no token.", backend=self.api.backend)
        return token


class NodesClient:
    def __init__(self, api: ConvoyApi) -> None:
        self.api = api

    async def all(self) -> list[dict[str, Any]]:
        return await self.api.list_all("/nodes", operation="list nodes")

    async def count(self) -> int:
        _, pagination = await self.api.page("/nodes", operation="connection test", params={"per_page": 1})
        total = as_int(pagination.get("total"))
        if total is None:
            raise ProtocolError("connection test: meta.pagination has no total.", backend=self.api.backend)
        return total

    async def template_groups(self, node_id: int) -> list[dict[str, Any]]:
        reply = await self.api.call("GET", f"/nodes/{node_id}/template-groups", operation="list templates")
        data = reply.data.get("data") if isinstance(reply.data, dict) else None
        if not isinstance(data, list):
            raise ProtocolError("list templates: the answer has no 'data' list.", backend=self.api.backend)
        return [g for g in data if isinstance(g, dict)]

    async def addresses(self, node_id: int) -> list[dict[str, Any]]:
        return await self.api.list_all(f"/nodes/{node_id}/addresses", operation="list addresses",
                                       per_page=ADDRESS_PER_PAGE)
