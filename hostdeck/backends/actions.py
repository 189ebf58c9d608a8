"""The action catalogue: every server action declared once.

The TUI's action menu and command palette, the `hostdeck server ...` sub-commands, the help screen and the README's
action table are all generated from `SERVER_ACTIONS`. Pure data: no Textual, no Rich, no UI.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from .contract import MUTATING
from .contract import Capability
from .contract import PowerAction
from .models import Server
from .models import ServerStatus


class Confirm(str, enum.Enum):
    """What the person does before the call is sent (the CLI's `--yes` stands for both kinds of confirmation)."""

    NONE = "none"
    CONFIRM = "confirm"
    TYPE_NAME = "type the name"


@dataclass(frozen=True)
class CliArg:
    """One argparse argument of a sub-command: `flags` and `options` go to `add_argument` unchanged."""

    flags: tuple[str, ...]
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CliCommand:
    """A `hostdeck server NAME` sub-command; `func` names its handler in hostdeck.cli.commands."""

    name: str
    func: str
    help: str
    refused_as: str  # how a read-only refusal or a missing --yes names it
    args: tuple[CliArg, ...] = ()


@dataclass(frozen=True)
class ServerAction:
    id: str
    label: str
    capability: Capability | None  # None: done here, nothing is sent (copying to the clipboard)
    call: str  # the adapter method it calls ("" for a local action)
    confirm: Confirm
    help: str
    power: PowerAction | None = None
    cli: str | None = None  # the `hostdeck server` sub-command, e.g. "power" (with `power` as its argument)
    key: str | None = None  # a key of the Servers screen that runs it without the menu
    form: str | None = None  # a dialog that asks for the change and stands for the confirmation
    hidden_when_missing: bool = False  # not listed at all for backends without the capability
    cli_args: str = ""  # what the command line takes after BACKEND SERVER, for its usage line
    cli_yes: bool | None = None  # the command line wants --yes (None: when the action is dangerous)

    @property
    def mutating(self) -> bool:
        return self.capability in MUTATING

    @property
    def dangerous(self) -> bool:
        return self.confirm is not Confirm.NONE

    @property
    def needs_yes(self) -> bool:
        """The command line sends nothing without --yes."""
        return self.dangerous if self.cli_yes is None else self.cli_yes

    @property
    def cli_usage(self) -> str:
        if self.cli is None:
            return ""
        return (f"server {self.cli} BACKEND SERVER" + (f" {self.power.value}" if self.power else "")
                + (f" {self.cli_args}" if self.cli_args else ""))


# Hetzner and Proxmox set a new root password through the QEMU guest agent, inside the running system.
NEEDS_RUNNING = ("the server is {status}: the new password is set inside the running system (QEMU guest agent). "
                 "Power it on first, or use the console.")
CLIPBOARD = "(OSC 52 to the terminal's clipboard)"
NEEDS_OFF = ("the server is {status}: its type changes only while it is off. Shut it down first "
             "(Shut down, or Power off).")

SERVER_ACTIONS: tuple[ServerAction, ...] = (
    ServerAction("power_on", "Power on", Capability.POWER, "power", Confirm.NONE, "start a stopped server",
                 power=PowerAction.ON, cli="power"),
    ServerAction("power_shutdown", "Shut down (ACPI)", Capability.SHUTDOWN, "power", Confirm.CONFIRM,
                 "ask the system to shut down", power=PowerAction.SHUTDOWN, cli="power"),
    ServerAction("power_reboot", "Reboot (ACPI)", Capability.REBOOT, "power", Confirm.CONFIRM,
                 "ask the system to restart", power=PowerAction.REBOOT, cli="power"),
    ServerAction("power_off", "Power off (cut power)", Capability.POWER, "power", Confirm.CONFIRM,
                 "cut the power, like pulling the plug", power=PowerAction.OFF, cli="power"),
    ServerAction("power_reset", "Reset (hard)", Capability.RESET, "power", Confirm.CONFIRM,
                 "restart a running server at once, unsaved data is lost", power=PowerAction.RESET, cli="power"),
    ServerAction("reset_password", "Reset root password", Capability.RESET_PASSWORD, "reset_password", Confirm.CONFIRM,
                 "a new root password, shown once and stored nowhere", cli="reset-password"),
    ServerAction("console", "Open console", Capability.CONSOLE, "console", Confirm.NONE,
                 "a console URL and its password, valid one minute", cli="console"),
    ServerAction("sso", "Open the panel as the customer (SSO)", Capability.SSO, "sso_url", Confirm.NONE,
                 "log in to the customer's panel (the link is valid 15 s)", cli="sso", hidden_when_missing=True),
    ServerAction("suspend", "Suspend", Capability.SUSPEND, "suspend", Confirm.CONFIRM, "suspend the server",
                 cli="suspend"),
    ServerAction("unsuspend", "Unsuspend", Capability.SUSPEND, "unsuspend", Confirm.NONE, "lift a suspension",
                 cli="unsuspend"),
    ServerAction("delete", "Delete server", Capability.DELETE, "delete_server", Confirm.TYPE_NAME,
                 "delete the server for good (refuses delete-protected servers)", cli="delete"),
    ServerAction("resize", "Resize (CPU, memory, disk, bandwidth)", Capability.RESIZE, "resize", Confirm.CONFIRM,
                 "change CPU, memory, disk or bandwidth, keeping the addresses", cli="resize", form="resize",
                 hidden_when_missing=True),
    ServerAction("rename", "Rename (name, host name)", Capability.RENAME, "rename", Confirm.NONE,
                 "a new display name and/or host name", cli="rename", form="rename", hidden_when_missing=True),
    # day-2 operations (issue 15); the forms are dialogs of the TUI, each standing for its confirmation
    ServerAction("rescue_enable", "Enable rescue system", Capability.RESCUE, "enable_rescue", Confirm.CONFIRM,
                 "boot the rescue system at the next reboot (optional SSH keys); its root password is shown once",
                 cli="rescue enable", form="rescue", cli_args="[--ssh-key KEY]..."),
    ServerAction("rescue_disable", "Disable rescue system", Capability.RESCUE, "disable_rescue", Confirm.CONFIRM,
                 "boot from the disk again at the next reboot", cli="rescue disable"),
    ServerAction("rebuild", "Rebuild from an image", Capability.REBUILD, "rebuild", Confirm.TYPE_NAME,
                 "reinstall from a system image, snapshot or backup: the disk is wiped; a new root password is shown "
                 "once (refuses rebuild-protected servers)", cli="rebuild", form="rebuild", cli_args="--image IMAGE"),
    ServerAction("image_create", "Create a snapshot or backup", Capability.IMAGES, "create_image", Confirm.CONFIRM,
                 "copy the disk into an image (snapshots cost per GB and month; a backup needs backups on)",
                 cli="image", form="image", cli_args="[--description TEXT] [--type snapshot|backup]", cli_yes=False),
    ServerAction("change_type", "Change type (plan)", Capability.CHANGE_TYPE, "change_type", Confirm.CONFIRM,
                 "another server type, with the monthly price difference; the server must be off; the disk is kept "
                 "unless upgraded, so a later downgrade stays possible", cli="change-type", form="change_type",
                 cli_args="TYPE [--upgrade-disk] [--shutdown]"),
    ServerAction("backups_enable", "Enable backups (+20% price)", Capability.BACKUPS, "set_backups", Confirm.CONFIRM,
                 "daily backups, seven kept: the server costs 20% more", cli="backups enable"),
    ServerAction("backups_disable", "Disable backups", Capability.BACKUPS, "set_backups", Confirm.CONFIRM,
                 "stop the daily backups and delete the existing ones", cli="backups disable"),
    ServerAction("protect", "Protection (delete, rebuild)", Capability.PROTECT, "set_protection", Confirm.NONE,
                 "turn delete and rebuild protection on or off", cli="protect", form="protect",
                 cli_args="[--delete on|off] [--rebuild on|off]"),
    ServerAction("labels", "Labels", Capability.LABELS, "set_labels", Confirm.NONE,
                 "add, change or remove labels; the others are kept (billing links live in labels)", cli="label",
                 form="labels", cli_args="KEY=VALUE... [--remove KEY]..."),
    ServerAction("iso_attach", "Attach an ISO", Capability.ISO, "attach_iso", Confirm.NONE,
                 "insert an ISO; the server boots from it first", cli="iso attach", form="iso", cli_args="ISO"),
    ServerAction("iso_detach", "Detach the ISO", Capability.ISO, "detach_iso", Confirm.NONE, "eject the ISO",
                 cli="iso detach"),
    ServerAction("rdns", "Reverse DNS", Capability.RDNS, "set_reverse_dns", Confirm.NONE,
                 "the PTR record of a primary IP (or reset it to the provider's default)", cli="rdns", form="rdns",
                 cli_args="IP [PTR|--reset]"),
    ServerAction("metrics", "Metrics (CPU, disk, network)", Capability.METRICS, "metrics", Confirm.NONE,
                 "CPU, disk and network over 1 h, 24 h or 7 d", cli="metrics", form="metrics",
                 cli_args="[--type cpu|disk|network] [--period 1h|24h|7d] [--json]"),
    ServerAction("ssh", "SSH to the server", None, "", Confirm.NONE,
                 "the system ssh to the server's address (known_hosts honoured); back to the same screen after",
                 cli="ssh", cli_args="[-- COMMAND]"),
    ServerAction("copy_ip", "Copy IP address", None, "", Confirm.NONE, "copy the IP address", key="c"),
    ServerAction("copy_id", "Copy server id", None, "", Confirm.NONE, "copy the server's id"),
)
BY_ID = {action.id: action for action in SERVER_ACTIONS}

_SERVER = (CliArg(("backend",)), CliArg(("server",)))
_YES = CliArg(("--yes",), {"action": "store_true", "help": "confirm a disruptive action"})
_SIZES = (CliArg(("--cpu",), {"type": int}), CliArg(("--memory",), {"type": int, "metavar": "MB"}),
          CliArg(("--disk",), {"type": int, "metavar": "GB"}), CliArg(("--bandwidth",), {"type": int, "metavar": "GB"}))

def _verb(*choices: str) -> CliArg:
    return CliArg(("verb",), {"choices": list(choices), "metavar": "|".join(choices)})


DAY2_CLI: tuple[CliCommand, ...] = (
    CliCommand("rescue", "server_rescue", "rescue enable|disable: the rescue system at the next reboot; enable prints "
               "its root password once (needs --yes)", "rescue",
               (_verb("enable", "disable"), *_SERVER,
                CliArg(("--ssh-key",), {"action": "append", "default": [], "dest": "ssh_keys", "metavar": "KEY",
                                        "help": "an SSH key of the project, by name or id (repeatable)"}), _YES)),
    CliCommand("rebuild", "server_rebuild", "reinstall from an image: the disk is wiped; prints the new root password "
               "once (needs --yes)", "rebuild",
               (*_SERVER, CliArg(("--image",), {"required": True, "help": "image name or id (hostdeck images)"}), _YES)),
    CliCommand("image", "server_image", "take a snapshot (or a backup, where backups are on) of the disk", "create image",
               (*_SERVER, CliArg(("--description",), {"metavar": "TEXT"}),
                CliArg(("--type",), {"dest": "image_type", "choices": ["snapshot", "backup"], "default": "snapshot"}))),
    CliCommand("change-type", "server_change_type", "another server type (the server must be off; needs --yes); "
               "without TYPE, the types it can change to with the monthly price difference",
               "change type",
               (*_SERVER, CliArg(("server_type",), {"metavar": "TYPE", "nargs": "?",
                                                    "help": "the new type; without it, the choices and their prices"}),
                CliArg(("--upgrade-disk",), {"action": "store_true",
                                             "help": "grow the disk too (then a smaller type is no longer possible)"}),
                CliArg(("--shutdown",), {"action": "store_true",
                                         "help": "shut a running server down first and wait until it is off"}), _YES)),
    CliCommand("backups", "server_backups", "backups enable|disable (enabling costs 20 percent more; disabling deletes "
               "the backups; needs --yes)", "backups", (_verb("enable", "disable"), *_SERVER, _YES)),
    CliCommand("protect", "server_protect", "delete and rebuild protection on or off", "change protection",
               (*_SERVER, CliArg(("--delete",), {"choices": ["on", "off"]}),
                CliArg(("--rebuild",), {"choices": ["on", "off"]}))),
    CliCommand("label", "server_label", "add or change labels (KEY=VALUE) and remove some (--remove KEY); the others "
               "are kept", "change labels",
               (*_SERVER, CliArg(("labels",), {"nargs": "*", "metavar": "KEY=VALUE"}),
                CliArg(("--remove",), {"action": "append", "default": [], "metavar": "KEY"}))),
    CliCommand("iso", "server_iso", "iso attach SERVER ISO | iso detach SERVER", "ISO",
               (_verb("attach", "detach"), *_SERVER, CliArg(("iso",), {"nargs": "?", "metavar": "ISO"}))),
    CliCommand("rdns", "server_rdns", "the reverse DNS (PTR) of one of the server's primary IPs; --reset for the "
               "provider's default", "reverse DNS",
               (*_SERVER, CliArg(("ip",), {"metavar": "IP"}), CliArg(("ptr",), {"nargs": "?", "metavar": "PTR"}),
                CliArg(("--reset",), {"action": "store_true"}))),
    CliCommand("metrics", "server_metrics", "CPU, disk or network series over 1h, 24h or 7d", "metrics",
               (*_SERVER, CliArg(("--type",), {"dest": "metric", "choices": ["cpu", "disk", "network"], "default": "cpu"}),
                CliArg(("--period",), {"choices": ["1h", "24h", "7d"], "default": "24h"}))),
)

CLI_COMMANDS: tuple[CliCommand, ...] = (
    CliCommand("power", "server_power", "power on|off|shutdown|reboot|reset (all but 'on' need --yes)", "power",
               (*_SERVER, CliArg(("action",), {"choices": [p.value for p in PowerAction]}), _YES)),
    CliCommand("suspend", "server_suspend", "suspend (needs --yes)", "suspend", (*_SERVER, _YES)),
    CliCommand("unsuspend", "server_unsuspend", "unsuspend", "unsuspend", (*_SERVER, _YES)),
    CliCommand("reset-password", "server_reset_password",
               "reset the root password and print the new one once (needs --yes)", "reset-password", (*_SERVER, _YES)),
    CliCommand("console", "server_console", "request a console URL and its password", "a console session", _SERVER),
    CliCommand("sso", "server_sso", "a single-sign-on URL to the customer's panel (valid 15 s): opened in a browser "
               "when there is one, else printed", "a login-as-customer link (a full panel session)",
               (*_SERVER, CliArg(("--print",), {"action": "store_true", "dest": "print_only",
                                                "help": "print the URL instead of opening it"}))),
    CliCommand("resize", "server_resize",
               "Convoy: change CPU, memory, disk or bandwidth, keeping the addresses (needs --yes)", "resize",
               (*_SERVER, *_SIZES, _YES)),
    CliCommand("rename", "server_rename", "Convoy: a new display name and/or host name", "rename",
               (*_SERVER, CliArg(("--name",)), CliArg(("--hostname",)))),
    CliCommand("delete", "server_delete", "delete a server (needs --yes; refuses protected servers)", "delete",
               (*_SERVER, _YES)),
    *DAY2_CLI,
)


def cli_action(command: str, power: str | None = None, verb: str | None = None) -> ServerAction:
    """The catalogue entry a `hostdeck server COMMAND [VERB] ... [POWER]` runs (`rescue enable`, `power ... off`)."""
    name = f"{command} {verb}" if verb else command
    return next(a for a in SERVER_ACTIONS if a.cli == name and (a.power is None or a.power.value == power))


def state_reason(action: ServerAction, server: Server) -> str | None:
    """Why the server's state rules the action out now (the backend could do it otherwise); None when it does not."""
    status = server.status
    if action.id == "power_on" and status is ServerStatus.RUNNING:
        return "already running"
    if action.id in ("power_off", "power_shutdown", "power_reboot") and status is ServerStatus.OFF:
        return "already off"
    if action.id == "power_reset" and status is ServerStatus.OFF:
        return "it is off: a hard reset restarts a running server; use Power on"
    if action.id == "reset_password" and status not in (ServerStatus.RUNNING, ServerStatus.UNKNOWN):
        return NEEDS_RUNNING.format(status=status.value)
    if action.id == "change_type" and status not in (ServerStatus.OFF, ServerStatus.UNKNOWN):
        return NEEDS_OFF.format(status=status.value)
    if server.locked:
        return "locked: another action is running on it"
    return None


def readme_table() -> str:
    """The README's table of server actions (between the `server-actions` markers), as the catalogue declares them."""
    lines = ["| action | key | command line | confirmation | read-only | does |", "|---|---|---|---|---|---|"]
    for a in SERVER_ACTIONS:
        key = f"`a`, `{a.key}`" if a.key else "`a`"
        cli = f"`hostdeck {a.cli_usage}{' --yes' if a.needs_yes else ''}`" if a.cli else "—"
        allowed = "hidden" if a.mutating else "shown"
        confirm = f"{a.confirm.value}, in the {a.form} form" if a.form else a.confirm.value
        cells = (a.label, key, cli, confirm, allowed, a.help)
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":  # `python -m hostdeck.backends.actions` prints the README table
    print(readme_table(), end="")
