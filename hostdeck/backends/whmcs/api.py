"""Small clients per WHMCS area (clients, services and products, module actions, system) over the shared HTTP core.

`WhmcsApi` adds what every call needs: the form with `action`, `responsetype=json` and the credentials, the
`result` check (success is decided by `result`, not by the HTTP status), and complete offset-paged listings
(page 1, then every other offset concurrently once `totalresults` is known; complete or an error).

Learned from real installations (WHMCS/developer-docs `api-reference/getclients.md` history, shared/api/whmcs.md):
`GetClients` has honoured `orderby` only since 8.2, so on older versions (or when the version cannot be read) its
pages are read one after another instead of concurrently; `GetActivityLog`'s `limitstart` counts pages, not rows.
"""

from __future__ import annotations

import asyncio
from typing import Any

from ..adapter_base.answers import not_an_api
from ..adapter_base.paging import FirstPage
from ..adapter_base.paging import PageProgress
from ..adapter_base.paging import read_all
from ..adapter_base.shapes import as_mapping
from ..errors import BackendError
from ..errors import ProtocolError
from ..http import HttpCore
from ..redact import redact
from .errors import from_message
from .parse import as_id
from .parse import as_int
from .parse import items

API_PATH = "/includes/api.php"
PAGE_SIZE = 250
ORDERBY_SINCE = (8, 2)      # GetClients' `orderby` parameter ("8.2: Implement new parameter")


def version_tuple(version: str) -> tuple[int, ...]:
    """"8.13.1" -> (8, 13, 1); "7.10.2-release.1" -> (7, 10, 2); garbage -> ()."""
    parts = []
    for piece in str(version or "").strip().split("-")[0].split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


def form_value(value: Any) -> str:
    """PHP reads "false" as true: booleans go as 1/0, everything else as text."""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


class WhmcsApi:
    def __init__(self, http: HttpCore, credentials: dict[str, str], *, module_http: HttpCore | None = None,
                 facts: dict[str, Any] | None = None) -> None:
        self.http = http
        self.module_http = module_http or http
        self.backend = http.backend
        self._credentials = credentials
        self._facts = facts if facts is not None else {}     # what was learned about the installation (its version)

    async def call(self, action: str, params: dict[str, Any] | None = None, *, write: bool = False,
                   safe: bool | None = None, http: HttpCore | None = None) -> dict[str, Any]:
        """One action. Reads (`write=False`) are resent after transient failures; writes only when `safe`."""
        core = http or self.http
        form = {"action": action, "responsetype": "json", **self._credentials,
                **{k: form_value(v) for k, v in (params or {}).items() if v is not None}}
        try:
            reply = await core.request("POST", API_PATH, operation=action, form=form, reads_only=not write,
                                       safe=(True if not write else bool(safe)))
        except ProtocolError as exc:
            raise self._not_an_api(exc, action) from None
        data = reply.data
        if not isinstance(data, dict) or "result" not in data:
            raise ProtocolError(f"{action}: the answer has no 'result' field, so it is not a WHMCS API answer.",
                                backend=self.backend, operation=action, http_status=reply.status)
        result = str(data.get("result")).lower()
        if result == "success":
            if data.get("message") or data.get("warning"):   # deprecation notes ride along with a success
                core.note(f"{action}: WHMCS noted: {data.get('message') or data.get('warning')}", method="POST",
                          path=API_PATH, status=reply.status)
            return data
        message = str(data.get("message") or "no message")
        err = from_message(message, action, self.backend, reply.status) if result == "error" else ProtocolError(
            f"{action}: the answer's result is {data.get('result')!r}, neither success nor error.", http_status=reply.status)
        err.backend, err.operation = self.backend, action
        core.note(f"{action}: result=error: {message}", method="POST", path=API_PATH, status=reply.status,
                  detail={"response": redact(data)})
        raise err

    def _not_an_api(self, exc: ProtocolError, action: str) -> BackendError:
        return not_an_api(exc, service="WHMCS", endpoint="includes/api.php", operation=action, backend=self.backend)

    async def version(self) -> tuple[int, ...]:
        """The installation's version from WhmcsDetails (read once); () when it cannot be read (WHMCS before 8.0 does
        not know the action, or the API role forbids it): callers then assume the oldest behaviour."""
        async with self._facts.setdefault("version_lock", asyncio.Lock()):   # one WhmcsDetails, even when asked at once
            if "version" not in self._facts:
                try:
                    data = await self.call("WhmcsDetails")
                    whmcs = as_mapping(data.get("whmcs"))
                    self._facts["version"] = version_tuple(str(whmcs.get("version") or ""))
                except BackendError as exc:
                    if exc.code not in ("command_not_found", "action_not_allowed"):
                        raise
                    self._facts["version"] = ()
        version: tuple[int, ...] = self._facts["version"]
        return version

    async def honours_orderby(self) -> bool:
        return await self.version() >= ORDERBY_SINCE

    async def list_all(self, action: str, container: str, key: str, *, params: dict[str, Any] | None = None,
                       page_size: int = PAGE_SIZE, progress: PageProgress | None = None,
                       id_field: str = "id", concurrent: bool = True,
                       page_index: bool = False) -> list[dict[str, Any]]:
        """Every row of an offset-paged action: page 1, then the other pages (concurrently unless `concurrent` is
        False: without a stable order, pages read at once may overlap); complete or an error. `page_index`: the
        action's `limitstart` counts pages (GetActivityLog), not rows."""
        def start_of(offset: int) -> int:
            return offset // page_size if page_index else offset

        async def first() -> FirstPage[int]:
            data = await self.call(action, {**(params or {}), "limitstart": 0, "limitnum": page_size})
            total = as_int(data.get("totalresults"))
            if total is None or total < 0:
                raise ProtocolError(f"{action}: the answer has no totalresults, so the list cannot be known to be "
                                    "complete.", backend=self.backend, operation=action)
            return FirstPage(self._rows(data, action, container, key), range(page_size, total, page_size), total)

        async def rest(offset: int) -> list[dict[str, Any]]:
            data = await self.call(action, {**(params or {}), "limitstart": start_of(offset), "limitnum": page_size})
            return self._rows(data, action, container, key)

        return await read_all(first, rest, key=lambda row: as_id(row.get(id_field)), operation=action,
                              backend=self.backend, progress=progress, concurrent=concurrent, noun="rows",
                              server="WHMCS")

    def _rows(self, data: dict[str, Any], action: str, container: str, key: str) -> list[dict[str, Any]]:
        rows = items(data.get(container), key)
        returned = as_int(data.get("numreturned"))
        if returned is not None and returned != len(rows):
            raise ProtocolError(f"{action}: numreturned is {returned} but the page holds {len(rows)} rows.",
                                backend=self.backend, operation=action)
        return rows


