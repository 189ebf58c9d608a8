"""The action menu of a server, built from the adapter's capabilities (and hidden in read-only mode)."""

from __future__ import annotations

from backends.contract import MUTATING, Adapter, Capability, PowerAction
from backends.models import Server, ServerStatus

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


def build_menu(adapter: Adapter, server: Server, *, read_only: bool) -> list[MenuAction]:
    items: list[MenuAction] = []
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
        if reason is None and server.locked:
            reason = "locked: another action is running on it"
        items.append(MenuAction(action_id, label, adapter.describe_call(capability, server, power, variant=action_id), dangerous, unavailable=reason))
    items.append(MenuAction("copy_ip", "Copy IP address", "(OSC 52 to the terminal's clipboard)"))
    items.append(MenuAction("copy_id", "Copy server id", "(OSC 52 to the terminal's clipboard)"))
    return items
