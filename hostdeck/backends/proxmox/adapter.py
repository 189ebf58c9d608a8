"""The Proxmox VE adapter: VMs of the configured nodes, live state, power actions followed to the end of their task,
and the root password through the QEMU guest agent.

Server ids are "<node>/<vmid>". `power_vm` and `reset_password_vm` take node and VMID directly, for the Convoy
join (a Convoy server is a VM on node `cluster` with its `vmid`).
"""

from __future__ import annotations

import asyncio
import secrets
import string
import time
from collections.abc import Callable
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any

from ..adapter_base.connection_test import Stopwatch
from ..contract import MUTATING
from ..contract import Adapter
from ..contract import Capability
from ..contract import PowerAction
from ..contract import ProgressFn
from ..errors import BackendError
from ..errors import ConfigError
from ..errors import ConflictError
from ..errors import ProtocolError
from ..errors import UnavailableError
from ..errors import UnsupportedError
from ..errors import ValidationError
from ..http import HttpCore
from ..http import RetryPolicy
from ..models import ActionProgress
from ..models import ActionResult
from ..models import ConnectionReport
from ..models import SecretResult
from ..models import Server
from ..models import ServerStatus
from ..operations import Image
from ..operations import ImageKind
from ..operations import MetricKind
from ..operations import Metrics
from ..roles import Role
from . import parse
from .api import PveClient
from .errors import AGENT_MISSING
from .errors import classify
from .errors import locked_refusal
from .errors import plain
from .image_ops import VmImages
from .image_ops import delete_backup
from .image_ops import node_backups
from .images import parse_image_id
from .metrics import parse_rrddata
from .metrics import timeframe
from .nodes import NodeSetup
from .nodes import ProxmoxNode
from .nodes import parse_setup
from .offers import NOT_OFFERED
from .parse import LiveState
from .parse import server_id
from .parse import split_id

if TYPE_CHECKING:
    from ..config import BackendConfig
    from ..events import EventLog
    from ..secrets import Secrets

COMMANDS = {PowerAction.ON: "start", PowerAction.OFF: "stop", PowerAction.SHUTDOWN: "shutdown",
            PowerAction.REBOOT: "reboot", PowerAction.RESET: "reset"}
TRANSIENT = {PowerAction.ON: ServerStatus.STARTING, PowerAction.OFF: ServerStatus.STOPPING,
             PowerAction.SHUTDOWN: ServerStatus.STOPPING}
PASSWORD_ALPHABET = string.ascii_letters + string.digits


def new_password(length: int = 20) -> str:
    """A strong random password with lower and upper case letters and digits (no symbols: easy to type in a console)."""
    while True:
        value = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(length))
        if any(c.islower() for c in value) and any(c.isupper() for c in value) and any(c.isdigit() for c in value):
            return value


