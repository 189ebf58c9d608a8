"""Acting on a linked server through billing: WHMCS's module actions (ModuleSuspend, ModuleUnsuspend, ModuleTerminate,
ModuleChangePw) run the product's server module, so the server changes *and* WHMCS's service status stays true.

Module actions are never resent (the WHMCS adapter guarantees it: after an unclear answer it reads the service back and
reports what it found). A server without a linked service is refused with a plain reason before any call.

`routes(server, link)` describes both ways of doing an action, for the action menu: "through WHMCS" (keeps billing in
step) and "directly on the backend" (billing does not hear of it: the drift report will show it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ValidationError
from ..models import Server
from .services import ServiceLink, ServiceLinks

ACTIONS = ("suspend", "unsuspend", "terminate", "change_password")
DIRECT = {"suspend": "suspend (or power off) on the backend", "unsuspend": "unsuspend (or power on) on the backend",
          "terminate": "delete the server on the backend", "change_password": "reset the root password on the backend"}
MODULE = {"suspend": "ModuleSuspend", "unsuspend": "ModuleUnsuspend", "terminate": "ModuleTerminate",
          "change_password": "ModuleChangePw"}
AFTER = {"suspend": "Suspended", "unsuspend": "Active", "terminate": "Terminated", "change_password": None}


@dataclass
class ActionRoute:
    action: str                 # suspend | unsuspend | terminate | change_password
    route: str                  # billing | direct
    label: str                  # what the menu shows
    keeps_billing_in_step: bool
    available: bool
    reason: str = ""            # why not available, or what the direct route leaves behind

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "route": self.route, "label": self.label,
                "keeps_billing_in_step": self.keeps_billing_in_step, "available": self.available, "reason": self.reason}


def routes(server: Server, link: ServiceLink | None, action: str | None = None) -> list[ActionRoute]:
    """Both routes of each action (or of `action`) for the action menu; the billing route first."""
    out = []
    for name in ([action] if action else ACTIONS):
        if link is not None:
            after = f"; WHMCS marks service #{link.service_id} {AFTER[name]}" if AFTER[name] else ""
            out.append(ActionRoute(name, "billing", f"{name.replace('_', ' ')} through WHMCS (service #{link.service_id}, "
                                   f"{MODULE[name]}){after}", True, True,
                                   "keeps billing in step: WHMCS runs the server module and records the new status"))
        else:
            out.append(ActionRoute(name, "billing", f"{name.replace('_', ' ')} through WHMCS", True, False,
                                   f"server {server.name} has no linked WHMCS service: link one first"))
        out.append(ActionRoute(name, "direct", f"{DIRECT[name]} ({server.backend})", False, True,
                               "WHMCS is not told: its service status will disagree (see the drift report)"
                               if link is not None else "no WHMCS service is linked to this server"))
    return out


class BillingActions:
    """suspend / unsuspend / terminate / change_password of a server through its linked WHMCS service."""

    def __init__(self, billing: Any, service_links: ServiceLinks) -> None:
        self.billing = billing
        self.links = service_links

    def _service_of(self, server: Server, operation: str) -> ServiceLink:
        link = self.links.link_of(server)
        if link is None:
            raise ValidationError(f"server {server.name} ({server.backend}/{server.id}) has no linked WHMCS service, so "
                                  f"it cannot be {operation} through billing. Link its service first (`hostdeck sync "
                                  "services --link`), or act on the server directly. Nothing was sent.",
                                  backend=self.billing.name, operation=operation, code="no_service_link")
        return link

    def routes(self, server: Server, action: str | None = None) -> list[ActionRoute]:
        return routes(server, self.links.link_of(server), action)

    async def suspend(self, server: Server, reason: str = ""):
        """ModuleSuspend of the linked service; returns the adapter's ModuleResult (its `service` read afterwards)."""
        link = self._service_of(server, "suspended")
        return await self.billing.module_suspend(link.service_id, reason or "suspended from hostdeck")

    async def unsuspend(self, server: Server):
        link = self._service_of(server, "unsuspended")
        return await self.billing.module_unsuspend(link.service_id)

    async def terminate(self, server: Server):
        """ModuleTerminate: the module deletes the server and WHMCS marks the service Terminated. The link stays, so
        the drift report can confirm the server is gone."""
        link = self._service_of(server, "terminated")
        return await self.billing.module_terminate(link.service_id)

    async def change_password(self, server: Server, password: str):
        """ModuleChangePw with `password` (the caller shows it once; `new_password()` makes a strong one)."""
        link = self._service_of(server, "given a new password")
        return await self.billing.module_change_password(link.service_id, password)


def new_password(length: int = 20) -> str:
    from ..whmcs.fields import strong_password

    return strong_password(length)
