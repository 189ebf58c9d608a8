"""A faithful loopback simulator of ConvoyPanel's application API (`/api/application`), see shared/api/convoy.md.

Seeded, deterministic panel data (nodes on a shared simulated Proxmox `Cluster`, template groups, address pools,
users, servers; 10,000+ servers are fine), Fractal envelopes, Laravel-style errors, Sanctum tokens, SSO JWTs,
the install/delete state machines advanced lazily from elapsed time, and the fault injection of
`hostdeck.backends.sim.server`.

    with ConvoySim(servers=60, seed=1) as sim:
        sim.faults.add(route="GET /servers", kind="status", status=503, count=2)
        httpx.get(sim.base_url + "/servers", headers={"Authorization": f"Bearer {sim.token}",
                                                      "Accept": "application/json"})

Every server is a VM in the Cluster (same Proxmox node name as the Convoy node's `cluster`, same VMID): create
adds it, suspend stops it, unsuspend starts it, delete removes it, so a Proxmox simulator on the same Cluster shows
what Convoy did. A Cluster node with `online = False` is "Proxmox unreachable": suspend/unsuspend answer 500,
a hostname change 503.

Choices where the public material is silent (unverified): sorting allows `id` and `name`; `filter[*]` searches
uuid, name and hostname (servers) or name and email (users); `filter[address_pool_id]` is exact; a `vmid` already
used in the cluster is a 422; `/address-pools` and `/address-pools/{id}/addresses` list v4's pools; users list
in ascending id order.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import math
import random
import re
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from .cluster import VM
from .cluster import Cluster
from .laravel import ApiError
from .laravel import error_body
from .laravel import injected_error
from .server import Handler
from .server import Request
from .server import Response
from .server import Router
from .server import SimApp
from .server import SimServer

PREFIX = "/api/application"
DEFAULT_TOKEN = "1|demo-convoy-token-0123456789abcdefghijkl"       # Sanctum "{id}|{40 chars}", user 1 (root admin)
DEFAULT_NON_ADMIN_TOKEN = "2|demo-convoy-nonadmin-0123456789abcdefghi"  # user 2, not a root admin
MIB, GIB = 1 << 20, 1 << 30
STATUSES = ("installing", "install_failed", "suspended", "restoring_backup", "restoring_snapshot", "deleting",
            "deletion_failed")
BLOCKED = ("deleting", "deletion_failed")
UNSUPPORTED_STATUS = "This server is currently in an unsupported status, please try again later."
NODE_MODEL, SERVER_MODEL = "Convoy\\Models\\Node", "Convoy\\Models\\Server"
USER_MODEL, TEMPLATE_MODEL = "Convoy\\Models\\User", "Convoy\\Models\\Template"
POOL_MODEL = "Convoy\\Models\\AddressPool"
CONVOY_IPV4 = ipaddress.ip_network("100.96.0.0/11")   # this simulator's IPv4 range, no other simulator's
ACCOUNT_PASSWORD_SPECIALS = "!@#$%^&*"
HOSTNAME = re.compile(r"^(?=.{1,191}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
FIRST = ("Ana", "Bo", "Chen", "Dara", "Emil", "Fatima", "Goran", "Hana", "Ivo", "Jonas", "Kira", "Lars", "Mia", "Nils",
         "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tara", "Uwe", "Vera", "Wim", "Xenia", "Yusuf", "Zoe")
LAST = ("Lima", "Berg", "Wang", "Novak", "Fischer", "Haddad", "Kovac", "Sato", "Ilic", "Weber", "Moreau", "Jensen",
        "Rossi", "Nowak", "Petrov", "Silva", "Keller", "Costa", "Yilmaz", "Meyer", "Horvat", "Dubois", "Larsen")
DOMAINS = ("example.com", "example.net", "example.org", "shop.example", "agency.example", "studio.example")
PLANS = ((1, 1, 10), (1, 2, 20), (2, 2, 40), (2, 4, 40), (4, 8, 80), (4, 8, 160), (8, 16, 160), (8, 32, 320))
TEMPLATE_GROUPS = (("Ubuntu", False, ("Ubuntu 22.04 LTS", "Ubuntu 24.04 LTS")), ("Debian", False, ("Debian 11", "Debian 12")),
                   ("AlmaLinux", False, ("AlmaLinux 9",)), ("Windows", True, ("Windows Server 2022",)))


def not_found(model: str, key: Any = None) -> ApiError:
    """Laravel's ModelNotFoundException text: firstOrFail() has no ids, findOrFail()/implicit binding appends them."""
    return ApiError(404, f"No query results for model [{model}]." if key is None else
                    f"No query results for model [{model}] {key}")


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_jwt(claims: dict[str, Any], key: str) -> str:
    head = b64url(json.dumps({"typ": "JWT", "alg": "HS256"}, separators=(",", ":")).encode())
    body = b64url(json.dumps(claims, separators=(",", ":")).encode())
    sig = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64url(sig)}"


def read_jwt(token: str, key: str) -> dict[str, Any] | None:
    """The claims of a valid HS256 token signed with `key`, or None (bad shape, algorithm or signature)."""
    try:
        head, body, sig = token.split(".")
        if json.loads(b64url_decode(head)).get("alg") != "HS256":
            return None
        expected = hmac.new(key.encode(), f"{head}.{body}".encode(), hashlib.sha256).digest()
        if not hmac.compare_digest(expected, b64url_decode(sig)):
            return None
        claims = json.loads(b64url_decode(body))
    except (ValueError, TypeError, AttributeError):
        return None
    return claims if isinstance(claims, dict) else None


def wants_json(req: Request) -> bool:
    """Laravel's `expectsJson()`: the first Accept type is JSON (`/json` or `+json`), or an XHR accepting anything."""
    accept = (req.header("Accept") or "").lower()
    first = accept.split(",")[0].split(";")[0].strip()
    if "/json" in first or "+json" in first:
        return True
    return (req.header("X-Requested-With") or "") == "XMLHttpRequest" and first in ("", "*/*")


def account_password_ok(value: str) -> bool:
    return (all(33 <= ord(c) <= 126 for c in value) and any(c.islower() for c in value)
            and any(c.isupper() for c in value) and any(c.isdigit() for c in value)
            and any(c in ACCOUNT_PASSWORD_SPECIALS for c in value))


