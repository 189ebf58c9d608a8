"""The adapter contract: what every backend offers, declared as capabilities the UI can ask about."""

from __future__ import annotations

import enum
from abc import ABC
from abc import abstractmethod
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import TYPE_CHECKING
from typing import Any
from typing import ClassVar

from .config import BackendConfig
from .errors import BackendError
from .errors import ConfigError
from .errors import NotFoundError
from .errors import ReadOnlyError
from .errors import SecretError
from .errors import UnsupportedError
from .events import EventLog
from .models import ActionProgress
from .models import ActionResult
from .models import Catalog
from .models import ConnectionReport
from .models import CreateResult
from .models import Event
from .models import EventKind
from .models import SecretResult
from .models import Server
from .models import ServerSpec
from .operations import Image
from .operations import ImageKind
from .operations import MetricKind
from .operations import Metrics
from .operations import ServerAttachments
from .operations import TypeChoice
from .roles import Role
from .secrets import Secrets

if TYPE_CHECKING:
    from .adapter_base.connection_test import Stopwatch
    from .credentials_guard import CredentialGuard
    from .credentials_guard import Rejections

ProgressFn = Callable[[ActionProgress], None]


class Capability(str, enum.Enum):
    LIST = "list"
    POWER = "power"          # power on / power off
    SHUTDOWN = "shutdown"    # graceful (ACPI)
    REBOOT = "reboot"
    RESET = "reset"          # hard reset
    RESET_PASSWORD = "reset_password"
    CONSOLE = "console"
    CREATE = "create"
    DELETE = "delete"
    SUSPEND = "suspend"
    SSO = "sso"
    CATALOG = "catalog"
    RESIZE = "resize"        # CPU, memory, disk of an existing server
    RENAME = "rename"        # name / hostname
    # day-2 operations (issue 15); data shapes in operations.py
    RESCUE = "rescue"            # rescue system on/off
    REBUILD = "rebuild"          # reinstall from an image or template (the disk is wiped)
    IMAGES = "images"            # take, list and delete snapshots/backups of a server
    CHANGE_TYPE = "change_type"  # another plan (Hetzner server type)
    BACKUPS = "backups"          # the backup schedule on/off
    PROTECT = "protect"          # delete / rebuild protection
    LABELS = "labels"
    ISO = "iso"                  # attach / detach an ISO
    RDNS = "rdns"                # reverse DNS of the primary IPs
    METRICS = "metrics"          # CPU, disk and network series (read)
    ATTACHMENTS = "attachments"  # firewalls, volumes, primary IPs of a server (read)


class PowerAction(str, enum.Enum):
    ON = "on"
    OFF = "off"
    SHUTDOWN = "shutdown"
    REBOOT = "reboot"
    RESET = "reset"

    @property
    def capability(self) -> Capability:
        return {PowerAction.ON: Capability.POWER, PowerAction.OFF: Capability.POWER, PowerAction.SHUTDOWN: Capability.SHUTDOWN,
                PowerAction.REBOOT: Capability.REBOOT, PowerAction.RESET: Capability.RESET}[self]


# SSO counts: its link is a full panel session as the customer (power, reinstall, delete).
MUTATING = frozenset({Capability.POWER, Capability.SHUTDOWN, Capability.REBOOT, Capability.RESET, Capability.RESET_PASSWORD,
                      Capability.CONSOLE, Capability.CREATE, Capability.DELETE, Capability.SUSPEND, Capability.SSO,
                      Capability.RESIZE, Capability.RENAME, Capability.RESCUE, Capability.REBUILD, Capability.IMAGES,
                      Capability.CHANGE_TYPE, Capability.BACKUPS, Capability.PROTECT, Capability.LABELS, Capability.ISO,
                      Capability.RDNS})


