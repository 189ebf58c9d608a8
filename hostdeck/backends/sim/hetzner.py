"""A faithful loopback simulator of the Hetzner Cloud API (`/v1`), see shared/api/hetzner.md.

Seeded, deterministic servers (10,000+ are fine), the catalog from `backends/hetzner/fallback_catalog.json`,
real state machines advanced lazily from elapsed time, per-token rate limiting, Hetzner's error bodies,
and the fault injection of `hostdeck.backends.sim.server`.

    with HetznerSim(servers=200, seed=1) as sim:
        sim.faults.add(route="GET /servers", kind="status", status=503, count=2)
        httpx.get(sim.base_url + "/servers", headers={"Authorization": "Bearer demo-hetzner-token"})

Choices where the public material is silent (unverified): body validation errors answer 422, query
errors 400; `reset_password` on a server that is not running answers 422 `server_not_running`; reboot
of a powered-off server leaves it off, reset powers it on; seeded servers named `legacy-*` run guests
that ignore ACPI (`shutdown` never turns them off), like servers passed to `ignore_acpi()`. A read-only token is
refused with 403 `forbidden` on every write, as seen in the field (`readonly_code="token_readonly"` for the other code).
The day-2 endpoints (rescue, images, type changes, ISOs, metrics, ...) are in `sim/hetzner_day2.py`.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import json
import math
import random
import re
import secrets
import string
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlencode

from .server import Handler
from .server import Request
from .server import Response
from .server import Router
from .server import SimApp
from .server import SimServer
from .server import dumps

SERVER_STATUSES = ("running", "initializing", "starting", "stopping", "off", "deleting", "migrating", "rebuilding",
                   "unknown")
DAY2_ACTIONS = ("enable_rescue", "disable_rescue", "create_image", "change_type", "disable_backup",
                "change_protection", "attach_iso", "detach_iso", "change_dns_ptr")   # served by sim/hetzner_day2.py
SERVER_ACTIONS = ("poweron", "poweroff", "shutdown", "reboot", "reset", "reset_password", "request_console",
                  "rebuild", "enable_backup", *DAY2_ACTIONS)
DEFAULT_ERROR_CODES = {400: "invalid_input", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                       405: "method_not_allowed", 409: "conflict", 410: "deprecated_api_endpoint", 422: "invalid_input",
                       423: "locked", 429: "rate_limit_exceeded", 500: "server_error", 502: "bad_gateway",
                       503: "service_error", 504: "timeout"}
DEFAULT_MESSAGES = {"unauthorized": "unable to authenticate", "forbidden": "insufficient permissions",
                    "not_found": "resource not found", "conflict": "the resource has changed during the request, please retry",
                    "locked": "server is locked", "rate_limit_exceeded": "limit of requests per hour reached",
                    "server_error": "internal server error", "bad_gateway": "bad gateway", "timeout": "gateway timeout",
                    "service_error": "service temporarily unavailable", "maintenance": "API is in maintenance mode",
                    "invalid_input": "invalid input"}
ANNOUNCEMENT = "https://docs.hetzner.cloud/changelog#2026-07-01-removing-datacenters"
EU_LOCATIONS = ("fsn1", "nbg1", "hel1")
TB = 1024 ** 4
SEED_START, SEED_END = 1551398400, 1793404800      # 2019-03-01 .. 2026-10-31, fixed for determinism
HOST_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
LABEL_VALUE = re.compile(r"^(|[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])$")
LABEL_PREFIX = re.compile(r"^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$")


def ts(epoch: float) -> str:
    """RFC 3339 with seconds and Z, the format every Hetzner timestamp has."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def new_password(length: int = 20) -> str:
    alphabet = string.ascii_letters + string.digits
    return "".join(secrets.choice(alphabet) for _ in range(length))


def _sort_key(value: Any) -> tuple[bool, Any]:
    return (value is not None, value if value is not None else 0)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, details: Any = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def invalid(fields: dict[str, list[str]], status: int = 422) -> ApiError:
    names = ", ".join(f"'{n}'" for n in fields)
    return ApiError(status, "invalid_input", f"invalid input in field{'s' if len(fields) > 1 else ''} {names}",
                    {"fields": [{"name": n, "messages": m} for n, m in fields.items()]})


def hostname_error(name: Any) -> str | None:
    if not isinstance(name, str) or not name:
        return "name is required and must be a string"
    if len(name) > 253 or not all(HOST_LABEL.match(part) for part in name.split(".")):
        return "must be a valid hostname (RFC 1123): letters, digits, hyphens and dots, labels up to 63 characters"
    return None


def labels_error(labels: Any) -> str | None:
    if not isinstance(labels, dict):
        return "labels must be an object of strings"
    for key, value in labels.items():
        prefix, _, name = key.rpartition("/") if isinstance(key, str) else ("", "", "")
        if not name or not LABEL_VALUE.match(name) or (prefix and not LABEL_PREFIX.match(prefix)):
            return f"invalid label key {key!r}"
        if prefix.startswith("hetzner.cloud"):
            return "the label prefix hetzner.cloud/ is reserved"
        if not isinstance(value, str) or not LABEL_VALUE.match(value):
            return f"invalid value for label {key!r}"
    return None


# --------------------------------------------------------------------------- label selectors


def parse_label_selector(text: str) -> Callable[[dict[str, str]], bool]:
    """`k=v`, `k==v`, `k!=v`, `k`, `!k`, `k in (a,b)`, `k notin (a,b)`, comma-separated (AND)."""
    parts, depth, current = [], 0, ""
    for ch in text:
        depth += ch == "("
        depth -= ch == ")"
        if ch == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    tests: list[Callable[[dict[str, str]], bool]] = []
    for raw in parts:
        expr = raw.strip()
        set_match = re.fullmatch(r"([^\s!=(),]+)\s+(in|notin)\s+\(([^()]*)\)", expr)
        if set_match:
            key, op, values = set_match.group(1), set_match.group(2), {v.strip() for v in set_match.group(3).split(",")}
            tests.append((lambda k, vs: lambda l: l.get(k) in vs)(key, values) if op == "in"
                         else (lambda k, vs: lambda l: l.get(k) not in vs)(key, values))
        elif re.fullmatch(r"![^\s!=(),]+", expr):
            tests.append((lambda k: lambda l: k not in l)(expr[1:]))
        elif m := re.fullmatch(r"([^\s!=(),]+)\s*(!=|==|=)\s*([^\s!=(),]*)", expr):
            key, op, value = m.groups()
            tests.append((lambda k, want: lambda l: l.get(k) != want)(key, value) if op == "!="
                         else (lambda k, want: lambda l: l.get(k) == want)(key, value))
        elif re.fullmatch(r"[^\s!=(),]+", expr):
            tests.append((lambda k: lambda l: k in l)(expr))
        else:
            raise invalid({"label_selector": [f"invalid label selector expression {expr!r}"]}, 400)
    return lambda labels: all(t(labels) for t in tests)


