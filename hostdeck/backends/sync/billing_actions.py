"""Acting on a linked server through billing: WHMCS's module actions (ModuleSuspend, ModuleUnsuspend, ModuleTerminate,
ModuleChangePw) run the product's server module, so the server changes *and* WHMCS's service status stays true.

Module actions are never resent (the WHMCS adapter guarantees it: after an unclear answer it reads the service back and
reports what it found). A server without a linked service is refused with a plain reason before any call.

`routes(server, link)` describes both ways of doing an action, for the action menu: "through WHMCS" (keeps billing in
step) and "directly on the backend" (billing does not hear of it: the drift report will show it).

ModuleChangePw changes whatever the product's server module changes, and no public module for these backends resets
root: the Convoy modules either have no ChangePassword at all (CkHosting/Convoy_WHMCS) or PUT the customer's panel user
with the new password (tw-yuan/convoy-whmcs `convoy_ChangePassword`). So the billing route is named for what it does
(the panel login password) and root is reset only by the direct route.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from typing import Any

from ..errors import ValidationError
from ..models import Server
from .services import ServiceLink
from .services import ServiceLinks

if TYPE_CHECKING:
    from ..whmcs.adapter import WhmcsAdapter
    from ..whmcs.models import ModuleResult

ACTIONS = ("suspend", "unsuspend", "terminate", "change_password")
DIRECT = {"suspend": "suspend (or power off) on the backend", "unsuspend": "unsuspend (or power on) on the backend",
          "terminate": "delete the server on the backend", "change_password": "reset the root password on the backend"}
MODULE = {"suspend": "ModuleSuspend", "unsuspend": "ModuleUnsuspend", "terminate": "ModuleTerminate",
          "change_password": "ModuleChangePw"}
AFTER = {"suspend": "Suspended", "unsuspend": "Active", "terminate": "Terminated", "change_password": None}
TITLES = {"suspend": "Suspend through WHMCS", "unsuspend": "Unsuspend through WHMCS",
          "terminate": "Terminate through WHMCS"}
# What ModuleChangePw changes, per server backend kind (the module's ChangePassword), and a kind whose module is known
# to reset root would go to ROOT_RESETTING_KINDS. None is known: see the module docstring.
PASSWORD_CHANGED = {"convoy": "the customer's panel login password (the Convoy module changes the panel user, not root)"}
ROOT_RESETTING_KINDS: frozenset[str] = frozenset()


def password_meaning(kind: str | None) -> str:
    """What a password set through WHMCS (ModuleChangePw) is, for dialogs: never called root unless it is."""
    if kind in ROOT_RESETTING_KINDS:
        return "root password"
    return "panel login password" if kind in PASSWORD_CHANGED else "service password (what the module changes)"


def customer_label(name: object, client_id: object) -> str:
    """How a confirmation names whom it acts for: "Ana Lima · client #7" (or what of it is known)."""
    who, cid = str(name or "").strip(), str(client_id or "").strip()
    if who and cid:
        return f"{who} · client #{cid}"
    return who or (f"client #{cid}" if cid else "")


def change_password_title(kind: str | None) -> str:
    if kind in ROOT_RESETTING_KINDS:
        return "Change root password through WHMCS"
    if kind in PASSWORD_CHANGED:
        return "Change panel login password through WHMCS"
    return "Change service password through WHMCS"


@dataclass
class ActionRoute:
    action: str                 # suspend | unsuspend | terminate | change_password
    route: str                  # billing | direct
    label: str                  # what the menu shows
    keeps_billing_in_step: bool
    available: bool
    reason: str = ""            # why not available, or what the direct route leaves behind
    title: str = ""             # the menu's short name
    customer: str = ""          # the billing route's confirmation: "Ana Lima · client #7 · service #123"

    def as_dict(self) -> dict[str, Any]:
        return {"action": self.action, "route": self.route, "label": self.label, "title": self.title,
                "keeps_billing_in_step": self.keeps_billing_in_step, "available": self.available, "reason": self.reason}


def routes(server: Server, link: ServiceLink | None, action: str | None = None, *,
           kind: str | None = None, client_name: str | None = None) -> list[ActionRoute]:
    """Both routes of each action (or of `action`) for the action menu; the billing route first. `kind`: the server
    backend's kind, which decides what a password change through WHMCS really changes; `client_name`: the name of the
    linked service's client, for the confirmation."""
    out = []
    customer = ""
    if link is not None:
        customer = " · ".join(part for part in (customer_label(client_name, link.client_id),
                                                f"service #{link.service_id}") if part)
    for name in ([action] if action else ACTIONS):
        title = change_password_title(kind) if name == "change_password" else TITLES[name]
        what = title.removesuffix(" through WHMCS").lower()
        why = "keeps billing in step: WHMCS runs the server module and records the new status"
        if name == "change_password" and kind not in ROOT_RESETTING_KINDS:
            why = (f"sets {PASSWORD_CHANGED.get(kind or '', 'the password the product module manages, not known to be root')}"
                   "; to reset root, use Reset root password")
        if link is not None:
            after = f"; WHMCS marks service #{link.service_id} {AFTER[name]}" if AFTER[name] else ""
            out.append(ActionRoute(name, "billing", f"{what} through WHMCS (service #{link.service_id}, "
                                   f"{MODULE[name]}){after}", True, True, why, title=title, customer=customer))
        else:
            out.append(ActionRoute(name, "billing", f"{what} through WHMCS", True, False,
                                   f"server {server.name} has no linked WHMCS service: link one first", title=title))
        out.append(ActionRoute(name, "direct", f"{DIRECT[name]} ({server.backend})", False, True,
                               "WHMCS is not told: its service status will disagree (see the drift report)"
                               if link is not None else "no WHMCS service is linked to this server",
                               title=DIRECT[name]))
    return out


class BillingActions:
    """suspend / unsuspend / terminate / change_password of a server through its linked WHMCS service."""

    def __init__(self, billing: WhmcsAdapter, service_links: ServiceLinks) -> None:
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

    def kind_of(self, server: Server) -> str | None:
        return getattr(self.links.adapters.get(server.backend), "kind", None)

    def routes(self, server: Server, action: str | None = None, client_name: str | None = None) -> list[ActionRoute]:
        return routes(server, self.links.link_of(server), action, kind=self.kind_of(server), client_name=client_name)

    async def suspend(self, server: Server, reason: str = "") -> ModuleResult:
        """ModuleSuspend of the linked service; returns the adapter's ModuleResult (its `service` read afterwards)."""
        link = self._service_of(server, "suspended")
        return await self.billing.module_suspend(link.service_id, reason or "suspended from hostdeck")

    async def unsuspend(self, server: Server) -> ModuleResult:
        link = self._service_of(server, "unsuspended")
        return await self.billing.module_unsuspend(link.service_id)

    async def terminate(self, server: Server) -> ModuleResult:
        """ModuleTerminate: the module deletes the server and WHMCS marks the service Terminated. The link stays, so
        the drift report can confirm the server is gone."""
        link = self._service_of(server, "terminated")
        return await self.billing.module_terminate(link.service_id)

    async def change_password(self, server: Server, password: str) -> ModuleResult:
        """ModuleChangePw with `password` (the caller shows it once; `new_password()` makes a strong one). What it
        changes is the module's business: `password_meaning(self.kind_of(server))` names it for the dialog."""
        link = self._service_of(server, "given a new password")
        return await self.billing.module_change_password(link.service_id, password)


def new_password(length: int = 20) -> str:
    from ..whmcs.fields import strong_password

    return strong_password(length)
