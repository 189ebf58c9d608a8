"""What hostdeck will not send to Convoy, and why: statuses that forbid an action, capabilities the API lacks.

Convoy's application API itself refuses only `deleting`/`deletion_failed` servers (409); suspended or installing
servers are accepted, so these checks run in hostdeck, before any call, with the reason in plain words.
"""

from __future__ import annotations

from ..contract import Capability

PROXMOX_FIX = ("add the node's Proxmox API to the config (a [[backends]] table with kind = \"proxmox\", the URL "
               "of the node{where} and token_id), name it in this Convoy backend with proxmox = \"<name>\", and set "
               "its token with `hostdeck secret set <name> token_secret`")
NO_CAPABILITY = {
    Capability.POWER: "Convoy's API has no power control: {fix}, then power it through Proxmox.",
    Capability.SHUTDOWN: "Convoy's API has no power control: {fix}, then shut it down through Proxmox.",
    Capability.REBOOT: "Convoy's API has no power control: {fix}, then reboot it through Proxmox.",
    Capability.RESET: "Convoy's API has no power control: {fix}, then reset it through Proxmox.",
    Capability.RESET_PASSWORD: "Convoy's API cannot set a root password: {fix}, then reset it through Proxmox.",
    Capability.CONSOLE: "Convoy's API has no console access: open the customer's panel with SSO, or {fix}.",
    Capability.IMAGES: "Convoy's application API has no snapshots or backups (its backups are only in the customer's "
                       "panel session): {fix}, then take them through Proxmox.",
    Capability.METRICS: "Convoy's application API has no statistics: {fix}, then read them from Proxmox.",
}
# What neither Convoy's application API nor its Proxmox offers (ConvoyPanel/panel v4.6.1 routes/api-application.php).
NOT_OFFERED = {
    Capability.REBUILD: "Convoy's application API cannot reinstall a server (only a logged-in panel session can, "
                        "POST /api/client/servers/{id}/settings/reinstall): open the panel as the customer (SSO) and use "
                        "Settings > Reinstall.",
    Capability.RESCUE: "Convoy has no rescue system: mount a rescue ISO in the customer's panel (SSO, Settings > "
                       "Hardware) and boot from it.",
    Capability.ISO: "Convoy's application API cannot mount ISOs (only a logged-in panel session can): open the panel as "
                    "the customer (SSO) and use Settings > Hardware.",
    Capability.CHANGE_TYPE: "Convoy has no plans to switch between: change CPU, memory and disk with resize.",
    Capability.BACKUPS: "Convoy has no backup schedule to switch on or off: take a backup now with the image action.",
    Capability.PROTECT: "Convoy servers have no delete or rebuild protection.",
    Capability.LABELS: "Convoy servers have no labels (the owner is the panel user).",
    Capability.RDNS: "Convoy does not manage reverse DNS: set the PTR record where the IP range is delegated.",
    Capability.ATTACHMENTS: "Convoy servers have no firewalls, volumes or primary IPs to attach: their addresses are in "
                            "the details.",
}
# Which Convoy statuses (None = installed and normal) each action accepts; the rest are refused before any call.
ALLOWED: dict[str, frozenset[str | None]] = {
    "suspend": frozenset({None}),
    "unsuspend": frozenset({"suspended"}),
    "resize": frozenset({None}),
    "rename": frozenset({None}),
    "delete": frozenset({None, "suspended", "install_failed"}),
    "sso": frozenset({None, "suspended", "install_failed", "installing", "restoring_backup", "restoring_snapshot"}),
    # the panel serves backups only to a server whose status is null (Server::validateCurrentState)
    "images": frozenset({None}),
    "metrics": frozenset({None, "suspended", "install_failed", "installing", "restoring_backup", "restoring_snapshot"}),
}
WHY = {
    None: "it is not suspended",
    "suspended": "it is suspended; unsuspend it first",
    "installing": "it has not finished installing; try again when it has",
    "restoring_backup": "a backup is being restored onto it; try again when that has finished",
    "restoring_snapshot": "a snapshot is being restored onto it; try again when that has finished",
    "deleting": "it is being deleted",
    "deletion_failed": "its deletion failed; retry or clean it up in Convoy's admin area",
    "install_failed": "its installation failed; delete it, or reinstall it in the Convoy panel",
}


def refusal(status: str | None, action: str) -> str | None:
    """Why `action` must not be sent for a server in this Convoy status, or None when it may."""
    if status in ALLOWED[action]:
        return None
    if action == "suspend" and status == "suspended":
        return "it is already suspended"
    return WHY.get(status, f"its status is {status}")
