"""Building the service links, the billing actions and the panel sync from a workspace.

`[sync] billing` names the WHMCS backend (else the only one), `[sync] vpspanel` the VPS panel (else the only
vpspanel backend). The servers that can be billed are the workspace's listing adapters (Hetzner, Convoy, ...).
"""

from __future__ import annotations

from typing import Any

from ..roles import Role
from .billing_actions import BillingActions
from .panel import PanelSync
from .services import ServiceLinks
from .setup import pick_backend


def service_links(workspace: Any) -> ServiceLinks:
    billing = pick_backend(workspace, workspace.config.sync.billing, Role.BILLING_SYSTEM, "whmcs", "billing")
    return ServiceLinks(billing, workspace.listing_adapters(), workspace.store)


def billing_actions(workspace: Any, links: ServiceLinks | None = None) -> BillingActions:
    links = links or service_links(workspace)
    return BillingActions(links.billing, links)


def panel_sync(workspace: Any, links: ServiceLinks | None = None) -> PanelSync:
    links = links or service_links(workspace)
    panel = pick_backend(workspace, workspace.config.sync.vpspanel, Role.PANEL_MIRROR, "vpspanel", "vpspanel")
    return PanelSync(links.billing, list(links.adapters.values()), panel, workspace.store, links)
