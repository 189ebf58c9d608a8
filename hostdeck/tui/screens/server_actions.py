"""The action menu of a server, built from the adapter's capabilities (and hidden in read-only mode)."""

from __future__ import annotations

from hostdeck.backends.contract import MUTATING, Adapter, Capability, PowerAction
from hostdeck.backends.models import Server, ServerStatus

from ..dialogs.action_menu import MenuAction

# (id, label, capability, power action, dangerous)
ACTIONS = [
    ("power_on", "Power on", Capability.POWER, PowerAction.ON, False),
    ("power_shutdown", "Shut down (ACPI)", Capability.SHUTDOWN, PowerAction.SHUTDOWN, True),
    ("power_reboot", "Reboot (ACPI)", Capability.REBOOT, PowerAction.REBOOT, True),
    ("power_off", "Power off (cut power)", Capability.POWER, PowerAction.OFF, True),
    ("power_reset", "Reset (hard)", Capability.RESET, PowerAction.RESET, True),
    ("reset_password", "Reset root password", Capability.RESET_PASSWORD, None, True),
    ("console", "Open console", Capability.CONSOLE, None, False),
    ("sso", "Open the panel as the customer (SSO)", Capability.SSO, None, False),
    ("suspend", "Suspend", Capability.SUSPEND, None, True),
    ("unsuspend", "Unsuspend", Capability.SUSPEND, None, False),
    ("delete", "Delete server", Capability.DELETE, None, True),
]


# Hetzner and Proxmox set a new root password through the QEMU guest agent, inside the running system.
NEEDS_RUNNING = ("the server is {status}: the new password is set inside the running system (QEMU guest agent). "
                 "Power it on first, or use the console.")

BILLING_LABELS = {"suspend": "Suspend through WHMCS", "unsuspend": "Unsuspend through WHMCS",
                  "terminate": "Terminate through WHMCS", "change_password": "Change service password through WHMCS"}
DIRECT_OF = {"suspend": "suspend", "unsuspend": "unsuspend", "terminate": "delete", "change_password": "reset_password"}


def build_menu(adapter: Adapter, server: Server, *, read_only: bool, billing_routes: list | None = None) -> list[MenuAction]:
    """`billing_routes`: the server's routes through WHMCS (hostdeck.backends.sync.billing_actions.routes), when billing is set up."""
    items: list[MenuAction] = []
    direct_note = {DIRECT_OF[r.action]: r.reason for r in billing_routes or [] if r.route == "direct" and r.reason}
    for action_id, label, capability, power, dangerous in ACTIONS:
        if read_only and capability in MUTATING:
            continue  # read-only hides mutating actions instead of greying them out
        if capability not in adapter.capabilities:
            if capability is Capability.SSO:
                continue  # only panels have a customer login; no need to say so on every cloud server
            reason = adapter.missing_reason(capability, server)
            items.append(MenuAction(action_id, label, "", dangerous, unavailable=reason or "not supported by this backend"))
            continue
        reason = adapter.missing_reason(capability, server)
        if reason is None and action_id == "power_on" and server.status is ServerStatus.RUNNING:
            reason = "already running"
        if reason is None and action_id in ("power_off", "power_shutdown", "power_reboot") and server.status is ServerStatus.OFF:
            reason = "already off"
        if reason is None and action_id == "power_reset" and server.status is ServerStatus.OFF:
            reason = "it is off: a hard reset restarts a running server; use Power on"
        if reason is None and action_id == "reset_password" and server.status not in (ServerStatus.RUNNING,
                                                                                     ServerStatus.UNKNOWN):
            reason = NEEDS_RUNNING.format(status=server.status.value)
        if reason is None and server.locked:
            reason = "locked: another action is running on it"
        call = adapter.describe_call(capability, server, power, variant=action_id)
        if action_id in direct_note and billing_routes and any(r.route == "billing" and r.available for r in billing_routes):
            call += f" — {direct_note[action_id]}"
        items.append(MenuAction(action_id, label, call, dangerous, unavailable=reason))
    if not read_only:
        # the routes that keep billing in step come first
        for route in reversed(billing_routes or []):
            if route.route == "billing":
                items.insert(0, MenuAction(f"billing_{route.action}", route.title or BILLING_LABELS[route.action],
                                        f"{route.label} — {route.reason}" if route.available else route.label,
                                        dangerous=route.action != "unsuspend",
                                        unavailable=None if route.available else route.reason))
    if not read_only and hasattr(adapter, "resize"):
        from hostdeck.backends.convoy.rules import refusal

        why = refusal(server.raw.get("status"), "resize")
        items.append(MenuAction("resize", "Resize (CPU, memory, disk, bandwidth)",
                                f"via Convoy: PATCH /servers/{server.id}/settings/build (addresses kept)", True,
                                unavailable=f"server {why}." if why else None))
        items.append(MenuAction("rename", "Rename (name, host name)", f"via Convoy: PATCH /servers/{server.id}",
                                unavailable=f"server {refusal(server.raw.get('status'), 'rename')}."
                                if refusal(server.raw.get("status"), "rename") else None))
    items.append(MenuAction("copy_ip", "Copy IP address", "(OSC 52 to the terminal's clipboard)"))
    items.append(MenuAction("copy_id", "Copy server id", "(OSC 52 to the terminal's clipboard)"))
    return items
