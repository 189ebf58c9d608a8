"""A faithful loopback simulator of the company's VPS panel sync endpoint, see shared/api/vpspanel.md (the contract).

`POST /api/vps/sync` with `X-API-Key` (create/update/delete of VPS records, RAM in MB, disk in GB) and the customer
listing `GET /api/vps` with `Authorization: Bearer <HS256 JWT>` (each panel user sees only their own records). The
check order is the contract's: method, then the key (constant-time, at least 32 characters), then the JSON body, then
the fields with strict types and the status enum; 422 always carries `errors` per field.

    with VpsPanelSim(seed=1) as sim:
        sim.faults.add("create", "reset_mid")         # the record is stored, the answer is lost (the ambiguous case)
        sim.faults.add("update", "status", status=503, count=2)
        httpx.post(sim.base_url + "/api/vps/sync", headers={"X-API-Key": sim.api_key},
                   json={"action": "update", "vps": {}})                  # 422: the key was accepted

Fault routes are those of `hostdeck.backends.sim.server` ("POST /api/vps/sync", "GET /api/vps", "*") or a sync action name
("create", "update", "delete"). Besides its fault kinds, `omit_id_next()` makes the next creates store the record but
answer 201 without `vps.id`. Creates are never de-duplicated: two identical creates make two records.

Seeded, deterministic panel users (ids from 41, a JWT each in `bearer`) and a few VPS records per seed; `users=` gives
your own ({"id", "email", "name", "bearer"}; a `bearer` you give is accepted as that user's token as it is, one you
leave out is issued as a JWT). `token_for()` issues more; `hostdeck sim` prints a sample token for each user.

Choices where the contract is silent: an unknown path is 404 `{"message": "Not Found"}`; `GET /api/vps` lists in id
order; `null` for an optional field is a type error; created_at/updated_at are always sent (second precision, `Z`).
"""

from __future__ import annotations

import hmac
import json
import random
import threading
import time
from collections.abc import Callable
from datetime import UTC
from datetime import datetime
from email.message import Message
from typing import Any

from .convoy import make_jwt
from .convoy import read_jwt
from .laravel import ApiError
from .laravel import error_body
from .laravel import injected_error
from .server import Request
from .server import Response
from .server import SimApp
from .server import SimServer

