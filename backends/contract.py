"""The adapter contract: what every backend offers, declared as capabilities the UI can ask about."""

from __future__ import annotations

import enum
from abc import ABC, abstractmethod
from typing import Any, Callable, ClassVar

from .config import BackendConfig
from .errors import NotFoundError, ReadOnlyError, UnsupportedError
from .events import EventLog
from .models import (ActionProgress, ActionResult, Catalog, ConnectionReport, CreateResult, Event, EventKind,
                     SecretResult, Server, ServerSpec)
from .secrets import Secrets

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
                      Capability.CONSOLE, Capability.CREATE, Capability.DELETE, Capability.SUSPEND, Capability.SSO})


class Adapter(ABC):
    """Base of every backend adapter. Subclasses set `kind`, `capabilities` and `secret_fields`."""

    kind: ClassVar[str]
    capabilities: ClassVar[frozenset[Capability]] = frozenset()
    secret_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(self, config: BackendConfig, *, secrets: Secrets, events: EventLog | None = None,
                 read_only: bool = False, store: Any = None) -> None:
        self.config = config
        self.name = config.name
        self.secrets = secrets
        self.events = events or EventLog()
        self.read_only = read_only
        self.store = store  # lazily opened Store, or None (then catalogs are not cached)

    # capabilities -----------------------------------------------------------
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

    def audit(self, message: str, *, target: str | None, level: str = "info", detail: dict[str, Any] | None = None) -> None:
        self.events.record(Event(backend=self.name, kind=EventKind.ACTION, message=message, level=level, target=target,
                                 actor=_actor(), detail=detail or {}))

    # the contract -------------------------------------------------------------
    @abstractmethod
    async def test_connection(self) -> ConnectionReport: ...

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

    # joins and detail ------------------------------------------------------------------
    def attach(self, adapters: dict[str, "Adapter"]) -> list[str]:
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
    import getpass

    try:
        return getpass.getuser()
    except Exception:
        return "unknown"