# --------------------------------------------------------------------------- internals


@dataclass(slots=True)
class _Job:
    action: dict[str, Any]
    server_id: int | None
    begin: float
    end: float
    fail: bool = False
    on_success: Callable[[], None] | None = None
    on_error: Callable[[], None] | None = None


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float


def load_catalog() -> dict[str, Any]:
    text = resources.files("hostdeck.backends.hetzner").joinpath("fallback_catalog.json").read_text(encoding="utf-8")
    catalog: dict[str, Any] = json.loads(text)
    return catalog


def _money(value: str, places: int = 4) -> dict[str, str]:
    from decimal import Decimal

    net = Decimal(value)
    q = Decimal(1).scaleb(-places)
    return {"net": str(net.quantize(q)), "gross": str((net * Decimal("1.19")).quantize(q))}


class HetznerSim(SimApp):
    prefix = "/v1"

    def __init__(self, servers: int = 200, seed: int = 1, latency_ms: float = 0.0, jitter_ms: float = 0.0, *,
                 token: str = "demo-hetzner-token", readonly_token: str | None = "demo-hetzner-readonly",
                 action_seconds: float = 0.3, rate_limit: int = 3600, refill_per_second: float = 1.0,
                 legacy_datacenter: bool = False, hang_seconds: float = 30.0,
                 readonly_code: str = "forbidden") -> None:
        self.token, self.readonly_token = token, readonly_token
        self.readonly_code = readonly_code   # "forbidden": what read-only tokens were seen answering in the field
        self.action_seconds = action_seconds
        self.rate_limit, self.refill_per_second = rate_limit, refill_per_second
        self.legacy_datacenter = legacy_datacenter
        self.clock: Callable[[], float] = time.time
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._server = SimServer(self, latency_ms=latency_ms, jitter_ms=jitter_ms, seed=seed, hang_seconds=hang_seconds)
        self._buckets: dict[str, _Bucket] = {}
        self._cache: dict[int, bytes] = {}
        self._jobs: list[_Job] = []
        self._fail_next: set[int] = set()
        self.acpi_ignored: set[int] = set()
        self.actions: dict[int, dict[str, Any]] = {}
        self._next_action_id = 2_400_000_000 + self._rng.randrange(1_000_000)
        self._load_catalog()
        self.servers: dict[int, dict[str, Any]] = {}
        self._names: set[str] = set()
        self._ip_counter, self._ip6_counter, self._pip_id = 0, 0, 70_000_000
        self._next_server_id = 40_000_000 + self._rng.randrange(1_000_000)
        self._seed_project(servers)
        from .hetzner_day2 import Day2  # it imports this module's helpers

        self.day2 = Day2(self, seed)
        self.day2.seed_volumes(list(self.servers.values()))
        self._router = self._routes()

    # ------------------------------------------------------------------ public interface

    def fail_next_action(self, server_id: int) -> None:
        """The next action on this server ends in status "error" with code action_failed."""
        with self._lock:
            self._fail_next.add(int(server_id))

    def advance(self) -> None:
        """Bring actions and server states up to now (requests do this themselves; for reading `servers`)."""
        with self._lock:
            self._advance(self.clock())

    def ignore_acpi(self, server_id: int) -> None:
        """`shutdown` on this server succeeds as an action but never turns the server off."""
        with self._lock:
            self.acpi_ignored.add(int(server_id))

    def next_image_id(self) -> int:
        return max(int(i["id"]) for i in self.images) + 1 + self._rng.randrange(50)

    # ------------------------------------------------------------------ SimApp

    def handle(self, req: Request) -> Response:
        with self._lock:
            now = self.clock()
            token = self._token_of(req)
            try:
                if not self._take_token(token, now):
                    raise ApiError(429, "rate_limit_exceeded",
                                   f"limit of {self.rate_limit} requests per hour reached")
                if not token or token not in (self.token, self.readonly_token):
                    raise ApiError(401, "unauthorized", "unable to authenticate")
                if token == self.readonly_token and req.method not in ("GET", "HEAD"):
                    raise ApiError(403, self.readonly_code, "the token is read-only and cannot perform this operation"
                                   if self.readonly_code == "token_readonly" else "insufficient permissions for this request")
                handler, params, known = self._router.match(req.method, req.route_path)
                if handler is None:
                    if known:
                        raise ApiError(405, "method_not_allowed", f"method {req.method} is not allowed here")
                    raise ApiError(404, "not_found", "the requested resource was not found")
                req.params = params
                self._advance(now)
                return handler(req)
            except ApiError as err:
                return self._error(err.status, err.code, err.message, err.details)

    def error_response(self, req: Request, status: int, code: str | None = None,
                       message: str | None = None) -> Response:
        code = code or DEFAULT_ERROR_CODES.get(status, "server_error" if status >= 500 else "invalid_input")
        return self._error(status, code, message or DEFAULT_MESSAGES.get(code, code.replace("_", " ")), None)

    def decorate(self, req: Request, resp: Response) -> None:
        with self._lock:
            bucket = self._bucket(self._token_of(req), self.clock())
            remaining = 0 if resp.status == 429 else int(bucket.tokens)
            missing = self.rate_limit - bucket.tokens
            wait = math.ceil(missing / self.refill_per_second) if self.refill_per_second > 0 and missing > 0 else 0
            if self.refill_per_second <= 0 and missing > 0:
                wait = 3600
            reset = int(self.clock()) + wait
        resp.headers += [("X-Correlation-Id", uuid.uuid4().hex[:16]), ("RateLimit-Limit", str(self.rate_limit)),
                         ("RateLimit-Remaining", str(remaining)), ("RateLimit-Reset", str(reset))]

    # ------------------------------------------------------------------ plumbing

    def _routes(self) -> Router[Handler]:
        r: Router[Handler] = Router()
        r.add("GET", "/servers", self._list_servers)
        r.add("POST", "/servers", self._create_server)
        r.add("GET", "/servers/{id}", self._get_server)
        r.add("PUT", "/servers/{id}", self._update_server)
        r.add("DELETE", "/servers/{id}", self._delete_server)
        r.add("POST", "/servers/{id}/actions/{action}", self._server_action)
        r.add("GET", "/actions", self._list_actions)
        r.add("GET", "/actions/{id}", self._get_action)
        # /server_types takes no `sort` (the spec lists name, page, per_page; hcloud-python sends none)
        r.add("GET", "/server_types", lambda q: self._list(q, "server_types", self.server_types, ()))
        r.add("GET", "/server_types/{id}", lambda q: self._get(q, "server_type", self.server_types))
        r.add("GET", "/locations", lambda q: self._list(q, "locations", self.locations, ("id", "name")))
        r.add("GET", "/locations/{id}", lambda q: self._get(q, "location", self.locations))
        r.add("GET", "/images", self._list_images)
        r.add("GET", "/images/{id}", lambda q: self._get(q, "image", self.images))
        r.add("GET", "/pricing", lambda q: Response.json(200, {"pricing": self.pricing}))
        r.add("GET", "/networks", lambda q: self._list(q, "networks", self.networks, ("id", "name", "created")))
        r.add("GET", "/networks/{id}", lambda q: self._get(q, "network", self.networks))
        r.add("GET", "/ssh_keys", self._list_ssh_keys)
        r.add("GET", "/ssh_keys/{id}", lambda q: self._get(q, "ssh_key", self.ssh_keys))
        r.add("GET", "/datacenters", self._datacenters)
        r.add("GET", "/datacenters/{id}", self._datacenters)
        self.day2.routes(r)
        return r

    @staticmethod
    def _token_of(req: Request) -> str:
        scheme, _, value = (req.header("Authorization") or "").strip().partition(" ")
        return value.strip() if scheme.lower() == "bearer" else ""

    def _bucket(self, token: str, now: float) -> _Bucket:
        bucket = self._buckets.get(token)
        if bucket is None:
            bucket = self._buckets[token] = _Bucket(float(self.rate_limit), now)
        bucket.tokens = min(float(self.rate_limit), bucket.tokens + (now - bucket.updated) * self.refill_per_second)
        bucket.updated = now
        return bucket

    def _take_token(self, token: str, now: float) -> bool:
        bucket = self._bucket(token, now)
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    @staticmethod
    def _error(status: int, code: str, message: str, details: Any) -> Response:
        return Response.json(status, {"error": {"code": code, "message": message, "details": details}})

    @staticmethod
    def _id(raw: str, kind: str) -> int:
        try:
            return int(raw)
        except ValueError:
            raise ApiError(404, "not_found", f"{kind} with ID '{raw}' not found") from None

    @staticmethod
    def _int_arg(req: Request, name: str, default: int) -> int:
        raw = req.arg(name)
        if raw in (None, ""):
            return default
        try:
            return int(raw)
        except ValueError:
            raise invalid({name: [f"{name} must be an integer"]}, 400) from None

    # ------------------------------------------------------------------ listing

    def _sorted(self, req: Request, items: list[dict[str, Any]], fields: tuple[str, ...]) -> list[dict[str, Any]]:
        keys = [part.strip() for raw in req.args("sort") for part in raw.split(",") if part.strip()]
        if not keys:
            return items
        if not fields:
            raise invalid({"sort": ["this list cannot be sorted: sort is not a parameter of this endpoint"]}, 400)
        items = list(items)
        for key in reversed(keys):
            field, _, direction = key.partition(":")
            if field not in fields or direction not in ("", "asc", "desc"):
                raise invalid({"sort": [f"invalid sort value {key!r}; allowed fields: {', '.join(fields)}"]}, 400)
            items.sort(key=lambda item: _sort_key(item.get(field)), reverse=direction == "desc")
        return items

    def _paginate(self, req: Request, items: list[Any]) -> tuple[list[Any], dict[str, Any], list[tuple[str, str]]]:
        page = max(self._int_arg(req, "page", 1), 1)
        per_page = min(max(self._int_arg(req, "per_page", 25), 1), 50)
        total = len(items)
        last = max(1, -(-total // per_page))
        chunk = items[(page - 1) * per_page: page * per_page]
        pagination = {"page": page, "per_page": per_page,
                      "previous_page": min(page - 1, last) if page > 1 else None,
                      "next_page": page + 1 if page < last else None,
                      "last_page": last, "total_entries": total}
        links = []
        for rel, target in (("prev", pagination["previous_page"]), ("next", pagination["next_page"]), ("last", last)):
            if target is not None:
                query = [(k, v) for k, vs in req.query.items() if k not in ("page", "per_page") for v in vs]
                query += [("page", str(target)), ("per_page", str(per_page))]
                links.append(f'<http://{req.host}{req.path}?{urlencode(query, safe=":,()!")}>; rel="{rel}"')
        return chunk, {"pagination": pagination}, [("Link", ", ".join(links))] if links else []

    def _filtered(self, req: Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
        name = req.arg("name")
        if name is not None:
            items = [item for item in items if item.get("name") == name]
        selector = req.arg("label_selector")
        if selector:
            match = parse_label_selector(selector)
            items = [item for item in items if match(item.get("labels") or {})]
        return items

    def _list(self, req: Request, root: str, items: list[dict[str, Any]], sort_fields: tuple[str, ...]) -> Response:
        items = self._sorted(req, self._filtered(req, items), sort_fields)
        chunk, meta, headers = self._paginate(req, items)
        return Response.json(200, {root: chunk, "meta": meta}, headers)

    def _get(self, req: Request, root: str, items: list[dict[str, Any]]) -> Response:
        wanted = self._id(req.params["id"], root.replace("_", " "))
        for item in items:
            if item["id"] == wanted:
                return Response.json(200, {root: item})
        raise ApiError(404, "not_found", f"{root.replace('_', ' ')} with ID '{wanted}' not found")

    def _list_images(self, req: Request) -> Response:
        items = self.images
        types, statuses = self._multi(req, "type"), self._multi(req, "status")
        arch, bound = req.arg("architecture"), self._multi(req, "bound_to")
        if types:
            items = [i for i in items if i["type"] in types]
        if statuses:
            items = [i for i in items if i["status"] in statuses]
        if arch:
            items = [i for i in items if i["architecture"] == arch]
        if bound:
            items = [i for i in items if str(i["bound_to"]) in bound]
        if (req.arg("include_deprecated") or "false").lower() != "true":
            items = [i for i in items if not i["deprecated"]]
        return self._list(req, "images", items, ("id", "name", "created"))

    def _list_ssh_keys(self, req: Request) -> Response:
        items = self.ssh_keys
        fingerprint = req.arg("fingerprint")
        if fingerprint is not None:
            items = [k for k in items if k["fingerprint"] == fingerprint]
        return self._list(req, "ssh_keys", items, ("id", "name"))

    @staticmethod
    def _multi(req: Request, name: str) -> set[str]:
        return {v.strip() for raw in req.args(name) for v in raw.split(",") if v.strip()}

    def _datacenters(self, req: Request) -> Response:
        if not self.legacy_datacenter:
            raise ApiError(410, "deprecated_api_endpoint", "the datacenters endpoint has been removed; use locations",
                           {"announcement": ANNOUNCEMENT})
        if "id" in req.params:
            return self._get(req, "datacenter", self.datacenters)
        response = self._list(req, "datacenters", self.datacenters, ("id", "name"))
        payload = json.loads(response.body)
        payload["recommendation"] = self.datacenters[0]["id"]
        return Response.json(200, payload, response.headers)

    # ------------------------------------------------------------------ servers

    def _server_json(self, server: dict[str, Any]) -> bytes:
        cached = self._cache.get(server["id"])
        if cached is None:
            cached = self._cache[server["id"]] = dumps(server)
        return cached

    def _touch(self, server: dict[str, Any]) -> None:
        self._cache.pop(server["id"], None)

    def _find(self, raw: str) -> dict[str, Any]:
        sid = self._id(raw, "server")
        server = self.servers.get(sid)
        if server is None:
            raise ApiError(404, "not_found", f"server with ID '{sid}' not found")
        return server

    def _list_servers(self, req: Request) -> Response:
        items = list(self.servers.values())
        statuses = self._multi(req, "status")
        if statuses - set(SERVER_STATUSES):
            raise invalid({"status": [f"invalid status {', '.join(sorted(statuses - set(SERVER_STATUSES)))}"]}, 400)
        if statuses:
            items = [s for s in items if s["status"] in statuses]
        items = self._sorted(req, self._filtered(req, items), ("id", "name", "created"))
        chunk, meta, headers = self._paginate(req, items)
        body = b'{"servers":[' + b",".join(self._server_json(s) for s in chunk) + b'],"meta":' + dumps(meta) + b"}"
        return Response(200, body, "application/json", headers)

    def _get_server(self, req: Request) -> Response:
        return Response(200, b'{"server":' + self._server_json(self._find(req.params["id"])) + b"}")

    def _body(self, req: Request) -> dict[str, Any]:
        try:
            body = req.json()
        except ValueError as exc:
            raise ApiError(400, "json_error", f"request body is not valid JSON: {exc}") from None
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise ApiError(400, "json_error", "request body must be a JSON object")
        return body

    def _lookup(self, items: list[dict[str, Any]], ref: Any) -> dict[str, Any] | None:
        for item in items:
            if (isinstance(ref, int) and not isinstance(ref, bool) and item["id"] == ref) or \
                    (isinstance(ref, str) and (item.get("name") == ref or str(item["id"]) == ref)):
                return item
        return None

    def _known(self, items: list[dict[str, Any]], ref: Any) -> dict[str, Any]:
        """An item the request was already checked to name."""
        item = self._lookup(items, ref)
        if item is None:
            raise LookupError(f"no item {ref!r}")
        return item

    def _image_for(self, ref: Any, arch: str | None) -> dict[str, Any] | None:
        candidates = [i for i in self.images if arch is None or i["architecture"] == arch]
        return self._lookup(candidates, ref) or (self._lookup(self.images, ref) if arch else None)

    def _create_server(self, req: Request) -> Response:
        body = self._body(req)
        errors: dict[str, list[str]] = {}
        name = body.get("name")
        if message := hostname_error(name):
            errors["name"] = [message]
        stype = self._lookup(self.server_types, body.get("server_type"))
        if stype is None:
            errors["server_type"] = ["server_type is required" if "server_type" not in body
                                     else f"unknown server type {body.get('server_type')!r}"]
        elif stype["deprecated"]:
            errors["server_type"] = [f"server type {stype['name']} is deprecated and can no longer be ordered"]
        image = self._image_for(body.get("image"), stype["architecture"] if stype else None)
        if image is None:
            errors["image"] = ["image is required" if "image" not in body else f"unknown image {body.get('image')!r}"]
        elif stype and image["architecture"] != stype["architecture"]:
            errors["image"] = [f"image architecture {image['architecture']} does not match server type"]
        location = self._location_for(body, stype, errors)
        if "labels" in body and (message := labels_error(body["labels"])):
            errors["labels"] = [message]
        keys = body.get("ssh_keys") or []
        if not isinstance(keys, list) or any(self._lookup(self.ssh_keys, k) is None for k in keys):
            errors["ssh_keys"] = ["ssh_keys must be a list of existing SSH key IDs or names"]
        networks = body.get("networks") or []
        if not isinstance(networks, list) or any(self._lookup(self.networks, n) is None for n in networks):
            errors["networks"] = ["networks must be a list of existing network IDs"]
        elif networks and location is not None and location["network_zone"] != "eu-central":
            errors["networks"] = [f"networks are in network zone eu-central, {location['name']} is not"]
        if not isinstance(body.get("start_after_create", True), bool):
            errors["start_after_create"] = ["start_after_create must be a boolean"]
        if isinstance(body.get("user_data"), str) and len(body["user_data"].encode()) > 32 * 1024:
            errors["user_data"] = ["user_data must not exceed 32 KiB"]
        public_net = body.get("public_net") or {}
        if not isinstance(public_net, dict):
            errors["public_net"] = ["public_net must be an object"]
            public_net = {}
        if errors:
            raise invalid(errors)
        assert isinstance(name, str) and stype is not None and location is not None   # invalid() raised otherwise
        if name in self._names:
            raise ApiError(409, "uniqueness_error", "server name is already used", {"fields": [{"name": "name"}]})
        now = self.clock()
        server = self._build_server(
            name=name, stype=stype, location=location, image=image, created=now, status="initializing",
            labels=dict(body.get("labels") or {}), ipv4=public_net.get("enable_ipv4", True) is not False,
            ipv6=public_net.get("enable_ipv6", True) is not False, networks=[self._known(self.networks, n)["id"]
                                                                           for n in networks])
        for fw in body.get("firewalls") or []:
            if isinstance(fw, dict) and isinstance(fw.get("firewall"), int):
                server["public_net"]["firewalls"].append({"id": fw["firewall"], "status": "pending"})
        server["outgoing_traffic"] = server["ingoing_traffic"] = None
        self._add_server(server)
        if keys:
            self.day2.keyed_servers.add(server["id"])
        sid, start = server["id"], body.get("start_after_create", True)

        def created() -> None:
            server["status"] = "starting" if start else "off"
            for fw in server["public_net"]["firewalls"]:
                fw["status"] = "applied"

        def failed() -> None:
            server["status"] = "off"

        action = self._start_job("create_server", sid, now, on_success=created, on_error=failed)
        next_actions = []
        if start:
            next_actions.append(self._start_job("start_server", sid, now, begin=now + self.action_seconds,
                                                on_success=lambda: self._set_status(server, "running"),
                                                on_error=lambda: self._set_status(server, "off")))
        return Response.json(201, {"server": server, "action": action, "next_actions": next_actions,
                                   "root_password": None if keys else new_password()})

    def _location_for(self, body: dict[str, Any], stype: dict[str, Any] | None,
                      errors: dict[str, list[str]]) -> dict[str, Any] | None:
        if "datacenter" in body:
            dc = self._lookup(self.datacenters, body["datacenter"]) if self.legacy_datacenter else None
            if dc is None:
                errors["datacenter"] = ["datacenter has been removed from the API; use location"
                                        if not self.legacy_datacenter else "unknown datacenter"]
                return None
            if "location" in body:
                errors["location"] = ["location and datacenter are mutually exclusive"]
            return self._lookup(self.locations, dc["location"]["id"])
        if body.get("location") is None:
            if stype is None:
                return None
            return next((loc for loc in self.locations if self._available(stype, loc["name"])), None)
        location = self._lookup(self.locations, body["location"])
        if location is None:
            errors["location"] = [f"unknown location {body['location']!r}"]
        elif stype is not None and not self._available(stype, location["name"]):
            errors["location"] = [f"server type {stype['name']} is not available in {location['name']}"]
        return location

    @staticmethod
    def _available(stype: dict[str, Any], location: str) -> bool:
        return any(l["name"] == location and l.get("available", True) for l in stype["locations"])

    def _update_server(self, req: Request) -> Response:
        server = self._find(req.params["id"])
        body = self._body(req)
        errors: dict[str, list[str]] = {}
        if "name" in body and (message := hostname_error(body["name"])):
            errors["name"] = [message]
        if "labels" in body and (message := labels_error(body["labels"])):
            errors["labels"] = [message]
        if errors:
            raise invalid(errors)
        if "name" in body and body["name"] != server["name"]:
            if body["name"] in self._names:
                raise ApiError(409, "uniqueness_error", "server name is already used", {"fields": [{"name": "name"}]})
            self._names.discard(server["name"])
            self._names.add(body["name"])
            server["name"] = body["name"]
        if "labels" in body:
            server["labels"] = dict(body["labels"])
        self._touch(server)
        return self._get_server(req)

    def _delete_server(self, req: Request) -> Response:
        server = self._find(req.params["id"])
        if server["protection"]["delete"]:
            raise ApiError(403, "protected", "server deletion is protected; disable the protection first")
        self._check_unlocked(server)
        now = self.clock()
        sid = server["id"]
        if sid in self._fail_next:          # a failing delete leaves the server in place
            action = self._start_job("delete_server", sid, now)
            return Response.json(200, {"action": action})
        action = self._start_job("delete_server", sid, now)
        self._remove_server(server)
        return Response.json(200, {"action": action})

    def _check_unlocked(self, server: dict[str, Any]) -> None:
        if server["locked"] or any(j.server_id == server["id"] for j in self._jobs):
            raise ApiError(423, "locked", f"cannot perform operation because server {server['id']} is locked")

    def _set_status(self, server: dict[str, Any], status: str) -> None:
        if server["id"] in self.servers:
            server["status"] = status
            self._touch(server)

    def _server_action(self, req: Request) -> Response:
        name = req.params["action"]
        if name not in SERVER_ACTIONS:
            raise ApiError(404, "not_found", f"unknown server action {name!r}")
        server = self._find(req.params["id"])
        if name in DAY2_ACTIONS:
            return self.day2.action(name, server, req)
        body = self._body(req) if name == "rebuild" else {}
        if name == "rebuild":
            image = self._image_for(body.get("image"), server["server_type"]["architecture"])
            if image is None or image["architecture"] != server["server_type"]["architecture"]:
                raise invalid({"image": ["image is required" if "image" not in body
                                         else f"unknown or incompatible image {body.get('image')!r}"]})
            if server["protection"]["rebuild"]:
                raise ApiError(403, "protected", "server rebuild is protected; disable the protection first")
        self._check_unlocked(server)
        if name == "reset_password" and server["status"] != "running":
            raise ApiError(422, "server_not_running", "server must be running to reset the root password")
        now, before, status = self.clock(), server["status"], server["status"]
        revert: Callable[[], None] = lambda: self._set_status(server, before)
        done: Callable[[], None] | None = None
        extra: dict[str, Any] = {}
        command = {"poweron": "start_server", "poweroff": "stop_server", "shutdown": "shutdown_server",
                   "reboot": "reboot_server", "reset": "reset_server", "reset_password": "reset_password",
                   "request_console": "request_console", "rebuild": "rebuild_server",
                   "enable_backup": "enable_backup"}[name]
        if name == "poweron" and before != "running":
            status, done = "starting", lambda: self._set_status(server, "running")
        elif name == "poweroff":
            done = lambda: self._set_status(server, "off")
        elif name == "shutdown" and before == "running" and server["id"] not in self.acpi_ignored:
            status, done = "stopping", lambda: self._set_status(server, "off")
        elif name == "reboot" and before == "running":
            done = lambda: self._set_status(server, "running")
        elif name == "reset":
            status, done = ("running" if before == "running" else "starting"), lambda: self._set_status(server, "running")
        elif name == "reset_password":
            extra["root_password"] = new_password()
        elif name == "request_console":
            extra["wss_url"] = (f"wss://console.hetzner.cloud/?server_id={server['id']}"
                                f"&token={secrets.token_urlsafe(24)}")
            extra["password"] = new_password(16)
        elif name == "rebuild":
            status, server["image"] = "rebuilding", image
            done = lambda: self._set_status(server, "running")
            extra["root_password"] = self.day2.rebuild_password(server, image or {})
        elif name == "enable_backup":
            def done() -> None:
                server["backup_window"] = server["backup_window"] or "22-02"
                self._touch(server)
        if status != before:
            self._set_status(server, status)
        self._touch(server)
        action = self._start_job(command, server["id"], now, on_success=done, on_error=revert)
        return Response.json(201, {"action": action, **extra})

    # ------------------------------------------------------------------ actions

    def _start_job(self, command: str, server_id: int, now: float, *, begin: float | None = None,
                   on_success: Callable[[], None] | None = None,
                   on_error: Callable[[], None] | None = None) -> dict[str, Any]:
        aid, self._next_action_id = self._next_action_id, self._next_action_id + 1 + self._rng.randrange(3)
        action = {"id": aid, "command": command, "status": "running", "progress": 0, "started": ts(now),
                  "finished": None, "resources": [{"id": server_id, "type": "server"}], "error": None}
        self.actions[aid] = action
        begin = now if begin is None else begin
        fail = server_id in self._fail_next
        self._fail_next.discard(server_id)
        self._jobs.append(_Job(action, server_id, begin, begin + self.action_seconds, fail, on_success, on_error))
        return action

    def _advance(self, now: float) -> None:
        """Move every running action (and the server it drives) forward to `now`."""
        if not self._jobs:
            return
        for job in sorted(self._jobs, key=lambda j: j.end):
            action = job.action
            if now < job.end:
                span = job.end - job.begin
                action["progress"] = min(99, max(0, int(100 * (now - job.begin) / span))) if span > 0 else 0
                continue
            self._jobs.remove(job)
            action["finished"] = ts(job.end)
            action["progress"] = 100
            if job.fail:
                action["status"] = "error"
                action["error"] = {"code": "action_failed", "message": "Action failed"}
                if job.on_error:
                    job.on_error()
            else:
                action["status"] = "success"
                if job.on_success:
                    job.on_success()

    # what sim/hetzner_day2.py uses of the simulator
    get_item, list_items, read_body, lookup, find = _get, _list, _body, _lookup, _find
    check_unlocked, touch, start_job, set_status = _check_unlocked, _touch, _start_job, _set_status
    available, int_id, multi = _available, _id, _multi

    def _get_action(self, req: Request) -> Response:
        aid = self._id(req.params["id"], "action")
        action = self.actions.get(aid)
        if action is None:
            raise ApiError(404, "not_found", f"action with ID '{aid}' not found")
        return Response.json(200, {"action": action})

    def _list_actions(self, req: Request) -> Response:
        raw = [v for value in req.args("id") for v in value.split(",") if v.strip()]
        if not raw:
            raise invalid({"id": ["at least one action id is required; listing all actions was removed"]}, 400)
        try:
            ids = [int(v) for v in raw]
        except ValueError:
            raise invalid({"id": ["id must be an integer"]}, 400) from None
        found = [self.actions[i] for i in dict.fromkeys(ids) if i in self.actions]
        chunk, meta, headers = self._paginate(req, self._sorted(req, found, ("id", "command", "status", "started",
                                                                             "finished", "progress")))
        return Response.json(200, {"actions": chunk, "meta": meta}, headers)

    # ------------------------------------------------------------------ catalog and seed data

    def _load_catalog(self) -> None:
        catalog = load_catalog()
        self.locations: list[dict[str, Any]] = catalog["locations"]
        self.server_types: list[dict[str, Any]] = catalog["server_types"]
        self.images: list[dict[str, Any]] = catalog["images"]
        self._loc = {l["name"]: l for l in self.locations}
        self._type = {t["name"]: t for t in self.server_types}
        self._system_image = {(i["name"], i["architecture"]): i for i in self.images if i["type"] in ("system", "app")}
        dc_names = {"fsn1": ("fsn1-dc14", 4), "nbg1": ("nbg1-dc3", 2), "hel1": ("hel1-dc2", 3),
                    "ash": ("ash-dc1", 5), "hil": ("hil-dc1", 6), "sin": ("sin-dc1", 7)}
        self.datacenters = []
        for loc in self.locations:
            name, dcid = dc_names.get(loc["name"], (f"{loc['name']}-dc1", 100 + loc["id"]))
            supported = [t["id"] for t in self.server_types if any(l["name"] == loc["name"] for l in t["locations"])]
            self.datacenters.append({
                "id": dcid, "name": name, "description": f"{loc['city']} virtual DC {name.rsplit('dc', 1)[-1]}",
                "location": loc, "server_types": {
                    "supported": supported,
                    "available": [t for t in supported if self._available(self._by_id(t), loc["name"])],
                    "available_for_migration": supported}})
        self.datacenters.sort(key=lambda d: d["id"])
        self._dc = {d["location"]["name"]: d for d in self.datacenters}
        self.pricing = self._build_pricing()

    def _by_id(self, type_id: int) -> dict[str, Any]:
        return next(t for t in self.server_types if t["id"] == type_id)

    def _build_pricing(self) -> dict[str, Any]:
        locs = [l["name"] for l in self.locations]
        lb = [("lb11", 1, "5.39"), ("lb21", 2, "16.40"), ("lb31", 3, "32.90")]
        return {
            "currency": "EUR", "vat_rate": "19.00",
            "image": {"price_per_gb_month": _money("0.0110")},
            "volume": {"price_per_gb_month": _money("0.0440")},
            "server_backup": {"percentage": "20.00"},
            "floating_ip": {"price_monthly": _money("3.00")},
            "floating_ips": [{"type": kind, "prices": [{"location": l, "price_monthly": _money(p)} for l in locs]}
                             for kind, p in (("ipv4", "3.00"), ("ipv6", "3.00"))],
            "primary_ips": [{"type": kind, "prices": [{"location": l, "price_hourly": _money(h),
                                                       "price_monthly": _money(m)} for l in locs]}
                            for kind, h, m in (("ipv4", "0.0008", "0.50"), ("ipv6", "0.0000", "0.00"))],
            "server_types": [{"id": t["id"], "name": t["name"], "prices": t["prices"]} for t in self.server_types],
            "load_balancer_types": [{"id": i, "name": n, "prices": [
                {"location": l, "price_hourly": _money(str(round(float(m) / 640, 4))), "price_monthly": _money(m),
                 "included_traffic": 20 * TB, "price_per_tb_traffic": _money("1.00")} for l in locs]}
                for n, i, m in lb],
        }

    def _next_ipv4(self) -> str:
        self._ip_counter += 1 + self._rng.randrange(2)
        pools = (ipaddress.ip_network("198.18.0.0/15"), ipaddress.ip_network("100.64.0.0/11"))  # Convoy has 100.96/11
        index = self._ip_counter
        for pool in pools:
            if index < pool.num_addresses - 2:
                return str(pool.network_address + index)
            index -= pool.num_addresses - 2
        raise RuntimeError("simulator ran out of IPv4 addresses")

    def _next_ipv6(self) -> str:
        self._ip6_counter += 1
        i = self._ip6_counter
        return f"2001:db8:{0x1000 + i // 65536:x}:{(i * 40503) % 65536:x}::/64"

    def _build_server(self, *, name: str, stype: dict[str, Any], location: dict[str, Any],
                      image: dict[str, Any] | None, created: float, status: str, labels: dict[str, str],
                      ipv4: bool = True, ipv6: bool = True, networks: list[int] | tuple[int, ...] = (),
                      protected: bool = False, backup_window: str | None = None, traffic: int | None = None,
                      firewalls: list[int] | tuple[int, ...] = (), rescue: bool = False) -> dict[str, Any]:
        sid = self._next_server_id
        self._next_server_id += 1 + self._rng.randrange(400)
        public: dict[str, Any] = {"ipv4": None, "ipv6": None, "floating_ips": [],
                                  "firewalls": [{"id": f, "status": "applied"} for f in firewalls]}
        if ipv4:
            ip = self._next_ipv4()
            self._pip_id += 1
            ptr = name if "." in name else f"static.{'.'.join(reversed(ip.split('.')))}.clients.your-server.de"
            public["ipv4"] = {"id": self._pip_id, "ip": ip, "blocked": False, "dns_ptr": ptr}
        if ipv6:
            net = self._next_ipv6()
            self._pip_id += 1
            ptrs = [{"ip": net.replace("::/64", "::1"), "dns_ptr": name}] if "." in name else []
            public["ipv6"] = {"id": self._pip_id, "ip": net, "blocked": False, "dns_ptr": ptrs}
        private = []
        for net_id in networks:
            network = self._known(self.networks, net_id)
            host = len(network["servers"]) + 2
            base = ipaddress.ip_network(network["ip_range"]).network_address
            private.append({"network": net_id, "ip": str(base + host), "alias_ips": [],
                            "mac_address": "86:00:00:" + (sid & 0xFFFFFF).to_bytes(3, "big").hex(":")})
            network["servers"].append(sid)
        included = next((p["included_traffic"] for p in stype["prices"] if p["location"] == location["name"]), 0)
        server: dict[str, Any] = {
            "id": sid, "name": name, "status": status, "created": ts(created),
            "public_net": public, "private_net": private, "server_type": stype, "location": location,
            "image": image, "iso": None, "rescue_enabled": rescue, "locked": False, "backup_window": backup_window,
            "outgoing_traffic": traffic, "ingoing_traffic": None if traffic is None else traffic // 3,
            "included_traffic": included, "protection": {"delete": protected, "rebuild": protected},
            "labels": labels, "volumes": [], "load_balancers": [], "primary_disk_size": int(stype["disk"]),
            "placement_group": None,
        }
        if self.legacy_datacenter:
            server["datacenter"] = self._dc[location["name"]]
        return server

    def _add_server(self, server: dict[str, Any]) -> None:
        self.servers[server["id"]] = server
        self._names.add(server["name"])

    def _remove_server(self, server: dict[str, Any]) -> None:
        self.servers.pop(server["id"], None)
        self._names.discard(server["name"])
        self._cache.pop(server["id"], None)
        for private in server["private_net"]:
            network = self._lookup(self.networks, private["network"])
            if network and server["id"] in network["servers"]:
                network["servers"].remove(server["id"])

    def _seed_project(self, count: int) -> None:
        rng = self._rng
        self._seed_networks_and_keys()
        prefixes = [("web", 26), ("app", 12), ("db", 10), ("mail", 7), ("shop", 8), ("api", 8), ("cache", 4),
                    ("k8s-node", 7), ("ci", 4), ("vpn", 3), ("backup", 3), ("mon", 2), ("dev", 5), ("legacy", 1)]
        statuses = [("running", 800), ("off", 130), ("initializing", 15), ("starting", 10), ("stopping", 10),
                    ("rebuilding", 8), ("migrating", 7), ("unknown", 10), ("deleting", 10)]
        x86_eu = [("cx22", 20), ("cx32", 15), ("cx42", 6), ("cx52", 2), ("cpx11", 6), ("cpx21", 10), ("cpx31", 8),
                  ("cpx41", 4), ("cpx51", 2), ("ccx13", 3), ("ccx23", 2), ("ccx33", 1)]
        x86_other = [(n, w) for n, w in x86_eu if not n.startswith("cx")]
        arm = [("cax11", 10), ("cax21", 8), ("cax31", 4), ("cax41", 2)]
        images = [("ubuntu-24.04", 35), ("ubuntu-22.04", 25), ("debian-12", 20), ("debian-13", 6), ("rocky-9", 5),
                  ("alma-9", 5), ("fedora-42", 2), ("docker-ce", 3)]
        windows = ["22-02", "02-06", "06-10", "10-14", "14-18", "18-22"]
        counters: dict[str, int] = {}
        customers = max(20, count // 3)
        eu_networks = [n["id"] for n in self.networks]

        def pick(weighted: list[tuple[str, int]]) -> str:
            return rng.choices([n for n, _ in weighted], [w for _, w in weighted])[0]

        step = (SEED_END - SEED_START) / max(count, 1)
        for i in range(count):
            prefix = pick(prefixes)
            counters[prefix] = counters.get(prefix, 0) + 1
            name = f"{prefix}-{counters[prefix]:04d}"
            if rng.random() < 0.02:
                name += rng.choice([".example.com", ".example.net", ".hosting.example"])
            location = self._loc[rng.choices(["fsn1", "nbg1", "hel1", "ash", "hil", "sin"], [35, 30, 20, 7, 4, 4])[0]]
            eu = location["name"] in EU_LOCATIONS
            is_arm = eu and prefix != "legacy" and rng.random() < 0.15
            stype = self._type[pick(arm if is_arm else x86_eu if eu else x86_other)]
            arch = stype["architecture"]
            roll = rng.random()
            if roll < 0.05:
                image = None
            elif roll < 0.07 and arch == "x86" and self._snapshots:
                image = rng.choice(self._snapshots)
            else:
                image_name = "ubuntu-22.04" if prefix == "legacy" else pick(images)
                image = self._system_image.get((image_name, arch)) or self._system_image[("ubuntu-24.04", arch)]
            labels: dict[str, str] = {}
            if rng.random() < 0.92:
                labels["customer"] = f"c-{1000 + rng.randrange(customers)}"
            env = rng.choices(["prod", "staging", "dev", None], [60, 25, 10, 5])[0]
            if env:
                labels["env"] = env
            labels["role"] = prefix
            if rng.random() < 0.45:
                labels["whmcs_service_id"] = str(3000 + i * 3 + rng.randrange(3))
            if rng.random() < 0.1:
                labels["managed"] = ""
            no_v4 = rng.random() < 0.03
            no_v6 = not no_v4 and rng.random() < 0.04
            status = pick(statuses)
            server = self._build_server(
                name=name, stype=stype, location=location, image=image,
                created=SEED_START + (i + rng.random() * 0.9) * step, status=status, labels=labels,
                ipv4=not no_v4, ipv6=not no_v6,
                networks=[rng.choice(eu_networks)] if eu and rng.random() < 0.15 else [],
                protected=rng.random() < 0.08,
                backup_window=rng.choice(windows) if rng.random() < 0.25 else None,
                traffic=None if status == "initializing" else rng.randrange(0, 4 * TB),
                firewalls=[rng.choice(self.firewall_ids)] if rng.random() < 0.3 else [],
                rescue=rng.random() < 0.005)
            self._add_server(server)
            if prefix == "legacy":
                self.acpi_ignored.add(server["id"])
        for snapshot, server in zip(self._snapshots, list(self.servers.values())[:len(self._snapshots)]):
            snapshot["created_from"] = {"id": server["id"], "name": server["name"]}

    def _seed_networks_and_keys(self) -> None:
        rng = self._rng
        created = [1557000000, 1600000000, 1680000000]
        self.networks: list[dict[str, Any]] = []
        for n, (name, cidr, labels) in enumerate([("prod-private", "10.0.0.0/16", {"env": "prod"}),
                                                   ("staging-net", "10.1.0.0/16", {"env": "staging"}),
                                                   ("backup-lan", "10.2.0.0/16", {})]):
            self.networks.append({
                "id": 1_200_000 + n * 1371, "name": name, "ip_range": cidr,
                "subnets": [{"type": "cloud", "ip_range": cidr, "network_zone": "eu-central",
                             "gateway": str(ipaddress.ip_network(cidr).network_address + 1), "vswitch_id": None}],
                "routes": [], "servers": [], "load_balancers": [], "protection": {"delete": n == 0},
                "labels": labels, "created": ts(created[n]), "expose_routes_to_vswitch": False})
        self.ssh_keys: list[dict[str, Any]] = []
        for n, (name, labels) in enumerate([("ops-key", {"team": "ops"}), ("deploy-key", {"team": "ci"}),
                                            ("backup-key", {})]):
            blob = b"\x00\x00\x00\x0bssh-ed25519\x00\x00\x00\x20" + bytes(rng.randrange(256) for _ in range(32))
            fingerprint = ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest())
            self.ssh_keys.append({
                "id": 5_100_000 + n * 917, "name": name, "fingerprint": fingerprint,
                "public_key": f"ssh-ed25519 {base64.b64encode(blob).decode()} {name}@hostdeck.example",
                "labels": labels, "created": ts(1570000000 + n * 40_000_000)})
        self.firewall_ids = [900_101, 900_102, 900_103]
        self._snapshots = []
        for n, description in enumerate(["web before upgrade", "db golden image", "shop staging clone"]):
            image = {"id": 310_000_000 + n * 7919, "type": "snapshot", "status": "available", "name": None,
                     "description": description, "image_size": round(1.5 + n * 0.8, 2), "disk_size": 40,
                     "created": ts(1700000000 + n * 5_000_000), "created_from": None, "bound_to": None,
                     "os_flavor": "ubuntu", "os_version": None, "architecture": "x86", "rapid_deploy": False,
                     "protection": {"delete": False}, "deprecated": None, "deleted": None,
                     "labels": {"purpose": "snapshot"}}
            self._snapshots.append(image)
            self.images.append(image)