SYNC_PATH = "/api/vps/sync"
LIST_PATH = "/api/vps"
DEFAULT_API_KEY = "demo-vpspanel-key-0123456789abcdefghijklmnop"     # public on purpose (simulator only), 44 chars
DEFAULT_JWT_SECRET = "demo-vpspanel-jwt-secret-0123456789abcdef"
MIN_KEY_LENGTH = 32
STATUSES = ("creating", "running", "stopped", "suspended", "error")
ACTIONS = ("create", "update", "delete")
CREATE_REQUIRED = ("user_id", "name", "status", "cpu", "ram", "disk", "os")
INT_FIELDS = ("id", "user_id", "cpu", "ram", "disk")
STR_FIELDS = {"name": 255, "os": 255, "hypervisor": 50}
BAD_KEY = "Invalid or missing API key"
BAD_TOKEN = "Invalid or missing token"
BAD_FIELDS = "Missing required fields"
NOT_FOUND = "VPS not found"
FIRST = ("Ana", "Bo", "Chen", "Dara", "Emil", "Fatima", "Goran", "Hana", "Ivo", "Jonas", "Kira", "Lars", "Mia", "Nils")
LAST = ("Lima", "Berg", "Wang", "Novak", "Fischer", "Haddad", "Kovac", "Sato", "Ilic", "Weber", "Moreau", "Jensen")
DOMAINS = ("example.com", "example.net", "example.org", "shop.example", "agency.example")
PLANS = ((1, 1024, 20), (2, 2048, 40), (2, 4096, 40), (4, 8192, 80), (8, 16384, 160))
SYSTEMS = ("Ubuntu 22.04 LTS", "Ubuntu 24.04 LTS", "Debian 12", "AlmaLinux 9")
DEFAULT_MESSAGES = {400: "Invalid JSON body", 401: BAD_KEY, 404: NOT_FOUND, 405: "Method not allowed", 422: BAD_FIELDS,
                    429: "Too Many Requests", 500: "Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                    504: "Gateway Timeout"}



def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --------------------------------------------------------------------------- per-action faults and the request log


class ActionLog(list[dict[str, Any]]):
    """The request log (X-API-Key and Authorization already masked by the server); adds the sync `action`."""

    def append(self, entry: dict[str, Any]) -> None:
        body = entry.get("body")
        entry["action"] = body.get("action") if isinstance(body, dict) and isinstance(body.get("action"), str) else None
        super().append(entry)


def _action_of(body: bytes) -> str | None:
    try:
        data = json.loads(body.decode("utf-8")) if body else None
    except (ValueError, UnicodeDecodeError):
        return None
    return data.get("action") if isinstance(data, dict) and isinstance(data.get("action"), str) else None




# --------------------------------------------------------------------------- the simulator


class VpsPanelSim(SimApp):
    prefix = ""

    def __init__(self, seed: int = 1, latency_ms: float = 0.0, jitter_ms: float = 0.0, api_key: str = DEFAULT_API_KEY,
                 users: list[dict[str, Any]] | None = None, *, vps: int = 6, jwt_secret: str = DEFAULT_JWT_SECRET,
                 token_lifetime: float = 86400.0, first_id: int = 1001, retry_after: int = 1,
                 hang_seconds: float = 30.0, field_error_status: int = 422) -> None:
        # field_error_status: the contract lets a panel answer field errors with 400 instead of 422 (same body)
        self.field_error_status = field_error_status
        # A key shorter than 32 characters is accepted here, as a misconfigured panel would be: every request is then
        # refused with 401 (contract, gotcha 2).
        self.api_key = api_key
        self.jwt_secret = jwt_secret
        self.token_lifetime = token_lifetime
        self.retry_after = retry_after
        self.clock: Callable[[], float] = time.time
        self._lock = threading.RLock()
        self._rng = random.Random(seed)
        self._server = SimServer(self, latency_ms=latency_ms, jitter_ms=jitter_ms, seed=seed, hang_seconds=hang_seconds,
                                  named_faults=True)
        self._server.request_log = ActionLog()
        self._omit_id = 0
        self._next_id = first_id
        self.users: dict[int, dict[str, Any]] = {}
        self.bearers: dict[str, int] = {}              # tokens given with `users=` (opaque), by token
        self.records: dict[int, dict[str, Any]] = {}   # VPS records by panel id
        self._seed_users(users)
        self._seed_records(max(vps, 0))

    def operation_name(self, target: str, headers: Message, body: bytes) -> str | None:
        return _action_of(body)

    # ------------------------------------------------------------------ public interface

    @property
    def base_url(self) -> str | None:
        """The panel URL (hostdeck's `url`); the endpoints are `{base_url}/api/vps/sync` and `{base_url}/api/vps`."""
        return self._server.base_url

    @property
    def sync_url(self) -> str | None:
        return self._server.base_url + SYNC_PATH if self._server.base_url else None

    def token_for(self, user_id: int, lifetime: float | None = None, *, exp: float | None = None) -> str:
        """An HS256 JWT (claims `user_id`, `exp`) for a panel user, as the panel issues them to customers."""
        if exp is None:
            exp = self.clock() + (self.token_lifetime if lifetime is None else lifetime)
        return make_jwt({"user_id": user_id, "exp": int(exp)}, self.jwt_secret)

    def sample_tokens(self) -> dict[int, str]:
        """Each panel user's bearer token, by user id."""
        with self._lock:
            return {uid: u["bearer"] for uid, u in self.users.items()}

    def records_of(self, user_id: int) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(r) for r in self.records.values() if r["user_id"] == user_id]

    def omit_id_next(self, count: int = 1) -> None:
        """The next `count` creates store the record but answer 201 without `vps.id` (a broken panel)."""
        with self._lock:
            self._omit_id += count

    def add_user(self, user_id: int, email: str, name: str = "", bearer: str | None = None) -> dict[str, Any]:
        with self._lock:
            uid = int(user_id)
            user: dict[str, Any] = {"id": uid, "email": email, "name": name or email.split("@")[0], "bearer": bearer}
            if bearer:
                self.bearers[bearer] = uid
            else:
                user["bearer"] = self.token_for(uid)
            self.users[uid] = user
            return dict(user)

    # ------------------------------------------------------------------ SimApp

    def handle(self, req: Request) -> Response:
        with self._lock:
            try:
                if req.route_path.rstrip("/") == SYNC_PATH:
                    if req.method != "POST":
                        raise ApiError(405, "Method not allowed", allow="POST")
                    return self._sync(req)
                if req.route_path.rstrip("/") == LIST_PATH:
                    if req.method != "GET":
                        raise ApiError(405, "Method not allowed", allow="GET")
                    return self._list(req)
                raise ApiError(404, "Not Found")
            except ApiError as err:
                return error_body(err)

    def error_response(self, req: Request, status: int, code: str | None = None,
                       message: str | None = None) -> Response:
        return injected_error(status, message, DEFAULT_MESSAGES, self.retry_after)

    def decorate(self, req: Request, resp: Response) -> None:
        resp.headers.append(("Cache-Control", "no-store"))

    # ------------------------------------------------------------------ endpoints

    def _key_ok(self, given: str | None) -> bool:
        if not given or len(given) < MIN_KEY_LENGTH or len(self.api_key) < MIN_KEY_LENGTH:
            return False
        return hmac.compare_digest(given.encode("utf-8"), self.api_key.encode("utf-8"))

    def _sync(self, req: Request) -> Response:
        if not self._key_ok(req.header("X-API-Key")):
            raise ApiError(401, BAD_KEY)
        try:
            body = json.loads(req.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            raise ApiError(400, "Invalid JSON body") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Invalid JSON body")
        errors: dict[str, list[str]] = {}
        action = body.get("action")
        if action is None:
            errors["action"] = ["required"]
        elif action not in ACTIONS:
            errors["action"] = [f"must be one of: {', '.join(ACTIONS)}"]
        vps = body.get("vps")
        if vps is None:
            errors["vps"] = ["required"]
        elif not isinstance(vps, dict):
            errors["vps"] = ["must be an object"]
        if errors or not isinstance(vps, dict):
            raise ApiError(self.field_error_status, BAD_FIELDS, errors)
        if action == "create":
            return self._create(vps)
        if action == "update":
            return self._update(vps)
        return self._delete(vps)

    def _check(self, vps: dict[str, Any], required: tuple[str, ...], optional: tuple[str, ...]) -> dict[str, Any]:
        """The valid values of `required` and the present `optional` fields; one 422 with every problem otherwise."""
        errors: dict[str, list[str]] = {}
        values: dict[str, Any] = {}
        for name in required + optional:
            if name not in vps:
                if name in required:
                    errors[name] = ["required"]
                continue
            value = vps[name]
            if value is None and name in required:
                errors[name] = ["required"]
            elif name in INT_FIELDS:
                if not isinstance(value, int) or isinstance(value, bool):
                    errors[name] = ["must be an integer"]
                elif value < 1:
                    errors[name] = ["must be at least 1"]
                else:
                    values[name] = value
            elif name == "status":
                if value not in STATUSES:
                    errors[name] = [f"must be one of: {', '.join(STATUSES)}"]
                else:
                    values[name] = value
            else:
                limit = STR_FIELDS[name]
                if not isinstance(value, str):
                    errors[name] = ["must be a string"]
                elif not 1 <= len(value) <= limit:
                    errors[name] = [f"must be between 1 and {limit} characters"]
                else:
                    values[name] = value
        if "user_id" in values and values["user_id"] not in self.users:
            errors["user_id"] = ["unknown user"]
        if errors:
            raise ApiError(self.field_error_status, BAD_FIELDS, errors)
        return values

    def _create(self, vps: dict[str, Any]) -> Response:
        values = self._check(vps, CREATE_REQUIRED, ("hypervisor",))
        record = self._store(values)
        shown = dict(record)
        if self._omit_id > 0:
            self._omit_id -= 1
            shown.pop("id")
        return Response.json(201, {"vps": shown})

    def _update(self, vps: dict[str, Any]) -> Response:
        values = self._check(vps, ("id", "status"), ("user_id", "name", "cpu", "ram", "disk", "os", "hypervisor"))
        record = self.records.get(values.pop("id"))
        if record is None:
            raise ApiError(404, NOT_FOUND)
        record.update(values)
        record["updated_at"] = iso(self.clock())
        return Response.json(200, {"vps": dict(record)})

    def _delete(self, vps: dict[str, Any]) -> Response:
        values = self._check(vps, ("id",), ())
        record = self.records.pop(values["id"], None)
        if record is None:
            raise ApiError(404, NOT_FOUND)
        return Response.json(200, {"vps": dict(record)})

    def _list(self, req: Request) -> Response:
        user_id = self._bearer_user(req.header("Authorization"))
        if user_id is None:
            raise ApiError(401, BAD_TOKEN)
        return Response.json(200, {"vps": [dict(r) for r in self.records.values() if r["user_id"] == user_id]})

    def _bearer_user(self, header: str | None) -> int | None:
        scheme, _, token = (header or "").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        for known, uid in self.bearers.items():
            if hmac.compare_digest(known.encode("utf-8"), token.encode("utf-8")):
                return uid if uid in self.users else None
        claims = read_jwt(token, self.jwt_secret)
        if not claims:
            return None
        user_id, exp = claims.get("user_id"), claims.get("exp")
        if not isinstance(user_id, int) or isinstance(user_id, bool) or user_id not in self.users:
            return None
        if not isinstance(exp, (int, float)) or isinstance(exp, bool) or exp <= self.clock():
            return None
        return user_id

    # ------------------------------------------------------------------ state

    def _store(self, values: dict[str, Any]) -> dict[str, Any]:
        now = iso(self.clock())
        record = {"id": self._next_id, "user_id": values["user_id"], "name": values["name"], "status": values["status"],
                  "cpu": values["cpu"], "ram": values["ram"], "disk": values["disk"], "os": values["os"],
                  "hypervisor": values.get("hypervisor", "proxmox"), "created_at": now, "updated_at": now}
        self.records[record["id"]] = record
        self._next_id += 1
        return record

    def _seed_users(self, users: list[dict[str, Any]] | None) -> None:
        if users is not None:
            for u in users:
                self.add_user(u["id"], u.get("email") or f"user{u['id']}@example.com", u.get("name") or "", u.get("bearer"))
            return
        taken: set[str] = set()
        for n in range(5):
            first, last = self._rng.choice(FIRST), self._rng.choice(LAST)
            email = f"{first}.{last}@{self._rng.choice(DOMAINS)}".lower()
            while email in taken:
                email = email.replace("@", f"{n}@", 1)
            taken.add(email)
            self.add_user(41 + n, email, f"{first} {last}")

    def _seed_records(self, count: int) -> None:
        uids = sorted(self.users)
        if not uids:
            return
        for n in range(count):
            cpu, ram, disk = self._rng.choice(PLANS)
            uid = uids[n % len(uids)]
            domain = self.users[uid]["email"].split("@")[1]
            self._store({"user_id": uid, "name": f"vps{n + 1}.{domain}", "cpu": cpu, "ram": ram, "disk": disk,
                         "os": self._rng.choice(SYSTEMS),
                         "status": self._rng.choices(STATUSES, weights=(1, 12, 3, 1, 1))[0]})