class ProxmoxAdapter(Adapter):
    kind = "proxmox"
    roles = frozenset({Role.SERVER_PROVIDER, Role.HYPERVISOR})
    capabilities = frozenset({Capability.LIST, Capability.POWER, Capability.SHUTDOWN, Capability.REBOOT, Capability.RESET,
                              Capability.RESET_PASSWORD, Capability.IMAGES, Capability.METRICS, Capability.PROTECT})
    secret_fields = ("token_secret",)

    def __init__(self, config: BackendConfig, *, secrets: Secrets, events: EventLog | None = None,
                 read_only: bool = False, store: Any = None, policy: RetryPolicy | None = None) -> None:
        super().__init__(config, secrets=secrets, events=events, read_only=read_only, store=store)
        self._policy = policy
        self._setup: NodeSetup | None = None
        self._cores: dict[tuple[str, Any], HttpCore] = {}
        self._pending: dict[tuple[str, int], PowerAction] = {}
        poll = float(config.option("task_poll_seconds", 1.0))
        self._poll = (poll, max(poll, min(5.0, poll * 5)))
        self.shutdown_timeout = int(config.option("shutdown_timeout", 60))
        self.task_timeout = float(config.option("task_timeout", 300.0))
        self.reconcile_seconds = float(config.option("reconcile_seconds", 10.0))
        storage = config.option("backup_storage")
        if storage is not None and (not isinstance(storage, str) or not storage):
            raise ConfigError("backup_storage must name a Proxmox storage.", key=f"backends.{self.name}.backup_storage",
                              fix='write backup_storage = "local" (a storage with content "backup"), or leave it out.')
        self.backup_storage: str | None = storage

    # configuration -----------------------------------------------------------------------
    @property
    def setup(self) -> NodeSetup:
        """Parsed on first use (the demo fills in the url after the adapter is built)."""
        if self._setup is None:
            self._setup = parse_setup(self.config)
        return self._setup

    @property
    def insecure(self) -> bool:
        """TLS verification is switched off for at least one node: the UI must mark this backend as insecure."""
        try:
            return self.setup.insecure
        except ConfigError:
            return self.config.option("insecure_tls") is True

    def secret_values(self) -> dict[str, str]:
        return {"token_secret": self.secrets.require(self.name, "token_secret")}

    def _http(self, node: ProxmoxNode) -> HttpCore:
        key = (node.url, node.tls)
        if self._cores and self.credentials_changed():   # corrected after a rejection: use it now
            for core in self._cores.values():
                self._retire(core)
            self._cores = {}
        if key not in self._cores:
            values = self.secret_values()
            secret = values["token_secret"]
            # one guard for every node: the nodes of a cluster share their tokens
            guard = self.credential_guard(values, identity=self.setup.token_id)
            own = any(n.name == node.name and n.url == node.url for n in self.setup.nodes) and node.tls != self.setup.default_tls
            from .transport import PveTransport  # httpx loads with the first core, not with the adapter

            transport = PveTransport(node.tls, scope=f"node {node.name}" if own else f"backend {self.name}",
                                     backend=self.name, events=self.events, max_connections=self.config.max_concurrency or 4)
            self._cores[key] = HttpCore(backend=self.name, base_url=node.url, classify=classify, events=self.events,
                                        headers={"Authorization": f"PVEAPIToken={self.setup.token_id}={secret}"},
                                        max_concurrency=self.config.max_concurrency or 4, timeout=self.config.timeout,
                                        policy=self._policy, read_only=self.read_only, transport=transport,
                                        guard=guard, **self.http_limits())
        return self._cores[key]

    def client(self, node: str) -> PveClient:
        found = self.setup.node(node)
        if found is None:
            raise UnsupportedError(f"needs Proxmox credentials for node {node}: add it under [[backends.nodes]] of backend "
                                   f"{self.name}, or give the backend a url (any cluster member answers for every node).",
                                   backend=self.name, operation="choose node")
        return PveClient(self._http(found), node, poll_initial=self._poll[0], poll_max=self._poll[1])

    async def aclose(self) -> None:
        cores, self._cores = list(self._cores.values()), {}
        for core in cores:
            await core.aclose()

    # connection --------------------------------------------------------------------------
    async def probe_connection(self, report: ConnectionReport, clock: Stopwatch) -> None:
        setup = self.setup
        report.details["insecure"] = setup.insecure
        if setup.insecure:
            report.details["warning"] = ("TLS verification is OFF (insecure_tls = true): anyone on the network path "
                                         "can read the API token.")
        endpoints: dict[tuple[str, Any], ProxmoxNode] = {}
        for node in setup.nodes or [n for n in (setup.node("*"),) if n is not None]:
            endpoints.setdefault((node.url, node.tls), node)
        versions: list[str] = []
        errors: list[str] = []
        known: set[str] = set()
        latencies: list[float] = []
        for node in endpoints.values():
            client = self.client(node.name)
            node_clock = Stopwatch()
            node_clock.watch(client.http)
            try:
                # a wrong token is answered only after ~3 s: wait long enough to say "authentication failed"
                data = await client.version(timeout=max(self.config.timeout, 10.0))
                latency = node_clock.lap()
                versions.append(f"{data.get('version')} ({data.get('release')})")
                known |= {str(n.get("node")) for n in await client.nodes() if isinstance(n, dict)}
            except BackendError as exc:
                latency = node_clock.lap()
                errors.append(exc.message if len(endpoints) == 1 else f"{_label(node, self.name)}: {exc.message}")
            if latency is not None:
                latencies.append(latency)
        report.latency_ms = max(latencies) if latencies else None
        missing = [n.name for n in setup.nodes if known and n.name not in known]
        if missing:
            errors.append(f"node(s) {', '.join(missing)} are not in this cluster (it has {', '.join(sorted(known))}): "
                          "use the Proxmox node name, not the FQDN.")
        report.version = ", ".join(sorted(set(versions))) or None
        report.details["nodes"] = [n.name for n in setup.nodes] or sorted(known)
        report.details["tls"] = {_label(n, self.name): n.tls.describe() for n in endpoints.values()}
        report.ok = not errors
        report.error = " ".join(errors) or None

    # servers ----------------------------------------------------------------------------
    async def _node_names(self) -> tuple[list[str], dict[str, str]]:
        """(nodes to list, {node: why it is down}). GET /nodes reports each node `online`, `offline` or `unknown`
        (pve-manager PVE/API2/Nodes.pm; `unknown` when the node's status daemon has not reported): only online nodes
        are asked for their VMs."""
        if self.setup.nodes:
            return [n.name for n in self.setup.nodes], {}
        listed = await self.client("*").nodes()
        down = {str(n.get("node")): f"node {n.get('node')} is {n.get('status') or 'unknown'} in Proxmox"
                for n in listed if n.get("status") != "online"}
        return sorted(str(n.get("node")) for n in listed if str(n.get("node")) not in down), down

    async def list_servers(self, progress: Callable[[int, int], None] | None = None) -> list[Server]:
        """Every VM of every node. A node that is down (offline, status unknown, or not answering) does not abort the
        listing: its VMs come from `/cluster/resources` on a node that answers, marked status unknown with the
        reason. Only when no node can name them is the listing an error (a short list is never returned)."""
        names, down = await self._node_names()
        done = 0
        total = len(names)

        async def one(node: str) -> list[dict[str, Any]] | None:
            nonlocal done
            try:
                rows = await self.client(node).vms()
            except UnavailableError as exc:
                if not self._unreachable(exc):
                    raise
                down[node] = f"node {node} did not answer: {exc.message}"
                rows = None
            done += 1
            if progress:
                progress(done, total)
            return rows

        tasks = [asyncio.ensure_future(one(n)) for n in names]
        try:
            per_node = await asyncio.gather(*tasks)
        except BaseException:
            for t in tasks:
                t.cancel()
            raise
        servers = []
        answered = []
        for node, rows in zip(names, per_node):
            if rows is None:
                continue
            answered.append(node)
            for raw in rows:
                if not isinstance(raw, dict):
                    raise ProtocolError(f"list VMs on {node}: an entry is not an object.", backend=self.name)
                if parse.whole(raw.get("template")):
                    continue
                servers.append(self._with_pending(parse.parse_vm(self.name, node, raw)))
        if down:
            servers += await self._rows_of_down_nodes(down, answered)
        return servers

    def _unreachable(self, exc: UnavailableError) -> bool:
        """The node itself cannot be reached: the cluster member said so (595/596 while proxying), or the node's own
        configured endpoint did not answer at all. Other failures (500, 503, a page) stay errors: no short list."""
        return exc.http_status in (595, 596) or (bool(self.setup.nodes) and exc.http_status is None)

    async def _rows_of_down_nodes(self, down: dict[str, str], answered: list[str]) -> list[Server]:
        """The VMs of nodes that are down, from the cluster's view (any member knows every guest's config), each with
        status unknown and the reason."""
        askers = [n for n in answered] if self.setup.nodes else ["*"]
        last: BackendError | None = None
        for asker in askers:
            try:
                resources = await self.client(asker).cluster_vms()
            except BackendError as exc:
                last = exc
                continue
            rows = []
            for raw in resources:
                node = str(raw.get("node") or "")
                if node not in down or raw.get("type") not in (None, "qemu") or parse.whole(raw.get("template")):
                    continue
                server = parse.parse_vm(self.name, node, {**raw, "status": "unknown", "qmpstatus": None})
                server.status, server.raw_status = ServerStatus.UNKNOWN, "unknown (node down)"
                server.raw["unknown_reason"] = f"{down[node]}; live state and actions are unavailable until it is back."
                rows.append(server)
            return rows
        why = "; ".join(down.values())
        raise UnavailableError(f"{why}, and no other node could list its VMs"
                               + (f" ({last.message})" if last else "") + ". Fix: bring the node back, or list only "
                               "the reachable nodes under [[backends.nodes]].", backend=self.name, operation="list VMs")

    def _with_pending(self, server: Server) -> Server:
        action = self._pending.get((server.raw["node"], server.raw["vmid"]))
        if action in TRANSIENT:
            server.status = TRANSIENT[action]
        return server

    async def get_server(self, ref: str) -> Server:
        node, _, vmid = ref.rpartition("/")
        if node and vmid.isdigit():
            raw = await self.client(node).status(int(vmid))
            return self._with_pending(parse.parse_vm(self.name, node, {"vmid": int(vmid), **raw}))
        return await super().get_server(ref)

    def serves_node(self, node: str) -> bool:
        """For a panel joined to this cluster: without a node list it serves every node the cluster has."""
        setup = self.setup
        return not setup.nodes or setup.node(node) is not None

    async def live_state(self, node: str, vmid: int) -> LiveState:
        return parse.parse_live(node, await self.client(node).status(int(vmid)), backend=self.name, vmid=int(vmid))

    def refresh_cost(self, server_count: int) -> int:
        try:
            return max(1, len(self.setup.nodes))
        except ConfigError:
            return 1

    def missing_reason(self, capability: Capability, server: Server | None = None) -> str | None:
        if capability not in self.capabilities and capability in NOT_OFFERED:
            return NOT_OFFERED[capability]
        reason = super().missing_reason(capability, server)
        if reason is None and server is not None and server.raw.get("unknown_reason") and capability in MUTATING:
            return str(server.raw["unknown_reason"])      # its node is down: nothing can reach the VM
        if reason is None and server is not None and server.locked and capability in MUTATING:
            return f"the VM is locked ({server.raw.get('lock') or 'lock held'}); Proxmox refuses actions until it is released."
        return reason

    def describe_call(self, capability: Capability, server: Server | None = None, action: PowerAction | None = None,
                      variant: str | None = None) -> str:
        node, vmid = ("{node}", "{vmid}")
        if server is not None:
            node, _, vmid = server.id.rpartition("/")
        if capability in (Capability.POWER, Capability.SHUTDOWN, Capability.REBOOT, Capability.RESET) and action:
            return f"POST /nodes/{node}/qemu/{vmid}/status/{COMMANDS[action]}"
        return {
            Capability.RESET_PASSWORD: f"POST /nodes/{node}/qemu/{vmid}/agent/set-user-password (QEMU guest agent), "
                                       f"then PUT /nodes/{node}/qemu/{vmid}/config cipassword (kept by cloud-init)",
            Capability.LIST: "GET /nodes/{node}/qemu?full=1 (each node)",
            Capability.IMAGES: f"POST /nodes/{node}/qemu/{vmid}/snapshot (snapshot) or POST /nodes/{node}/vzdump (backup), "
                               "then the task until it ends",
            Capability.METRICS: f"GET /nodes/{node}/qemu/{vmid}/rrddata?timeframe=hour|day|week&cf=AVERAGE",
            Capability.PROTECT: f"PUT /nodes/{node}/qemu/{vmid}/config protection=0|1 (delete protection)",
        }.get(capability, "")

    # power ------------------------------------------------------------------------------
    async def power(self, server_id: str, action: PowerAction, progress: ProgressFn | None = None) -> ActionResult:
        node, vmid = split_id(server_id, backend=self.name)
        return await self.power_vm(node, vmid, action, progress)

    async def power_vm(self, node: str, vmid: int, action: PowerAction, progress: ProgressFn | None = None) -> ActionResult:
        operation = f"power {action.value}"
        self._require(action.capability, operation)
        client = self.client(node)
        sid, command = server_id(node, vmid), COMMANDS[action]
        before = parse.parse_live(node, await client.status(vmid), backend=self.name, vmid=vmid)
        self._refuse_locked(before, operation)
        early = self._precheck(action, before, operation)
        if early is not None:
            return early
        params = {"timeout": self.shutdown_timeout} if action in (PowerAction.SHUTDOWN, PowerAction.REBOOT) else None
        self._pending[(node, vmid)] = action
        try:
            try:
                upid = await client.power(vmid, command, params)
            except (UnavailableError, ProtocolError) as exc:
                return await self._reconcile(client, before, action, exc)
            note = ""
            try:
                task = await client.wait(upid, verb=command, timeout=max(self.task_timeout, self.shutdown_timeout + 60),
                                         progress=progress)
                note = parse.task_ok(task)[1]
            except ConflictError as exc:
                if exc.code == "already_running" and action is PowerAction.ON:
                    note = "the VM was already running."
                elif exc.code == "timeout" and action in (PowerAction.SHUTDOWN, PowerAction.REBOOT):
                    result = ActionResult(self.name, sid, command, upid, "signal_sent",
                                          f"the guest did not {'shut down' if action is PowerAction.SHUTDOWN else 'reboot'} "
                                          f"within {self.shutdown_timeout} s; it may ignore ACPI and have no guest agent: "
                                          f"use {'power off' if action is PowerAction.SHUTDOWN else 'reset'}.")
                    self.audit(f"{operation}: {result.status}", target=sid, level="warning", detail={"upid": upid})
                    return result
                else:
                    raise
        finally:
            self._pending.pop((node, vmid), None)
        self.audit(f"{operation}: success", target=sid, detail={"upid": upid})
        return ActionResult(self.name, sid, command, upid, "success", note)

    def _refuse_locked(self, live: LiveState, operation: str) -> None:
        if live.lock:
            raise locked_refusal(live.vmid, live.lock, operation, self.name)

    def _precheck(self, action: PowerAction, live: LiveState, operation: str) -> ActionResult | None:
        """Refuse what PVE would refuse (or turn into a failed task) before sending anything; no-ops succeed at once."""
        sid, command = live.server_id, COMMANDS[action]
        off, paused = live.status is ServerStatus.OFF, live.qmpstatus == "paused"
        if action is PowerAction.ON and live.running:
            return ActionResult(self.name, sid, command, None, "success", "the VM is already running; nothing was sent.")
        if action in (PowerAction.OFF, PowerAction.SHUTDOWN) and off:
            return ActionResult(self.name, sid, command, None, "success", "the VM is already off; nothing was sent.")
        if action in (PowerAction.REBOOT, PowerAction.RESET) and off:
            raise ConflictError(f"the VM is off, so it cannot {command}: use power on. Nothing was sent.", backend=self.name,
                                operation=operation, code="not_running")
        if paused and action in (PowerAction.ON, PowerAction.SHUTDOWN, PowerAction.REBOOT):
            raise ConflictError(f"the VM is paused (qmpstatus paused), so it cannot {command}: resume it in Proxmox, or "
                                "use power off or reset. Nothing was sent.", backend=self.name, operation=operation,
                                code="paused")
        return None

    async def _reconcile(self, client: PveClient, before: LiveState, action: PowerAction,
                         exc: BackendError) -> ActionResult:
        """After an ambiguous failure: read the state back (for a short while), never resend."""
        command, sid = COMMANDS[action], before.server_id
        deadline = time.monotonic() + self.reconcile_seconds
        delay = self._poll[0]
        after: LiveState | None = None
        while True:
            try:
                after = parse.parse_live(before.node, await client.status(before.vmid), backend=self.name, vmid=before.vmid)
            except BackendError:
                break
            if _applied(action, before, after) or time.monotonic() >= deadline:
                break
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, self._poll[1])
        if after is None:
            exc.message = (f"{exc.message} Nothing was resent, and the VM's state could not be read back: check it in "
                           "Proxmox before trying again.")
            raise exc
        if _applied(action, before, after):
            self.audit(f"power {action.value}: applied despite an unclear failure", target=sid, level="warning",
                       detail={"error": exc.message})
            return ActionResult(self.name, sid, command, None, "success",
                                f"the {command} request failed unclearly, but the VM is now {after.raw_status}: it took effect.")
        exc.message = (f"{exc.message} Nothing was resent: the VM is {after.raw_status} (uptime {after.uptime} s), so the "
                       f"{command} has not taken effect (yet); check again before retrying.")
        raise exc

    # snapshots, backups, metrics ----------------------------------------------------------
    def _vm_images(self, node: str, vmid: int) -> VmImages:
        return VmImages(self.name, self.client(node), vmid, task_timeout=self.task_timeout)

    async def list_images(self, kinds: Sequence[ImageKind] = (ImageKind.SNAPSHOT, ImageKind.BACKUP),
                          server_id: str | None = None) -> list[Image]:
        """A VM's snapshots and backups; without `server_id`, every VM's (one snapshot list per VM, one content list
        per backup storage of each node). Proxmox has no system images (ImageKind.SYSTEM lists nothing)."""
        if server_id is not None:
            node, vmid = split_id(server_id, backend=self.name)
            return await self.images_vm(node, vmid, kinds)
        servers = [s for s in await self.list_servers() if not s.raw.get("unknown_reason")]
        found: dict[str, Image] = {}
        if ImageKind.BACKUP in kinds:
            for node in sorted({str(s.raw["node"]) for s in servers}):
                for shared, image in await node_backups(self.name, self.client(node)):
                    found.setdefault(image.id.split("/", 1)[1] if shared else image.id, image)   # a shared storage once
        images = list(found.values())
        if ImageKind.SNAPSHOT in kinds:
            per_vm = await asyncio.gather(*(self._vm_images(str(s.raw["node"]), int(s.raw["vmid"])).snapshots()
                                            for s in servers))
            images += [i for chunk in per_vm for i in chunk]
        return images

    async def images_vm(self, node: str, vmid: int,
                        kinds: Sequence[ImageKind] = (ImageKind.SNAPSHOT, ImageKind.BACKUP)) -> list[Image]:
        vm = self._vm_images(node, vmid)
        images = await vm.snapshots() if ImageKind.SNAPSHOT in kinds else []
        return images + (await vm.backups() if ImageKind.BACKUP in kinds else [])

    async def create_image(self, server_id: str, *, description: str | None = None, kind: ImageKind = ImageKind.SNAPSHOT,
                           progress: ProgressFn | None = None) -> Image:
        node, vmid = split_id(server_id, backend=self.name)
        return await self.create_image_vm(node, vmid, description=description, kind=kind, progress=progress)

    async def create_image_vm(self, node: str, vmid: int, *, description: str | None = None,
                              kind: ImageKind = ImageKind.SNAPSHOT, storage: str | None = None,
                              progress: ProgressFn | None = None) -> Image:
        """A snapshot (`qemu/{vmid}/snapshot`) or a vzdump backup (to `storage`, the config's backup_storage, or the
        node's default), followed until its task ends."""
        operation = f"create {kind.value}"
        self._require(Capability.IMAGES, operation)
        if kind not in (ImageKind.SNAPSHOT, ImageKind.BACKUP):
            raise ValidationError(f"Proxmox takes snapshots and backups, not {kind.value} images.", backend=self.name,
                                  operation=operation)
        vm = self._vm_images(node, vmid)
        if kind is ImageKind.SNAPSHOT:
            image = await vm.take_snapshot(description, progress)
        else:
            image = await vm.take_backup(description, progress, storage or self.backup_storage)
        self.audit(f"{operation}: {image.name}", target=server_id(node, vmid), detail={"image": image.id})
        return image

    async def delete_image(self, image_id: str, server_id: str | None = None) -> ActionResult:
        ref = parse_image_id(image_id, backend=self.name)
        operation = f"delete {ref.kind.value}"
        self._require(Capability.IMAGES, operation)
        if ref.kind is ImageKind.SNAPSHOT and ref.vmid is not None:
            upid: str | None = await self._vm_images(ref.node, ref.vmid).delete_snapshot(ref.snapname, None)
            owner = parse.server_id(ref.node, ref.vmid)
        else:
            upid = await delete_backup(self.name, self.client(ref.node), ref, task_timeout=self.task_timeout, progress=None)
            owner = server_id or ref.node
        self.audit(f"{operation}: {image_id}", target=owner, detail={"upid": upid})
        return ActionResult(self.name, owner, operation.replace(" ", "_"), upid, "success")

    async def metrics(self, server_id: str, kind: MetricKind, period: str = "24h") -> Metrics:
        node, vmid = split_id(server_id, backend=self.name)
        return await self.metrics_vm(node, vmid, kind, period)

    async def metrics_vm(self, node: str, vmid: int, kind: MetricKind, period: str = "24h",
                         owner: str | None = None) -> Metrics:
        """`rrddata` of the period's timeframe (1h: hour, 24h: day, 7d: week), averaged per step."""
        reason = self.missing_reason(Capability.METRICS)
        if reason:
            raise UnsupportedError(reason, backend=self.name, operation="metrics")
        frame = timeframe(period, backend=self.name)
        rows = await self.client(node).rrddata(vmid, frame)
        return parse_rrddata(self.name, owner or parse.server_id(node, vmid), MetricKind(kind), period, rows)

    async def set_protection(self, server_id: str, *, delete: bool | None = None, rebuild: bool | None = None,
                             progress: ProgressFn | None = None) -> ActionResult:
        """The VM's `protection` flag: while on, Proxmox refuses to remove the VM or its disks (also when a panel asks).
        Proxmox has no reinstall, so there is no rebuild protection."""
        operation = "set protection"
        self._require(Capability.PROTECT, operation)
        if rebuild is not None:
            raise ValidationError("Proxmox has no reinstall, so there is no rebuild protection; only delete protection "
                                  "(the VM's protection flag) can be set.", backend=self.name, operation=operation)
        if delete is None:
            raise ValidationError("say whether delete protection is to be on or off.", backend=self.name,
                                  operation=operation)
        node, vmid = split_id(server_id, backend=self.name)
        await self.client(node).set_options(vmid, {"protection": 1 if delete else 0}, operation)
        state = "on" if delete else "off"
        self.audit(f"delete protection {state}", target=server_id)
        return ActionResult(self.name, server_id, "set_protection", None, "success", f"delete protection is {state}")

    # password ---------------------------------------------------------------------------
    async def reset_password(self, server_id: str, progress: ProgressFn | None = None) -> SecretResult:
        node, vmid = split_id(server_id, backend=self.name)
        return await self.reset_password_vm(node, vmid, progress)

    async def reset_password_vm(self, node: str, vmid: int, progress: ProgressFn | None = None) -> SecretResult:
        operation = "reset password"
        self._require(Capability.RESET_PASSWORD, operation)
        client = self.client(node)
        sid = server_id(node, vmid)
        step = _stepper(progress, sid)
        live = parse.parse_live(node, await client.status(vmid), backend=self.name, vmid=vmid)
        self._refuse_locked(live, operation)
        if live.status is ServerStatus.OFF:
            raise ConflictError("the VM is off: the root password is set through the QEMU guest agent, which needs a running "
                                "VM. Start it first, or use the console.", backend=self.name, operation=operation,
                                code="not_running")
        if not live.running:
            raise ConflictError(f"the VM is {live.raw_status}: the QEMU guest agent cannot answer. Resume it in Proxmox "
                                "first, or use the console.", backend=self.name, operation=operation, code="paused")
        if not live.agent:
            raise ConflictError(plain("No QEMU guest agent configured", "agent_not_configured"), backend=self.name,
                                operation=operation, code="agent_not_configured")
        step("running", 10)
        try:
            await client.agent_ping(vmid)
        except ConflictError as exc:
            if exc.code in ("agent_not_running", "agent_not_responding"):
                exc.message = AGENT_MISSING
            step("error", 10, exc.message)
            raise
        user = "root"
        try:
            info = await client.agent_osinfo(vmid)
            if "windows" in f"{info.get('id')} {info.get('name')}".lower():
                user = "Administrator"
        except BackendError:
            pass  # the agent answered the ping; fall back to root
        step("running", 50)
        password = new_password()
        try:
            await client.set_user_password(vmid, user, password)
        except (UnavailableError, ProtocolError):
            # README: resent once with the same password (setting it twice is harmless); never with a new one
            try:
                await client.set_user_password(vmid, user, password)
            except (UnavailableError, ProtocolError) as exc:
                exc.message = (f"{exc.message} The password change could not be confirmed (sent twice with the same "
                               "password): the old or the new password may be in effect. Try again: a new password "
                               "will be made.")
                step("error", 50, exc.message)
                raise
        step("running", 80)
        note = await self._store_for_cloudinit(client, vmid, password, user)
        step("success", 100)
        self.audit("reset password via guest agent: success" + (" (not stored for cloud-init)" if note else
                   " (also stored as cipassword)"), target=sid, detail={"user": user}, level="warning" if note else "info")
        return SecretResult(self.name, sid, secret=password, note=note)

    async def _store_for_cloudinit(self, client: PveClient, vmid: int, password: str, user: str) -> str | None:
        """Write `cipassword` too, as Convoy does (ConvoyPanel/panel ServerAuthService::updatePassword): a password set
        only through the guest agent is lost when cloud-init regenerates the configuration. Returns what the person
        must be told when that failed (the new password is in effect now either way)."""
        if user != "root":
            return ("The password is set now for Administrator through the guest agent; it was not stored as the "
                    "cloud-init password (cipassword), which is for the cloud-init user.")
        try:
            await client.set_cipassword(vmid, password)
        except BackendError as exc:
            return (f"The password is in effect now, but storing it for cloud-init (cipassword) failed: {exc.message} "
                    "A cloud-init regeneration will bring the old password back: reset it again later, or set it in "
                    "Proxmox (the VM's Cloud-Init tab).")
        return None


def _label(node: ProxmoxNode, backend: str) -> str:
    return node.name if node.name != "*" else backend


def _applied(action: PowerAction, before: LiveState, after: LiveState) -> bool:
    if action is PowerAction.ON:
        return after.running
    if action in (PowerAction.OFF, PowerAction.SHUTDOWN):
        return after.status is ServerStatus.OFF
    return after.running and after.uptime < before.uptime  # REBOOT, RESET: the uptime started again


def _stepper(progress: ProgressFn | None, sid: str) -> Callable[..., None]:
    def step(status: str, percent: int, error: str | None = None) -> None:
        if progress:
            progress(ActionProgress(id=sid, command="set_user_password", status=status, progress=percent, error=error))
    return step