class Adapter(ABC):
    """Base of every backend adapter. Subclasses set `kind`, `roles`, `capabilities` and `secret_fields`."""

    kind: ClassVar[str]
    roles: ClassVar[frozenset[Role]] = frozenset()
    capabilities: frozenset[Capability] = frozenset()   # an instance may gain some (Convoy joined to Proxmox)
    secret_fields: tuple[str, ...] = ()                 # an instance may name its own (CloudPanel's key or password)
    # where credential rejections are kept for every process (set by the workspace; else this process's memory)
    rejections: Rejections | None = None
    _guard: CredentialGuard | None = None
    _try_once = False

    def __init__(self, config: BackendConfig, *, secrets: Secrets, events: EventLog | None = None,
                 read_only: bool = False, store: Any = None) -> None:
        self.config = config
        self.name = config.name
        self.secrets = secrets
        self.events = events or EventLog()
        self.read_only = read_only
        self.store = store  # lazily opened Store, or None (then catalogs are not cached)

    # roles and capabilities -----------------------------------------------------------
    def plays(self, role: Role) -> bool:
        return role in self.roles

    def can(self, capability: Capability) -> bool:
        if self.read_only and capability in MUTATING:
            return False
        return capability in self.capabilities and self.missing_reason(capability) is None

    def missing_reason(self, capability: Capability, server: Server | None = None) -> str | None:
        """Why this adapter cannot do `capability` (for this server), in plain words; None when it can."""
        if capability not in self.capabilities:
            return f"{self.kind} backends cannot {capability.value.replace('_', ' ')}."
        if self.read_only and capability in MUTATING:
            return "read-only mode is on."
        return None

    def _require(self, capability: Capability, operation: str) -> None:
        if self.read_only and capability in MUTATING:
            raise ReadOnlyError(f"read-only mode is on: {operation} refused.", backend=self.name, operation=operation)
        reason = self.missing_reason(capability)
        if reason:
            raise UnsupportedError(reason, backend=self.name, operation=operation)

    def credential_source(self) -> str:
        sources = [self.secrets.source(self.name, f) for f in self.secret_fields]
        if not sources:
            return "none needed"
        if "missing" in sources:
            return "missing"
        return sources[0] if len(set(sources)) == 1 else "+".join(sorted(set(sources)))

    # the credential guard --------------------------------------------------------
    def credential_guard(self, values: Mapping[str, str], identity: str = "", change: str | None = None) -> CredentialGuard:
        """The guard of the credentials this adapter is about to send (its HTTP clients share it). From now on their
        values are scrubbed from every event, whoever records it. `identity`: the credential's name that is not
        secret (a token id, user@host), part of the fingerprint."""
        from .credentials_guard import CredentialGuard
        from .credentials_guard import Rejections

        self.events.add_secrets(list(values.values()))
        if self.rejections is None:   # built without a workspace: this adapter's own memory
            self.rejections = Rejections()
        guard = self._guard
        if guard is None or not guard.same_credentials(values, identity):
            guard = CredentialGuard(self.name, values, self.rejections, identity=identity, events=self.events,
                                    change=change)
            guard.allow_once(self._try_once)
            self._guard = guard
        return guard

    def secret_values(self) -> dict[str, str]:
        """The secrets this adapter sends, as resolved now (field -> value); adapters with credentials override it."""
        return {}

    def credentials_changed(self) -> bool:
        """After a rejection: True when the secrets now resolve to other values, so the adapter builds its clients
        again and a corrected secret (keyring or environment) is used at once, even by a long-running TUI."""
        guard = self._guard
        if guard is None or guard.accepted or guard.rejection is None:
            return False
        try:
            return not guard.same_credentials(self.secret_values(), guard.identity)
        except (SecretError, ConfigError):  # a secret that cannot be read now: keep what was used
            return False

    def http_limits(self) -> dict[str, Any]:
        """This backend's transport limits from the config, for its HttpCore: `max_response_mb` (default 64)."""
        mb = self.config.option("max_response_mb")
        if mb is not None and (isinstance(mb, bool) or not isinstance(mb, (int, float)) or mb <= 0):
            raise ConfigError(f"max_response_mb {mb!r} is not a positive number.", key=f"backends.{self.name}.max_response_mb",
                              fix="write the largest answer to accept in MiB, e.g. 64.")
        return {"max_response_mb": mb}

    @staticmethod
    def _retire(core: Any) -> None:
        """Close an HTTP client that is replaced (credentials changed) without waiting for it."""
        import asyncio

        try:
            asyncio.get_running_loop().create_task(core.aclose())
        except RuntimeError:
            pass

    async def explicit_test(self) -> ConnectionReport:
        """A test the person asked for (`hostdeck test NAME`, the Connections screen's test key): credentials that were
        rejected before may be sent once, and a success clears the rejection for every process."""
        self._try_once = True
        if self._guard is not None:
            self._guard.allow_once()
        try:
            return await self.test_connection()
        finally:
            self._try_once = False
            if self._guard is not None:
                self._guard.allow_once(False)

    def audit(self, message: str, *, target: str | None, level: str = "info", detail: dict[str, Any] | None = None) -> None:
        self.events.record(Event(backend=self.name, kind=EventKind.ACTION, message=message, level=level, target=target,
                                 actor=_actor(), detail=detail or {}))

    # the contract -------------------------------------------------------------
    async def test_connection(self) -> ConnectionReport:
        """The connection test: `probe_connection` fills in the report, a failure is explained in this backend's words."""
        from .adapter_base.connection_test import run_connection_test

        return await run_connection_test(self)

    @abstractmethod
    async def probe_connection(self, report: ConnectionReport, clock: Stopwatch) -> None:
        """Check the backend answers and these credentials are accepted; set `report.ok`, details and latency (call
        `clock.watch(core)` before the first request, `clock.lap()` after it). Failures are raised."""

    def explain_failure(self, exc: BackendError, report: ConnectionReport) -> str:
        """The connection test's error for a failure (may add details to the report)."""
        return exc.message

    async def list_servers(self, progress: Callable[[int, int], None] | None = None) -> list[Server]:
        raise UnsupportedError(self.missing_reason(Capability.LIST) or "not supported.", backend=self.name)

    async def get_server(self, ref: str) -> Server:
        """A server by id or by name."""
        for server in await self.list_servers():
            if ref in (server.id, server.name):
                return server
        raise NotFoundError(f"no server {ref!r}.", backend=self.name, operation="get_server")

    async def power(self, server_id: str, action: PowerAction, progress: ProgressFn | None = None) -> ActionResult:
        raise UnsupportedError(self.missing_reason(action.capability) or "not supported.", backend=self.name)

    async def reset_password(self, server_id: str, progress: ProgressFn | None = None) -> SecretResult:
        raise UnsupportedError(self.missing_reason(Capability.RESET_PASSWORD) or "not supported.", backend=self.name)

    async def console(self, server_id: str) -> SecretResult:
        raise UnsupportedError(self.missing_reason(Capability.CONSOLE) or "not supported.", backend=self.name)

    async def create_server(self, spec: ServerSpec, progress: ProgressFn | None = None) -> CreateResult:
        raise UnsupportedError(self.missing_reason(Capability.CREATE) or "not supported.", backend=self.name)

    async def delete_server(self, server_id: str, progress: ProgressFn | None = None) -> ActionResult:
        raise UnsupportedError(self.missing_reason(Capability.DELETE) or "not supported.", backend=self.name)

    async def suspend(self, server_id: str, progress: ProgressFn | None = None) -> ActionResult:
        raise UnsupportedError(self.missing_reason(Capability.SUSPEND) or "not supported.", backend=self.name)

    async def unsuspend(self, server_id: str, progress: ProgressFn | None = None) -> ActionResult:
        raise UnsupportedError(self.missing_reason(Capability.SUSPEND) or "not supported.", backend=self.name)

    async def sso_url(self, server: Server | str) -> SecretResult:
        raise UnsupportedError(self.missing_reason(Capability.SSO) or "not supported.", backend=self.name)

    async def catalog(self, refresh: bool = False) -> Catalog:
        raise UnsupportedError(self.missing_reason(Capability.CATALOG) or "not supported.", backend=self.name)

    # day-2 operations: an adapter overrides what its API offers; the rest says why not -----------------
    def _unsupported(self, capability: Capability) -> UnsupportedError:
        return UnsupportedError(self.missing_reason(capability) or "not supported.", backend=self.name,
                                operation=capability.value)

    async def enable_rescue(self, server_id: str, ssh_keys: Sequence[str] = (),
                            progress: ProgressFn | None = None) -> SecretResult:
        """Boot into the rescue system next; the secret is its root password (shown once)."""
        raise self._unsupported(Capability.RESCUE)

    async def disable_rescue(self, server_id: str, progress: ProgressFn | None = None) -> ActionResult:
        raise self._unsupported(Capability.RESCUE)

    async def rebuild(self, server_id: str, image: str, progress: ProgressFn | None = None) -> SecretResult:
        """Reinstall from `image` (name or id; a template on Convoy); the secret is the new root password, "" when
        the API sets none (SSH keys)."""
        raise self._unsupported(Capability.REBUILD)

    async def create_image(self, server_id: str, *, description: str | None = None,
                           kind: ImageKind = ImageKind.SNAPSHOT, progress: ProgressFn | None = None) -> Image:
        raise self._unsupported(Capability.IMAGES)

    async def list_images(self, kinds: Sequence[ImageKind] = (ImageKind.SNAPSHOT, ImageKind.BACKUP),
                          server_id: str | None = None) -> list[Image]:
        """The project's (or the server's) images of these kinds; system images/templates with ImageKind.SYSTEM."""
        raise self._unsupported(Capability.IMAGES)

    async def delete_image(self, image_id: str, server_id: str | None = None) -> ActionResult:
        raise self._unsupported(Capability.IMAGES)

    async def type_choices(self, server_id: str) -> list[TypeChoice]:
        """The plans `change_type` accepts for this server, with the monthly price difference."""
        raise self._unsupported(Capability.CHANGE_TYPE)

    async def change_type(self, server_id: str, server_type: str, *, upgrade_disk: bool = False,
                          progress: ProgressFn | None = None) -> ActionResult:
        """The server must be off (the API refuses otherwise)."""
        raise self._unsupported(Capability.CHANGE_TYPE)

    async def set_backups(self, server_id: str, enabled: bool, progress: ProgressFn | None = None) -> ActionResult:
        raise self._unsupported(Capability.BACKUPS)

    async def set_protection(self, server_id: str, *, delete: bool | None = None, rebuild: bool | None = None,
                             progress: ProgressFn | None = None) -> ActionResult:
        raise self._unsupported(Capability.PROTECT)

    async def set_labels(self, server_id: str, changes: Mapping[str, str], remove: Sequence[str] = ()) -> Server:
        """Add or change `changes` and drop `remove`, keeping every other label (billing links live in labels)."""
        raise self._unsupported(Capability.LABELS)

    async def attach_iso(self, server_id: str, iso: str, progress: ProgressFn | None = None) -> ActionResult:
        raise self._unsupported(Capability.ISO)

    async def detach_iso(self, server_id: str, progress: ProgressFn | None = None) -> ActionResult:
        raise self._unsupported(Capability.ISO)

    async def set_reverse_dns(self, server_id: str, ip: str, dns_ptr: str | None,
                              progress: ProgressFn | None = None) -> ActionResult:
        """`dns_ptr` None resets the record to the provider's default."""
        raise self._unsupported(Capability.RDNS)

    async def metrics(self, server_id: str, kind: MetricKind, period: str = "24h") -> Metrics:
        """`period` is a key of operations.PERIODS."""
        raise self._unsupported(Capability.METRICS)

    async def attachments(self, server_id: str) -> ServerAttachments:
        """Firewalls applied, volumes and primary IPs attached, the ISO inserted."""
        raise self._unsupported(Capability.ATTACHMENTS)

    # joins and detail ------------------------------------------------------------------
    def attach(self, adapters: dict[str, Adapter]) -> list[str]:
        """Called once with every configured adapter, for backends that join others (Convoy + Proxmox). Returns the
        names of backends whose servers are now shown through this one."""
        return []

    def detail_sections(self, server: Server) -> list[tuple[str, list[tuple[str, str]]]]:
        """Extra (title, [(field, value)]) blocks for the server's detail pane."""
        return []

    # rate-limit budget for auto-refresh ------------------------------------------
    sustained_requests_per_second: ClassVar[float | None] = None  # None: no documented limit

    def refresh_cost(self, server_count: int) -> int:
        """Requests one full server refresh costs."""
        return 1

    def describe_call(self, capability: Capability, server: Server | None = None, action: PowerAction | None = None,
                      variant: str | None = None) -> str:
        """The API call an action makes, shown in the action menu (`variant`: e.g. "unsuspend" for SUSPEND)."""
        return ""

    async def aclose(self) -> None:
        return None


def _actor() -> str:
    """Who did it, for the audit trail a team shares: the OS user at this machine ("alice@console2")."""
    from .store.actor import current_actor

    return current_actor()
