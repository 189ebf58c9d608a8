"""The action menu of a server, generated from the action catalogue and asked of the adapter's contract."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hostdeck.backends.actions import CLIPBOARD
from hostdeck.backends.actions import SERVER_ACTIONS
from hostdeck.backends.actions import Confirm
from hostdeck.backends.actions import ServerAction
from hostdeck.backends.actions import state_reason
from hostdeck.backends.contract import Adapter
from hostdeck.backends.models import Server

from ..dialogs.action_menu import MenuAction

if TYPE_CHECKING:
    from hostdeck.backends.sync.billing_actions import ActionRoute

BILLING_LABELS = {"suspend": "Suspend through WHMCS", "unsuspend": "Unsuspend through WHMCS",
                  "terminate": "Terminate through WHMCS", "change_password": "Change service password through WHMCS"}
SHUTS_DOWN_FIRST = ("change_type",)  # forms that offer to shut a running server down before their call
DIRECT_OF = {"suspend": "suspend", "unsuspend": "unsuspend", "terminate": "delete", "change_password": "reset_password"}


def _item(action: ServerAction, adapter: Adapter, server: Server, billing_note: str | None) -> MenuAction | None:
    """The menu line of one catalogue action, or None when it is not listed for this backend."""
    def item(call: str, unavailable: str | None = None) -> MenuAction:
        return MenuAction(action.id, action.label, call, action.dangerous, unavailable, action.confirm, action.form)

    if action.capability is None:
        return ssh_item(item, adapter, server) if action.id == "ssh" else item(CLIPBOARD)
    if action.capability not in adapter.capabilities:
        if action.hidden_when_missing:
            return None  # only some backends have it; no need to say so on every server
        return item("", adapter.missing_reason(action.capability, server) or "not supported by this backend")
    reason = adapter.missing_reason(action.capability, server)
    state = state_reason(action, server)
    call = adapter.describe_call(action.capability, server, action.power, variant=action.id)
    if state and action.form in SHUTS_DOWN_FIRST and server.status.value != "off" and not server.locked:
        call += f" — {state}: the form offers to shut it down first"  # the screen does that before the change
        state = None
    reason = reason or state
    if billing_note:
        call += f" — {billing_note}"
    return item(call, reason)


def ssh_item(item, adapter: Adapter, server: Server) -> MenuAction:
    """The ssh command line the action runs (`[[backends]] ssh_user`, the server's address), or why it cannot."""
    from hostdeck.backends.errors import BackendError
    from hostdeck.backends.errors import ConfigError
    from hostdeck.backends.ssh_command import ssh_argv
    from hostdeck.backends.ssh_command import ssh_user

    try:
        return item(" ".join(ssh_argv(server, user=ssh_user(adapter.config))) + " (the TUI waits while it runs)")
    except BackendError as exc:
        return item("", exc.message)
    except ConfigError as exc:
        return item("", str(exc))


def build_menu(adapter: Adapter, server: Server, *, read_only: bool,
               billing_routes: list[ActionRoute] | None = None) -> list[MenuAction]:
    """`billing_routes`: the server's routes through WHMCS (hostdeck.backends.sync.billing_actions.routes), when
    billing is set up."""
    routes = billing_routes or []
    billing_available = any(r.route == "billing" and r.available for r in routes)
    direct_note = {DIRECT_OF[r.action]: r.reason for r in routes if r.route == "direct" and r.reason}
    items: list[MenuAction] = []
    if not read_only:
        # the routes that keep billing in step come first
        items += [MenuAction(f"billing_{r.action}", r.title or BILLING_LABELS[r.action],
                             f"{r.label} — {r.reason}" if r.available else r.label,
                             dangerous=r.action != "unsuspend", unavailable=None if r.available else r.reason,
                             confirm=Confirm.TYPE_NAME if r.action == "terminate" else Confirm.CONFIRM)
                  for r in routes if r.route == "billing"]
    for action in SERVER_ACTIONS:
        if read_only and action.mutating:
            continue  # read-only hides mutating actions instead of greying them out
        item = _item(action, adapter, server, direct_note.get(action.id) if billing_available else None)
        if item is not None:
            items.append(item)
    return items

