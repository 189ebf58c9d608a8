"""Proxmox errors -> the hostdeck hierarchy: by HTTP status first, then by message text (PVE uses 500 for most).

The message comes from the JSON body (`message`, since libpve-http-server-perl 5.2.0) or, on older servers, from
the reason phrase, which `transport.PveTransport` copies into the body before this runs.
"""

from __future__ import annotations

import re
from typing import Any

from ..adapter_base.answers import server_error
from ..errors import AuthError
from ..errors import BackendError
from ..errors import ConflictError
from ..errors import NotFoundError
from ..errors import PermissionDenied
from ..errors import ProtocolError
from ..errors import UnavailableError
from ..errors import ValidationError

# GETs may be resent after these (generic 5xx, a node the cluster cannot reach); never passed for POSTs.
READ_RETRY_CODES = frozenset({"server_error", "node_unreachable"})
AGENT_MISSING = ("the QEMU guest agent is not running in this VM: install qemu-guest-agent in the guest (and enable "
                 "it in Proxmox under Options > QEMU Guest Agent), or use the console.")

# (pattern, class, code): the first match wins; patterns are matched case-insensitively against the message.
BY_TEXT: tuple[tuple[str, type[BackendError], str], ...] = (
    (r"configuration file .* does not exist", NotFoundError, "vm_not_found"),
    (r"no such cluster node", NotFoundError, "node_not_found"),
    (r"no such task", NotFoundError, "task_not_found"),
    (r"no qemu guest agent configured", ConflictError, "agent_not_configured"),
    (r"qemu guest agent is not running", ConflictError, "agent_not_running"),
    (r"qmp command 'guest-.*got timeout", ConflictError, "agent_not_responding"),
    (r"^agent error", ConflictError, "agent_error"),
    (r"can't lock file", ConflictError, "busy"),
    (r"\bis locked\b", ConflictError, "locked"),
    (r"already running", ConflictError, "already_running"),
    (r"is paused", ConflictError, "paused"),
    (r"\bnot running\b", ConflictError, "not_running"),
    (r"got timeout", ConflictError, "timeout"),
)


def message_of(data: Any) -> str:
    text = data.get("message") if isinstance(data, dict) else None
    return str(text).strip() if text else ""


def code_for(message: str) -> tuple[type[BackendError], str] | None:
    for pattern, cls, code in BY_TEXT:
        if re.search(pattern, message, re.IGNORECASE):
            return cls, code
    return None


def plain(message: str, code: str) -> str:
    """The support-agent wording for a classified PVE message (the raw text stays in `details`)."""
    if code == "vm_not_found":
        return f"the VM does not exist on that node ({message})."
    if code == "node_not_found":
        return f"{message}: check the node name in the config (the Proxmox node name, not its FQDN)."
    if code == "agent_not_configured":
        return ("the QEMU guest agent is not enabled for this VM (No QEMU guest agent configured): enable it in Proxmox "
                "under Options > QEMU Guest Agent, install qemu-guest-agent in the guest, or use the console.")
    if code in ("agent_not_running", "agent_not_responding"):
        return AGENT_MISSING
    if code == "busy":
        return "another task is running on this VM; try again when it has finished."
    if code == "locked":
        return f"{message}: Proxmox refuses actions while a backup, migration or snapshot holds the lock; try again later."
    return message.rstrip(".") + "."


def classify(status: int, data: Any, operation: str, backend: str = "<backend>") -> BackendError:
    message = message_of(data)
    errors = data.get("errors") if isinstance(data, dict) else None
    if status == 401:
        return AuthError(f"authentication failed: Proxmox rejected the API token (401{': ' + message if message else ''}). "
                         f"Fix: check token_id (user@realm!tokenid) in the config and set the secret with "
                         f"`hostdeck secret set {backend} token_secret`; the token may also have expired.",
                         http_status=401, code="unauthorized")
    if status == 403:
        m = re.search(r"\(([^,()]+),\s*([^()]+)\)", message)
        fix = (f" Fix: grant {m.group(2)} on {m.group(1)} to the API token (with privilege separation the token needs its "
               "own ACL entry, not only its user).") if m else ""
        return PermissionDenied(f"permission denied: {message or 'HTTP 403'}.{fix}", http_status=403, code="forbidden")
    if status == 400:
        if isinstance(errors, dict) and errors:
            fields = ", ".join(f"{k}: {str(v).strip()}" for k, v in errors.items())
            return ValidationError(f"the request was rejected: {fields}.", http_status=400, code="invalid_param",
                                   details=errors)
        return ValidationError(f"the request was rejected: {message or 'HTTP 400'}.", http_status=400, code="invalid_param")
    if status == 501:
        return ProtocolError(f"{operation}: this Proxmox VE does not offer that call ({message or 'not implemented'}).",
                             http_status=501, code="not_implemented")
    if status in (595, 596):
        return UnavailableError(f"the cluster cannot reach that Proxmox node ({message or status}); it may be offline.",
                                http_status=status, code="node_unreachable", retryable=True)
    found = code_for(message) if message else None
    if found:
        cls, code = found
        return cls(plain(message, code), http_status=status, code=code, details={"message": message})
    if status >= 500:
        return server_error("Proxmox", status, message, always_retry=True)
    return BackendError(f"{operation} failed: HTTP {status}{': ' + message if message else ''}.", http_status=status)


def task_error(exitstatus: str, *, verb: str, upid: str) -> BackendError:
    """A task that ended with an error text instead of OK."""
    found = code_for(exitstatus)
    if found:
        cls, code = found
        return cls(f"{verb} failed: {plain(exitstatus, code)} (task {upid})", code=code, details={"exitstatus": exitstatus})
    return BackendError(f"{verb} failed: {exitstatus} (task {upid}).", code="task_failed", details={"exitstatus": exitstatus})


def locked_refusal(vmid: int, lock: str, operation: str, backend: str) -> ConflictError:
    """Refused before sending: the VM's config lock is held (a backup, migration or snapshot is running)."""
    return ConflictError(f"VM {vmid} is locked ({lock}): {operation} refused, nothing was sent. Proxmox holds this lock "
                         f"during a {lock}; try again when it has finished.", backend=backend, operation=operation,
                         code="locked")