class ClientsClient:
    def __init__(self, api: WhmcsApi) -> None:
        self.api = api

    async def all(self, search: str | None = None, status: str | None = None,
                  progress: PageProgress | None = None, page_size: int = PAGE_SIZE) -> list[dict[str, Any]]:
        ordered = await self.api.honours_orderby()
        params = {"search": search or None, "status": status, "orderby": "id" if ordered else None, "sorting": "ASC"}
        return await self.api.list_all("GetClients", "clients", "client", params=params, progress=progress,
                                       page_size=page_size, concurrent=ordered)

    async def count(self) -> int:
        data = await self.api.call("GetClients", {"limitstart": 0, "limitnum": 1})
        total = as_int(data.get("totalresults"))
        if total is None:
            raise ProtocolError("GetClients: the answer has no totalresults.", backend=self.api.backend,
                                operation="GetClients")
        return total

    async def details(self, client_id: str | int | None = None, email: str | None = None) -> tuple[dict[str, Any], Any]:
        data = await self.api.call("GetClientsDetails", {"clientid": client_id, "email": email if client_id is None else None,
                                                         "stats": True})
        client = data.get("client")
        if not isinstance(client, dict):
            raise ProtocolError("GetClientsDetails: the answer has no client object.", backend=self.api.backend,
                                operation="GetClientsDetails")
        return client, data.get("stats") if isinstance(data.get("stats"), dict) else None

    async def add(self, form: dict[str, Any]) -> str:
        # Never resent after an ambiguous failure: the caller looks the email up instead.
        data = await self.api.call("AddClient", form, write=True, safe=False)
        client_id = as_id(data.get("clientid"))
        if not client_id:
            raise ProtocolError("AddClient: the answer has no clientid.", backend=self.api.backend, operation="AddClient")
        return client_id

    async def update(self, client_id: str, fields: dict[str, Any]) -> None:
        # Idempotent (the same fields again change nothing), so it may be resent.
        await self.api.call("UpdateClient", {"clientid": client_id, **fields}, write=True, safe=True)


