"""The ConvoyPanel adapter (application API v3/v4): servers, panel users, SSO, catalog, connection test.

Convoy's token API has no power control, live state or root password: those come from the node's Proxmox API
(another adapter), so this one reports Convoy's own status and leaves `running`/`off` to the Proxmox join.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from types import EllipsisType
from typing import TYPE_CHECKING
from typing import Any
from urllib.parse import urlencode

from ..actions import NEEDS_RUNNING
from ..adapter_base.connection_test import Stopwatch
from ..adapter_base.http_adapter import HttpAdapter
from ..catalog import cached_catalog
from ..contract import MUTATING
from ..contract import Adapter
from ..contract import Capability
from ..contract import PowerAction
from ..contract import ProgressFn
from ..errors import AuthError
from ..errors import BackendError
from ..errors import ConfigError
from ..errors import ConflictError
from ..errors import NotFoundError
from ..errors import PermissionDenied
from ..errors import ProtocolError
from ..errors import UnavailableError
from ..errors import UnsupportedError
from ..errors import ValidationError
from ..http import HttpCore
from ..http import RetryPolicy
from ..models import ActionProgress
from ..models import ActionResult
from ..models import Catalog
from ..models import CatalogItem
from ..models import ConnectionReport
from ..models import CreateResult
from ..models import SecretResult
from ..models import Server
from ..models import ServerSpec
from ..models import ServerStatus
from ..operations import Image
from ..operations import ImageKind
from ..operations import MetricKind
from ..operations import Metrics
from ..roles import Hypervisor
from ..roles import Role
from ..validate import hostname_problem
from . import parse
from .accounts import Accounts
from .accounts import ConvoyUser
from .accounts import UserLink
from .api import ConvoyApi
from .api import NodesClient
from .api import ServersClient
from .api import UsersClient
from .errors import classify
from .errors import describe_fields
from .images import as_convoy
from .images import check_limit
from .images import metrics_as_convoy
from .images import template_images
from .join import ProxmoxJoin
from .reconcile import check_failed
from .reconcile import look_again
from .reconcile import nothing_found
from .rules import NO_CAPABILITY
from .rules import NOT_OFFERED
from .rules import PROXMOX_FIX
from .rules import refusal
from .spec import WIRE_FIELDS
from .spec import ConvoyServerSpec
from .spec import strong_password
from .units import as_int
from .units import gb_to_bytes
from .units import mb_to_bytes

if TYPE_CHECKING:
    from ..config import BackendConfig
    from ..events import EventLog
    from ..secrets import Secrets

API_PATH = "/api/application"
SERVER_KEY = re.compile(r"^([0-9a-fA-F]{8}|[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12})$")
PROXMOX_CAPABILITIES = frozenset({Capability.POWER, Capability.SHUTDOWN, Capability.REBOOT, Capability.RESET,
                                  Capability.RESET_PASSWORD})
# through the node's Proxmox too, under Convoy's status rules for them (rules.ALLOWED "images", "metrics")
PROXMOX_DAY2 = frozenset({Capability.IMAGES, Capability.METRICS})


def load_fallback(backend: str) -> list[CatalogItem]:
    """Nothing: a Convoy panel's nodes, template uuids and address pools are its own (ConvoyPanel/panel keeps them in
    its database; NodeTransformer, TemplateTransformer), so a bundled list could only invent them. Without the live
    catalog or a cache, the catalog is "unavailable" and creating a server waits for the panel."""
    return []


def not_running(server: Server) -> bool:
    """Proxmox said the VM is not running (stopped, paused): its guest agent cannot answer."""
    return server.raw.get("pve_status") is not None and server.status is not ServerStatus.RUNNING


class ConvoyAdapter(HttpAdapter):
    kind = "convoy"
    roles = frozenset({Role.SERVER_PROVIDER, Role.CATALOG_SOURCE, Role.PANEL_USERS})
    capabilities = frozenset({Capability.LIST, Capability.CREATE, Capability.DELETE, Capability.SUSPEND, Capability.SSO,
                              Capability.CATALOG, Capability.RESIZE, Capability.RENAME})
    secret_fields = ("token",)
    default_concurrency = 6

    def refresh_cost(self, server_count: int) -> int:
        return 1 + max(1, -(-server_count // 100))   # /nodes + the server pages

    def __init__(self, config: BackendConfig, *, secrets: Secrets, events: EventLog | None = None,
                 read_only: bool = False, store: Any = None, policy: RetryPolicy | None = None,
                 catalog_ttl_hours: float = 24.0) -> None:
        super().__init__(config, secrets=secrets, events=events, read_only=read_only, store=store, policy=policy)
        self.catalog_ttl_hours = float(config.option("catalog_ttl_hours", catalog_ttl_hours))
        self.poll_seconds = float(config.option("poll_seconds", 1.0))
        self.install_wait = float(config.option("install_wait_seconds", 300.0))
        self.delete_wait = float(config.option("delete_wait_seconds", 60.0))
        self.join: ProxmoxJoin | None = None

    # Proxmox join ---------------------------------------------------------------
    def attach(self, adapters: dict[str, Adapter]) -> list[str]:
        """Called by the workspace with every adapter: join this panel's nodes to their Proxmox backends.
        Returns the names of the Proxmox backends now serving it (their VMs are these servers)."""
        self.join, self.capabilities = None, type(self).capabilities   # (again: its Proxmox may have been removed)
        join = ProxmoxJoin(self.config, adapters)
        if not join.active:
            return []
        self.join = join
        self.capabilities = type(self).capabilities | PROXMOX_CAPABILITIES | PROXMOX_DAY2
        return [a.name for a in join.adapters]

    def _proxmox_for(self, server: Server, capability: Capability) -> Hypervisor:
        pve = self.join.for_server(server) if self.join else None
        if pve is None:
            raise UnsupportedError(self.missing_reason(capability, server) or "no Proxmox for this node.",
                                   backend=self.name, operation=capability.value)
        return pve

    @property
    def _look_spacing(self) -> float:
        return max(self.poll_seconds, 0.5)

    # plumbing -------------------------------------------------------------------
    @property
    def api_url(self) -> str:
        if not self.config.url:
            raise ConfigError("a Convoy backend needs the panel's URL.", key=f"backends.{self.name}.url",
                              fix='add url = "https://panel.example.com" to its [[backends]] table.')
        url = self.config.url.rstrip("/")
        return url if url.endswith(API_PATH) else url + API_PATH

    @property
    def panel_url(self) -> str:
        return self.api_url[: -len(API_PATH)]

    def secret_values(self) -> dict[str, str]:
        return {"token": self.secrets.require(self.name, "token")}

    def build_cores(self, values: Mapping[str, str]) -> tuple[HttpCore, ...]:
        return (HttpCore(classify=classify, headers={"Authorization": f"Bearer {values['token']}"},
                         **self.core_options(values, self.api_url)),)

    @property
    def api(self) -> ConvoyApi:
        return ConvoyApi(self.http)

    @property
    def servers(self) -> ServersClient:
        return ServersClient(self.api)

    @property
    def nodes(self) -> NodesClient:
        return NodesClient(self.api)

    @property
    def accounts(self) -> Accounts:
        return Accounts(UsersClient(self.api), self.name, self.audit, self._look_spacing)

    def _refuse(self, server: Server, action: str, operation: str) -> None:
        status = server.raw.get("status")
        reason = refusal(status, action)
        if reason:
            raise ConflictError(f"{operation} refused: server {server.name} ({server.id}): {reason}. Nothing was sent.",
                                backend=self.name, operation=operation, code=f"status_{status or 'null'}")

    # capabilities ---------------------------------------------------------------
    def missing_reason(self, capability: Capability, server: Server | None = None) -> str | None:
        if capability in NOT_OFFERED:
            return NOT_OFFERED[capability]
        if capability in PROXMOX_DAY2 and self.join is not None and (server is None or self.join.for_server(server)):
            if self.read_only and capability in MUTATING:
                return "read-only mode is on."
            why = refusal(server.raw.get("status"), capability.value) if server is not None else None
            lock = ((server.raw.get("live") or {}).get("lock") if server is not None else None)
            if not why and lock and capability is Capability.IMAGES:
                why = f"is locked in Proxmox ({lock}); try again when that has finished"
            return f"server {why}." if why else None
        if capability in PROXMOX_CAPABILITIES and self.join is not None and (server is None or self.join.for_server(server)):
            pve = self.join.for_server(server) if server else None
            if self.read_only:
                return "read-only mode is on."
            if server is not None and server.raw.get("status") is not None:
                return f"the server is {server.raw.get('status')} in Convoy; power and passwords wait until it is normal."
            if capability is Capability.RESET_PASSWORD and server is not None and not_running(server):
                word = server.status.value if server.status is ServerStatus.OFF else server.raw["pve_status"]
                return NEEDS_RUNNING.format(status=word)
            return pve.missing_reason(capability) if pve else None
        if capability in NO_CAPABILITY:
            node = server.raw.get("node") if server else None
            where = ""
            if server and node:
                host, port = server.raw.get("node_fqdn"), server.raw.get("node_port")
                where = f" of node {node}" + (f", https://{host}:{port}" if host else "")
            return NO_CAPABILITY[capability].format(fix=PROXMOX_FIX.format(where=where))
        reason = super().missing_reason(capability, server)
        if reason or server is None:
            return reason
        status = server.raw.get("status")
        action = {Capability.DELETE: "delete", Capability.SSO: "sso", Capability.RESIZE: "resize",
                  Capability.RENAME: "rename"}.get(capability)
        if capability is Capability.SUSPEND:    # suspend or unsuspend: only a normal or a suspended server
            action = "unsuspend" if status == "suspended" else "suspend"
        why = refusal(status, action) if action else None
        return f"server {why}." if why else None

    def describe_call(self, capability: Capability, server: Server | None = None, action: PowerAction | None = None,
                      variant: str | None = None) -> str:
        sid = server.id if server else "{server}"
        if capability in PROXMOX_CAPABILITIES | PROXMOX_DAY2:
            pve = self.join.for_server(server) if (self.join and server) else None
            if pve is None or server is None:
                return ""
            node, vmid = server.raw.get("node"), server.raw.get("vmid")
            call = pve.describe_call(capability, Server(backend=pve.name, id=f"{node}/{vmid}", name=server.name,
                                                        status=server.status, raw_status=server.raw_status), action)
            return f"via Proxmox ({pve.name}): {call}"
        if capability is Capability.SUSPEND:
            verb = "unsuspend" if variant == "unsuspend" else "suspend"
            return f"via Convoy: POST /servers/{sid}/settings/{verb}"
        uid = server.raw.get("user_id") if server else None
        return {
            Capability.LIST: "GET /servers?include=user (all pages) and GET /nodes",
            Capability.CREATE: "POST /servers",
            Capability.DELETE: f"via Convoy: DELETE /servers/{sid}",
            Capability.RESIZE: f"via Convoy: PATCH /servers/{sid}/settings/build (addresses kept)",
            Capability.RENAME: f"via Convoy: PATCH /servers/{sid}",
            Capability.SSO: f"POST /users/{uid if uid is not None else '{user}'}/generate-sso-token, then open "
                            "/authenticate?token=… in the browser (valid 15 s)",
            Capability.CATALOG: "GET /nodes, /nodes/{id}/template-groups, /nodes/{id}/addresses",
        }.get(capability, "")

    # connection -----------------------------------------------------------------
    async def probe_connection(self, report: ConnectionReport, clock: Stopwatch) -> None:
        clock.watch(self.http)
        count = await self.nodes.count()
        report.latency_ms = clock.lap()
        report.details.update({"nodes": count, "token": "root admin", "api": "application API (v3/v4)"})
        report.ok = count > 0
        if not count:
            report.error = ("connected and the token is a root admin, but no nodes are configured in Convoy: add a "
                            "node in its admin area before creating servers.")

    def explain_failure(self, exc: BackendError, report: ConnectionReport) -> str:
        if isinstance(exc, AuthError):
            return exc.message if exc.code == "credential_rejected_before" else f"token rejected: {exc.message}"
        if isinstance(exc, PermissionDenied):
            return f"token is not a root admin (403): {exc.message}"
        return exc.message

    # servers --------------------------------------------------------------------
    async def list_servers(self, progress: Callable[[int, int], None] | None = None) -> list[Server]:
        if self.join is None:
            nodes, raw = await asyncio.gather(self.nodes.all(), self.servers.all(progress=progress))
            states: dict[tuple[str, int], dict[str, Any]] = {}
        else:
            nodes, raw, states = await asyncio.gather(self.nodes.all(), self.servers.all(progress=progress),
                                                      self.join.live_states())
        by_id = {node_id: n for n in nodes if (node_id := as_int(n.get("id"))) is not None}
        servers = [parse.parse_server(self.name, r, by_id) for r in raw]
        if states:
            servers = [self._with_live_state(s, states) for s in servers]
        return servers

    def _with_live_state(self, server: Server, states: dict[tuple[str, int], dict[str, Any]]) -> Server:
        if self.join is None or self.join.for_server(server) is None:
            return server  # its node has no Proxmox configured here, whatever else that Proxmox serves
        vmid = as_int(server.raw.get("vmid"))
        vm = states.get((str(server.raw.get("node")), vmid)) if vmid is not None else None
        if vm is None:
            return server
        joined = parse.join_power(server, vm.get("status"), vm.get("qmpstatus"))
        joined.raw["live"] = {k: vm.get(k) for k in ("status", "qmpstatus", "cpu", "mem", "maxmem", "uptime", "lock")}
        return joined

    async def power(self, server_id: str, action: PowerAction, progress: ProgressFn | None = None) -> ActionResult:
        """Through the Proxmox API of the server's node (Convoy's token API has no power control)."""
        server = await self._current(server_id)
        pve = self._proxmox_for(server, action.capability)
        reason = self.missing_reason(action.capability, server)
        if reason:
            raise ConflictError(f"power {action.value} refused: {server.name}: {reason}", backend=self.name,
                                operation=f"power {action.value}")
        result = await pve.power_vm(str(server.raw["node"]), int(server.raw["vmid"]), action, progress)
        self.audit(f"power {action.value} via {pve.name}: {result.status}", target=server.id)
        return ActionResult(self.name, server.id, result.command, result.action_id, result.status, result.message)

    async def reset_password(self, server_id: str, progress: ProgressFn | None = None) -> SecretResult:
        """Through the QEMU guest agent on the server's Proxmox node."""
        server = await self.get_server(server_id)  # with its live state: a stopped VM is refused before anything is sent
        pve = self._proxmox_for(server, Capability.RESET_PASSWORD)
        reason = self.missing_reason(Capability.RESET_PASSWORD, server)
        if reason:
            raise ConflictError(f"reset root password refused: {server.name}: {reason}", backend=self.name,
                                operation="reset password", code="not_running")
        result = await pve.reset_password_vm(str(server.raw["node"]), int(server.raw["vmid"]), progress)
        self.audit(f"reset root password via {pve.name}: success", target=server.id)
        return SecretResult(self.name, server.id, secret=result.secret, action_id=result.action_id, note=result.note)

    # snapshots, backups, templates, metrics (through the node's Proxmox) ---------------------------------------
    def _joined(self, server: Server, capability: Capability, operation: str) -> tuple[Hypervisor, str, int]:
        """The server's Proxmox, node and VMID, once Convoy's status allows the operation."""
        self._refuse(server, capability.value, operation)
        pve = self._proxmox_for(server, capability)
        return pve, str(server.raw["node"]), int(server.raw["vmid"])

    async def list_images(self, kinds: Sequence[ImageKind] = (ImageKind.SNAPSHOT, ImageKind.BACKUP),
                          server_id: str | None = None) -> list[Image]:
        """Templates (ImageKind.SYSTEM: the server's node's, or every node's) from Convoy; snapshots and backups from
        the Proxmox of the server's node (without `server_id`: of every joined node, kept to Convoy's servers)."""
        server = await self._current(server_id) if server_id is not None else None
        images = await self._templates(server) if ImageKind.SYSTEM in kinds else []
        wanted = tuple(k for k in kinds if k in (ImageKind.SNAPSHOT, ImageKind.BACKUP))
        if not wanted:
            return images
        if self.join is None:
            raise UnsupportedError(self.missing_reason(Capability.IMAGES) or "", backend=self.name, operation="images")
        if server is not None:
            pve = self._proxmox_for(server, Capability.IMAGES)
            found = await pve.list_images(wanted, server_id=f"{server.raw['node']}/{server.raw['vmid']}")
            return images + [as_convoy(i, self.name, server.id) for i in found]
        by_vm = {f"{s.raw.get('node')}/{s.raw.get('vmid')}": s.id for s in await self.list_servers()}
        per_pve = await asyncio.gather(*(pve.list_images(wanted) for pve in self.join.adapters))
        return images + [as_convoy(i, self.name, by_vm[i.server_id]) for found in per_pve for i in found
                         if i.server_id in by_vm]

    async def _templates(self, server: Server | None) -> list[Image]:
        nodes = [server.raw.get("node_record") or {}] if server is not None else await self.nodes.all()
        images = []
        for node in nodes:
            node_id = as_int(node.get("id"))
            if node_id is not None:
                images += template_images(self.name, await self.nodes.template_groups(node_id),
                                          None if server is not None else str(node.get("name")))
        return images

    async def create_image(self, server_id: str, *, description: str | None = None, kind: ImageKind = ImageKind.SNAPSHOT,
                           progress: ProgressFn | None = None) -> Image:
        """A snapshot or a vzdump backup (to the node's `backup_storage`, where Convoy keeps its own) through Proxmox,
        within Convoy's snapshot/backup limit for the server."""
        operation = f"create {kind.value}"
        self._require(Capability.IMAGES, operation)
        server = await self._current(server_id)
        pve, node, vmid = self._joined(server, Capability.IMAGES, operation)
        if kind in (ImageKind.SNAPSHOT, ImageKind.BACKUP):
            existing = await pve.list_images((kind,), server_id=f"{node}/{vmid}")
            limit = (server.raw.get("resources") or {}).get("snapshots" if kind is ImageKind.SNAPSHOT else "backups")
            check_limit(kind, limit, len(existing), backend=self.name, server=f"{server.name} ({server.id})")
        storage = (server.raw.get("node_record") or {}).get("backup_storage")
        image = await pve.create_image_vm(node, vmid, description=description, kind=kind,
                                          storage=str(storage) if storage else None, progress=progress)
        self.audit(f"{operation} via {pve.name}: {image.name}", target=server.id, detail={"image": image.id})
        return as_convoy(image, self.name, server.id)

    async def delete_image(self, image_id: str, server_id: str | None = None) -> ActionResult:
        self._require(Capability.IMAGES, "delete image")
        node = image_id.split("/", 1)[0]
        pve = self.join.for_node(node) if self.join else None
        owner = None
        if server_id is not None:
            server = await self._current(server_id)
            pve, node, vmid = self._joined(server, Capability.IMAGES, "delete image")
            if not (image_id.startswith(f"{node}/{vmid}/") or
                    (image_id.startswith(f"{node}/") and f"vzdump-qemu-{vmid}-" in image_id)):
                raise ValidationError(f"image {image_id} is not one of server {server.name}'s ({node}/{vmid}).",
                                      backend=self.name, operation="delete image")
            owner = server.id
        if pve is None:
            raise UnsupportedError(f"no Proxmox backend serves node {node!r} of image {image_id}: "
                                   + (self.missing_reason(Capability.IMAGES) or ""), backend=self.name,
                                   operation="delete image")
        result = await pve.delete_image(image_id)
        self.audit(f"delete image via {pve.name}: {image_id}", target=owner or image_id)
        return ActionResult(self.name, owner or result.server_id, result.command, result.action_id, result.status,
                            result.message)

    async def metrics(self, server_id: str, kind: MetricKind, period: str = "24h") -> Metrics:
        """Proxmox's rrddata of the server's VM."""
        server = await self._current(server_id)
        pve, node, vmid = self._joined(server, Capability.METRICS, "metrics")
        return metrics_as_convoy(await pve.metrics_vm(node, vmid, kind, period), self.name, server.id)

    def detail_sections(self, server: Server) -> list[tuple[str, list[tuple[str, str]]]]:
        res = server.raw.get("resources") or {}
        sections = [("Resources", [
            ("CPU", f"{res.get('cpu')} cores"), ("memory", f"{res.get('memory_mb')} MB"), ("disk", f"{res.get('disk_gb')} GB"),
            ("bandwidth", "unlimited" if res.get("bandwidth_gb") is None else f"{res.get('bandwidth_gb')} GB"),
            ("bandwidth used", f"{res.get('bandwidth_usage_mb') or 0} MB"),
            ("snapshots / backups", f"{res.get('snapshots')} / {res.get('backups')}"),
        ])]
        sections.append(("Addresses", [(a.get("type", ""), f"{a.get('address')}/{a.get('cidr')} via {a.get('gateway')}")
                                       for a in server.raw.get("addresses") or []] or [("none", "")]))
        sections.append(("Placement", [("node", f"{server.raw.get('node_name')} (Proxmox {server.raw.get('node')})"),
                                       ("VMID", str(server.raw.get("vmid"))), ("owner", str(server.raw.get("user_email"))),
                                       ("uuid", str(server.raw.get("uuid")))]))
        live = server.raw.get("live")
        pve = self.join.for_server(server) if self.join else None
        if live:
            mem = f"{(live.get('mem') or 0) >> 20} / {(live.get('maxmem') or 0) >> 20} MB"
            sections.append((f"Live state (Proxmox {pve.name if pve else ''})", [
                ("status", f"{live.get('status')}" + (f" ({live.get('qmpstatus')})" if live.get("qmpstatus") else "")),
                ("CPU", f"{(live.get('cpu') or 0) * 100:.1f} %"), ("memory", mem),
                ("uptime", f"{(live.get('uptime') or 0) // 3600} h {(live.get('uptime') or 0) % 3600 // 60} min"),
            ] + ([("lock", str(live.get("lock")))] if live.get("lock") else [])))
        else:
            sections.append(("Live state", [("", self.missing_reason(Capability.POWER, server) or
                                             (self.join.last_error if self.join else "") or "not known")]))
        return sections

    async def _current(self, server_id: str) -> Server:
        """The server as it is now. Only a real uuid_short/uuid goes into the URL path; anything else is a name."""
        if not SERVER_KEY.match(server_id):
            return await self._find_server(server_id)
        return parse.parse_server(self.name, await self.servers.get(server_id))

    async def get_server(self, ref: str) -> Server:
        """By `uuid_short`, uuid, name or hostname, with its live state when its node has Proxmox."""
        server = await self._find_server(ref)
        join = self.join
        pve = join.for_server(server) if join else None
        if join is None or pve is None or server.raw.get("vmid") is None:
            return server
        try:
            live = await pve.live_state(str(server.raw["node"]), int(server.raw["vmid"]))
        except BackendError as exc:
            join.last_error = f"{pve.name}: {exc.message}"
            return server
        key = (str(server.raw["node"]), int(server.raw["vmid"]))
        record = {"status": "running" if live.raw_status.startswith("running") else live.raw_status,
                  "qmpstatus": live.qmpstatus, "cpu": live.cpu, "mem": live.mem, "maxmem": live.maxmem,
                  "uptime": live.uptime, "lock": live.lock}
        return self._with_live_state(server, {key: record})

    async def _find_server(self, ref: str) -> Server:
        """By `uuid_short` (8 characters), full uuid, name or hostname. Ambiguous names are an error, not a guess."""
        ref = ref.strip()
        if SERVER_KEY.match(ref):
            try:
                return parse.parse_server(self.name, await self.servers.get(ref))
            except NotFoundError:
                if len(ref) == 36:
                    raise NotFoundError(f"no server with uuid {ref}.", backend=self.name, operation="get server") from None
        matches = [r for r in await self.servers.search("name", ref) if r.get("name") == ref]
        if not matches:
            matches = [r for r in await self.servers.search("*", ref) if r.get("hostname") == ref]
        if len(matches) > 1:
            ids = ", ".join(str(m.get("id")) for m in matches)
            raise ConflictError(f"{len(matches)} servers are named {ref!r} ({ids}): use the id.", backend=self.name,
                                operation="get server")
        if not matches:
            raise NotFoundError(f"no server with the id, name or hostname {ref!r}.", backend=self.name,
                                operation="get server")
        return await self._current(str(matches[0]["id"]))

    async def create_server(self, spec: ServerSpec | ConvoyServerSpec, progress: ProgressFn | None = None) -> CreateResult:
        self._require(Capability.CREATE, "create server")
        if not isinstance(spec, ConvoyServerSpec):
            raise ValidationError("Convoy servers are made from a ConvoyServerSpec (cpu, memory, disk, template, node "
                                  "and owning user), not from a plan name.", backend=self.name, operation="create server")
        spec.check(self.name)
        password = spec.account_password or strong_password()
        before = {str(r.get("id")) for r in await self.servers.all(user_id=spec.user_id)}
        try:
            data = await self.servers.create(spec.to_body(password))
        except (UnavailableError, ProtocolError) as exc:
            server = await self._reconcile_create(spec, before, exc)
            self.audit(f"create server {spec.name}: found after an unclear failure", target=server.id, level="warning")
            return CreateResult(server, None if spec.account_password else password, None)
        except NotFoundError as exc:
            raise self._create_not_found(spec, exc) from None
        except ValidationError as exc:
            raise self._create_invalid(spec, exc) from None
        server = parse.parse_server(self.name, data)
        self.audit(f"create server {spec.name}: accepted, installing", target=server.id,
                   detail={"node_id": spec.node_id, "user_id": spec.user_id, "template_uuid": spec.template_uuid,
                           "cpu": spec.cpu, "memory_mb": spec.memory_mb, "disk_gb": spec.disk_gb})
        server = await self._wait_installed(server, progress)
        if self.join is not None:
            server = await self.get_server(server.id)  # with its live state from Proxmox
        return CreateResult(server, None if spec.account_password else password, None)

    async def _reconcile_create(self, spec: ConvoyServerSpec, before: set[str], exc: BackendError) -> Server:
        """The create may have been applied: list the user's servers and match hostname and name of new ones."""

        async def check() -> dict[str, Any] | None:
            rows = await self.servers.all(user_id=spec.user_id)
            new = [r for r in rows if str(r.get("id")) not in before and r.get("hostname") == spec.hostname
                   and r.get("name") == spec.name]
            return max(new, key=lambda r: as_int(r.get("internal_id")) or 0) if new else None

        try:
            found = await look_again(check, exc, spacing=self._look_spacing)
        except BackendError as failed:
            raise check_failed(exc, failed, backend=self.name, operation="create server") from None
        if found is None:
            raise nothing_found(exc, f"user {spec.user_id} has no new server named {spec.name!r}", backend=self.name,
                                operation="create server") from None
        return await self._current(str(found["id"]))

    def _create_not_found(self, spec: ConvoyServerSpec, exc: NotFoundError) -> BackendError:
        text = {"node": f"node {spec.node_id} does not exist in Convoy; pick a node from the catalog.",
                "template": f"template {spec.template_uuid} does not exist in Convoy; pick one of node {spec.node_id}'s "
                            "templates from the catalog.",
                "user": f"user {spec.user_id} does not exist in Convoy."}.get(exc.code or "", exc.message)
        return NotFoundError(text, backend=self.name, operation="create server", http_status=404, code=exc.code,
                             details=exc.details)

    def _create_invalid(self, spec: ConvoyServerSpec, exc: ValidationError) -> BackendError:
        if isinstance(exc.details, dict) and exc.details:
            text = f"Convoy rejected the new server: {describe_fields(exc.details, WIRE_FIELDS)}"
        elif "inaccessible" in str(exc.details or exc.message).lower():
            text = (f"template {spec.template_uuid} belongs to another node, not node {spec.node_id}; pick one of that "
                    "node's templates.")
        else:
            text = exc.message
        return ValidationError(text, backend=self.name, operation="create server", http_status=exc.http_status,
                               code=exc.code, details=exc.details)

    async def _wait_installed(self, server: Server, progress: ProgressFn | None) -> Server:
        deadline = time.monotonic() + self.install_wait
        while server.raw_status == "installing" and time.monotonic() < deadline:
            if progress:
                progress(ActionProgress(id=server.id, command="install_server", status="running"))
            await asyncio.sleep(self.poll_seconds)
            server = await self._current(server.id)
        if server.raw_status == "install_failed":
            if progress:
                progress(ActionProgress(id=server.id, command="install_server", status="error", error="install_failed"))
            self.audit(f"create server {server.name}: installation failed", target=server.id, level="error")
            raise BackendError(f"server {server.name} ({server.id}) was created but its installation failed; delete it, "
                               "or reinstall it in the Convoy panel.", backend=self.name, operation="create server",
                               code="install_failed")
        if progress and server.raw_status != "installing":
            progress(ActionProgress(id=server.id, command="install_server", status="success", progress=100))
        return server

    async def delete_server(self, server_id: str, progress: ProgressFn | None = None, *,
                            no_purge: bool = False) -> ActionResult:
        """Terminate: `DELETE`, then follow `deleting` until the server is gone. `no_purge` removes only the panel
        record and leaves the VM and its backups on Proxmox."""
        self._require(Capability.DELETE, "delete server")
        current = await self._current(server_id)
        self._refuse(current, "delete", "delete server")
        try:
            await self.servers.delete(current.id, no_purge=no_purge)
        except (UnavailableError, ProtocolError, ConflictError) as exc:
            try:
                state = await look_again(lambda: self._deletion_state(current.id), exc, spacing=self._look_spacing)
            except BackendError as failed:
                raise check_failed(exc, failed, backend=self.name, operation="delete server") from None
            if state is None and isinstance(exc, ConflictError):
                raise
            if state is None:
                raise nothing_found(exc, "the server is still there and not being deleted", backend=self.name,
                                    operation="delete server") from None
            self.audit(f"delete server {current.name}: {state} after an unclear answer ({exc.message})",
                       target=current.id, level="warning")
        if no_purge:
            self.audit(f"delete server {current.name} (panel record only): success", target=current.id)
            return ActionResult(self.name, current.id, "delete_server", None, "success",
                                "the panel record is gone; the VM stays on Proxmox")
        return await self._wait_deleted(current, progress)

    terminate = delete_server

    async def _deletion_state(self, server_id: str) -> str | None:
        """"gone", "deleting" or None (neither: the delete did not happen)."""
        try:
            status = (await self._current(server_id)).raw.get("status")
        except NotFoundError:
            return "gone"
        return "deleting" if status == "deleting" else None

    async def _wait_deleted(self, server: Server, progress: ProgressFn | None) -> ActionResult:
        deadline = time.monotonic() + self.delete_wait
        while True:
            try:
                current = await self._current(server.id)
            except NotFoundError:
                if progress:
                    progress(ActionProgress(id=server.id, command="delete_server", status="success", progress=100))
                self.audit(f"delete server {server.name}: success", target=server.id)
                return ActionResult(self.name, server.id, "delete_server", None, "success", "the server is gone")
            if current.raw.get("status") == "deletion_failed":
                self.audit(f"delete server {server.name}: deletion failed", target=server.id, level="error")
                raise BackendError(f"Convoy could not delete server {server.name} ({server.id}): its status is "
                                   "deletion_failed; retry or clean it up in Convoy's admin area.", backend=self.name,
                                   operation="delete server", code="deletion_failed")
            if time.monotonic() >= deadline:
                self.audit(f"delete server {server.name}: still deleting", target=server.id)
                return ActionResult(self.name, server.id, "delete_server", None, "in_progress",
                                    "Convoy is still deleting it; it disappears when its queued jobs finish")
            if progress:
                progress(ActionProgress(id=server.id, command="delete_server", status="running"))
            await asyncio.sleep(self.poll_seconds)

    async def _suspension(self, server_id: str, action: str) -> ActionResult:
        self._require(Capability.SUSPEND, action)
        current = await self._current(server_id)
        self._refuse(current, action, action)
        await self.servers.suspension(current.id, action)
        self.audit(f"{action} server {current.name}: success", target=current.id)
        return ActionResult(self.name, current.id, action, None, "success")

    async def suspend(self, server_id: str, progress: ProgressFn | None = None) -> ActionResult:
        return await self._suspension(server_id, "suspend")

    async def unsuspend(self, server_id: str, progress: ProgressFn | None = None) -> ActionResult:
        return await self._suspension(server_id, "unsuspend")

    async def resize(self, server_id: str, *, cpu: int | None = None, memory_mb: int | None = None,
                     disk_gb: int | None = None, snapshot_limit: int | None | EllipsisType = ...,
                     backup_limit: int | None | EllipsisType = ..., bandwidth_gb: int | None | EllipsisType = ...) -> Server:
        """Change the build; what is not given stays as it is, and the server keeps its addresses (the API replaces
        the address set with what is sent, so the current ids are sent back)."""
        self._mutation("resize server")
        for name, value, minimum in (("cpu", cpu, 1), ("memory_mb", memory_mb, 16), ("disk_gb", disk_gb, 1)):
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < minimum):
                raise ValidationError(f"{name} must be a whole number of at least {minimum}.", backend=self.name,
                                      operation="validate")
        current = await self._current(server_id)
        self._refuse(current, "resize", "resize server")
        res = current.raw["resources"]
        if disk_gb is not None and res["disk_gb"] is not None and disk_gb < res["disk_gb"]:
            raise ValidationError(f"disk_gb {disk_gb} is smaller than the current {res['disk_gb']} GB: a Proxmox disk "
                                  "cannot shrink.", backend=self.name, operation="validate")
        limits = current.raw.get("limits") or {}
        bandwidth = limits.get("bandwidth") if bandwidth_gb is ... else (
            None if bandwidth_gb is None else gb_to_bytes(bandwidth_gb))
        body = {
            "cpu": cpu if cpu is not None else res["cpu"],
            "memory": mb_to_bytes(memory_mb) if memory_mb is not None else as_int(limits.get("memory")),
            "disk": gb_to_bytes(disk_gb) if disk_gb is not None else as_int(limits.get("disk")),
            "address_ids": [as_int(a.get("id")) for a in current.raw["addresses"]],
            "snapshot_limit": res["snapshots"] if snapshot_limit is ... else snapshot_limit,
            "backup_limit": res["backups"] if backup_limit is ... else backup_limit,
            "bandwidth_limit": as_int(bandwidth),
        }
        try:
            server = parse.parse_server(self.name, await self.servers.update_build(current.id, body))
        except ValidationError as exc:
            if isinstance(exc.details, dict) and exc.details:
                raise ValidationError(f"Convoy rejected the resize: {describe_fields(exc.details, WIRE_FIELDS)}",
                                      backend=self.name, operation="resize server", http_status=exc.http_status,
                                      code=exc.code, details=exc.details) from None
            raise
        self.audit(f"resize server {current.name}: success", target=current.id,
                   detail={"cpu": server.cores, "memory_mb": server.memory_mb, "disk_gb": server.disk_gb})
        return server

    async def rename(self, server_id: str, *, name: str | None = None, hostname: str | None = None) -> Server:
        """Change the display name and/or the hostname (Convoy pushes the hostname to cloud-init)."""
        self._mutation("rename server")
        if name is not None and not 1 <= len(name) <= 40:
            raise ValidationError("name must be 1 to 40 characters.", backend=self.name, operation="validate")
        if hostname is not None and (problem := hostname_problem(hostname)):
            raise ValidationError(f"invalid hostname {hostname!r}: {problem}.", backend=self.name, operation="validate")
        current = await self._current(server_id)
        self._refuse(current, "rename", "rename server")
        body = {"name": name if name is not None else current.name,
                "hostname": hostname if hostname is not None else current.raw.get("hostname")}
        server = parse.parse_server(self.name, await self.servers.update(current.id, body))
        self.audit(f"rename server {current.name}: success", target=current.id,
                   detail={"name": server.name, "hostname": server.raw.get("hostname")})
        return server

    # panel users and SSO -------------------------------------------------------------
    async def list_users(self) -> list[ConvoyUser]:
        """Every panel user (all pages): the sync engine matches emails against this instead of one lookup each."""
        from .accounts import parse_user

        return [parse_user(self.name, r) for r in await self.accounts.users.all()]

    async def find_user(self, email: str) -> ConvoyUser | None:
        return await self.accounts.find(email)

    async def get_user(self, user_id: int) -> ConvoyUser:
        return await self.accounts.get(user_id)

    async def create_user(self, email: str, name: str, password: str | None = None) -> UserLink:
        """A new panel user (never a root admin). Without `password` a strong one is generated and returned once."""
        self._mutation("create user")
        return await self.accounts.create(email, name, password)

    async def update_user(self, user_id: int, *, name: str | None = None, email: str | None = None,
                          password: str | None = None) -> ConvoyUser:
        self._mutation("update user")
        return await self.accounts.update(user_id, name=name, email=email, password=password)

    async def create_or_link_user(self, email: str, name: str) -> UserLink:
        """The panel user for this email: linked when it exists (never a duplicate), created otherwise."""
        self._mutation("create user")
        return await self.accounts.create_or_link(email, name)

    async def sso_url(self, server: Server | str) -> SecretResult:
        """A fresh login link for the server's owner (`{panel}/authenticate?token=…`, valid 15 s): make it only at
        the moment of opening. The token is never recorded."""
        self._require(Capability.SSO, "open the panel as the customer")
        current = server if isinstance(server, Server) and server.raw.get("user_id") is not None \
            else await self._current(server.id if isinstance(server, Server) else server)
        self._refuse(current, "sso", "open the panel as the customer")
        user_id = as_int(current.raw.get("user_id"))
        if user_id is None:
            raise ProtocolError(f"server {current.id} has no owning user.", backend=self.name, operation="sso")
        token = await self.accounts.users.sso_token(user_id)
        self.audit(f"SSO link made for user {user_id}", target=current.id)
        return SecretResult(self.name, current.id, secret=token,
                            url=f"{self.panel_url}/authenticate?{urlencode({'token': token})}")

    # catalog ----------------------------------------------------------------------
    async def _live_catalog(self) -> list[CatalogItem]:
        nodes = await self.nodes.all()

        async def per_node(node: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
            nid = as_int(node.get("id"))
            if nid is None:
                raise ProtocolError("list nodes: a node record has no id.", backend=self.name, operation="catalog")
            return await asyncio.gather(self.nodes.template_groups(nid), self.nodes.addresses(nid))

        details = await asyncio.gather(*(per_node(n) for n in nodes))
        raw = {"nodes": nodes,
               "template_groups": {str(n.get("id")): groups for n, (groups, _) in zip(nodes, details)},
               "addresses": {str(n.get("id")): addresses for n, (_, addresses) in zip(nodes, details)}}
        return parse.parse_catalog(self.name, raw)

    async def catalog(self, refresh: bool = False) -> Catalog:
        return await cached_catalog(backend=self.name, store=self.store, ttl_hours=self.catalog_ttl_hours, refresh=refresh,
                                    fetch_live=self._live_catalog, fallback=lambda: load_fallback(self.name))
