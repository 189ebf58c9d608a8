"""A faithful loopback simulator of the WHMCS External API (`POST /includes/api.php`), see shared/api/whmcs.md.

Seeded, deterministic billing data (1,043 clients by default, their users, products with pricing strings, services
with a `server_id` custom field, an activity log), form-POST only, `result` success/error with HTTP 200 for errors
(403 for auth/IP errors when `auth_error_status=403`), the docs' mixed number types per action, nested containers
(`clients.client[]`), offset pagination, the IP allow-list with the `accesskey` bypass, per-action API role
permissions, and the fault injection of `hostdeck.backends.sim.server`, which here may also target one action:

    with WhmcsSim(clients=1043, seed=1) as sim:
        sim.faults.add("AddClient", "reset_mid")                    # the client is made, the answer is lost
        sim.faults.add("POST /includes/api.php", "status", status=503, count=2)
        httpx.post(sim.base_url + "/includes/api.php", data={"action": "GetClients", "responsetype": "json",
                   "identifier": sim.identifier, "secret": sim.secret})

`servers` (descriptors of the other simulators' servers: backend, kind, id, name, ipv4, plan) makes the seeded
services correspond to them: most get an Active service (product named after the plan, `dedicatedip` = IPv4,
`domain` = name, custom field `server_id` = id), some Suspended or Terminated ones, a few none; orphans are VPS
services whose `server_id` matches no server. Module* actions change the service status and call
`sim.on_module_action(action, service)` first (None or "success" = the module succeeded; any other text, or an
exception, is the module's error, passed through as `result=error`). The hook runs under the simulator's lock: it may
change other simulators' state directly, but must not call this simulator over HTTP.

Invoices and support tickets (GetInvoices, GetTickets) live in `whmcs_desk.Desk` (`sim.desk`), seeded from the
clients and services with their own random stream, so the rest of the seeded data is the same with or without them.

Status faults (`kind="status"`): without `message`, 500 is WHMCS's HTML "Oops" page, 503 a maintenance page and
429 a proxy page (both with Retry-After), others an nginx page; with `message`, a JSON `result=error` body;
`code="no_result"` answers a JSON body without `result`.

Bans (shared/api/whmcs.md, learned at first contact): after `ban_after` failed logins (3) from one address, the address
is banned for `ban_seconds` (15 minutes); every call from it, even with the right credentials, then answers
`IP Banned` (with `auth_error_status`). `rejected_logins` counts every failed login, `banned` holds the bans,
`unban(ip)` is the admin lifting one.

Learned from real installations (shared/api/whmcs.md "Learned at first contact"; WHMCS/developer-docs
`api-reference/getclients.md`, whose version history adds `orderby` in 8.2, and the older revisions of the docs'
examples, where `totalresults`, `startnumber`, `numreturned` and every id are strings):
- `version` below 8.2: GetClients ignores `orderby` and orders by last name, first name (the order itself is a
  choice; that `orderby` is ignored is the fact);
- empty lists arrive as `""` (GetClients, GetClientsProducts, GetProducts, GetActivityLog);
- `string_numbers=True` (the default below version 8.0) sends every number as a string, as those examples do;
- GetActivityLog's `limitstart` is a page index (`limitstart=2, limitnum=25` answers entries 50..74).
`page_reads` records each request's action, `limitstart`, `orderby` and how many answers of that action had gone out
when it arrived (tests tell paging one page at a time from concurrent paging with it).

Choices where the public material is silent (unverified): a missing or unknown `responsetype` answers XML; an unknown
action answers "Command Not Found" (and so does WhmcsDetails when `version` is below 8); GetClients orders by id
unless `orderby` says otherwise (8.2 and later); the simulated module has no preconditions of its own.
"""

from __future__ import annotations

import base64
import functools
import random
import re
import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC
from datetime import date
from datetime import datetime
from datetime import timedelta
from email.message import Message
from html import escape
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlencode

from .server import NGINX_REASONS
from .server import Request
from .server import Response
from .server import SimApp
from .server import SimServer
from .server import proxy_page
from .whmcs_desk import Desk

PATH = "/includes/api.php"
EMPTY_LIST = ""                 # what WHMCS sends for an empty list container
ORDERBY_SINCE = (8, 2)
DEFAULT_IDENTIFIER = "demo-whmcs-identifier"
DEFAULT_SECRET = "demo-whmcs-secret"
ADMIN = "hostdeck"
SECRET_FIELD = re.compile(r"(?i)^(identifier|secret|accesskey|username|.*pass(word)?\d*)$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^[0-9 +().-]{4,20}$")
TRUE = ("1", "true", "on", "yes")
SERVICE_STATUSES = ("Pending", "Active", "Suspended", "Terminated", "Cancelled", "Fraud", "Completed")
CLIENT_STATUSES = ("Active", "Inactive", "Closed")
CYCLES = ("monthly", "quarterly", "semiannually", "annually", "biennially", "triennially")
CYCLE_NAMES = {"monthly": "Monthly", "quarterly": "Quarterly", "semiannually": "Semi-Annually", "annually": "Annually",
               "biennially": "Biennially", "triennially": "Triennially"}
MODULE_WORDS = {"modulecreate": "Create", "modulesuspend": "Suspend", "moduleunsuspend": "Unsuspend",
                "moduleterminate": "Terminate", "modulechangepw": "Change Password"}
AFTER_MODULE = {"modulecreate": "Active", "modulesuspend": "Suspended", "moduleunsuspend": "Active",
                "moduleterminate": "Terminated"}
FIRST = ("Ana", "Bo", "Chen", "Dara", "Emil", "Fatima", "Goran", "Hana", "Ivo", "Jonas", "Kira", "Lars", "Mia", "Nils",
         "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara", "Uwe", "Vera", "Wim", "Xenia", "Yusuf", "Zoe")
LAST = ("Lima", "Berg", "Wang", "Novak", "Fischer", "Haddad", "Kovac", "Sato", "Ilic", "Weber", "Moreau", "Jensen",
        "Rossi", "Nowak", "Petrov", "Silva", "Keller", "Costa", "Yilmaz", "Meyer", "Horvat", "Dubois", "Larsen")