class ServicesClient:
    """GetClientsProducts, GetProducts and UpdateClientProduct: services ("products" of a client) and the catalog."""

    def __init__(self, api: WhmcsApi) -> None:
        self.api = api

    async def all(self, client_id: str | None = None, service_id: str | None = None, domain: str | None = None,
                  progress: PageProgress | None = None, page_size: int = PAGE_SIZE) -> list[dict[str, Any]]:
        params = {"clientid": client_id, "serviceid": service_id, "domain": domain}
        return await self.api.list_all("GetClientsProducts", "products", "product", params=params, progress=progress,
                                       page_size=page_size)

    async def get(self, service_id: str) -> dict[str, Any] | None:
        data = await self.api.call("GetClientsProducts", {"serviceid": service_id, "limitstart": 0, "limitnum": 1})
        rows = [r for r in items(data.get("products"), "product") if as_id(r.get("id")) == str(service_id)]
        return rows[0] if rows else None

    async def products(self, product_id: str | None = None, group_id: str | None = None,
                       module: str | None = None) -> list[dict[str, Any]]:
        data = await self.api.call("GetProducts", {"pid": product_id, "gid": group_id, "module": module})
        rows = items(data.get("products"), "product")
        total = as_int(data.get("totalresults"))
        if total is not None and total > len(rows):
            raise ProtocolError(f"GetProducts: totalresults is {total} but {len(rows)} products came back.",
                                backend=self.api.backend, operation="GetProducts")
        return rows

    async def update(self, service_id: str, fields: dict[str, Any]) -> None:
        # Idempotent: the same values again change nothing, so it may be resent.
        await self.api.call("UpdateClientProduct", {"serviceid": service_id, **fields}, write=True, safe=True)


class ModulesClient:
    """ModuleCreate/Suspend/Unsuspend/Terminate/ChangePw: never resent (a second create can make a second server);
    sent through an HTTP core that has no retries at all."""

    def __init__(self, api: WhmcsApi) -> None:
        self.api = api

    async def run(self, action: str, service_id: str, extra: dict[str, Any] | None = None) -> None:
        await self.api.call(action, {"serviceid": service_id, **(extra or {})}, write=True, safe=False,
                            http=self.api.module_http)


class SystemClient:
    def __init__(self, api: WhmcsApi) -> None:
        self.api = api

    async def details(self) -> dict[str, Any]:
        return await self.api.call("WhmcsDetails")

    async def activity_page(self, params: dict[str, Any], page: int, limit: int) -> tuple[list[dict[str, Any]], int]:
        """Page `page` (0-based) of `limit` entries: GetActivityLog's `limitstart` is a page index, not a row offset."""
        data = await self.api.call("GetActivityLog", {**params, "limitstart": page, "limitnum": limit})
        total = as_int(data.get("totalresults"))
        if total is None:
            raise ProtocolError("GetActivityLog: the answer has no totalresults.", backend=self.api.backend,
                                operation="GetActivityLog")
        return items(data.get("activity"), "entry"), total

    async def activity_all(self, params: dict[str, Any], progress: PageProgress | None = None,
                           page_size: int = PAGE_SIZE) -> list[dict[str, Any]]:
        return await self.api.list_all("GetActivityLog", "activity", "entry", params=params, progress=progress,
                                       page_size=page_size, page_index=True)


class DeskClient:
    """GetInvoices and GetTickets: a client's invoices and support tickets, every page."""

    def __init__(self, api: WhmcsApi) -> None:
        self.api = api

    async def invoices(self, client_id: str, status: str | None = None,
                       page_size: int = PAGE_SIZE) -> list[dict[str, Any]]:
        params = {"userid": client_id, "status": status, "orderby": "duedate", "order": "asc"}
        return await self.api.list_all("GetInvoices", "invoices", "invoice", params=params, page_size=page_size)

    async def tickets(self, client_id: str | None = None, email: str | None = None, status: str | None = None,
                      page_size: int = PAGE_SIZE) -> list[dict[str, Any]]:
        params = {"clientid": client_id, "email": email, "status": status}
        return await self.api.list_all("GetTickets", "tickets", "ticket", params=params, page_size=page_size)
