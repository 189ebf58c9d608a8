"""Which adapter class serves which `kind`, imported only when a backend of that kind is configured."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from .errors import ConfigError

if TYPE_CHECKING:
    from .contract import Adapter

ADAPTERS: dict[str, str] = {
    "hetzner": "hostdeck.backends.hetzner.adapter:HetznerAdapter",
    "convoy": "hostdeck.backends.convoy.adapter:ConvoyAdapter",
    "proxmox": "hostdeck.backends.proxmox.adapter:ProxmoxAdapter",
    "cloudpanel": "hostdeck.backends.cloudpanel.adapter:CloudPanelAdapter",
    "whmcs": "hostdeck.backends.whmcs.adapter:WhmcsAdapter",
    "matomo": "hostdeck.backends.matomo.adapter:MatomoAdapter",
    "vpspanel": "hostdeck.backends.vpspanel.adapter:VpsPanelAdapter",
}


def adapter_class(kind: str) -> type[Adapter]:
    target = ADAPTERS.get(kind)
    if target is None:
        raise ConfigError(f"backends of kind {kind!r} are not available in this version of hostdeck yet.", key="backends.kind",
                          fix=f"remove that [[backends]] table for now; available kinds: {', '.join(sorted(ADAPTERS))}.")
    module, cls = target.split(":")
    found: type[Adapter] = getattr(importlib.import_module(module), cls)
    return found