class Checks:
    """Laravel-style validation: collects `{field: [messages]}` and raises one 422 like the framework does."""

    def __init__(self, body: dict[str, Any]) -> None:
        self.body = body
        self.errors: dict[str, list[str]] = {}

    @staticmethod
    def attr(field: str) -> str:
        return field.replace("_", " ")

    def fail(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def has(self, field: str) -> bool:
        node: Any = self.body
        for part in field.split("."):
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    def get(self, field: str) -> Any:
        node: Any = self.body
        for part in field.split("."):
            if not isinstance(node, dict):
                return None
            node = node.get(part)
        return node

    def required(self, field: str) -> bool:
        if self.get(field) in (None, "", [], {}):
            self.fail(field, f"The {self.attr(field)} field is required.")
            return False
        return True

    def present(self, field: str) -> bool:
        if not self.has(field):
            self.fail(field, f"The {self.attr(field)} field must be present.")
            return False
        return True

    def integer(self, field: str, minimum: int | None = None, maximum: int | None = None) -> int | None:
        value = self.get(field)
        if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip()):
            value = int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            self.fail(field, f"The {self.attr(field)} field must be an integer.")
            return None
        if minimum is not None and maximum is not None and not minimum <= value <= maximum:
            self.fail(field, f"The {self.attr(field)} field must be between {minimum} and {maximum}.")
            return None
        if minimum is not None and value < minimum:
            self.fail(field, f"The {self.attr(field)} field must be at least {minimum}.")
            return None
        return value

    def string(self, field: str, min_len: int = 1, max_len: int = 191) -> str | None:
        value = self.get(field)
        if not isinstance(value, str):
            self.fail(field, f"The {self.attr(field)} field must be a string.")
            return None
        if len(value) < min_len:
            self.fail(field, f"The {self.attr(field)} field must be at least {min_len} characters.")
            return None
        if len(value) > max_len:
            self.fail(field, f"The {self.attr(field)} field must not be greater than {max_len} characters.")
            return None
        return value

    def boolean(self, field: str) -> bool | None:
        value = self.get(field)
        if value in (True, False, 0, 1, "0", "1", "true", "false"):
            return value in (True, 1, "1", "true")
        self.fail(field, f"The {self.attr(field)} field must be true or false.")
        return None

    def nullable_int(self, field: str, minimum: int = 0) -> int | None:
        """`present|nullable|integer|min:N`: absent is an error, null is fine."""
        if self.present(field) and self.get(field) is not None:
            return self.integer(field, minimum)
        return None

    def done(self) -> None:
        if not self.errors:
            return
        messages = [m for ms in self.errors.values() for m in ms]
        more = len(messages) - 1
        summary = messages[0] + (f" (and {more} more error{'s' if more > 1 else ''})" if more else "")
        raise ApiError(422, summary, self.errors)


@dataclass(slots=True)
class _Job:
    server: str          # uuid_short
    kind: str            # install | delete
    end: float
    fail: bool = False
    start: bool = True   # start the VM when the install finishes


