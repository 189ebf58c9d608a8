"""The roles an adapter plays, and what each role promises.

An adapter declares its roles (`Adapter.roles`); code that needs a billing system or a site host asks
`adapter.plays(Role.BILLING_SYSTEM)` instead of comparing kind strings. The protocols name the methods a role's
callers rely on, so `isinstance(adapter, BillingSystem)` checks the promise at run time too (the server and catalog
methods exist on every Adapter, whose defaults raise UnsupportedError: for those roles `plays()` is the answer).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any
from typing import Protocol
from typing import runtime_checkable

if TYPE_CHECKING:
    from .contract import Capability
    from .contract import PowerAction
    from .models import ActionResult
    from .models import Catalog
    from .models import Client
    from .models import CreateResult
    from .models import SecretResult
    from .models import Server
    from .models import ServerSpec
    from .operations import Image
    from .operations import ImageKind
    from .operations import MetricKind
    from .operations import Metrics


class Role(str, enum.Enum):
    SERVER_PROVIDER = "server provider"      # lists servers and acts on them
    CATALOG_SOURCE = "catalog source"        # what a new server can be made of (types, images, locations)
    HYPERVISOR = "hypervisor"                # live state of the VMs a panel runs on its nodes (Proxmox for Convoy)
    BILLING_SYSTEM = "billing system"        # clients, services, products (WHMCS)
    PANEL_USERS = "panel users"              # the customer accounts of a server panel (Convoy)
    PANEL_MIRROR = "panel mirror"            # a panel hostdeck pushes VPS records to (the VPS panel)
    SITE_HOST = "site host"                  # websites, certificates, databases (CloudPanel)
    ANALYTICS = "analytics"                  # web analytics sites (Matomo)


@runtime_checkable
class ServerProvider(Protocol):
    async def list_servers(self, progress: Callable[[int, int], None] | None = None) -> list[Server]: ...

    async def get_server(self, ref: str) -> Server: ...

    async def create_server(self, spec: ServerSpec, progress: Any = None) -> CreateResult: ...

    async def delete_server(self, server_id: str, progress: Any = None) -> ActionResult: ...


@runtime_checkable
class CatalogSource(Protocol):
    async def catalog(self, refresh: bool = False) -> Catalog: ...


@runtime_checkable
class Hypervisor(Protocol):
    """What a panel joined to its hypervisor (Convoy to Proxmox) asks of it, VM by node and vmid."""

    name: str

    def serves_node(self, node: str) -> bool: ...

    async def list_servers(self, progress: Callable[[int, int], None] | None = None) -> list[Server]: ...

    async def live_state(self, node: str, vmid: int) -> Any: ...

    async def power_vm(self, node: str, vmid: int, action: PowerAction, progress: Any = None) -> ActionResult: ...

    async def reset_password_vm(self, node: str, vmid: int, progress: Any = None) -> SecretResult: ...

    async def list_images(self, kinds: Any = ..., server_id: str | None = None) -> list[Image]: ...

    async def create_image_vm(self, node: str, vmid: int, *, description: str | None = None,
                              kind: ImageKind = ..., storage: str | None = None, progress: Any = None) -> Image: ...

    async def delete_image(self, image_id: str, server_id: str | None = None) -> ActionResult: ...

    async def metrics_vm(self, node: str, vmid: int, kind: MetricKind, period: str = "24h",
                         owner: str | None = None) -> Metrics: ...

    def missing_reason(self, capability: Capability, server: Server | None = None) -> str | None: ...

    def describe_call(self, capability: Capability, server: Server | None = None, action: PowerAction | None = None,
                      variant: str | None = None) -> str: ...


@runtime_checkable
class BillingSystem(Protocol):
    async def get_clients(self, search: str | None = None, *, status: str | None = None) -> list[Client]: ...

    async def find_client(self, email: str) -> Client | None: ...

    async def get_services(self, client_id: str | int | None = None, service_id: str | int | None = None) -> Any: ...


@runtime_checkable
class PanelUsers(Protocol):
    async def list_users(self) -> Any: ...

    async def find_user(self, email: str) -> Any: ...

    async def create_or_link_user(self, email: str, name: str) -> Any: ...


@runtime_checkable
class PanelMirror(Protocol):
    async def create_vps(self, record: Any) -> int: ...

    async def update_vps(self, vps_id: int, **fields: Any) -> Any: ...

    async def delete_vps(self, vps_id: int) -> bool: ...


@runtime_checkable
class SiteHost(Protocol):
    async def site_exists(self, domain: str) -> bool: ...

    async def add_site(self, spec: Any) -> Any: ...

    async def delete_site(self, domain: str) -> ActionResult: ...

    async def reset_user_password(self, user: str) -> SecretResult: ...

    async def fetch_host_key(self) -> Any: ...

    async def trust_host_key(self, fingerprint: str, *, replace: bool = False) -> Any: ...


@runtime_checkable
class Analytics(Protocol):
    async def ensure_site(self, name: str, url: str) -> tuple[int, bool]: ...

    async def tracking_code(self, site_id: int | str) -> str: ...


PROMISES: dict[Role, type] = {Role.SERVER_PROVIDER: ServerProvider, Role.CATALOG_SOURCE: CatalogSource,
                              Role.HYPERVISOR: Hypervisor, Role.BILLING_SYSTEM: BillingSystem,
                              Role.PANEL_USERS: PanelUsers, Role.PANEL_MIRROR: PanelMirror, Role.SITE_HOST: SiteHost,
                              Role.ANALYTICS: Analytics}