COMPANY = ("", "", "", "Berg AB", "Nordlicht GmbH", "Studio Costa", "Keller & Co", "Pixelwerk", "Lima Digital")
DOMAINS = ("example.com", "example.net", "example.org", "shop.example", "agency.example", "studio.example")
COUNTRIES = {"PT": ("Portugal", "351", "Lisboa", "Lisboa", "1000-001"), "DE": ("Germany", "49", "Berlin", "Berlin", "10115"),
             "NL": ("Netherlands", "31", "Noord-Holland", "Amsterdam", "1011 AB"),
             "US": ("United States", "1", "New York", "New York", "10001"),
             "GB": ("United Kingdom", "44", "London", "London", "EC1A 1BB"), "FR": ("France", "33", "Paris", "Paris", "75001"),
             "SE": ("Sweden", "46", "Stockholm", "Stockholm", "111 22"), "AT": ("Austria", "43", "Wien", "Wien", "1010")}
CURRENCIES = {1: ("EUR", "€", " EUR"), 2: ("USD", "$", " USD")}
HETZNER_PLANS = {"cx22": "9.90", "cx32": "14.90", "cx42": "29.90", "cpx11": "7.90", "cpx21": "12.90", "cax11": "6.90"}
CONVOY_PLANS = {"1 vCPU/2 GB/20 GB": "5.90", "2 vCPU/2 GB/40 GB": "9.90", "2 vCPU/4 GB/40 GB": "14.90",
                "4 vCPU/8 GB/80 GB": "24.90"}
OOPS = ('<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Oops! Something went wrong.</title></head>'
        "<body><h1>Oops!</h1><h2>Something went wrong and we couldn't process your request.</h2>"
        "<p>Please go back to the previous page and try again.</p></body></html>\n")
MAINTENANCE = ("<!DOCTYPE html>\n<html><head><title>Down for maintenance</title></head><body><h1>We are currently "
               "performing maintenance</h1><p>Please check back soon.</p></body></html>\n")
REASONS = {**NGINX_REASONS, 403: "Forbidden"}

ModuleHook = Callable[[str, dict[str, Any]], "str | None"]


class ApiError(Exception):
    def __init__(self, message: str, status: int = 200) -> None:
        super().__init__(message)
        self.message, self.status = message, status


# --------------------------------------------------------------------------- form, PHP serialize, masking


def parse_form(body: bytes, content_type: str | None) -> dict[str, str]:
    """What PHP puts in $_POST: urlencoded bodies only; the last value of a repeated key wins."""
    if not body or "application/x-www-form-urlencoded" not in (content_type or "").lower():
        return {}
    pairs = parse_qs(body.decode("utf-8", errors="replace"), keep_blank_values=True)
    return {k: v[-1] for k, v in pairs.items()}


def mask_form(form: dict[str, Any]) -> dict[str, Any]:
    return {k: ("***" if SECRET_FIELD.match(k) and v not in (None, "") else v) for k, v in form.items()}


def php_unserialize(text: str) -> dict[str, str]:
    """The subset WHMCS custom fields use: `a:N:{i:12;s:8:"9b2f4c1a";...}` (int or string keys and values)."""
    data = text.encode("utf-8")
    pos = 0

    def scalar() -> str:
        nonlocal pos
        kind = chr(data[pos])
        if kind in "id":
            end = data.index(b";", pos)
            value = data[pos + 2:end].decode()
            pos = end + 1
            return value
        if kind == "s":
            colon = data.index(b":", pos + 2)
            length = int(data[pos + 2:colon])
            value = data[colon + 2:colon + 2 + length].decode("utf-8")
            pos = colon + 2 + length + 2
            return value
        if kind == "b":
            value = data[pos + 2:pos + 3].decode()
            pos += 4
            return value
        raise ValueError(f"unsupported type {kind!r}")

    if not data.startswith(b"a:"):
        raise ValueError("not a serialized array")
    brace = data.index(b"{")
    count = int(data[2:data.index(b":", 2)])
    pos = brace + 1
    out: dict[str, str] = {}
    for _ in range(count):
        key = scalar()
        out[key] = scalar()
    return out


def decode_custom_fields(raw: str | None) -> dict[str, str]:
    if not raw:
        return {}
    try:
        return php_unserialize(base64.b64decode(raw).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, IndexError) as exc:
        raise ApiError("Invalid custom fields: expected a base64 encoded serialized array") from exc


def truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in TRUE


# --------------------------------------------------------------------------- per-action faults and the masked log


class MaskedLog(list[dict[str, Any]]):
    """The request log, with the form's credentials and passwords masked as entries arrive; adds `form` and `action`."""

    def append(self, entry: dict[str, Any]) -> None:
        body = entry.get("body")
        form: dict[str, Any] = {}
        if isinstance(body, str):
            form = {k: v[-1] for k, v in parse_qs(body, keep_blank_values=True).items()}
        elif isinstance(body, dict):
            form = body
        masked = mask_form(form)
        entry["form"] = masked
        entry["action"] = form.get("action")
        if isinstance(body, str):
            entry["body"] = urlencode(masked)
        elif isinstance(body, dict):
            entry["body"] = masked
        super().append(entry)




# --------------------------------------------------------------------------- the simulator


