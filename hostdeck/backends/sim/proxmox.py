"""A faithful loopback simulator of the Proxmox VE API (`/api2/json`), see shared/api/proxmox.md.

One simulator answers for every node of a shared `Cluster` (a real cluster member proxies `/nodes/{node}/...`
to the node), so the Convoy simulator and this one see the same VMs. What the Cluster does not model (QEMU run
state, guest agent configuration, OS, cloud-init password, guests that ignore ACPI) lives here per VM.

    with ProxmoxSim(seed=1) as sim:
        headers = {"Authorization": "PVEAPIToken=hostdeck@pve!hostdeck=demo-proxmox-secret-uuid"}
        httpx.get(sim.base_url + "/nodes/pve-fsn-1/qemu", headers=headers)

PVE's error style: HTTP status, reason phrase = first line of the message, body `{"data": null, "message":
"<text>\\n"}` (plus `errors` for 400). `legacy_errors=True` leaves the message out of the body, as servers
before libpve-http-server-perl 5.2.0 did.

Choices where the sources are silent or disagree (unverified): the 401 text is "authentication failure"
("No ticket" without any Authorization header); an unknown UPID answers 500 "no such task"; an unknown node
answers 500 "no such cluster node '<node>'"; an offline node answers 595 "No route to host". Following
proxmox.md, reboot/reset/shutdown of a stopped VM answer 500 "VM <id> not running" synchronously, while a
config `lock` makes the power *task* fail with "VM is locked (<lock>)" (`check_lock` runs in the worker).

Snapshots, backups and statistics (PVE API schema: qemu/{vmid}/snapshot, nodes/{node}/vzdump, storage content,
rrddata; `proxmox_rrd` makes the points): snapshot create/delete and vzdump are tasks (`qmsnapshot`, `qmdelsnapshot`,
`vzdump`) that hold the VM's lock ("snapshot", "snapshot-delete", "backup") while they run and fail inside the task
on a held lock, a used name ("snapshot name '<n>' already used") or a missing one ("snapshot '<n>' does not exist").
Every node has the storages "local" (dir: iso, vztmpl, backup; PVE's default dump directory) and "local-lvm".
Unverified texts: an unknown storage answers 500 "storage '<s>' does not exist", a storage without backup content
"storage '<s>' does not support backups", a VM not on the node "unable to find VM '<id>'"; deleting a volume that
is gone fails its `imgdel` task with "removing '<path>' failed: No such file or directory".
"""

from __future__ import annotations

import hashlib
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import unquote

from .cluster import VM
from .cluster import Cluster
from .proxmox_rrd import FRAMES
from .proxmox_rrd import rrd_points
from .server import Request
from .server import Response
from .server import Router
from .server import SimApp
from .server import SimServer
from .server import _SimHandler
from .server import dumps

PREFIX = "/api2/json"
REASON_HEADER = "X-Sim-Reason"          # carried from the app to the handler, never sent
CONTENT_TYPE = "application/json;charset=UTF-8"
MAX_BODY = 512 * 1024
VERSION = {"version": "9.1.2", "release": "9.1", "repoid": "5f2a1c9e", "console": "xtermjs"}
ALL_PRIVILEGES = frozenset({"VM.Audit", "VM.PowerMgmt", "VM.Config.Cloudinit", "VM.GuestAgent.Audit",
                            "VM.GuestAgent.Unrestricted", "Sys.Audit", "VM.Snapshot", "VM.Backup", "Datastore.Audit",
                            "Datastore.AllocateSpace", "VM.Config.Options"})
READ_PRIVILEGES = frozenset({"VM.Audit", "VM.GuestAgent.Audit"})
TOKEN_RE = re.compile(r"^PVEAPIToken=(?P<id>[^\s=!]+@[^\s=!]+![A-Za-z][A-Za-z0-9._-]*)=(?P<secret>\S+)$")
POWER = {  # action -> (task type, accepted parameters)
    "start": ("qmstart", {"timeout", "skiplock", "machine", "force-cpu"}),
    "stop": ("qmstop", {"timeout", "keepActive", "skiplock", "overrule-shutdown"}),
    "shutdown": ("qmshutdown", {"timeout", "forceStop", "keepActive", "skiplock"}),
    "reboot": ("qmreboot", {"timeout"}),
    "reset": ("qmreset", {"skiplock"}),
    "suspend": ("qmpause", {"skiplock", "todisk"}),
    "resume": ("qmresume", {"skiplock", "nocheck"}),
}
ROOT_ONLY = ("skiplock", "keepActive")
LINUX_USER = re.compile(r"^[a-z_][a-z0-9_-]{0,31}$")
OS_CHOICES = (("debian", "Debian GNU/Linux", "12", "6.1.0-28-amd64"), ("ubuntu", "Ubuntu", "24.04", "6.8.0-51-generic"),
              ("almalinux", "AlmaLinux", "9.5", "5.14.0-503.el9.x86_64"), ("rocky", "Rocky Linux", "9.5", "5.14.0-503.el9.x86_64"))
WINDOWS_OS = ("mswindows", "Microsoft Windows Server 2022 Standard", "2022", "10.0.20348")
NAME_WORDS = ("web", "db", "mail", "shop", "app", "git", "vpn", "cache", "api", "blog", "crm", "erp")
# every node's storages: name -> (type, content); "local" is PVE's default dump directory
STORAGES = {"local": ("dir", "iso,vztmpl,backup"), "local-lvm": ("lvmthin", "images,rootdir")}
CONFIG_ID = re.compile(r"^[a-z][a-z0-9_-]+$", re.IGNORECASE)   # pve-configid
COMPRESS_SUFFIX = {"0": "vma", "1": "vma.lzo", "lzo": "vma.lzo", "gzip": "vma.gz", "zstd": "vma.zst"}
SCHEMA_EXTRA = "property is not defined in schema and the schema does not allow additional properties"
CUSTOMERS = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka", "tyrell", "cyberdyne")