class ConvoySim(SimApp):
    prefix = PREFIX

    def __init__(self, servers: int = 60, users: int = 40, seed: int = 1, latency_ms: float = 0.0, jitter_ms: float = 0.0,
                 *, token: str = DEFAULT_TOKEN, non_admin_token: str | None = DEFAULT_NON_ADMIN_TOKEN,
                 cluster: Cluster | None = None, app_key: str = "demo-app-key", install_seconds: float = 2.0,
                 delete_seconds: float = 1.0, sso_lifetime: int = 15, retry_after: int = 1,
                 hang_seconds: float = 30.0) -> None:
        self.token, self.non_admin_token, self.app_key = token, non_admin_token, app_key
        self.install_seconds, self.delete_seconds = install_seconds, delete_seconds
        self.sso_lifetime, self.retry_after = sso_lifetime, retry_after
        self.cluster = cluster if cluster is not None else Cluster()
        self.clock: Callable[[], float] = time.time
        self.sso_logins: list[int] = []       # user ids logged in through /authenticate
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._server = SimServer(self, latency_ms=latency_ms, jitter_ms=jitter_ms, seed=seed, hang_seconds=hang_seconds)
        self._router = self._routes()
        self._jobs: list[_Job] = []
        self._fail_install = 0
        self._fail_delete = 0
        self._stats_cache: tuple[Counter[int], dict[int, list[int]]] | None = None
        self.tokens: dict[str, int] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.locations: dict[int, dict[str, Any]] = {}
        self.nodes: dict[int, dict[str, Any]] = {}
        self.template_groups: dict[int, dict[str, Any]] = {}
        self.templates: dict[int, dict[str, Any]] = {}
        self.pools: dict[int, dict[str, Any]] = {}
        self.addresses: dict[int, dict[str, Any]] = {}
        self.servers: dict[str, dict[str, Any]] = {}   # by uuid_short, in internal_id order
        self._by_uuid: dict[str, str] = {}
        self._by_internal: dict[int, str] = {}
        self._server_addresses: dict[int, list[int]] = {}
        self._next_internal = 1
        self._seed_vmids: set[int] | None = {v for (_n, v) in self.cluster.vms}   # only while seeding
        self._seed(max(servers, 0), max(users, 2))
        self._seed_vmids = None

    # ------------------------------------------------------------------ public interface

    @property
    def panel_url(self) -> str | None:
        """The panel's root URL (SSO links, /login): the base URL without `/api/application`."""
        return self._server.root_url

    def advance(self) -> None:
        """Finish the installs and deletions that are due (requests do this themselves)."""
        with self._lock:
            self._advance(self.clock())

    def fail_next_install(self, count: int = 1) -> None:
        """The next `count` created servers end in `install_failed`."""
        with self._lock:
            self._fail_install += count

    def fail_next_delete(self, count: int = 1) -> None:
        """The next `count` deletions end in `deletion_failed` (the server stays)."""
        with self._lock:
            self._fail_delete += count

    def set_status(self, server_id: str, status: str | None) -> None:
        """Force a server's status (cancels its pending install/delete)."""
        if status is not None and status not in STATUSES:
            raise ValueError(f"unknown status {status!r}")
        with self._lock:
            self.servers[server_id]["status"] = status
            self._jobs = [j for j in self._jobs if j.server != server_id]

    def point_nodes_at(self, host: str, port: int) -> None:
        """Make every node's `fqdn`:`port` point at a (Proxmox) simulator, e.g. 127.0.0.1 and its port."""
        with self._lock:
            for node in self.nodes.values():
                node["fqdn"], node["port"] = host, port

    def server_json(self, server_id: str, includes: tuple[str, ...] = ("user", "node")) -> dict[str, Any]:
        with self._lock:
            return self._server_json(self.servers[server_id], includes)

    def free_addresses(self, node_id: int, kind: str = "ipv4") -> list[dict[str, Any]]:
        with self._lock:
            pools = {p["id"] for p in self.pools.values() if node_id in p["node_ids"]}
            return [dict(a) for a in self.addresses.values()
                    if a["address_pool_id"] in pools and a["type"] == kind and a["server_id"] is None]

    # ------------------------------------------------------------------ SimApp

    def handle(self, req: Request) -> Response:
        with self._lock:
            now = self.clock()
            self._advance(now)
            try:
                if not (req.path == PREFIX or req.path.startswith(PREFIX + "/")):
                    return self._web(req, now)
                method = "GET" if req.method == "HEAD" else req.method
                handler, params, known = self._router.match(method, req.route_path)
                if handler is None:
                    if known:
                        raise ApiError(405, f"The {req.method} method is not supported for route {req.path.lstrip('/')}.")
                    raise ApiError(404, f"The route {req.path.lstrip('/')} could not be found.")
                user = self._authenticate(req)
                if user is None:
                    if not wants_json(req):
                        return self._redirect(req, "/login")
                    raise ApiError(401, "Unauthenticated.")
                if not user["root_admin"]:
                    raise ApiError(403, "")
                req.params = params
                return handler(req)
            except ApiError as err:
                return error_body(err)

    def error_response(self, req: Request, status: int, code: str | None = None,
                       message: str | None = None) -> Response:
        default = {401: "Unauthenticated.", 403: "", 404: "Not Found", 409: UNSUPPORTED_STATUS,
                   422: "The given data was invalid.", 429: "Too Many Attempts.", 500: "Server Error",
                   502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}
        return injected_error(status, message, default, self.retry_after)

    def decorate(self, req: Request, resp: Response) -> None:
        resp.headers.append(("Cache-Control", "no-cache, private"))

    # ------------------------------------------------------------------ plumbing

    def _routes(self) -> Router[Handler]:
        r: Router[Handler] = Router()
        r.add("GET", "/servers", self._list_servers)
        r.add("POST", "/servers", self._create_server)
        r.add("GET", "/servers/{server}", self._show_server)
        r.add("PATCH", "/servers/{server}", self._update_server)
        r.add("DELETE", "/servers/{server}", self._delete_server)
        r.add("PATCH", "/servers/{server}/settings/build", self._update_build)
        r.add("POST", "/servers/{server}/settings/suspend", lambda q: self._suspension(q, True))
        r.add("POST", "/servers/{server}/settings/unsuspend", lambda q: self._suspension(q, False))
        r.add("GET", "/users", self._list_users)
        r.add("POST", "/users", self._create_user)
        r.add("GET", "/users/{id}", lambda q: Response.json(200, {"data": self._user_json(self._user(q))}))
        r.add("PUT", "/users/{id}", self._update_user)
        r.add("PATCH", "/users/{id}", self._update_user)
        r.add("DELETE", "/users/{id}", self._delete_user)
        r.add("POST", "/users/{id}/generate-sso-token", self._sso_token)
        r.add("GET", "/nodes", self._list_nodes)
        r.add("GET", "/nodes/{id}", lambda q: Response.json(200, {"data": self._node_json(self._node(q))}))
        r.add("GET", "/nodes/{id}/template-groups", self._template_groups)
        r.add("GET", "/nodes/{id}/template-groups/{gid}/templates/{tid}", self._template_show)
        r.add("GET", "/nodes/{id}/addresses", self._node_addresses)
        r.add("GET", "/locations", self._list_locations)
        r.add("GET", "/address-pools", self._list_pools)
        r.add("GET", "/address-pools/{id}/addresses", self._pool_addresses)
        return r

    def _authenticate(self, req: Request) -> dict[str, Any] | None:
        scheme, _, value = (req.header("Authorization") or "").strip().partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            return None
        uid = self.tokens.get(value.strip())
        return self.users.get(uid) if uid is not None else None

    @staticmethod
    def _redirect(req: Request, path: str) -> Response:
        url = f"http://{req.host}{path}"
        html = (f'<!DOCTYPE html>\n<html>\n    <head>\n        <meta charset="UTF-8" />\n        <meta http-equiv="refresh" '
                f"content=\"0;url='{url}'\" />\n\n        <title>Redirecting to {url}</title>\n    </head>\n    <body>\n"
                f'        Redirecting to <a href="{url}">{url}</a>.\n    </body>\n</html>')
        return Response(302, html.encode(), "text/html; charset=UTF-8", [("Location", url)])

    @staticmethod
    def _body(req: Request) -> dict[str, Any]:
        try:
            body = req.json()
        except ValueError:
            return {}        # Laravel reads an unparseable JSON body as no input at all
        return body if isinstance(body, dict) else {}

    @staticmethod
    def _int_arg(req: Request, name: str, default: int) -> int:
        raw = (req.arg(name) or "").strip()
        return int(raw) if re.fullmatch(r"-?\d+", raw) else default

    def _touch(self) -> None:
        self._stats_cache = None

    def _stats(self) -> tuple[Counter[int], dict[int, list[int]]]:
        """(servers per user, {node id: [servers, memory MiB, disk MiB]}), cached until the next change."""
        if self._stats_cache is None:
            users: Counter[int] = Counter()
            nodes: dict[int, list[int]] = {nid: [0, 0, 0] for nid in self.nodes}
            for s in self.servers.values():
                users[s["user_id"]] += 1
                row = nodes.setdefault(s["node_id"], [0, 0, 0])
                row[0] += 1
                row[1] += s["memory_mib"]
                row[2] += s["disk_mib"]
            self._stats_cache = (users, nodes)
        return self._stats_cache

    # ------------------------------------------------------------------ listing helpers

    @staticmethod
    def _filters(req: Request, allowed: dict[str, str]) -> dict[str, tuple[str, str]]:
        """`filter[name]=value` -> {name: (mode, value)}; a filter that is not allowed answers 400."""
        found: dict[str, str] = {}
        for key, values in req.query.items():
            m = re.fullmatch(r"filter\[([^\]]*)\]", key)
            if m:
                found[m.group(1)] = values[-1]
        bad = [f for f in found if f not in allowed]
        if bad:
            raise ApiError(400, f"Requested filter(s) `{', '.join(bad)}` are not allowed. "
                                f"Allowed filter(s) are `{', '.join(allowed)}`.")
        return {name: (allowed[name], value) for name, value in found.items()}

    @staticmethod
    def _match(record: dict[str, Any], field: str, mode: str, value: str) -> bool:
        have = record.get(field)
        if mode == "exact":
            wanted = {v.strip() for v in value.split(",")}
            if have is None:
                return bool(wanted & {"", "null"})
            # MySQL's default collation compares strings case-insensitively, exact filters included
            return str(have if not isinstance(have, bool) else int(have)).lower() in {w.lower() for w in wanted}
        return value.lower() in str(have if have is not None else "").lower()

    def _apply(self, items: list[dict[str, Any]], filters: dict[str, tuple[str, str]],
               wildcard: tuple[str, ...] = ()) -> list[dict[str, Any]]:
        for name, (mode, value) in filters.items():
            if name == "*":
                needle = value.lower()
                items = [i for i in items if any(needle in str(i.get(f) or "").lower() for f in wildcard)]
            else:
                items = [i for i in items if self._match(i, name, mode, value)]
        return items

    @staticmethod
    def _includes(req: Request, allowed: tuple[str, ...]) -> tuple[str, ...]:
        wanted = tuple(p.strip() for raw in req.args("include") for p in raw.split(",") if p.strip())
        bad = [w for w in wanted if w not in allowed]
        if bad:
            raise ApiError(400, f"Requested include(s) `{', '.join(bad)}` are not allowed. "
                                f"Allowed include(s) are `{', '.join(allowed)}`.")
        return wanted

    @staticmethod
    def _sorted(req: Request, items: list[dict[str, Any]], default: str, fields: dict[str, str]) -> list[dict[str, Any]]:
        keys = [p.strip() for raw in (req.args("sort") or [default]) for p in raw.split(",") if p.strip()]
        bad = [k for k in keys if k.lstrip("-") not in fields]
        if bad:
            raise ApiError(400, f"Requested sort(s) `{', '.join(bad)}` is not allowed. "
                                f"Allowed sort(s) are `{', '.join(fields)}`.")
        for key in reversed(keys):
            field = fields[key.lstrip("-")]
            items = sorted(items, key=lambda i: (i.get(field) is None, i.get(field) or 0), reverse=key.startswith("-"))
        return items

    def _paginate(self, req: Request, items: list[Any], transform: Callable[[Any], dict[str, Any]],
                  cap: int = 100) -> Response:
        per_page = max(1, min(self._int_arg(req, "per_page", 50), cap))
        page = max(1, self._int_arg(req, "page", 1))
        total = len(items)
        total_pages = max(1, math.ceil(total / per_page))
        chunk = items[(page - 1) * per_page: page * per_page]

        def url(n: int) -> str:
            query = [("page", str(n))] + [(k, v) for k, vs in req.query.items() if k != "page" for v in vs]
            return f"http://{req.host}{req.path}?{urlencode(query)}"

        links: dict[str, str] = {}
        if page > 1:
            links["previous"] = url(page - 1)
        if page < total_pages:
            links["next"] = url(page + 1)
        pagination = {"total": total, "count": len(chunk), "per_page": per_page, "current_page": page,
                      "total_pages": total_pages, "links": links}
        return Response.json(200, {"data": [transform(i) for i in chunk], "meta": {"pagination": pagination}})

    # ------------------------------------------------------------------ transformers

    def _user_json(self, u: dict[str, Any]) -> dict[str, Any]:
        return {"id": u["id"], "name": u["name"], "email": u["email"], "email_verified_at": u["email_verified_at"],
                "root_admin": u["root_admin"], "servers_count": self._stats()[0][u["id"]]}

    def _node_json(self, n: dict[str, Any]) -> dict[str, Any]:
        count, memory, disk = self._stats()[1].get(n["id"], [0, 0, 0])
        return {"id": n["id"], "location_id": n["location_id"], "name": n["name"], "cluster": n["cluster"],
                "verify_tls": n["verify_tls"], "fqdn": n["fqdn"], "port": n["port"], "memory": n["memory"],
                "memory_overallocate": n["memory_overallocate"], "memory_allocated": memory * MIB, "disk": n["disk"],
                "disk_overallocate": n["disk_overallocate"], "disk_allocated": disk * MIB, "vm_storage": n["vm_storage"],
                "backup_storage": n["backup_storage"], "iso_storage": n["iso_storage"], "network": n["network"],
                "coterm_id": None, "servers_count": count}

    def _server_json(self, s: dict[str, Any], includes: tuple[str, ...] = ()) -> dict[str, Any]:
        addresses: dict[str, list[dict[str, Any]]] = {"ipv4": [], "ipv6": []}
        for aid in self._server_addresses.get(s["internal_id"], ()):
            address = self.addresses[aid]
            addresses[address["type"]].append(dict(address))
        out: dict[str, Any] = {
            "id": s["uuid_short"], "uuid": s["uuid"], "node_id": s["node_id"], "hostname": s["hostname"],
            "name": s["name"], "description": s["description"], "status": s["status"],
            "usages": {"bandwidth": s["bandwidth_usage_mib"] * MIB},
            "limits": {"cpu": s["cpu"], "memory": s["memory_mib"] * MIB, "disk": s["disk_mib"] * MIB,
                       "snapshots": s["snapshot_limit"], "backups": s["backup_limit"],
                       "bandwidth": None if s["bandwidth_mib"] is None else s["bandwidth_mib"] * MIB,
                       "addresses": addresses, "mac_address": s["mac_address"]},
            "user_id": s["user_id"], "vmid": s["vmid"], "internal_id": s["internal_id"],
        }
        if "user" in includes:
            out["user"] = {"data": self._user_json(self.users[s["user_id"]])}
        if "node" in includes:
            out["node"] = {"data": self._node_json(self.nodes[s["node_id"]])}
        return out

    def _address_json(self, a: dict[str, Any], includes: tuple[str, ...] = ()) -> dict[str, Any]:
        out = dict(a)
        if "server" in includes:
            sid = self._by_internal.get(a["server_id"]) if a["server_id"] is not None else None
            out["server"] = {"data": self._server_json(self.servers[sid])} if sid else None
        return out

    # ------------------------------------------------------------------ lookups

    def _find_server(self, req: Request) -> dict[str, Any]:
        key = req.params["server"]
        short = key if len(key) == 8 else self._by_uuid.get(key) if len(key) == 36 else None
        server = self.servers.get(short) if short else None
        if server is None:
            raise not_found(SERVER_MODEL)
        return server

    def _server_for_action(self, req: Request) -> dict[str, Any]:
        """`{server}` routes other than show/update refuse deleting servers (ValidateServerStatusMiddleware)."""
        server = self._find_server(req)
        if server["status"] in BLOCKED:
            raise ApiError(409, UNSUPPORTED_STATUS)
        return server

    @staticmethod
    def _by_id(items: dict[int, dict[str, Any]], raw: str, model: str) -> dict[str, Any]:
        found = items.get(int(raw)) if raw.isdigit() else None
        if found is None:
            raise not_found(model, raw)
        return found

    def _user(self, req: Request) -> dict[str, Any]:
        return self._by_id(self.users, req.params["id"], USER_MODEL)

    def _node(self, req: Request) -> dict[str, Any]:
        return self._by_id(self.nodes, req.params["id"], NODE_MODEL)

    def _node_online(self, server: dict[str, Any]) -> bool:
        node = self.cluster.nodes.get(self.nodes[server["node_id"]]["cluster"])
        return bool(node and node.online)

    def _vm(self, server: dict[str, Any]) -> VM | None:
        return self.cluster.get_vm(self.nodes[server["node_id"]]["cluster"], server["vmid"])

    # ------------------------------------------------------------------ servers

    def _list_servers(self, req: Request) -> Response:
        filters = self._filters(req, {"*": "partial", "node_id": "exact", "user_id": "exact", "name": "partial",
                                      "address_pool_id": "exact"})
        includes = self._includes(req, ("user", "node"))
        items = list(self.servers.values())
        pool = filters.pop("address_pool_id", None)
        if pool is not None:
            wanted = {v.strip() for v in pool[1].split(",")}
            holders = {a["server_id"] for a in self.addresses.values() if str(a["address_pool_id"]) in wanted}
            items = [s for s in items if s["internal_id"] in holders]
        items = self._apply(items, filters, ("uuid", "uuid_short", "name", "hostname"))
        items = self._sorted(req, items, "-id", {"id": "internal_id", "name": "name"})
        return self._paginate(req, items, lambda s: self._server_json(s, includes))

    def _show_server(self, req: Request) -> Response:
        server = self._find_server(req)
        return Response.json(200, {"data": self._server_json(server, self._includes(req, ("user", "node")))})

    def _check_addresses(self, checks: Checks, field: str, ids: Any, owner: int | None) -> list[int]:
        if ids is None:
            return []
        if not isinstance(ids, list):
            checks.fail(field, f"The {checks.attr(field)} field must be an array.")
            return []
        good = []
        for n, raw in enumerate(ids):
            aid = raw if isinstance(raw, int) and not isinstance(raw, bool) else None
            if aid is None or aid not in self.addresses:
                checks.fail(f"{field}.{n}", f"The selected {field}.{n} is invalid.")
            else:
                good.append(aid)
        if any(self.addresses[a]["server_id"] not in (None, owner) for a in good):
            checks.fail(field, "One or more of the selected addresses are already in use")
        return good

    def _create_server(self, req: Request) -> Response:
        body = self._body(req)
        c = Checks(body)
        name = c.string("name", 1, 40) if c.required("name") else None
        user_id = c.integer("user_id") if c.required("user_id") else None
        if user_id is not None and user_id not in self.users:
            c.fail("user_id", "The selected user id is invalid.")
        node_id = c.integer("node_id") if c.required("node_id") else None
        node = None
        if node_id is not None:
            node = self.nodes.get(node_id)
            if node is None:    # the capacity rule does Node::findOrFail() inside validation (issue #88)
                raise not_found(NODE_MODEL, node_id)
        vmid = None
        if c.present("vmid") and body.get("vmid") is not None:
            vmid = c.integer("vmid", 100, 999_999_999)
            if vmid is not None and any(v == vmid for (_n, v) in self.cluster.vms):
                c.fail("vmid", "The vmid has already been taken.")
        hostname = c.string("hostname", 1, 191) if c.required("hostname") else None
        if hostname is not None and not HOSTNAME.match(hostname):
            c.fail("hostname", "The hostname field format is invalid.")
        cpu = memory = disk = None
        if c.required("limits"):
            cpu = c.integer("limits.cpu", 1) if c.required("limits.cpu") else None
            memory = c.integer("limits.memory", 16 * MIB) if c.required("limits.memory") else None
            disk = c.integer("limits.disk", 1) if c.required("limits.disk") else None
        snapshots = c.nullable_int("limits.snapshots")
        backups = c.nullable_int("limits.backups")
        bandwidth = c.nullable_int("limits.bandwidth")
        address_ids = self._check_addresses(c, "limits.address_ids", c.get("limits.address_ids"), None)
        create = c.boolean("should_create_server") if c.present("should_create_server") else None
        start = c.boolean("start_on_completion") if c.present("start_on_completion") else None
        if create and c.required("account_password"):
            password = c.get("account_password")
            if not isinstance(password, str) or len(password) < 8:
                c.fail("account_password", "The account password field must be at least 8 characters.")
            elif len(password) > 191:
                c.fail("account_password", "The account password field must not be greater than 191 characters.")
            elif not account_password_ok(password):
                c.fail("account_password", "The account password field format is invalid.")
        if node is not None:
            _count, mem_alloc, disk_alloc = self._stats()[1].get(node["id"], [0, 0, 0])
            if memory is not None and memory // MIB * MIB > self._room(node, "memory", mem_alloc):
                c.fail("limits.memory", "The memory value exceeds the node's limit.")
            if disk is not None and disk // MIB * MIB > self._room(node, "disk", disk_alloc):
                c.fail("limits.disk", "The disk value exceeds the node's limit.")
        c.done()
        # c.done() raised for every missing or invalid field: what is left is set
        assert node is not None and name is not None and hostname is not None and user_id is not None
        assert cpu is not None and memory is not None and disk is not None
        template = self._template_for(body.get("template_uuid"), node) if create or body.get("template_uuid") else None
        server = self._add_server(
            node=node, user_id=user_id, name=name, hostname=hostname, cpu=cpu, memory_mib=memory // MIB,
            disk_mib=disk // MIB, snapshot_limit=snapshots, backup_limit=backups,
            bandwidth_mib=None if bandwidth is None else bandwidth // MIB, vmid=vmid,
            status="installing" if create else None, address_ids=address_ids,
            vm_status="stopped" if create else "running", template=template)
        if create:
            fail = self._fail_install > 0
            self._fail_install -= 1 if fail else 0
            self._jobs.append(_Job(server["uuid_short"], "install", self.clock() + self.install_seconds, fail, bool(start)))
        return Response.json(200, {"data": self._server_json(server, ("user", "node"))})

    @staticmethod
    def _room(node: dict[str, Any], what: str, allocated_mib: int) -> int:
        return int(node[what] * (1 + node[f"{what}_overallocate"] / 100)) - allocated_mib * MIB

    def _template_for(self, template_uuid: Any, node: dict[str, Any]) -> dict[str, Any]:
        template = next((t for t in self.templates.values() if t["uuid"] == template_uuid), None)
        if template is None:
            raise not_found(TEMPLATE_MODEL)
        if self.template_groups[template["template_group_id"]]["node_id"] != node["id"]:
            raise ApiError(400, "This template is inaccessible to the specified node")
        return template

    def _update_server(self, req: Request) -> Response:
        server = self._find_server(req)
        body = self._body(req)
        c = Checks(body)
        changes: dict[str, Any] = {}
        value: Any
        if "name" in body and (value := c.string("name", 1, 40)) is not None:
            changes["name"] = value
        if "hostname" in body and (value := c.string("hostname", 1, 191)) is not None:
            if HOSTNAME.match(value):
                changes["hostname"] = value
            else:
                c.fail("hostname", "The hostname field format is invalid.")
        if "user_id" in body and (value := c.integer("user_id")) is not None:
            if value in self.users:
                changes["user_id"] = value
            else:
                c.fail("user_id", "The selected user id is invalid.")
        if "vmid" in body and (value := c.integer("vmid", 100, 999_999_999)) is not None:
            changes["vmid"] = value
        if "status" in body:
            if body["status"] is None or body["status"] in STATUSES:
                changes["status"] = body["status"]
            else:
                c.fail("status", "The selected status is invalid.")
        c.done()
        if changes.get("hostname", server["hostname"]) != server["hostname"]:
            if not self._node_online(server):
                raise ApiError(503, f"Server {server['uuid']} failed to sync hostname.")
            if (vm := self._vm(server)) is not None:
                vm.name = changes["hostname"]
        server.update(changes)
        self._touch()
        return Response.json(200, {"data": self._server_json(server, ("user", "node"))})

    def _update_build(self, req: Request) -> Response:
        server = self._server_for_action(req)
        body = self._body(req)
        c = Checks(body)
        cpu = c.integer("cpu", 1) if c.required("cpu") else None
        memory = c.integer("memory", 16 * MIB) if c.required("memory") else None
        disk = c.integer("disk", 1) if c.required("disk") else None
        address_ids = self._check_addresses(c, "address_ids", body.get("address_ids"), server["internal_id"]) \
            if c.present("address_ids") else []
        snapshots = c.nullable_int("snapshot_limit")
        backups = c.nullable_int("backup_limit")
        bandwidth = c.nullable_int("bandwidth_limit")
        usage = c.integer("bandwidth_usage", 0) if body.get("bandwidth_usage") is not None else None
        c.done()
        assert cpu is not None and memory is not None and disk is not None   # c.done() raised otherwise
        server.update(cpu=cpu, memory_mib=memory // MIB, disk_mib=disk // MIB, snapshot_limit=snapshots,
                      backup_limit=backups, bandwidth_mib=None if bandwidth is None else bandwidth // MIB)
        if usage is not None:
            server["bandwidth_usage_mib"] = usage // MIB
        self._assign_addresses(server, address_ids)
        vm = self._vm(server)
        if vm is not None and self._node_online(server):     # a failed Proxmox sync is swallowed: still 200
            vm.cores, vm.memory_bytes, vm.disk_bytes = cpu, server["memory_mib"] * MIB, server["disk_mib"] * MIB
        self._touch()
        return Response.json(200, {"data": self._server_json(server, ("user", "node"))})

    def _suspension(self, req: Request, suspend: bool) -> Response:
        server = self._server_for_action(req)
        if (server["status"] == "suspended") == suspend:
            return Response(204, b"", None)              # already in that state: a no-op
        if not self._node_online(server):
            raise ApiError(500, "Server Error")          # the Proxmox call failed; the status is rolled back
        vm = self._vm(server)
        if vm is not None:
            with self.cluster.lock:
                vm.status = "stopped" if suspend else "running"
                vm.started_at = None if suspend else self.clock()
        server["status"] = "suspended" if suspend else None
        return Response(204, b"", None)

    def _delete_server(self, req: Request) -> Response:
        server = self._server_for_action(req)
        body = self._body(req)
        if body.get("no_purge") in (True, 1, "1", "true"):
            self._remove_server(server, keep_vm=True)
            return Response(204, b"", None)
        server["status"] = "deleting"
        fail = self._fail_delete > 0
        self._fail_delete -= 1 if fail else 0
        self._jobs = [j for j in self._jobs if j.server != server["uuid_short"]]
        self._jobs.append(_Job(server["uuid_short"], "delete", self.clock() + self.delete_seconds, fail))
        return Response(204, b"", None)

    def _advance(self, now: float) -> None:
        if not self._jobs:
            return
        due = [j for j in self._jobs if j.end <= now]
        if not due:
            return
        self._jobs = [j for j in self._jobs if j.end > now]
        for job in sorted(due, key=lambda j: j.end):
            server = self.servers.get(job.server)
            if server is None:
                continue
            if job.kind == "install":
                server["status"] = "install_failed" if job.fail else None
                vm = self._vm(server)
                if vm is not None and job.start and not job.fail:
                    with self.cluster.lock:
                        vm.status, vm.started_at = "running", job.end
            elif job.fail:
                server["status"] = "deletion_failed"
            else:
                self._remove_server(server, keep_vm=False)

    def _add_server(self, *, node: dict[str, Any], user_id: int, name: str, hostname: str, cpu: int, memory_mib: int,
                    disk_mib: int, snapshot_limit: int | None, backup_limit: int | None, bandwidth_mib: int | None,
                    vmid: int | None, status: str | None, address_ids: list[int], vm_status: str,
                    template: dict[str, Any] | None = None, usage_mib: int = 0, digits: bool = False) -> dict[str, Any]:
        rng = self._rng
        while True:
            full = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            if digits:
                full = f"{rng.randrange(10 ** 8):08d}" + full[8:]
            if full[:8] not in self.servers:
                break
        if vmid is None:
            used = self._seed_vmids if self._seed_vmids is not None else {v for (_n, v) in self.cluster.vms}
            vmid = rng.randint(100, 999_999_999)
            while vmid in used:
                vmid = rng.randint(100, 999_999_999)
            if self._seed_vmids is not None:
                self._seed_vmids.add(vmid)
        internal = self._next_internal
        self._next_internal += 1
        server = {"internal_id": internal, "uuid_short": full[:8], "uuid": full, "node_id": node["id"],
                  "user_id": user_id, "vmid": vmid, "name": name, "hostname": hostname, "description": None,
                  "status": status, "cpu": cpu, "memory_mib": memory_mib, "disk_mib": disk_mib,
                  "snapshot_limit": snapshot_limit, "backup_limit": backup_limit, "bandwidth_mib": bandwidth_mib,
                  "bandwidth_usage_mib": usage_mib, "mac_address": "bc:24:11:" + rng.randbytes(3).hex(":"),
                  "template_uuid": template["uuid"] if template else None}
        self.servers[server["uuid_short"]] = server
        self._by_uuid[full] = server["uuid_short"]
        self._by_internal[internal] = server["uuid_short"]
        self._assign_addresses(server, address_ids)
        with self.cluster.lock:
            if self.cluster.get_vm(node["cluster"], vmid) is None:
                self.cluster.add_vm(VM(vmid=vmid, node=node["cluster"], name=hostname, status=vm_status, cores=cpu,
                                       memory_bytes=memory_mib * MIB, disk_bytes=disk_mib * MIB,
                                       started_at=self.clock() - rng.randrange(3600, 90 * 86400)
                                       if vm_status == "running" else None,
                                       cpu=round(rng.uniform(0.005, 0.4), 4),
                                       mem_used_bytes=int(memory_mib * MIB * rng.uniform(0.2, 0.8))))
        self._touch()
        return server

    def _assign_addresses(self, server: dict[str, Any], address_ids: list[int]) -> None:
        internal = server["internal_id"]
        for aid in self._server_addresses.get(internal, []):
            self.addresses[aid]["server_id"] = None
        for aid in address_ids:
            self.addresses[aid]["server_id"] = internal
        self._server_addresses[internal] = list(dict.fromkeys(address_ids))

    def _remove_server(self, server: dict[str, Any], keep_vm: bool) -> None:
        self._assign_addresses(server, [])
        self._server_addresses.pop(server["internal_id"], None)
        self.servers.pop(server["uuid_short"], None)
        self._by_uuid.pop(server["uuid"], None)
        self._by_internal.pop(server["internal_id"], None)
        if not keep_vm:
            self.cluster.remove_vm(self.nodes[server["node_id"]]["cluster"], server["vmid"])
        self._touch()

    # ------------------------------------------------------------------ users

    def _list_users(self, req: Request) -> Response:
        filters = self._filters(req, {"*": "partial", "email": "exact", "id": "exact", "name": "partial"})
        items = self._apply(list(self.users.values()), filters, ("name", "email"))
        items = self._sorted(req, items, "id", {"id": "id", "name": "name"})
        return self._paginate(req, items, self._user_json)

    def _check_user(self, body: dict[str, Any], user_id: int | None) -> Checks:
        c = Checks(body)
        if c.required("name"):
            c.string("name", 1, 191)
        if c.required("email") and (email := c.string("email", 1, 191)) is not None:
            if not EMAIL.match(email):
                c.fail("email", "The email field must be a valid email address.")
            elif any(u["email"].lower() == email.lower() and u["id"] != user_id for u in self.users.values()):
                c.fail("email", "The email has already been taken.")
        if user_id is None or body.get("password") is not None:
            if c.required("password") and (password := c.get("password")) is not None:
                if not isinstance(password, str) or len(password) < 8:
                    c.fail("password", "The password field must be at least 8 characters.")
        if "root_admin" in body:
            c.boolean("root_admin")
        return c

    def _create_user(self, req: Request) -> Response:
        body = self._body(req)
        self._check_user(body, None).done()
        if "root_admin" not in body:
            raise ApiError(500, "Server Error")   # the controller writes NULL into a NOT NULL column
        user = self._new_user(body["name"], body["email"], body["root_admin"] in (True, 1, "1", "true"))
        user["password_hash"] = hashlib.sha256(str(body["password"]).encode()).hexdigest()
        return Response.json(200, {"data": self._user_json(user)})

    def _update_user(self, req: Request) -> Response:
        user = self._user(req)
        body = self._body(req)
        self._check_user(body, user["id"]).done()
        user["name"], user["email"] = body["name"], body["email"]
        if body.get("password") is not None:
            user["password_hash"] = hashlib.sha256(str(body["password"]).encode()).hexdigest()
        if "root_admin" in body:
            admin = body["root_admin"] in (True, 1, "1", "true")
            if user["root_admin"] and not admin:       # demotion revokes the user's API tokens
                self.tokens = {t: uid for t, uid in self.tokens.items() if uid != user["id"]}
            user["root_admin"] = admin
        return Response.json(200, {"data": self._user_json(user)})

    def _delete_user(self, req: Request) -> Response:
        user = self._user(req)
        if self._stats()[0][user["id"]]:
            raise ApiError(400, "The user cannot be deleted with servers still associated.")
        self.users.pop(user["id"])
        self.tokens = {t: uid for t, uid in self.tokens.items() if uid != user["id"]}
        self._touch()
        return Response(204, b"", None)

    def _sso_token(self, req: Request) -> Response:
        user = self._user(req)
        now = int(self.clock())
        token = make_jwt({"user_uuid": user["uuid"], "iat": now, "exp": now + self.sso_lifetime}, self.app_key)
        return Response.json(200, {"data": {"user_id": user["id"], "token": token}})

    def _new_user(self, name: str, email: str, root_admin: bool, verified: str | None = None) -> dict[str, Any]:
        uid = max(self.users, default=0) + 1
        user = {"id": uid, "uuid": str(uuid.UUID(int=self._rng.getrandbits(128), version=4)), "name": name,
                "email": email, "email_verified_at": verified, "root_admin": root_admin, "password_hash": None}
        self.users[uid] = user
        self._touch()
        return user

    # ------------------------------------------------------------------ web routes (outside /api/application)

    def _web(self, req: Request, now: float) -> Response:
        if req.path == "/authenticate" and req.method == "GET":
            # routes/auth.php sits behind the `guest` middleware (ConvoyPanel/panel RouteServiceProvider): a browser that
            # already has a Convoy session is sent to "/" as itself and the token is never read
            if "convoy_session=" in (req.header("Cookie") or ""):
                return self._redirect(req, "/")
            claims = read_jwt(req.arg("token") or "", self.app_key)
            if claims is None or not isinstance(claims.get("exp"), (int, float)) or claims["exp"] < now:
                return self._web_error(req, 401, "Invalid JWT token")
            user = next((u for u in self.users.values() if u["uuid"] == claims.get("user_uuid")), None)
            if user is None:
                return self._web_error(req, 401, "Invalid JWT claims")
            self.sso_logins.append(user["id"])
            resp = self._redirect(req, "/")
            resp.headers.append(("Set-Cookie", f"convoy_session={uuid.uuid4().hex}; path=/; httponly; samesite=lax"))
            return resp
        if req.path in ("/", "/login") and req.method == "GET":
            title = "Dashboard" if req.path == "/" else "Login"
            return Response(200, f"<!DOCTYPE html><html><head><title>{title} - Convoy</title></head><body></body></html>"
                            .encode(), "text/html; charset=UTF-8")
        return self._web_error(req, 404, "Not Found")

    @staticmethod
    def _web_error(req: Request, status: int, message: str) -> Response:
        if wants_json(req):
            return Response.json(status, {"message": message})
        return Response(status, f"<!DOCTYPE html><html><head><title>{message}</title></head><body>{status} | {message}"
                                f"</body></html>".encode(), "text/html; charset=UTF-8")

    # ------------------------------------------------------------------ nodes, templates, addresses

    def _list_nodes(self, req: Request) -> Response:
        filters = self._filters(req, {"location_id": "exact", "name": "partial", "fqdn": "partial"})
        items = self._sorted(req, self._apply(list(self.nodes.values()), filters), "id", {"id": "id", "name": "name"})
        return self._paginate(req, items, self._node_json)

    def _template_groups(self, req: Request) -> Response:
        node = self._node(req)
        filters = self._filters(req, {"name": "partial"})
        groups = self._apply([g for g in self.template_groups.values() if g["node_id"] == node["id"]], filters)
        data = []
        for g in sorted(groups, key=lambda g: g["order_column"]):
            templates = sorted((t for t in self.templates.values() if t["template_group_id"] == g["id"]),
                               key=lambda t: t["order_column"])
            data.append({**g, "templates": {"data": [dict(t) for t in templates]}})
        return Response.json(200, {"data": data})

    def _template_show(self, req: Request) -> Response:
        self._node(req)
        raise ApiError(500, "Server Error")     # the route exists but the controller has no show()

    def _node_addresses(self, req: Request) -> Response:
        node = self._node(req)
        filters = self._filters(req, {"type": "exact", "server_id": "exact", "address": "partial"})
        includes = self._includes(req, ("server",))
        pools = {p["id"] for p in self.pools.values() if node["id"] in p["node_ids"]}
        items = [a for a in self.addresses.values() if a["address_pool_id"] in pools]
        items = self._sorted(req, self._apply(items, filters), "id", {"id": "id"})
        return self._paginate(req, items, lambda a: self._address_json(a, includes), cap=999_999)

    def _list_locations(self, req: Request) -> Response:
        counts = Counter(n["location_id"] for n in self.nodes.values())
        per_node = self._stats()[1]
        servers: Counter[int] = Counter()
        for n in self.nodes.values():
            servers[n["location_id"]] += per_node.get(n["id"], [0])[0]
        return self._paginate(req, list(self.locations.values()),
                              lambda l: {**l, "nodes_count": counts[l["id"]], "servers_count": servers[l["id"]]})

    def _list_pools(self, req: Request) -> Response:
        counts = Counter(a["address_pool_id"] for a in self.addresses.values())
        return self._paginate(req, list(self.pools.values()),
                              lambda p: {"id": p["id"], "name": p["name"], "nodes_count": len(p["node_ids"]),
                                         "addresses_count": counts[p["id"]]})

    def _pool_addresses(self, req: Request) -> Response:
        pool = self._by_id(self.pools, req.params["id"], POOL_MODEL)
        filters = self._filters(req, {"type": "exact", "server_id": "exact", "address": "partial"})
        items = self._apply([a for a in self.addresses.values() if a["address_pool_id"] == pool["id"]], filters)
        return self._paginate(req, items, dict, cap=999_999)

    # ------------------------------------------------------------------ seed data

    def _seed(self, server_count: int, user_count: int) -> None:
        rng = self._rng
        admin = self._new_user("Hostdeck Admin", "admin@hostdeck.example", True, "2024-01-15T09:00:00.000000Z")
        staff = self._new_user("Support Desk", "support@hostdeck.example", False, "2024-01-15T09:05:00.000000Z")
        for tok, user in ((self.token, admin), (self.non_admin_token, staff)):
            if tok:
                self.tokens[tok] = user["id"]
        used_emails = {admin["email"], staff["email"]}
        for _ in range(user_count - 2):
            first, last = rng.choice(FIRST), rng.choice(LAST)
            email = f"{first.lower()}.{last.lower()}@{rng.choice(DOMAINS)}"
            n = 2
            while email in used_emails:
                email = f"{first.lower()}.{last.lower()}{n}@{email.split('@')[1]}"
                n += 1
            used_emails.add(email)
            verified = f"2024-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}T10:00:00.000000Z" if rng.random() < 0.7 else None
            self._new_user(f"{first} {last}", email, False, verified)
        customers = [uid for uid in self.users if uid > 2] or [staff["id"]]

        cluster_nodes = sorted(self.cluster.nodes.values(), key=lambda n: n.name)
        for n, pnode in enumerate(cluster_nodes):
            site = "nbg" if "nbg" in pnode.name else "hel" if "hel" in pnode.name else "fsn"
            loc = next((l for l in self.locations.values() if l["short_code"] == site), None)
            if loc is None:
                loc = {"id": len(self.locations) + 1, "short_code": site,
                       "description": {"fsn": "Falkenstein, DE", "nbg": "Nuremberg, DE", "hel": "Helsinki, FI"}[site]}
                self.locations[loc["id"]] = loc
            nid = n + 1
            self.nodes[nid] = {"id": nid, "location_id": loc["id"], "name": pnode.name.removeprefix("pve-") + "-node",
                               "cluster": pnode.name, "verify_tls": True, "fqdn": f"{pnode.name}.hostdeck.example",
                               "port": 8006, "memory": pnode.memory_bytes, "memory_overallocate": 0,
                               "disk": pnode.disk_bytes, "disk_overallocate": 0, "vm_storage": "local-lvm",
                               "backup_storage": "local", "iso_storage": "local", "network": "vmbr0"}
            for g, (group, hidden, names) in enumerate(TEMPLATE_GROUPS):
                gid = len(self.template_groups) + 1
                self.template_groups[gid] = {"id": gid, "node_id": nid, "uuid": self._uuid(), "name": group,
                                             "hidden": hidden, "order_column": g + 1}
                for t, tname in enumerate(names):
                    tid = len(self.templates) + 1
                    self.templates[tid] = {"id": tid, "template_group_id": gid, "uuid": self._uuid(), "name": tname,
                                           "vmid": 9000 + g * 10 + t, "hidden": hidden, "order_column": t + 1}
        if not self.nodes:
            return

        plans = []
        for _ in range(server_count):
            cpu, mem_gib, disk_gib = rng.choices(PLANS, [8, 18, 16, 20, 14, 8, 6, 3])[0]
            plans.append((rng.choice(list(self.nodes)), cpu, mem_gib, disk_gib, rng.random() < 0.93, rng.random() < 0.5))
        for nid, node in self.nodes.items():
            self._seed_pools(nid, node, sum(1 for p in plans if p[0] == nid and p[4]),
                             sum(1 for p in plans if p[0] == nid and p[5]))
            mem = sum(p[2] for p in plans if p[0] == nid) * GIB
            disk = sum(p[3] for p in plans if p[0] == nid) * GIB
            if mem > node["memory"] * 0.8:             # a bigger seed gets bigger nodes, not silly overallocation
                node["memory"] = math.ceil(mem / 0.8 / (64 * GIB)) * 64 * GIB
            if disk > node["disk"] * 0.8:
                node["disk"] = math.ceil(disk / 0.8 / (1024 * GIB)) * 1024 * GIB
        if len(self.nodes) > 1:
            self.nodes[2]["memory_overallocate"] = 10
        free: dict[tuple[int, str], list[int]] = {(a["address_pool_id"], a["type"]): [] for a in self.addresses.values()}
        for a in sorted(self.addresses.values(), key=lambda a: a["id"], reverse=True):
            free[(a["address_pool_id"], a["type"])].append(a["id"])
        pool_of = {(nid, kind): p["id"] for p in self.pools.values() for nid in p["node_ids"] for kind in [p["type"]]}
        numbering: Counter[Any] = Counter()
        statuses = [(None, 860), ("suspended", 60), ("installing", 15), ("install_failed", 10), ("restoring_backup", 8),
                    ("restoring_snapshot", 5), ("deleting", 8), ("deletion_failed", 4)]
        digit_ids = 0
        for i, (nid, cpu, mem_gib, disk_gib, v4, v6) in enumerate(plans):
            uid = rng.choice(customers)
            numbering[uid] += 1
            name = f"c-{1000 + uid} vps" + (f" {numbering[uid]}" if numbering[uid] > 1 else "")
            domain = self.users[uid]["email"].split("@")[1]
            hostname = f"{rng.choice(('vps', 'web', 'app', 'db', 'mail', 'shop'))}{i + 1}.{domain}"
            status = rng.choices([s for s, _ in statuses], [w for _, w in statuses])[0]
            address_ids = []
            if v4 and free[(pool_of[(nid, "ipv4")], "ipv4")]:
                address_ids.append(free[(pool_of[(nid, "ipv4")], "ipv4")].pop())
            if v6 and free[(pool_of[(nid, "ipv6")], "ipv6")]:
                address_ids.append(free[(pool_of[(nid, "ipv6")], "ipv6")].pop())
            digits = i % 25 == 7
            digit_ids += digits
            running = status is None and rng.random() < 0.88 or status in BLOCKED + ("restoring_backup",)
            server = self._add_server(
                node=self.nodes[nid], user_id=uid, name=name, hostname=hostname, cpu=cpu, memory_mib=mem_gib * 1024,
                disk_mib=disk_gib * 1024, snapshot_limit=rng.choice((0, 1, 2, 2, 5)), backup_limit=rng.choice((0, 2, 2, 5)),
                bandwidth_mib=None if rng.random() < 0.6 else rng.choice((1, 2, 5, 10)) * 1024 * 1024, vmid=None,
                status=status, address_ids=address_ids, vm_status="running" if running else "stopped",
                usage_mib=rng.randrange(0, 900 * 1024), digits=digits)
            if digits and digit_ids == 1:            # one all-digit id with leading zeros: never coerce it to int
                self._rekey(server, "00" + server["uuid_short"][2:])
            if status in ("installing", "deleting", "restoring_backup", "restoring_snapshot"):
                kind = "delete" if status == "deleting" else "install"
                self._jobs.append(_Job(server["uuid_short"], kind, self.clock() + rng.uniform(30, 300)))
        self._touch()

    def _seed_pools(self, nid: int, node: dict[str, Any], v4: int, v6: int) -> None:
        rng = self._rng
        # A range of Convoy's own (Hetzner's simulator hands out 198.18.0.0/15 and 100.64.0.0/11): no address is
        # two providers' servers at once, as in a real fleet. 64 /24s per node.
        base4 = int(CONVOY_IPV4.network_address) + (nid - 1) * 64 * 256
        for kind, wanted in (("ipv4", v4 + max(8, v4 // 10)), ("ipv6", v6 + 8)):
            pid = len(self.pools) + 1
            self.pools[pid] = {"id": pid, "name": f"{node['name']} {'IPv4' if kind == 'ipv4' else 'IPv6'}",
                               "type": kind, "node_ids": [nid]}
            for i in range(wanted):
                aid = len(self.addresses) + 1
                if kind == "ipv4":
                    subnet = base4 + (i // 253) * 256
                    address, gateway, cidr = (str(ipaddress.IPv4Address(subnet + 2 + i % 253)),
                                              str(ipaddress.IPv4Address(subnet + 1)), 24)
                else:
                    address, gateway, cidr = f"2001:db8:{nid:x}::{i + 16:x}", f"2001:db8:{nid:x}::1", 64
                self.addresses[aid] = {"id": aid, "address_pool_id": pid, "server_id": None, "type": kind,
                                       "address": address, "cidr": cidr, "gateway": gateway,
                                       "mac_address": None if rng.random() < 0.9 else
                                       "bc:24:11:" + rng.randbytes(3).hex(":")}

    def _rekey(self, server: dict[str, Any], short: str) -> None:
        if short in self.servers:
            return
        self.servers.pop(server["uuid_short"])
        self._by_uuid.pop(server["uuid"])
        server["uuid_short"], server["uuid"] = short, short + server["uuid"][8:]
        self.servers[short] = server
        self._by_uuid[server["uuid"]] = short
        self._by_internal[server["internal_id"]] = short
        self.servers = dict(sorted(self.servers.items(), key=lambda kv: kv[1]["internal_id"]))

    def _uuid(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))