class WhmcsSim(SimApp):
    prefix = ""

    def __init__(self, clients: int = 1043, seed: int = 1, latency_ms: float = 0.0, jitter_ms: float = 0.0,
                 identifier: str = DEFAULT_IDENTIFIER, secret: str = DEFAULT_SECRET, access_key: str | None = None,
                 allowed_ips: tuple[str, ...] | list[str] = ("127.0.0.1",), servers: list[dict[str, Any]] | None = None, *,
                 forbidden_actions: tuple[str, ...] | list[str] | set[str] = (), version: str = "8.13.1",
                 auth_error_status: int = 200, retry_after: int = 1, hang_seconds: float = 30.0,
                 ban_after: int = 3, ban_seconds: float = 15 * 60, string_numbers: bool | None = None,
                 today: date | None = None) -> None:
        self.identifier, self.secret, self.access_key = identifier, secret, access_key
        self.allowed_ips = set(allowed_ips)
        self.forbidden_actions = {a.lower() for a in forbidden_actions}
        self.version = version
        self.string_numbers = _version(version) < (8, 0) if string_numbers is None else string_numbers
        self.auth_error_status = auth_error_status
        self.retry_after = retry_after
        self.ban_after, self.ban_seconds = ban_after, ban_seconds
        self.failed_logins: dict[str, int] = {}     # address -> failed logins since its last ban
        self.rejected_logins = 0                    # every failed login, from any address
        self.banned: dict[str, float] = {}          # address -> monotonic time the ban ends
        self.on_module_action: ModuleHook | None = None
        self._module_errors: list[tuple[str | None, str]] = []
        self._lock = threading.RLock()
        self._reads_lock = threading.Lock()
        self.page_reads: list[dict[str, Any]] = []
        self._answered: dict[str, int] = {}
        self._rng = random.Random(seed)
        self._server = SimServer(self, latency_ms=latency_ms, jitter_ms=jitter_ms, seed=seed, hang_seconds=hang_seconds,
                                  named_faults=True)
        self._server.request_log = MaskedLog()
        self.clients: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.products: dict[int, dict[str, Any]] = {}
        self.services: dict[int, dict[str, Any]] = {}
        self.activity: list[dict[str, Any]] = []
        self.whmcs_servers: dict[str, dict[str, str]] = {}
        self.service_servers: dict[int, dict[str, Any]] = {}   # service id -> the server descriptor it bills
        self.orphans: list[int] = []                           # VPS services whose server_id matches no server
        self._next_order = 5000
        self._peer = "127.0.0.1"
        self.desk = Desk(seed, today)      # invoices and tickets (GetInvoices, GetTickets)
        self._seed(max(clients, 0), servers)

    def operation_name(self, target: str, headers: Message, body: bytes) -> str | None:
        return parse_form(body, headers.get("Content-Type")).get("action")

    # ------------------------------------------------------------------ public interface

    @property
    def api_url(self) -> str | None:
        return self._server.base_url + PATH if self._server.base_url else None

    def unban(self, ip: str = "127.0.0.1") -> None:
        """An admin lifts the ban (and the count of failures) of an address."""
        with self._lock:
            self.banned.pop(ip, None)
            self.failed_logins.pop(ip, None)

    def fail_next_module(self, message: str, action: str | None = None, count: int = 1) -> None:
        """The next `count` Module* calls (of `action`, e.g. "ModuleSuspend", or any) fail with the module's `message`."""
        with self._lock:
            self._module_errors += [(action.lower() if action else None, message)] * count

    def service_of(self, backend: str, server_id: str) -> dict[str, Any] | None:
        """The newest service billing this simulated server, or None."""
        with self._lock:
            ids = [sid for sid, d in self.service_servers.items() if d["backend"] == backend and str(d["id"]) == str(server_id)]
            return self.services[max(ids)] if ids else None

    def client_by_email(self, email: str) -> dict[str, Any] | None:
        with self._lock:
            return next((c for c in self.clients.values() if c["email"].lower() == email.lower()), None)

    # ------------------------------------------------------------------ SimApp

    def handle(self, req: Request) -> Response:
        if req.route_path != PATH:
            return proxy_page(404)
        if req.method != "POST":
            return proxy_page(405, [("Allow", "POST")])
        form = parse_form(req.body, req.header("Content-Type"))
        peer = self._server.current_peer()
        action = (form.get("action") or "").strip().lower()
        with self._reads_lock:   # for tests of paging order: how many answers of this action had gone out
            self.page_reads.append({"action": action, "limitstart": form.get("limitstart"),
                                    "orderby": form.get("orderby"), "answered_before": self._answered.get(action, 0)})
        try:
            with self._lock:
                try:
                    payload = self._dispatch(form, peer)
                    status = 200
                except ApiError as err:
                    payload, status = {"result": "error", "message": err.message}, err.status
            return self._render(form, payload, status)
        finally:
            with self._reads_lock:
                self._answered[action] = self._answered.get(action, 0) + 1

    def error_response(self, req: Request, status: int, code: str | None = None,
                       message: str | None = None) -> Response:
        if code == "no_result":
            return Response.json(status, {"message": message or "ok"})
        if message is not None:
            return Response.json(status, {"result": "error", "message": message})
        retry = [("Retry-After", str(self.retry_after))] if status in (429, 503) else []
        if status == 500:
            return Response(500, OOPS.encode(), "text/html; charset=utf-8")
        if status == 503:
            return Response(503, MAINTENANCE.encode(), "text/html; charset=utf-8", retry)
        return proxy_page(status, retry, REASONS)

    def decorate(self, req: Request, resp: Response) -> None:
        resp.headers.append(("Cache-Control", "no-store, no-cache, must-revalidate"))

    # ------------------------------------------------------------------ plumbing

    def _render(self, form: dict[str, str], payload: dict[str, Any], status: int) -> Response:
        kind = (form.get("responsetype") or "").lower()
        if kind == "json":
            return Response.json(status, payload)
        if kind == "nvp":
            flat = ";".join(f"{k}={v}" for k, v in payload.items() if not isinstance(v, (dict, list)))
            return Response(status, flat.encode(), "text/plain; charset=utf-8")
        xml = f'<?xml version="1.0" encoding="utf-8"?>\n<whmcsapi version="{self.version}">\n'
        xml += f"<action>{escape((form.get('action') or '').lower())}</action>\n{_xml(payload)}</whmcsapi>\n"
        return Response(status, xml.encode(), "text/xml; charset=utf-8")

    def _dispatch(self, form: dict[str, str], peer: str) -> dict[str, Any]:
        until = self.banned.get(peer)
        if until is not None:
            if time.monotonic() < until:
                raise ApiError("IP Banned", self.auth_error_status)
            self.banned.pop(peer, None)
            self.failed_logins.pop(peer, None)
        key_ok = self.access_key is not None and form.get("accesskey") == self.access_key
        if peer not in self.allowed_ips and not key_ok:
            raise ApiError(f"Invalid IP {peer}", self.auth_error_status)
        ident = form.get("identifier", form.get("username"))
        secret = form.get("secret", form.get("password"))
        if ident != self.identifier or secret != self.secret or not ident:
            self.rejected_logins += 1
            self.failed_logins[peer] = self.failed_logins.get(peer, 0) + 1
            if self.ban_after and self.failed_logins[peer] >= self.ban_after:
                self.banned[peer] = time.monotonic() + self.ban_seconds
            raise ApiError("Authentication Failed", self.auth_error_status)
        action = (form.get("action") or "").strip().lower()
        handler = self._actions().get(action)
        if handler is None or (action == "whmcsdetails" and _version(self.version) < (8, 0)):
            raise ApiError("Command Not Found")
        if action in self.forbidden_actions:
            raise ApiError(f'Invalid Permissions: API action "{action}" is not allowed')
        self._peer = peer
        answer = handler(form)
        return {"result": "success", **(_stringify(answer) if self.string_numbers else answer)}

    def _actions(self) -> dict[str, Callable[[dict[str, str]], dict[str, Any]]]:
        return {
            "whmcsdetails": self._whmcs_details, "getclients": self._get_clients,
            "getclientsdetails": self._get_clients_details, "addclient": self._add_client,
            "updateclient": self._update_client, "getclientsproducts": self._get_clients_products,
            "getproducts": self._get_products, "updateclientproduct": self._update_client_product,
            "getactivitylog": self._get_activity_log,
            "getinvoices": lambda form: self.desk.get_invoices(form, self._page),
            "gettickets": lambda form: self.desk.get_tickets(form, self._page),
            **{name: functools.partial(self._module, name) for name in MODULE_WORDS},
        }

    @staticmethod
    def _page(form: dict[str, str], items: list[Any], *, page_index: bool = False) -> tuple[list[Any], int, int]:
        """`page_index`: `limitstart` counts pages of `limitnum` rows (GetActivityLog), not rows."""
        def num(name: str, default: int) -> int:
            raw = (form.get(name) or "").strip()
            return int(raw) if raw.isdigit() else default

        start, limit = num("limitstart", 0), num("limitnum", 25)
        if page_index:
            start *= limit
        return items[start:start + limit], start, len(items)

    def _log(self, description: str, client_id: int = 0, user_id: int = 0) -> None:
        entry = {"id": (self.activity[-1]["id"] + 1) if self.activity else 1, "clientId": client_id, "userId": user_id,
                 "adminId": 1, "date": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime()), "description": description,
                 "username": ADMIN, "ipaddress": self._peer, "userid": client_id}
        self.activity.append(entry)

    # ------------------------------------------------------------------ actions: system

    def _whmcs_details(self, form: dict[str, str]) -> dict[str, Any]:
        return {"whmcs": {"version": self.version, "canonicalversion": f"{self.version}-release.1"}}

    def _get_activity_log(self, form: dict[str, str]) -> dict[str, Any]:
        entries = list(reversed(self.activity))
        if form.get("clientid"):
            entries = [e for e in entries if str(e["clientId"]) == form["clientid"].strip()]
        if form.get("user"):
            entries = [e for e in entries if e["username"] == form["user"]]
        if form.get("description"):
            words = form["description"].lower()
            entries = [e for e in entries if words in e["description"].lower()]
        if form.get("ipaddress"):
            entries = [e for e in entries if e["ipaddress"] == form["ipaddress"]]
        if form.get("date"):
            day = _local_date(form["date"])
            entries = [e for e in entries if e["date"][:10] == day]
        page, start, total = self._page(form, entries, page_index=True)
        return {"totalresults": total, "startnumber": start,
                "activity": {"entry": [dict(e) for e in page]} if page else EMPTY_LIST}

    # ------------------------------------------------------------------ actions: clients

    def _client_row(self, c: dict[str, Any]) -> dict[str, Any]:
        return {k: c[k] for k in ("id", "firstname", "lastname", "companyname", "email", "datecreated", "groupid", "status")}

    def _get_clients(self, form: dict[str, str]) -> dict[str, Any]:
        rows = list(self.clients.values())
        if form.get("status"):
            rows = [c for c in rows if c["status"].lower() == form["status"].strip().lower()]
        search = (form.get("search") or "").strip().lower()
        if search:
            rows = [c for c in rows if any(str(v).lower().startswith(search) for v in (
                c["email"], c["firstname"], c["lastname"], f"{c['firstname']} {c['lastname']}", c["companyname"]) if v)]
        descending = (form.get("sorting") or "ASC").strip().upper() == "DESC"
        if _version(self.version) < ORDERBY_SINCE:     # `orderby` is not read before 8.2
            rows.sort(key=lambda c: (c["lastname"].lower(), c["firstname"].lower()), reverse=descending)
        else:
            order = (form.get("orderby") or "id").strip().lower()
            if order not in ("id", "firstname", "lastname", "companyname", "email", "datecreated", "status", "groupid"):
                order = "id"
            rows.sort(key=lambda c: (str(c[order]).lower() if order != "id" else c["id"], c["id"]), reverse=descending)
        page, start, total = self._page(form, rows)
        return {"totalresults": total, "startnumber": start, "numreturned": len(page),
                "clients": {"client": [self._client_row(c) for c in page]} if page else EMPTY_LIST}

    def _find_client(self, form: dict[str, str], id_key: str = "clientid", email_key: str = "email") -> dict[str, Any] | None:
        raw = (form.get(id_key) or "").strip()
        if raw:
            return self.clients.get(int(raw)) if raw.isdigit() else None
        email = (form.get(email_key) or "").strip().lower()
        return next((c for c in self.clients.values() if c["email"].lower() == email), None) if email else None

    def _get_clients_details(self, form: dict[str, str]) -> dict[str, Any]:
        if not (form.get("clientid") or "").strip() and not (form.get("email") or "").strip():
            raise ApiError("Either clientid Or email Is Required")
        client = self._find_client(form)
        if client is None:
            raise ApiError("Client Not Found")
        out: dict[str, Any] = {"client": self._client_details(client)}
        if truthy(form.get("stats")):
            services = [s for s in self.services.values() if s["clientid"] == str(client["id"])]
            cur = CURRENCIES[client["currency"]]
            desk = self.desk.stats(client["id"])
            out["stats"] = {"numdueinvoices": desk["numdueinvoices"],
                            "dueinvoicesbalance": f"{cur[1]}{desk['due_total']:.2f}{cur[2]}",
                            "productsnumactive": sum(s["status"] == "Active" for s in services),
                            "productsnumtotal": len(services), "numtickets": desk["numtickets"],
                            "numactivetickets": desk["numactivetickets"]}
        return out

    def _client_details(self, c: dict[str, Any]) -> dict[str, Any]:
        country = COUNTRIES.get(c["countrycode"], (c["countrycode"], "", "", "", ""))
        users = [self.users[u] for u in c["user_ids"] if u in self.users]
        return {
            "client_id": c["id"], "owner_user_id": c["user_ids"][0] if c["user_ids"] else 0, "userid": c["id"],
            "id": c["id"], "uuid": c["uuid"], "firstname": c["firstname"], "lastname": c["lastname"],
            "fullname": f"{c['firstname']} {c['lastname']}", "companyname": c["companyname"], "email": c["email"],
            "address1": c["address1"], "address2": c["address2"], "city": c["city"], "fullstate": c["state"],
            "state": c["state"], "postcode": c["postcode"], "countrycode": c["countrycode"], "country": c["countrycode"],
            "phonenumber": c["phonenumber"], "tax_id": "", "statecode": c["state"], "countryname": country[0],
            "phonecc": country[1], "phonenumberformatted": f"+{country[1]}.{c['phonenumber']}" if country[1] else c["phonenumber"],
            "billingcid": 0, "notes": c["notes"], "currency": c["currency"], "defaultgateway": "", "groupid": c["groupid"],
            "status": c["status"], "credit": c["credit"], "taxexempt": False, "language": c["language"],
            "lastlogin": c["lastlogin"], "currency_code": CURRENCIES[c["currency"]][0],
            "customfields": [dict(f) for f in c["customfields"]],
            "users": {"user": [{"id": u["id"], "name": f"{u['firstname']} {u['lastname']}", "email": u["email"],
                                "is_owner": u["id"] == c["user_ids"][0]} for u in users]},
        }

    def _email_taken_by_user(self, email: str, except_client: int | None = None) -> bool:
        email = email.lower()
        for user in self.users.values():
            if user["email"].lower() == email and except_client not in user["client_ids"]:
                return True
        return any(c["email"].lower() == email and c["id"] != except_client for c in self.clients.values())

    def _add_client(self, form: dict[str, str]) -> dict[str, Any]:
        f = {k: (v or "").strip() for k, v in form.items()}
        owner = f.get("owner_user_id", "")
        if not f.get("email"):
            raise ApiError("You did not enter your email address")
        if not EMAIL.match(f["email"]):
            raise ApiError("The email address you entered was not valid")
        if not truthy(f.get("skipvalidation")):
            for key, text in (("firstname", "your first name"), ("lastname", "your last name"),
                              ("address1", "your address (line 1)"), ("city", "your city"), ("state", "your state"),
                              ("postcode", "your postcode"), ("phonenumber", "your phone number")):
                if not f.get(key):
                    raise ApiError(f"You did not enter {text}")
            if not re.fullmatch(r"[A-Za-z]{2}", f.get("country", "")):
                raise ApiError("Valid country required")
            if not PHONE.match(f["phonenumber"]):
                raise ApiError("Invalid telephone phone number")
            if not owner and not form.get("password2"):
                raise ApiError("You did not enter a password")
        if owner:
            if not owner.isdigit() or int(owner) not in self.users:
                raise ApiError("Invalid Owner User ID")
            if any(c["email"].lower() == f["email"].lower() for c in self.clients.values()):
                raise ApiError("The email address entered is not available for use.")
        elif self._email_taken_by_user(f["email"]):
            raise ApiError("A user already exists with that email address")
        cid = max(self.clients, default=0) + 1
        country = f.get("country", "").upper() or "PT"
        custom = decode_custom_fields(form.get("customfields"))
        client: dict[str, Any] = {
            "id": cid, "uuid": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)),
            "firstname": f.get("firstname", ""), "lastname": f.get("lastname", ""), "companyname": f.get("companyname", ""),
            "email": f["email"], "address1": f.get("address1", ""), "address2": f.get("address2", ""),
            "city": f.get("city", ""), "state": f.get("state", ""), "postcode": f.get("postcode", ""),
            "countrycode": country, "phonenumber": f.get("phonenumber", ""), "status": "Active",
            "groupid": int(f["groupid"]) if f.get("groupid", "").isdigit() else 0,
            "datecreated": time.strftime("%Y-%m-%d", time.gmtime()), "credit": "0.00",
            "currency": int(f["currency"]) if f.get("currency", "").isdigit() and int(f["currency"]) in CURRENCIES else 1,
            "language": f.get("language", ""), "notes": f.get("notes", ""), "lastlogin": "No Login Logged",
            "customfields": [{"id": 3, "value": custom.get("3", "")}], "user_ids": [],
        }
        if owner:
            client["user_ids"].append(int(owner))
            self.users[int(owner)]["client_ids"].append(cid)
        else:
            uid = self._new_user(client["firstname"], client["lastname"], client["email"])
            client["user_ids"].append(uid)
            self.users[uid]["client_ids"].append(cid)
        self.clients[cid] = client
        self._log(f"Created Client {client['firstname']} {client['lastname']} - Client ID: {cid}", cid)
        return {"clientid": str(cid)}

    def _update_client(self, form: dict[str, str]) -> dict[str, Any]:
        if not (form.get("clientid") or "").strip() and not (form.get("clientemail") or "").strip():
            raise ApiError("Client ID Not Found")
        client = self._find_client(form, "clientid", "clientemail")
        if client is None:
            raise ApiError("Client ID Not Found")
        f = {k: (v or "").strip() for k, v in form.items()}
        if "email" in f and f["email"].lower() != client["email"].lower():
            if not EMAIL.match(f["email"]):
                raise ApiError("The email address you entered was not valid")
            if self._email_taken_by_user(f["email"], except_client=client["id"]):
                raise ApiError("Duplicate Email Address")
        if "status" in f and f["status"] not in CLIENT_STATUSES:
            raise ApiError("Invalid status. Must be one of Active, Inactive, Closed")
        changed: list[str] = []
        for key in ("firstname", "lastname", "companyname", "email", "address1", "address2", "city", "state",
                    "postcode", "phonenumber", "status", "notes", "language"):
            if key in f and f[key] != client[key]:
                client[key] = f[key]
                changed.append(key)
        if "country" in f and f["country"].upper() != client["countrycode"]:
            client["countrycode"] = f["country"].upper()
            changed.append("country")
        for key in ("groupid", "currency"):
            if f.get(key, "").isdigit() and int(f[key]) != client[key]:
                client[key] = int(f[key])
                changed.append(key)
        if changed:
            self._log(f"Client Profile Modified - {', '.join(changed)} - Client ID: {client['id']}", client["id"])
        return {"clientid": str(client["id"])}

    # ------------------------------------------------------------------ actions: products and services

    def _get_products(self, form: dict[str, str]) -> dict[str, Any]:
        rows = list(self.products.values())
        if (form.get("pid") or "").strip():
            wanted = {p.strip() for p in form["pid"].split(",")}
            rows = [p for p in rows if str(p["pid"]) in wanted]
        if (form.get("gid") or "").strip():
            rows = [p for p in rows if str(p["gid"]) == form["gid"].strip()]
        if (form.get("module") or "").strip():
            rows = [p for p in rows if p["module"] == form["module"].strip()]
        products = [{k: v for k, v in p.items() if not k.startswith("_")} for p in rows]
        return {"totalresults": len(products), "products": {"product": products} if products else EMPTY_LIST}

    def _get_clients_products(self, form: dict[str, str]) -> dict[str, Any]:
        rows = list(self.services.values())
        echo = {}
        for key, field in (("clientid", "clientid"), ("serviceid", "id"), ("pid", "pid"), ("domain", "domain"),
                           ("username2", "username")):
            value = (form.get(key) or "").strip()
            echo[key] = value or None
            if value:
                rows = [s for s in rows if s[field] == value]
        page, start, total = self._page(form, rows)
        return {"clientid": echo["clientid"], "serviceid": echo["serviceid"], "pid": echo["pid"],
                "domain": echo["domain"], "totalresults": str(total), "startnumber": start, "numreturned": len(page),
                "products": {"product": [_copy_service(s) for s in page]} if page else EMPTY_LIST}

    def _service(self, form: dict[str, str], missing: str, not_found: str) -> dict[str, Any]:
        raw = (form.get("serviceid") or form.get("accountid") or "").strip()
        if not raw:
            raise ApiError(missing)
        service = self.services.get(int(raw)) if raw.isdigit() else None
        if service is None:
            raise ApiError(not_found)
        return service

    def _update_client_product(self, form: dict[str, str]) -> dict[str, Any]:
        service = self._service(form, "Service ID is required", "Service ID Not Found")
        f = {k: (v or "").strip() for k, v in form.items()}
        if "status" in f and f["status"] not in SERVICE_STATUSES:
            raise ApiError(f"Invalid status. Must be one of {', '.join(SERVICE_STATUSES)}")
        changed = []
        for key, field in (("status", "status"), ("domain", "domain"), ("dedicatedip", "dedicatedip"),
                           ("assignedips", "assignedips"), ("serviceusername", "username"), ("notes", "notes"),
                           ("nextduedate", "nextduedate"), ("recurringamount", "recurringamount"),
                           ("suspendreason", "suspensionreason")):
            if key in f and service[field] != f[key]:
                service[field] = f[key]
                changed.append(key)
        if "servicepassword" in form:
            service["password"] = form["servicepassword"]
            changed.append("password")
        if "billingcycle" in f:
            service["billingcycle"] = f["billingcycle"]
            changed.append("billingcycle")
        for key, value in decode_custom_fields(form.get("customfields")).items():
            row = next((c for c in service["customfields"]["customfield"] if key in (c["id"], c["name"])), None)
            if row is None:
                raise ApiError(f"Invalid custom field: {key}")
            row["value"] = value
            changed.append(f"custom field {row['name']}")
        if changed:
            self._log(f"Modified Product/Service - {', '.join(changed)} - User ID: {service['clientid']} - "
                      f"Service ID: {service['id']}", int(service["clientid"]))
        return {"serviceid": service["id"]}

    def _module(self, action: str, form: dict[str, str]) -> dict[str, Any]:
        service = self._service(form, "Service ID is required", "Service ID not found")
        product = self.products.get(int(service["pid"]))
        if not product or not product["module"]:
            raise ApiError("Service not assigned to a module")
        word = MODULE_WORDS[action]
        error = self._run_module(action, service)
        cid = int(service["clientid"])
        if error is not None:
            self._log(f"Module {word} Failed - Service ID: {service['id']} - Error: {error}", cid)
            raise ApiError(error)
        if action == "modulechangepw" and form.get("servicepassword"):
            service["password"] = form["servicepassword"]
        if action == "modulesuspend":
            service["suspensionreason"] = (form.get("suspendreason") or "").strip()
        elif action in ("moduleunsuspend", "modulecreate"):
            service["suspensionreason"] = ""
        if action in AFTER_MODULE:
            service["status"] = AFTER_MODULE[action]
        service["lastupdate"] = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime())
        self._log(f"Module {word} Successful - Service ID: {service['id']}", cid)
        return {}

    def _run_module(self, action: str, service: dict[str, Any]) -> str | None:
        for i, (only, message) in enumerate(self._module_errors):
            if only in (None, action):
                del self._module_errors[i]
                return message
        hook = self.on_module_action
        if hook is None:
            return None
        canonical = "Module" + {"modulechangepw": "ChangePw"}.get(action, MODULE_WORDS[action])
        try:
            result = hook(canonical, service)
        except Exception as exc:  # the module's own failure, shown to staff verbatim
            return str(exc) or type(exc).__name__
        return None if result in (None, "success") else str(result)

    # ------------------------------------------------------------------ seeding

    def _new_user(self, first: str, last: str, email: str) -> int:
        uid = max(self.users, default=0) + 1
        self.users[uid] = {"id": uid, "firstname": first, "lastname": last, "email": email, "client_ids": []}
        return uid

    def _seed(self, count: int, servers: list[dict[str, Any]] | None) -> None:
        rng = self._rng
        start = date(2015, 1, 1)
        for cid in range(1, count + 1):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            code = rng.choice(sorted(COUNTRIES))
            _name, _cc, state, city, postcode = COUNTRIES[code]
            status = rng.choices(CLIENT_STATUSES, weights=(88, 8, 4))[0]
            email = f"{first.lower()}.{last.lower()}{cid}@{rng.choice(DOMAINS)}"
            created = start + timedelta(days=int(cid * 4000 / max(count, 1)) + rng.randrange(3))
            client: dict[str, Any] = {
                "id": cid, "uuid": str(uuid.UUID(int=rng.getrandbits(128), version=4)), "firstname": first,
                "lastname": last, "companyname": rng.choice(COMPANY), "email": email,
                "address1": f"{rng.choice(('Main', 'Harbour', 'Station', 'Park'))} Street {rng.randint(1, 200)}",
                "address2": "", "city": city, "state": state, "postcode": postcode, "countrycode": code,
                "phonenumber": f"{rng.randint(100, 999)}{rng.randint(100000, 999999)}", "status": status,
                "groupid": rng.choice((0, 0, 0, 1)), "datecreated": created.isoformat(), "credit": "0.00",
                "currency": 1 if code != "US" else 2, "language": "", "notes": "",
                "lastlogin": (f"Date: {rng.randint(1, 28):02d}/0{rng.randint(1, 9)}/2026 {rng.randint(0, 23):02d}:"
                              f"{rng.randint(0, 59):02d}<br>IP Address: 198.51.100.{rng.randint(2, 250)}<br>Host: "),
                "customfields": [{"id": 3, "value": ""}], "user_ids": [],
            }
            uid = self._new_user(first, last, email)
            client["user_ids"].append(uid)
            self.users[uid]["client_ids"].append(cid)
            if rng.random() < 0.05:   # a second login (a colleague), whose email is a user's but no client's
                other = f"{rng.choice(FIRST).lower()}.team{cid}@{email.split('@')[1]}"
                extra = self._new_user(rng.choice(FIRST), last, other)
                client["user_ids"].append(extra)
                self.users[extra]["client_ids"].append(cid)
            self.clients[cid] = client
        self._seed_products(servers)
        self._seed_services(servers)
        self._seed_activity()
        self.desk.seed(self.clients, self.services, lambda c: CURRENCIES[c["currency"]][0])

    def _add_product(self, gid: int, group: str, name: str, module: str, monthly: str, kind: str = "server") -> dict[str, Any]:
        pid = max(self.products, default=0) + 1
        price = float(monthly)
        cycles = {"monthly": monthly, "quarterly": "-1.00", "semiannually": "-1.00",
                  "annually": f"{price * 10:.2f}", "biennially": "-1.00", "triennially": "-1.00"}
        pricing = {}
        for cur_id, (code, prefix, suffix) in CURRENCIES.items():
            factor = 1.0 if cur_id == 1 else 1.1
            pricing[code] = {"prefix": prefix, "suffix": suffix, **{f"{c[0]}setupfee": "0.00" for c in "mqsabt"},
                             **{c: v if v == "-1.00" else f"{float(v) * factor:.2f}" for c, v in cycles.items()}}
        slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
        product = {
            "pid": pid, "gid": gid, "type": kind, "name": name, "slug": slug,
            "product-url": f"https://billing.example.com/store/{group.lower().replace(' ', '-')}/{slug}",
            "description": f"{group}: {name}", "module": module, "paytype": "recurring", "allowqty": 0,
            "quantity_available": 0, "pricing": pricing, "customfields": {"customfield": []},
            "configoptions": {"configoption": []}, "_group": group, "_server_field": 100 + pid,
        }
        self.products[pid] = product
        return product

    def _seed_products(self, servers: list[dict[str, Any]] | None) -> None:
        plans: list[tuple[str, str]] = []
        for d in servers or []:
            key = (d.get("kind", "hetzner"), str(d.get("plan") or "unknown"))
            if key not in plans:
                plans.append(key)
        if not plans:
            plans = [("hetzner", p) for p in HETZNER_PLANS] + [("convoy", p) for p in CONVOY_PLANS]
        self._plan_products: dict[tuple[str, str], int] = {}
        for kind, plan in plans:
            group, module, gid = ("Convoy VPS", "convoy", 2) if kind == "convoy" else ("Hetzner Cloud", "hetznercloud", 1)
            monthly = (CONVOY_PLANS if kind == "convoy" else HETZNER_PLANS).get(plan, f"{5 + len(plan) % 20}.90")
            self._plan_products[(kind, plan)] = self._add_product(gid, group, plan, module, monthly)["pid"]
        self._hosting_pid = self._add_product(3, "Hosting", "Web Hosting", "cloudpanel", "4.00", "hostingaccount")["pid"]
        self._manual_pid = self._add_product(4, "Other", "Support Hours", "", "45.00", "other")["pid"]
        backends = sorted({(d.get("backend", "hz"), d.get("kind", "hetzner")) for d in servers or []}) or \
            [("hz", "hetzner"), ("cv", "convoy")]
        for n, (backend, kind) in enumerate(backends, start=1):
            self.whmcs_servers[backend] = {"serverid": str(n), "servername": backend, "serverip": f"198.51.100.{20 + n}",
                                           "serverhostname": f"{backend}.panel.example.com", "kind": kind}
        self.whmcs_servers.setdefault("cloudpanel", {"serverid": str(len(backends) + 1), "servername": "cloudpanel-1",
                                                     "serverip": "198.51.100.30", "serverhostname": "cp1.example.com",
                                                     "kind": "cloudpanel"})

    def _seed_services(self, servers: list[dict[str, Any]] | None) -> None:
        rng = self._rng
        client_ids = sorted(self.clients)
        if not client_ids:
            return
        active = [c for c in client_ids if self.clients[c]["status"] == "Active"] or client_ids
        descriptors = list(servers or [])
        if not descriptors:   # no simulators attached: invent the servers the services point at
            for cid in client_ids:
                for _ in range(rng.choices((0, 1, 2), weights=(30, 55, 15))[0]):
                    kind = rng.choice(("hetzner", "convoy"))
                    plan = rng.choice(list(HETZNER_PLANS if kind == "hetzner" else CONVOY_PLANS))
                    sid = str(rng.randrange(40_000_000, 60_000_000)) if kind == "hetzner" else f"{rng.getrandbits(32):08x}"
                    descriptors.append({"backend": "hz" if kind == "hetzner" else "cv", "kind": kind, "id": sid,
                                        "name": f"{self.clients[cid]['firstname'].lower()}-{sid[-4:]}.example.net",
                                        "ipv4": f"203.0.{113 + rng.randrange(3)}.{rng.randrange(2, 254)}", "plan": plan,
                                        "_client": cid})
        for d in descriptors:
            roll = rng.random()
            if roll >= 0.97:
                continue                                    # a server nobody is billed for
            status = "Active" if roll < 0.84 else "Suspended" if roll < 0.92 else "Terminated"
            cid = d.get("_client") or rng.choice(active)
            pid = self._plan_products.get((d.get("kind", "hetzner"), str(d.get("plan") or "unknown")))
            if pid is None:
                pid = next(iter(self._plan_products.values()))
            service = self._new_service(cid, pid, status, domain=str(d.get("name") or ""), ip=d.get("ipv4") or "",
                                        server_id=str(d["id"]), backend=d.get("backend", "hz"))
            self.service_servers[int(service["id"])] = {k: v for k, v in d.items() if not k.startswith("_")}
        vps = list(self._plan_products.values())
        for n in range(max(3, len(descriptors) // 25)):      # orphans: billed VPS whose server does not exist
            cid = rng.choice(active)
            ghost = f"{rng.getrandbits(32):08x}" if n % 2 else str(rng.randrange(90_000_000, 99_000_000))
            service = self._new_service(cid, rng.choice(vps), rng.choice(("Active", "Active", "Suspended")),
                                        domain=f"gone-{ghost}.example.net", ip=f"192.0.2.{rng.randrange(2, 254)}",
                                        server_id=ghost, backend="hz" if n % 2 == 0 else "cv")
            self.orphans.append(int(service["id"]))
        for cid in rng.sample(active, k=max(2, len(active) // 50)):   # ordered, not provisioned yet
            self._new_service(cid, rng.choice(vps), "Pending", domain="", ip="", server_id="", backend=None)
        for cid in rng.sample(client_ids, k=max(1, len(client_ids) // 12)):  # shared hosting, no server
            self._new_service(cid, self._hosting_pid, rng.choice(("Active", "Active", "Suspended")),
                              domain=f"{self.clients[cid]['lastname'].lower()}{cid}.{rng.choice(DOMAINS)}", ip="",
                              server_id=None, backend="cloudpanel")

    def _new_service(self, cid: int, pid: int, status: str, *, domain: str, ip: str, server_id: str | None,
                     backend: str | None) -> dict[str, Any]:
        rng = self._rng
        product = self.products[pid]
        sid = max(self.services, default=0) + 1
        self._next_order += 1
        cycle = rng.choices(("monthly", "annually"), weights=(80, 20))[0]
        code = CURRENCIES[self.clients[cid]["currency"]][0]
        amount = product["pricing"][code][cycle]
        regdate = date(2023, 1, 1) + timedelta(days=rng.randrange(1100))
        due = date(2026, 3, 1) + timedelta(days=rng.randrange(365)) if status in ("Active", "Suspended") else None
        server = self.whmcs_servers.get(backend or "", {"serverid": "0", "servername": "", "serverip": "",
                                                         "serverhostname": ""})
        fields = [] if server_id is None else [{"id": str(product["_server_field"]), "name": "server_id", "value": server_id}]
        service = {
            "id": str(sid), "qty": "1", "clientid": str(cid), "orderid": str(self._next_order),
            "ordernumber": str(4_800_000 + self._next_order * 7), "pid": str(pid), "regdate": regdate.isoformat(),
            "name": product["name"], "translated_name": product["name"], "groupname": product["_group"],
            "translated_groupname": product["_group"], "domain": domain, "dedicatedip": ip,
            "serverid": server["serverid"], "servername": server["servername"], "serverip": server["serverip"],
            "serverhostname": server["serverhostname"],
            "suspensionreason": "Overdue on payment" if status == "Suspended" else "",
            "firstpaymentamount": amount, "recurringamount": amount, "paymentmethod": "stripe",
            "paymentmethodname": "Card", "billingcycle": CYCLE_NAMES[cycle],
            "nextduedate": due.isoformat() if due else "0000-00-00", "status": status,
            "username": f"c{cid}s{sid}", "password": f"{rng.getrandbits(64):016x}", "subscriptionid": "",
            "promoid": "0", "overideautosuspend": "", "overidesuspenduntil": "0000-00-00", "ns1": "", "ns2": "",
            "assignedips": ip, "notes": "", "diskusage": "0", "disklimit": "0", "bwusage": "0", "bwlimit": "0",
            "lastupdate": "0000-00-00 00:00:00", "customfields": {"customfield": fields},
            "configoptions": {"configoption": []},
        }
        if product["type"] == "hostingaccount":
            service.update(diskusage=str(rng.randrange(50, 9000)), disklimit="10240", bwusage=str(rng.randrange(0, 90000)),
                           bwlimit="102400")
        self.services[sid] = service
        return service

    def _seed_activity(self) -> None:
        rng = self._rng
        when = datetime(2026, 1, 1, tzinfo=UTC)
        clients = sorted(self.clients)
        for n in range(1, 241):
            when += timedelta(seconds=rng.randrange(600, 20000))
            cid = rng.choice(clients) if clients and rng.random() < 0.6 else 0
            if cid:
                text = rng.choice(("Client Login", "Updated Contact Details", "Invoice Paid"))
                user, description, name, ip = self.clients[cid]["user_ids"][0], f"{text} - User ID: {cid}", "Client", \
                    f"198.51.100.{rng.randrange(2, 250)}"
            else:
                user, description, name, ip = 0, "Cron Job: Starting", "System", ""
            self.activity.append({"id": n, "clientId": cid, "userId": user, "adminId": 0,
                                  "date": when.strftime("%Y-%m-%d %H:%M:%S"), "description": description,
                                  "username": name, "ipaddress": ip, "userid": cid})


def _copy_service(s: dict[str, Any]) -> dict[str, Any]:
    out = dict(s)
    out["customfields"] = {"customfield": [dict(c) for c in s["customfields"]["customfield"]]}
    out["configoptions"] = {"configoption": [dict(c) for c in s["configoptions"]["configoption"]]}
    return out


def _local_date(text: str) -> str:
    """GetActivityLog's localised `date` (dd/mm/yyyy, or already Y-m-d) -> Y-m-d."""
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4})", text.strip())
    return f"{m.group(3)}-{int(m.group(2)):02d}-{int(m.group(1)):02d}" if m else text.strip()[:10]


def _xml(value: Any, indent: str = "") -> str:
    out = ""
    for key, item in value.items() if isinstance(value, dict) else enumerate(value):
        tag = key if isinstance(key, str) else "item"
        if isinstance(item, (dict, list)):
            out += f"{indent}<{tag}>\n{_xml(item, indent + ' ')}{indent}</{tag}>\n"
        else:
            out += f"{indent}<{tag}>{escape('' if item is None else str(item))}</{tag}>\n"
    return out


def _version(version: str) -> tuple[int, ...]:
    parts = []
    for piece in str(version).split("-")[0].split("."):
        if not piece.isdigit():
            break
        parts.append(int(piece))
    return tuple(parts)


def _stringify(value: Any) -> Any:
    """Every number as a string, the way older WHMCS versions answer (`"totalresults": "2"`, `"id": "1"`)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict):
        return {k: _stringify(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stringify(v) for v in value]
    return value