class PveError(Exception):
    def __init__(self, status: int, message: str, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.errors = status, message, errors


def param_error(errors: dict[str, str]) -> PveError:
    return PveError(400, "Parameter verification failed.", errors)


@dataclass
class Guest:
    """Per-VM state the shared Cluster does not hold."""

    agent_enabled: bool = True          # `agent: 1` in the VM config
    os: tuple[str, str, str, str] = OS_CHOICES[0]
    paused: bool = False                # qmpstatus "paused" while the VM runs
    ignores_acpi: bool = False          # shutdown/reboot run into their timeout unless forceStop
    cipassword: str | None = field(default=None, repr=False)
    ciuser: str = "root"
    passwords: dict[str, str] = field(default_factory=dict, repr=False)  # set through the guest agent
    fail_next: str | None = None        # the next task on this VM ends with this exit status
    snapshots: dict[str, dict[str, Any]] = field(default_factory=dict)   # name -> description, snaptime, parent
    parent: str | None = None           # the snapshot the current state derives from
    protection: bool = False            # `protection: 1`: the VM and its disks cannot be removed


@dataclass
class Token:
    token_id: str
    secret: str = field(repr=False)
    privileges: frozenset[str] = ALL_PRIVILEGES
    vmids: frozenset[int] | None = None  # None: the privileges hold on every /vms/{vmid}

    def allows(self, privilege: str, vmid: int | None = None) -> bool:
        if privilege not in self.privileges:
            return False
        return vmid is None or self.vmids is None or vmid in self.vmids


# a Proxmox route handler: the request and the caller's token
PveHandler = Callable[[Request, Token], Response]


@dataclass
class Task:
    upid: str
    node: str
    type: str
    vmid: int
    user: str
    pid: int
    pstart: int
    starttime: int
    end: float
    exitstatus: str = "OK"
    status: str = "running"
    on_success: Callable[[float], None] | None = None
    log: list[str] = field(default_factory=list)
    on_end: Callable[[], None] | None = None     # always, success or not (releases the VM's lock)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"upid": self.upid, "node": self.node, "type": self.type, "id": str(self.vmid),
                               "user": self.user, "pid": self.pid, "pstart": self.pstart, "starttime": self.starttime,
                               "status": self.status}
        if self.status == "stopped":
            out["exitstatus"] = self.exitstatus
        return out


def upid_for(node: str, pid: int, pstart: int, starttime: int, task_type: str, vmid: int, user: str) -> str:
    return f"UPID:{node}:{pid:08X}:{pstart:08X}:{starttime:08X}:{task_type}:{vmid}:{user}:"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def first_line(text: str) -> str:
    line = text.strip().splitlines()[0] if text.strip() else "error"
    return line.encode("latin-1", errors="replace").decode("latin-1")


def pve_error(status: int, message: str, errors: dict[str, str] | None = None, *, legacy: bool = False) -> Response:
    body: dict[str, Any] = {"data": None}
    if not legacy:
        body["message"] = message if message.endswith("\n") else message + "\n"
    if errors:
        body["errors"] = {k: v if v.endswith("\n") else v + "\n" for k, v in errors.items()}
    return Response(status, dumps(body), CONTENT_TYPE, [(REASON_HEADER, first_line(message))])


def ok(data: Any) -> Response:
    return Response(200, dumps({"data": data}), CONTENT_TYPE)


# --------------------------------------------------------------------------- reason phrases


class _PveHandler(_SimHandler):
    """The shared handler, but with PVE's reason phrase (the error message) on the status line."""

    _reason: str | None = None

    def _write_head(self, resp: Response) -> None:
        self._reason = next((v for k, v in resp.headers if k == REASON_HEADER), None)
        resp.headers = [(k, v) for k, v in resp.headers if k != REASON_HEADER]
        super()._write_head(resp)

    def send_response(self, code: int, message: str | None = None) -> None:
        reason, self._reason = self._reason, None
        BaseHTTPRequestHandler.send_response(self, code, message or reason)


class _PveServer(SimServer):
    def handler_class(self) -> type[_SimHandler]:
        return _PveHandler


# --------------------------------------------------------------------------- the simulator


class ProxmoxSim(SimApp):
    prefix = PREFIX

    def __init__(self, cluster: Cluster | None = None, vms_per_node: int = 20, seed: int = 1, latency_ms: float = 0.0,
                 jitter_ms: float = 0.0, token_id: str = "hostdeck@pve!hostdeck",
                 token_secret: str = "demo-proxmox-secret-uuid", task_seconds: float = 0.3,
                 auth_failure_delay: float = 0.0, *, legacy_errors: bool = False, hang_seconds: float = 30.0) -> None:
        self.cluster = cluster if cluster is not None else Cluster()
        self.task_seconds = task_seconds
        self.auth_failure_delay = auth_failure_delay
        self.legacy_errors = legacy_errors
        self.clock: Callable[[], float] = time.time
        self.tokens: dict[str, Token] = {token_id: Token(token_id, token_secret)}
        self.guests: dict[tuple[str, int], Guest] = {}
        self.tasks: dict[str, Task] = {}
        self.volumes: dict[tuple[str, str], dict[str, dict[str, Any]]] = {}   # (node, storage) -> volid -> content row
        self._running: list[Task] = []
        self._rng = random.Random(seed)
        self._lock = threading.RLock()
        self._server = _PveServer(self, latency_ms=latency_ms, jitter_ms=jitter_ms, seed=seed, hang_seconds=hang_seconds)
        self._router = self._routes()
        self._boot = int(self.clock()) - 86400 * 40   # node boot time, for pstart
        with self.cluster.lock:
            if not self.cluster.vms:
                self._seed(vms_per_node)
            self._seed_images(seed)

    # ------------------------------------------------------------------ public interface

    def auth_header(self, token_id: str | None = None) -> dict[str, str]:
        token = self.tokens[token_id] if token_id else next(iter(self.tokens.values()))
        return {"Authorization": f"PVEAPIToken={token.token_id}={token.secret}"}

    def add_token(self, token_id: str, secret: str, privileges: set[str] | frozenset[str] = READ_PRIVILEGES,
                  vmids: set[int] | None = None) -> Token:
        """Another API token, e.g. one that may only audit (403 on power actions)."""
        token = Token(token_id, secret, frozenset(privileges), frozenset(vmids) if vmids is not None else None)
        with self._lock:
            self.tokens[token_id] = token
        return token

    def guest(self, node: str, vmid: int) -> Guest:
        """The per-VM extras, created with defaults for VMs another simulator added to the cluster."""
        with self._lock:
            key = (node, int(vmid))
            if key not in self.guests:
                self.guests[key] = Guest(os=OS_CHOICES[int(vmid) % len(OS_CHOICES)])
            return self.guests[key]

    def vm(self, node: str, vmid: int) -> VM | None:
        return self.cluster.get_vm(node, int(vmid))

    def pause(self, node: str, vmid: int) -> None:
        self.guest(node, vmid).paused = True

    def ignore_acpi(self, node: str, vmid: int) -> None:
        """shutdown/reboot of this VM time out (`VM quit/powerdown failed - got timeout`) unless forceStop=1."""
        self.guest(node, vmid).ignores_acpi = True

    def fail_next_task(self, node: str, vmid: int, exitstatus: str = "unexpected error") -> None:
        self.guest(node, vmid).fail_next = exitstatus

    def set_node_online(self, node: str, online: bool) -> None:
        with self.cluster.lock:
            self.cluster.nodes[node].online = online
            self.cluster.nodes[node].status_unknown = False

    def regenerate_cloudinit(self, node: str, vmid: int) -> str | None:
        """What a cloud-init regeneration does to the guest's password (shared/api/proxmox.md, learned at first
        contact): the cloud-init user's password becomes `cipassword` again, whatever the guest agent set since.
        Returns the password now in effect for that user (None when no cipassword was ever stored)."""
        with self.cluster.lock, self._lock:
            guest = self.guest(node, vmid)
            if guest.cipassword is None:
                guest.passwords.pop(guest.ciuser, None)
                return None
            guest.passwords[guest.ciuser] = guest.cipassword
            return guest.cipassword

    def set_node_status(self, node: str, status: str) -> None:
        """"online", "offline" (595 No route to host) or "unknown" (GET /nodes reports `unknown`, as pve-manager's
        extract_node_stats does without fresh status data; requests to the node time out with 596)."""
        if status not in ("online", "offline", "unknown"):
            raise ValueError(f"node status {status!r}")
        with self.cluster.lock:
            self.cluster.nodes[node].online = status == "online"
            self.cluster.nodes[node].status_unknown = status == "unknown"

    def advance(self) -> None:
        """Finish the tasks whose time has come (requests do this themselves)."""
        with self.cluster.lock, self._lock:  # the cluster lock first, as the Convoy simulator takes it
            self._advance(self.clock())

    # ------------------------------------------------------------------ SimApp

    def handle(self, req: Request) -> Response:
        token = self._authenticate(req)
        if isinstance(token, Response):
            return token
        with self.cluster.lock, self._lock:  # the cluster lock first, as the Convoy simulator takes it
            try:
                if len(req.body) > MAX_BODY:
                    raise PveError(413, "request entity too large")
                handler, params, _known = self._router.match(req.method, req.route_path)
                if handler is None:
                    raise PveError(501, f"Method '{req.method} {PREFIX}{req.route_path}' not implemented")
                req.params = {k: unquote(v) for k, v in params.items()}
                self._advance(self.clock())
                return handler(req, token)
            except PveError as err:
                return pve_error(err.status, err.message, err.errors, legacy=self.legacy_errors)

    def error_response(self, req: Request, status: int, code: str | None = None,
                       message: str | None = None) -> Response:
        default = {500: "Internal Server Error", 501: "Not Implemented", 502: "Bad Gateway", 503: "Service Unavailable",
                   504: "Gateway Timeout", 595: "No route to host", 596: "Connection timed out",
                   401: "authentication failure", 403: "Permission check failed"}
        return pve_error(status, message or code or default.get(status, "error"), legacy=self.legacy_errors)

    def decorate(self, req: Request, resp: Response) -> None:
        resp.headers += [("Cache-Control", "max-age=0"), ("Pragma", "no-cache"),
                         ("Expires", time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime()))]

    # ------------------------------------------------------------------ auth

    def _authenticate(self, req: Request) -> Token | Response:
        header = req.header("Authorization")
        token = None
        if header:
            m = TOKEN_RE.match(header.strip())
            candidate = self.tokens.get(m.group("id")) if m else None
            if candidate is not None and m is not None and m.group("secret") == candidate.secret:
                token = candidate
        if token is None:
            # "always delay unauthorized calls by 3 seconds" (AnyEvent.pm); a blocked handler thread, like PVE's
            self._server.sleep(self.auth_failure_delay)
            return pve_error(401, "No ticket" if not header else "authentication failure", legacy=self.legacy_errors)
        return token

    @staticmethod
    def _deny(path: str, privilege: str) -> PveError:
        return PveError(403, f"Permission check failed ({path}, {privilege})")

    def _check(self, token: Token, vmid: int, privilege: str) -> None:
        if not token.allows(privilege, vmid):
            raise self._deny(f"/vms/{vmid}", privilege)

    # ------------------------------------------------------------------ plumbing

    def _routes(self) -> Router[PveHandler]:
        r: Router[PveHandler] = Router()
        r.add("GET", "/version", lambda q, t: ok(dict(VERSION)))
        r.add("GET", "/nodes", self._list_nodes)
        r.add("GET", "/cluster/resources", self._cluster_resources)
        r.add("GET", "/nodes/{node}/qemu", self._list_vms)
        r.add("GET", "/nodes/{node}/qemu/{vmid}/status/current", self._status_current)
        r.add("POST", "/nodes/{node}/qemu/{vmid}/status/{action}", self._power)
        r.add("GET", "/nodes/{node}/qemu/{vmid}/config", self._get_config)
        r.add("POST", "/nodes/{node}/qemu/{vmid}/config", lambda q, t: self._set_config(q, t, background=True))
        r.add("PUT", "/nodes/{node}/qemu/{vmid}/config", lambda q, t: self._set_config(q, t, background=False))
        r.add("GET", "/nodes/{node}/qemu/{vmid}/agent/get-osinfo", self._agent_osinfo)
        r.add("POST", "/nodes/{node}/qemu/{vmid}/agent/ping", self._agent_ping)
        r.add("POST", "/nodes/{node}/qemu/{vmid}/agent/set-user-password", self._agent_set_password)
        r.add("GET", "/nodes/{node}/qemu/{vmid}/snapshot", self._list_snapshots)
        r.add("POST", "/nodes/{node}/qemu/{vmid}/snapshot", self._create_snapshot)
        r.add("DELETE", "/nodes/{node}/qemu/{vmid}/snapshot/{snapname}", self._delete_snapshot)
        r.add("GET", "/nodes/{node}/qemu/{vmid}/rrddata", self._rrddata)
        r.add("GET", "/nodes/{node}/storage", self._list_storages)
        r.add("GET", "/nodes/{node}/storage/{storage}/content", self._storage_content)
        r.add("DELETE", "/nodes/{node}/storage/{storage}/content/{volume}", self._delete_volume)
        r.add("POST", "/nodes/{node}/vzdump", self._vzdump)
        r.add("GET", "/nodes/{node}/tasks/{upid}/status", self._task_status)
        r.add("GET", "/nodes/{node}/tasks/{upid}/log", self._task_log)
        return r

    @staticmethod
    def _params(req: Request) -> dict[str, Any]:
        """Query and body parameters merged, as PVE does; bodies may be form-encoded or JSON."""
        params: dict[str, Any] = {k: v[-1] for k, v in req.query.items()}
        if not req.body:
            return params
        ctype = (req.header("Content-Type") or "").lower()
        if "json" in ctype:
            try:
                body = req.json()
            except ValueError:
                raise PveError(400, "malformed JSON in request body") from None
            if not isinstance(body, dict):
                raise PveError(400, "request body is not a JSON object")
            params.update(body)
        else:
            params.update({k: v[-1] for k, v in parse_qs(req.body.decode("utf-8", "replace"), keep_blank_values=True).items()})
        return params

    @staticmethod
    def _bool(params: dict[str, Any], name: str) -> bool:
        value = params.get(name)
        if value is None or value == "":
            return False
        if isinstance(value, bool):
            return value
        text = str(value).lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise param_error({name: f"type check ('boolean') failed - got '{value}'"})

    @staticmethod
    def _int(params: dict[str, Any], name: str, minimum: int = 0) -> int | None:
        value = params.get(name)
        if value is None or value == "":
            return None
        try:
            number = int(str(value))
        except ValueError:
            raise param_error({name: f"type check ('integer') failed - got '{value}'"}) from None
        if number < minimum:
            raise param_error({name: f"value must have a minimum value of {minimum}"})
        return number

    def _node(self, req: Request) -> str:
        name = req.params["node"]
        node = self.cluster.nodes.get(name)
        if node is None:
            raise PveError(500, f"no such cluster node '{name}'")
        if node.status_unknown:
            raise PveError(596, "Connection timed out")
        if not node.online:
            raise PveError(595, "No route to host")
        return name

    def _vm(self, req: Request) -> VM:
        node = self._node(req)
        raw = req.params["vmid"]
        if not raw.isdigit() or not 100 <= int(raw) <= 999_999_999:
            raise param_error({"vmid": "value does not look like a valid VM ID"})
        vm = self.cluster.get_vm(node, int(raw))
        if vm is None:
            raise PveError(500, f"Configuration file 'nodes/{node}/qemu-server/{raw}.conf' does not exist")
        return vm

    # ------------------------------------------------------------------ state

    def _qmpstatus(self, vm: VM) -> str:
        guest = self.guest(vm.node, vm.vmid)
        if vm.status != "running":
            guest.paused = False
            return "stopped"
        return "paused" if guest.paused else "running"

    def _uptime(self, vm: VM) -> int:
        if vm.status != "running" or not vm.started_at:
            return 0
        return max(0, int(self.clock() - vm.started_at))

    def _status(self, vm: VM, *, full: bool) -> dict[str, Any]:
        running = vm.status == "running"
        mem = (vm.mem_used_bytes or int(vm.memory_bytes * (0.25 + (vm.vmid % 7) / 20))) if running else 0
        out: dict[str, Any] = {
            "vmid": vm.vmid, "name": vm.name, "status": vm.status, "cpus": vm.cores,
            "cpu": round(vm.cpu, 4) if running else 0, "maxmem": vm.memory_bytes, "mem": mem,
            "maxdisk": vm.disk_bytes, "disk": 0, "uptime": self._uptime(vm),
            "netin": (vm.vmid * 7919 % 10_000_000) * 1024 if running else 0,
            "netout": (vm.vmid * 104729 % 10_000_000) * 512 if running else 0,
            "diskread": (vm.vmid * 31 % 100_000) * 4096 if running else 0,
            "diskwrite": (vm.vmid * 17 % 100_000) * 4096 if running else 0,
        }
        if running:
            out["pid"] = 10_000 + vm.vmid % 90_000
        if vm.lock:
            out["lock"] = vm.lock
        if full:
            out["qmpstatus"] = self._qmpstatus(vm)
            if running:
                out["running-qemu"] = "9.2.0"
                out["running-machine"] = "pc-i440fx-9.2+pve1"
        return out

    # ------------------------------------------------------------------ handlers: reads

    def _list_nodes(self, req: Request, token: Token) -> Response:
        nodes = []
        for name, node in sorted(self.cluster.nodes.items()):
            entry: dict[str, Any] = {"node": name, "id": f"node/{name}", "type": "node", "level": "",
                                     "status": "unknown" if node.status_unknown else
                                     "online" if node.online else "offline"}
            if node.online:
                vms = self.cluster.vms_on(name)
                used = sum(vm.memory_bytes // 2 for vm in vms if vm.status == "running")
                entry.update({"cpu": round(min(1.0, 0.02 * len(vms) / max(1, node.cpus)), 4), "maxcpu": node.cpus,
                              "mem": min(used, node.memory_bytes), "maxmem": node.memory_bytes,
                              "disk": sum(vm.disk_bytes for vm in vms) // 10, "maxdisk": node.disk_bytes,
                              "uptime": int(self.clock()) - self._boot,
                              "ssl_fingerprint": ":".join(re.findall("..", _digest(name).upper()))})
            nodes.append(entry)
        return ok(nodes)

    def _cluster_resources(self, req: Request, token: Token) -> Response:
        kind = req.arg("type")
        if kind not in (None, "vm", "node", "storage", "sdn"):
            raise param_error({"type": f"value '{kind}' does not have a value in the enumeration 'vm, storage, node, sdn'"})
        out = []
        if kind in (None, "vm"):
            for (node, _vmid), vm in sorted(self.cluster.vms.items()):
                if not token.allows("VM.Audit", vm.vmid):
                    continue
                online = self.cluster.nodes[node].online
                status = self._status(vm, full=False)
                row = {"id": f"qemu/{vm.vmid}", "type": "qemu", "node": node, "vmid": vm.vmid, "name": vm.name,
                       "status": status["status"] if online else "unknown", "template": 0,
                       "maxcpu": vm.cores, "cpu": status["cpu"], "maxmem": vm.memory_bytes, "mem": status["mem"],
                       "maxdisk": vm.disk_bytes, "disk": 0, "uptime": status["uptime"]}
                if vm.lock:
                    row["lock"] = vm.lock
                out.append(row)
        return ok(out)

    def _list_vms(self, req: Request, token: Token) -> Response:
        node = self._node(req)
        full = self._bool(self._params(req), "full")
        return ok([self._status(vm, full=full) for vm in self.cluster.vms_on(node) if token.allows("VM.Audit", vm.vmid)])

    def _status_current(self, req: Request, token: Token) -> Response:
        vm = self._vm(req)
        self._check(token, vm.vmid, "VM.Audit")
        status = self._status(vm, full=True)
        status["ha"] = {"managed": 0}
        if self.guest(vm.node, vm.vmid).agent_enabled:
            status["agent"] = 1
        return ok(status)

    def _get_config(self, req: Request, token: Token) -> Response:
        vm = self._vm(req)
        self._check(token, vm.vmid, "VM.Audit")
        guest = self.guest(vm.node, vm.vmid)
        conf: dict[str, Any] = {
            "name": vm.name, "cores": vm.cores, "sockets": 1, "memory": str(vm.memory_bytes // 1048576),
            "ostype": "win11" if guest.os[0] == "mswindows" else "l26", "boot": "order=scsi0;net0",
            "scsi0": f"local-lvm:vm-{vm.vmid}-disk-0,size={vm.disk_bytes // (1 << 30)}G",
            "ide2": f"local-lvm:vm-{vm.vmid}-cloudinit,media=cdrom", "ciuser": guest.ciuser,
            "net0": f"virtio=BC:24:11:{vm.vmid >> 16 & 0xFF:02X}:{vm.vmid >> 8 & 0xFF:02X}:{vm.vmid & 0xFF:02X},bridge=vmbr0",
            "agent": "1" if guest.agent_enabled else "0", "scsihw": "virtio-scsi-single",
            "digest": _digest(f"{vm.node}/{vm.vmid}/{vm.name}/{vm.cores}/{vm.memory_bytes}")[:40],
        }
        if guest.cipassword:
            conf["cipassword"] = "**********"
        if guest.protection:
            conf["protection"] = 1
        if vm.lock:
            conf["lock"] = vm.lock
        return ok(conf)

    def _task_of(self, req: Request, token: Token) -> Task:
        node = self._node(req)
        upid = req.params["upid"]
        if not upid.startswith("UPID:") or upid.count(":") < 8:
            raise param_error({"upid": f"unable to parse worker upid '{upid}'"})
        task = self.tasks.get(upid)
        if task is None or task.node != node:
            raise PveError(500, "no such task")
        if task.user != token.token_id and not token.allows("Sys.Audit"):
            raise self._deny(f"/nodes/{node}", "Sys.Audit")
        return task

    def _task_status(self, req: Request, token: Token) -> Response:
        return ok(self._task_of(req, token).as_dict())

    def _task_log(self, req: Request, token: Token) -> Response:
        task = self._task_of(req, token)
        params = self._params(req)
        start, limit = self._int(params, "start") or 0, self._int(params, "limit") or 50
        lines = task.log + ([f"TASK {'OK' if task.exitstatus == 'OK' else 'ERROR: ' + task.exitstatus}"]
                            if task.status == "stopped" else [])
        return ok([{"n": i + 1, "t": t} for i, t in enumerate(lines)][start:start + limit])

    # ------------------------------------------------------------------ handlers: power

    def _power(self, req: Request, token: Token) -> Response:
        action = req.params["action"]
        if action not in POWER:
            raise PveError(501, f"Method 'POST {PREFIX}{req.route_path}' not implemented")
        vm = self._vm(req)
        self._check(token, vm.vmid, "VM.PowerMgmt")
        task_type, accepted = POWER[action]
        params = self._params(req)
        unknown = sorted(set(params) - accepted)
        if unknown:
            raise param_error({k: "property is not defined in schema and the schema does not allow additional properties"
                               for k in unknown})
        for name in ROOT_ONLY:  # an API token's user is "user@realm!id", never 'root@pam' itself
            if name in accepted and self._bool(params, name):
                raise param_error({name: "Only root may use this option."})
        timeout = self._int(params, "timeout")
        force = self._bool(params, "forceStop") if action == "shutdown" else False
        guest = self.guest(vm.node, vm.vmid)
        qmp = self._qmpstatus(vm)
        if action in ("shutdown", "reboot") and qmp == "paused" and not force:
            raise PveError(500, "VM is paused - cannot shutdown")
        if action in ("shutdown", "reboot", "reset", "suspend") and vm.status != "running":
            raise PveError(500, f"VM {vm.vmid} not running")
        if action == "resume" and vm.status != "running":
            raise PveError(500, f"VM {vm.vmid} not running")

        now = self.clock()
        duration = self.task_seconds
        exitstatus = "OK"
        effect: Callable[[float], None] | None = None
        log = [f"{action} VM {vm.vmid}"]
        if any(t.vmid == vm.vmid and t.node == vm.node and t.status == "running" for t in self._running):
            exitstatus = f"can't lock file '/var/lock/qemu-server/lock-{vm.vmid}.conf' - got timeout"
        elif vm.lock:
            exitstatus = f"VM is locked ({vm.lock})"
        elif guest.fail_next:
            exitstatus, guest.fail_next = guest.fail_next, None
        elif action == "start":
            if vm.status == "running":
                exitstatus = f"VM {vm.vmid} already running"
            else:
                effect = lambda end: self._set_running(vm, end)
        elif action == "stop":
            effect = lambda end: self._set_stopped(vm)
        elif action in ("shutdown", "reboot"):
            wait = 60 if timeout is None else timeout
            if qmp == "paused":   # forceStop on a paused VM: stop instead, with a warning
                log.append("VM is paused - stop instead of shutdown")
                exitstatus, effect = "WARNINGS: 1", lambda end: self._set_stopped(vm)
            elif guest.ignores_acpi and not force:
                duration = max(duration, float(wait))
                exitstatus = "VM quit/powerdown failed - got timeout"
            elif guest.ignores_acpi and force:
                duration = max(duration, float(wait))
                log.append("VM still running - terminating now with SIGTERM")
                effect = lambda end: self._set_stopped(vm)
            elif action == "shutdown":
                effect = lambda end: self._set_stopped(vm)
            else:
                effect = lambda end: self._set_running(vm, end)
        elif action == "reset":
            effect = lambda end: self._set_running(vm, end, keep_uptime=False)
        elif action == "suspend":
            effect = lambda end: setattr(guest, "paused", True)
        elif action == "resume":
            effect = lambda end: setattr(guest, "paused", False)
        task = self._start_task(vm, task_type, token, now, duration, exitstatus, effect, log)
        return ok(task.upid)

    def _set_running(self, vm: VM, when: float, keep_uptime: bool = False) -> None:
        vm.status = "running"
        self.guest(vm.node, vm.vmid).paused = False
        if not keep_uptime:
            vm.started_at = when
        vm.cpu = round(0.01 + (vm.vmid % 13) / 100, 4)
        vm.mem_used_bytes = int(vm.memory_bytes * (0.2 + (vm.vmid % 5) / 20))

    def _set_stopped(self, vm: VM) -> None:
        vm.status = "stopped"
        vm.started_at = None
        vm.cpu = 0.0
        vm.mem_used_bytes = 0
        self.guest(vm.node, vm.vmid).paused = False

    def _start_task(self, vm: VM, task_type: str, token: Token, now: float, duration: float, exitstatus: str,
                    effect: Callable[[float], None] | None, log: list[str],
                    on_end: Callable[[], None] | None = None) -> Task:
        pid = self._rng.randrange(100_000, 4_000_000)
        pstart = int((now - self._boot) * 100)
        starttime = int(now)
        upid = upid_for(vm.node, pid, pstart, starttime, task_type, vm.vmid, token.token_id)
        while upid in self.tasks:
            starttime += 1
            upid = upid_for(vm.node, pid, pstart, starttime, task_type, vm.vmid, token.token_id)
        task = Task(upid, vm.node, task_type, vm.vmid, token.token_id, pid, pstart, starttime, now + duration,
                    exitstatus, on_success=effect if exitstatus in ("OK", "WARNINGS: 1") else None, log=log,
                    on_end=on_end)
        self.tasks[upid] = task
        self._running.append(task)
        if len(self.tasks) > 50_000:
            for old in [u for u, t in self.tasks.items() if t.status == "stopped"][:10_000]:
                del self.tasks[old]
        return task

    def _advance(self, now: float) -> None:
        for task in sorted(self._running, key=lambda t: t.end):
            if now < task.end:
                continue
            self._running.remove(task)
            task.status = "stopped"
            if task.exitstatus not in ("OK",) and not task.exitstatus.startswith("WARNINGS"):
                task.log.append(task.exitstatus)
            vm = self.cluster.get_vm(task.node, task.vmid)
            if task.on_success and vm is not None:
                task.on_success(task.end)
            if task.on_end:
                task.on_end()

    # ------------------------------------------------------------------ handlers: config and agent

    def _set_config(self, req: Request, token: Token, *, background: bool) -> Response:
        vm = self._vm(req)
        params = self._params(req)
        for key in ("cipassword", "ciuser"):
            if key in params:
                self._check(token, vm.vmid, "VM.Config.Cloudinit")
        if "protection" in params:
            self._check(token, vm.vmid, "VM.Config.Options")
        unknown = sorted(set(params) - {"cipassword", "ciuser", "name", "digest", "protection"})
        if unknown:
            raise param_error({k: "property is not defined in schema and the schema does not allow additional properties"
                               for k in unknown})
        protection = self._bool(params, "protection") if "protection" in params else None
        if not background and vm.lock:
            raise PveError(500, f"VM is locked ({vm.lock})")
        guest = self.guest(vm.node, vm.vmid)

        def apply(_end: float) -> None:
            if "cipassword" in params:
                guest.cipassword = str(params["cipassword"])
            if "ciuser" in params:
                guest.ciuser = str(params["ciuser"])
            if "name" in params:
                vm.name = str(params["name"])
            if protection is not None:
                guest.protection = protection

        if not background:
            apply(self.clock())
            return ok(None)
        exitstatus = f"VM is locked ({vm.lock})" if vm.lock else "OK"
        task = self._start_task(vm, "qmconfig", token, self.clock(), min(self.task_seconds, 0.1), exitstatus,
                                apply, ["update VM config"])
        return ok(task.upid)

    def _agent_ready(self, vm: VM) -> Guest:
        guest = self.guest(vm.node, vm.vmid)
        if not guest.agent_enabled:
            raise PveError(500, "No QEMU guest agent configured")
        if vm.status != "running":
            raise PveError(500, f"VM {vm.vmid} is not running")
        if guest.paused:
            raise PveError(500, f"VM {vm.vmid} qmp command 'guest-ping' failed - got timeout")
        if not vm.agent_running:
            raise PveError(500, "QEMU guest agent is not running")
        return guest

    def _agent_osinfo(self, req: Request, token: Token) -> Response:
        vm = self._vm(req)
        self._check(token, vm.vmid, "VM.GuestAgent.Audit")
        os_id, name, version, kernel = self._agent_ready(vm).os
        return ok({"result": {"id": os_id, "name": name, "pretty-name": f"{name} {version}", "version-id": version,
                              "kernel-release": kernel, "machine": "x86_64"}})

    def _agent_ping(self, req: Request, token: Token) -> Response:
        vm = self._vm(req)
        self._check(token, vm.vmid, "VM.GuestAgent.Audit")
        self._agent_ready(vm)
        return ok({"result": {}})

    def _agent_set_password(self, req: Request, token: Token) -> Response:
        vm = self._vm(req)
        self._check(token, vm.vmid, "VM.GuestAgent.Unrestricted")
        params = self._params(req)
        errors: dict[str, str] = {}
        username, password = params.get("username"), params.get("password")
        if username in (None, ""):
            errors["username"] = "property is missing and it is not optional"
        if password in (None, ""):
            errors["password"] = "property is missing and it is not optional"
        elif not 5 <= len(str(password)) <= 1024:
            errors["password"] = ("value must have at least 5 characters" if len(str(password)) < 5
                                  else "value may only be 1024 characters long")
        unknown = sorted(set(params) - {"username", "password", "crypted"})
        errors.update({k: "property is not defined in schema and the schema does not allow additional properties"
                       for k in unknown})
        if errors:
            raise param_error(errors)
        self._bool(params, "crypted")
        guest = self._agent_ready(vm)
        windows = guest.os[0] == "mswindows"
        if (windows and str(username) == "root") or (not windows and not LINUX_USER.match(str(username))):
            raise PveError(500, f"Agent error: user '{username}' does not exist")
        guest.passwords[str(username)] = str(password)
        return ok({"result": {}})

    # ------------------------------------------------------------------ handlers: snapshots, backups, statistics

    def add_snapshot(self, node: str, vmid: int, name: str, description: str = "", when: float | None = None) -> None:
        """A snapshot that exists already (seed data, or a test's starting point)."""
        with self._lock:
            guest = self.guest(node, vmid)
            guest.snapshots[name] = {"description": description, "snaptime": int(when or self.clock()),
                                     "parent": guest.parent}
            guest.parent = name

    def add_backup(self, node: str, vmid: int, when: float | None = None, notes: str = "", storage: str = "local",
                   compress: str = "zstd") -> str:
        """A vzdump archive on a node's storage; returns its volid."""
        with self._lock:
            vm = self.cluster.get_vm(node, vmid)
            stamp = int(when if when is not None else self.clock())
            suffix = COMPRESS_SUFFIX[compress]
            volumes = self.volumes.setdefault((node, storage), {})
            while True:
                name = time.strftime("%Y_%m_%d-%H_%M_%S", time.gmtime(stamp))
                volid = f"{storage}:backup/vzdump-qemu-{vmid}-{name}.{suffix}"
                if volid not in volumes:
                    break
                stamp += 1
            disk = vm.disk_bytes if vm else 10 << 30
            row: dict[str, Any] = {"volid": volid, "content": "backup", "format": suffix, "ctime": stamp, "vmid": vmid,
                                   "size": int(disk * (0.05 + (vmid % 9) / 40)), "subtype": "qemu"}
            if notes:
                row["notes"] = notes.splitlines()[0]
            volumes[volid] = row
            return volid

    def _list_snapshots(self, req: Request, token: Token) -> Response:
        vm = self._vm(req)
        self._check(token, vm.vmid, "VM.Audit")
        guest = self.guest(vm.node, vm.vmid)
        rows: list[dict[str, Any]] = []
        for name, snap in guest.snapshots.items():
            row = {"name": name, "description": snap["description"], "snaptime": snap["snaptime"]}
            if snap.get("parent"):
                row["parent"] = snap["parent"]
            rows.append(row)
        current: dict[str, Any] = {"name": "current", "description": "You are here!",
                                   "running": 1 if vm.status == "running" else 0,
                                   "digest": _digest(f"{vm.node}/{vm.vmid}/{len(guest.snapshots)}")[:40]}
        if guest.parent:
            current["parent"] = guest.parent
        return ok(rows + [current])

    def _create_snapshot(self, req: Request, token: Token) -> Response:
        vm = self._vm(req)
        self._check(token, vm.vmid, "VM.Snapshot")
        params = self._params(req)
        errors = {k: SCHEMA_EXTRA for k in sorted(set(params) - {"snapname", "description", "vmstate"})}
        name = str(params.get("snapname") or "")
        if not name:
            errors["snapname"] = "property is missing and it is not optional"
        elif len(name) > 40:
            errors["snapname"] = "value may only be 40 characters long"
        elif not CONFIG_ID.match(name):
            errors["snapname"] = f"invalid format - invalid configuration ID '{name}'"
        if errors:
            raise param_error(errors)
        self._bool(params, "vmstate")
        if name == "current" or name.lower() == "pending":
            raise PveError(500, f"unable to use snapshot name '{name}' (reserved name)")
        guest = self.guest(vm.node, vm.vmid)
        description = str(params.get("description") or "")
        exitstatus = self._lock_failure(vm)
        if exitstatus == "OK" and name in guest.snapshots:
            exitstatus = f"snapshot name '{name}' already used"
        if exitstatus == "OK":
            vm.lock = "snapshot"

        def done(end: float) -> None:
            guest.snapshots[name] = {"description": description, "snaptime": int(end), "parent": guest.parent}
            guest.parent = name

        task = self._start_task(vm, "qmsnapshot", token, self.clock(), self.task_seconds, exitstatus, done,
                                [f"snapshot VM {vm.vmid}: {name}"], on_end=self._unlock(vm, "snapshot"))
        return ok(task.upid)

    def _delete_snapshot(self, req: Request, token: Token) -> Response:
        vm = self._vm(req)
        self._check(token, vm.vmid, "VM.Snapshot")
        name = req.params["snapname"]
        if not CONFIG_ID.match(name):
            raise param_error({"snapname": f"invalid format - invalid configuration ID '{name}'"})
        guest = self.guest(vm.node, vm.vmid)
        exitstatus = self._lock_failure(vm)
        if exitstatus == "OK" and name not in guest.snapshots:
            exitstatus = f"snapshot '{name}' does not exist"
        if exitstatus == "OK":
            vm.lock = "snapshot-delete"

        def done(_end: float) -> None:
            snap = guest.snapshots.pop(name)
            for other in guest.snapshots.values():     # children now derive from the deleted one's parent
                if other.get("parent") == name:
                    other["parent"] = snap.get("parent")
            if guest.parent == name:
                guest.parent = snap.get("parent")

        task = self._start_task(vm, "qmdelsnapshot", token, self.clock(), self.task_seconds, exitstatus, done,
                                [f"delete snapshot VM {vm.vmid}: {name}"], on_end=self._unlock(vm, "snapshot-delete"))
        return ok(task.upid)

    def _lock_failure(self, vm: VM) -> str:
        """What a task that takes the VM's config lock ends with: OK, or the lock it found."""
        if any(t.vmid == vm.vmid and t.node == vm.node and t.status == "running" for t in self._running):
            return f"can't lock file '/var/lock/qemu-server/lock-{vm.vmid}.conf' - got timeout"
        if vm.lock:
            return f"VM is locked ({vm.lock})"
        return "OK"

    @staticmethod
    def _unlock(vm: VM, lock: str) -> Callable[[], None]:
        def release() -> None:
            if vm.lock == lock:
                vm.lock = None
        return release

    def _rrddata(self, req: Request, token: Token) -> Response:
        vm = self._vm(req)
        self._check(token, vm.vmid, "VM.Audit")
        params = self._params(req)
        frame, cf = params.get("timeframe"), params.get("cf")
        errors = {k: SCHEMA_EXTRA for k in sorted(set(params) - {"timeframe", "cf"})}
        if frame in (None, ""):
            errors["timeframe"] = "property is missing and it is not optional"
        elif frame not in FRAMES:
            errors["timeframe"] = f"value '{frame}' does not have a value in the enumeration 'hour, day, week, month, year'"
        if cf not in (None, "", "AVERAGE", "MAX"):
            errors["cf"] = f"value '{cf}' does not have a value in the enumeration 'AVERAGE, MAX'"
        if errors:
            raise param_error(errors)
        return ok(rrd_points(vm, str(frame), self.clock()))

    def _storage(self, req: Request, token: Token, privilege: str = "Datastore.Audit") -> tuple[str, str]:
        node = self._node(req)
        storage = req.params["storage"]
        if storage not in STORAGES:
            raise PveError(500, f"storage '{storage}' does not exist")
        if not token.allows(privilege):
            raise self._deny(f"/storage/{storage}", privilege)
        return node, storage

    def _list_storages(self, req: Request, token: Token) -> Response:
        node = self._node(req)
        params = self._params(req)
        wanted = params.get("content")
        rows = []
        for name, (kind, content) in STORAGES.items():
            if wanted and wanted not in content.split(","):
                continue
            used = sum(int(v.get("size") or 0) for v in self.volumes.get((node, name), {}).values())
            total = self.cluster.nodes[node].disk_bytes
            rows.append({"storage": name, "type": kind, "content": content, "active": 1, "enabled": 1, "shared": 0,
                         "total": total, "used": used, "avail": total - used, "used_fraction": used / total})
        return ok(rows)

    def _storage_content(self, req: Request, token: Token) -> Response:
        node, storage = self._storage(req, token)
        params = self._params(req)
        content, vmid = params.get("content"), self._int(params, "vmid", 100)
        rows = [dict(v) for v in self.volumes.get((node, storage), {}).values()
                if (not content or v["content"] == content) and (vmid is None or v.get("vmid") == vmid)]
        return ok(sorted(rows, key=lambda r: r["volid"]))

    def _delete_volume(self, req: Request, token: Token) -> Response:
        node, storage = self._storage(req, token, "Datastore.AllocateSpace")
        volid = unquote(req.params["volume"])
        if not volid.startswith(f"{storage}:"):
            volid = f"{storage}:{volid}"
        volumes = self.volumes.get((node, storage), {})
        row = volumes.get(volid)
        exitstatus = "OK" if row is not None else \
            f"removing '/var/lib/vz/dump/{volid.split('/')[-1]}' failed: No such file or directory"
        vmid = int(row["vmid"]) if row else 0
        vm = self.cluster.get_vm(node, vmid) or VM(vmid=vmid or 100, node=node, name="", status="stopped")

        def remove(_end: float) -> None:
            volumes.pop(volid, None)

        task = self._start_task(vm, "imgdel", token, self.clock(), min(self.task_seconds, 0.1), exitstatus, remove,
                                [f"remove {volid}"])
        return ok(task.upid)

    def _vzdump(self, req: Request, token: Token) -> Response:
        node = self._node(req)
        params = self._params(req)
        accepted = {"vmid", "storage", "mode", "compress", "notes-template", "remove", "protected", "quiet", "all"}
        errors = {k: SCHEMA_EXTRA for k in sorted(set(params) - accepted)}
        mode, compress = str(params.get("mode") or "snapshot"), str(params.get("compress") or "0")
        if mode not in ("snapshot", "suspend", "stop"):
            errors["mode"] = f"value '{mode}' does not have a value in the enumeration 'snapshot, suspend, stop'"
        if compress not in COMPRESS_SUFFIX:
            errors["compress"] = f"value '{compress}' does not have a value in the enumeration '0, 1, gzip, lzo, zstd'"
        if params.get("notes-template") and not params.get("storage"):
            errors["notes-template"] = "missing property - 'storage' is required by 'notes-template'"
        raw = str(params.get("vmid") or "")
        if not raw:
            errors["vmid"] = "property is missing and it is not optional"
        elif not raw.isdigit():
            errors["vmid"] = "invalid format - value does not look like a valid VM ID"
        if errors:
            raise param_error(errors)
        storage = str(params.get("storage") or "local")
        if storage not in STORAGES:
            raise PveError(500, f"storage '{storage}' does not exist")
        if "backup" not in STORAGES[storage][1].split(","):
            raise PveError(500, f"storage '{storage}' does not support backups")
        vm = self.cluster.get_vm(node, int(raw))
        if vm is None:
            raise PveError(500, f"unable to find VM '{raw}'")
        self._check(token, vm.vmid, "VM.Backup")
        if not token.allows("Datastore.AllocateSpace"):
            raise self._deny(f"/storage/{storage}", "Datastore.AllocateSpace")
        exitstatus = self._lock_failure(vm)
        if exitstatus == "OK":
            vm.lock = "backup"
        notes = str(params.get("notes-template") or "").replace("{{vmid}}", str(vm.vmid)) \
            .replace("{{guestname}}", vm.name).replace("{{node}}", node).replace("{{cluster}}", "hostdeck-sim")
        started = self.clock()

        def archive(_end: float) -> None:
            self.add_backup(node, vm.vmid, started, notes, storage, compress)

        task = self._start_task(vm, "vzdump", token, started, self.task_seconds, exitstatus, archive,
                                [f"INFO: starting new backup job: vzdump {vm.vmid} --mode {mode} --storage {storage}"],
                                on_end=self._unlock(vm, "backup"))
        return ok(task.upid)

    # ------------------------------------------------------------------ seed data

    def _seed(self, per_node: int) -> None:
        rng = self._rng
        now = self.clock()
        vmid = 100
        for node in sorted(self.cluster.nodes):
            for i in range(per_node):
                name = f"{rng.choice(NAME_WORDS)}-{i + 1:02d}.{rng.choice(CUSTOMERS)}.example"
                running = rng.random() < 0.75
                cores = rng.choice((1, 1, 2, 2, 4, 8))
                vm = VM(vmid=vmid, node=node, name=name, status="running" if running else "stopped", cores=cores,
                        memory_bytes=rng.choice((1, 2, 4, 8, 16)) << 30, disk_bytes=rng.choice((20, 40, 80, 160)) << 30,
                        started_at=now - rng.randrange(600, 90 * 86400) if running else None,
                        agent_running=rng.random() >= 0.15, lock="backup" if rng.random() < 0.07 else None,
                        cpu=round(rng.uniform(0.005, 0.4), 4) if running else 0.0)
                vm.mem_used_bytes = int(vm.memory_bytes * rng.uniform(0.15, 0.8)) if running else 0
                self.cluster.add_vm(vm)
                guest = Guest(agent_enabled=rng.random() >= 0.08,
                              os=WINDOWS_OS if rng.random() < 0.1 else rng.choice(OS_CHOICES),
                              paused=running and rng.random() < 0.05, ignores_acpi=rng.random() < 0.08)
                self.guests[(node, vmid)] = guest
                vmid += 1

    def _seed_images(self, seed: int) -> None:
        """Some snapshots and backups for the VMs there are, from their own random stream (the VMs' stay as they were)."""
        rng = random.Random(seed * 7919 + 15)
        now = self.clock()
        for (node, vmid), _vm in sorted(self.cluster.vms.items()):
            if rng.random() < 0.3:
                for n in range(rng.choice((1, 1, 2))):
                    self.add_snapshot(node, vmid, f"before-{('upgrade', 'migration', 'php8')[n]}",
                                      rng.choice(("", "taken by support", "before the customer's upgrade")),
                                      now - rng.randrange(3600, 30 * 86400))
            if rng.random() < 0.4:
                for _ in range(rng.choice((1, 2, 3))):
                    self.add_backup(node, vmid, now - rng.randrange(3600, 14 * 86400), rng.choice(("", _vm.name)))
