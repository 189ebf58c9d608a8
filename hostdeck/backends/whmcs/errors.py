"""WHMCS `result=error` messages and HTTP failures -> the hostdeck error hierarchy.

WHMCS has no error codes: the message text decides (case-insensitively, client libraries disagree on case), then
the HTTP status. The raw message stays in `details`; the shown message says what to do.

Every text that means "these credentials, from this address, are not let in" is an AuthError, whatever the HTTP
status (some set-ups answer 403, most 200): the credential guard then stops every process from sending them again,
because WHMCS bans an address after three failed logins (shared/api/whmcs.md, "Learned at first contact").
"""

from __future__ import annotations

import re
from typing import Any

from ..adapter_base.answers import proxy_rate_limited
from ..adapter_base.answers import server_error
from ..errors import AuthError
from ..errors import BackendError
from ..errors import ConflictError
from ..errors import NotFoundError
from ..errors import PermissionDenied
from ..errors import UnsupportedError
from ..errors import ValidationError

ACTIONS = ("WhmcsDetails", "GetClients", "GetClientsDetails", "AddClient", "UpdateClient", "GetClientsProducts",
           "GetProducts", "UpdateClientProduct", "ModuleCreate", "ModuleSuspend", "ModuleUnsuspend", "ModuleTerminate",
           "ModuleChangePw", "GetActivityLog", "DeleteClient")
CANONICAL = {a.lower(): a for a in ACTIONS}
INVALID_IP = re.compile(r"^invalid ip\s+(\S+)", re.I)
NOT_ALLOWED = re.compile(r'invalid permissions:\s*api action\s+"?([\w-]+)"?', re.I)
IP_FIX = ("add that IP under Setup > General Settings > Security > API IP Access Restriction in WHMCS, or set "
          "$api_access_key in WHMCS's configuration.php and the same key with `hostdeck secret set {backend} accesskey`")
CREDENTIALS_FIX = ("create an API credential under System Settings > Manage API Credentials and run `hostdeck secret set "
                   "{backend} identifier` and `hostdeck secret set {backend} secret`")
# (prefix, code, what WHMCS means, the fix) for the credential texts other than "Invalid IP <ip>"
CREDENTIAL_TEXTS = (
    ("authentication failed", "auth_failed", "WHMCS rejected the API credentials (Authentication Failed)",
     CREDENTIALS_FIX),
    ("invalid or missing credentials", "auth_failed", "WHMCS rejected the API credentials (Invalid or missing "
     "credentials)", CREDENTIALS_FIX),
    ("invalid administrative identifier", "auth_failed", "WHMCS does not know the API identifier (Invalid "
     "administrative identifier)", CREDENTIALS_FIX),
    ("invalid access key", "access_key_rejected", "WHMCS rejected the API access key (Invalid Access Key)",
     "set the key that $api_access_key holds in WHMCS's configuration.php with `hostdeck secret set {backend} "
     "accesskey`, or delete the access key (`hostdeck secret delete {backend} accesskey`) and allow this machine's "
     "IP under Setup > General Settings > Security > API IP Access Restriction"),
    ("ip banned", "ip_banned", "WHMCS has banned this machine's address after failed logins (IP Banned); every call "
     "fails until the ban is lifted, even with the right credentials",
     "a WHMCS admin removes the ban (Configuration > System Settings > Banned IPs; the ban time is in the security "
     "settings), or it expires (15 minutes by default); correct the credentials first, then run `hostdeck test {backend}` once"),
    ("administrator account disabled", "admin_disabled", "the WHMCS administrator that owns these API credentials is "
     "disabled (Administrator Account Disabled)", "enable that admin under Configuration > System Settings > "
     "Administrators, or create API credentials for an enabled admin with the API Access permission"),
)

NOT_FOUND = ("client not found", "client id not found", "service id not found", "user not found", "product id not found")
CONFLICT = ("a user already exists", "email address entered is not available", "duplicate email")
VALIDATION = ("you did not enter", "valid country required", "invalid telephone", "email address you entered was not valid",
              "invalid owner user id", "is required", "either clientid or email", "service not assigned to a module",
              "invalid status", "invalid custom field")


def from_message(message: str, operation: str, backend: str = "<backend>", http_status: int | None = 200) -> BackendError:
    """The error for a `{"result": "error", "message": ...}` answer."""
    raw = message.strip()
    low = raw.lower()
    for prefix, code, said, fix in CREDENTIAL_TEXTS:
        if low.startswith(prefix):
            return AuthError(f"{said}. Fix: {fix.format(backend=backend)}.", http_status=http_status, code=code,
                             details=raw)
    if found := INVALID_IP.match(raw):
        ip = found.group(1)
        return AuthError(f"WHMCS does not accept API calls from this machine's IP {ip} (the API IP access restriction "
                         f"list). Fix: {IP_FIX.format(backend=backend)}.", http_status=http_status,
                         code="ip_not_allowed", details={"ip": ip, "message": raw})
    if low.startswith("invalid api action"):
        return PermissionDenied(f"the credentials work, but WHMCS does not let them call {operation} (Invalid API "
                                "Action). Fix: allow the action in the credential's API role (System Settings > Manage "
                                "API Credentials > API Roles).", http_status=http_status, code="action_not_allowed",
                                details={"action": operation, "message": raw})
    if found := NOT_ALLOWED.search(raw):
        action = CANONICAL.get(found.group(1).lower(), found.group(1))
        return PermissionDenied(f"the API role of these credentials does not allow the action {action}. Fix: allow "
                                f"{action} in the credential's API role (System Settings > Manage API Credentials > "
                                "API Roles).", http_status=http_status, code="action_not_allowed",
                                details={"action": action, "message": raw})
    if low.startswith("command not found"):
        return UnsupportedError(f"this WHMCS does not know the API action of {operation} (Command Not Found); it may "
                                "be older than the action.", http_status=http_status, code="command_not_found",
                                details=raw)
    if operation.lower().startswith("module") and "user not found" in low:
        return module_user_not_found(raw, operation, http_status)
    if any(k in low for k in NOT_FOUND):
        return NotFoundError(f"{operation}: {raw}.", http_status=http_status, code="not_found", details=raw)
    if any(k in low for k in CONFLICT):
        return ConflictError(f"{operation}: {raw}.", http_status=http_status, code="duplicate_email", details=raw)
    if any(k in low for k in VALIDATION):
        return ValidationError(f"WHMCS rejected {operation}: {raw}.", http_status=http_status, code="validation",
                               details=raw)
    return BackendError(f"{operation} failed: {raw}", http_status=http_status, code="error", details=raw)


def rejection(status: int, data: Any, operation: str, backend: str = "<backend>") -> AuthError | None:
    """The credential rejection in an answer the transport took as a success (WHMCS says it in a 200 body), or None:
    the credential guard's judge."""
    if not isinstance(data, dict) or str(data.get("result", "")).lower() != "error":
        return None
    err = from_message(str(data.get("message") or ""), operation, backend, status)
    return err if isinstance(err, AuthError) else None


def module_user_not_found(raw: str, operation: str, http_status: int | None) -> BackendError:
    """"User not found" after a Module* action comes from the server module: the panel user it acts on (the Convoy
    modules look the customer up by e-mail and act on that panel user) is missing. The service exists."""
    return BackendError(f"{operation}: the server module answered {raw!r}: the customer's user on the panel (not the "
                        "WHMCS service, which exists) is missing or no longer has the client's e-mail address. Fix: "
                        "check the client's panel user (run `hostdeck sync clients` to link or re-create it), then "
                        "try again.", http_status=http_status, code="panel_user_not_found", details=raw)


def classify(status: int, data: Any, operation: str, backend: str = "<backend>") -> BackendError:
    """HTTP answers outside 200 (the http core's classifier): a 403 with `result=error`, proxy 429s, 5xx with JSON."""
    body = data if isinstance(data, dict) else {}
    message = str(body.get("message") or "").strip()
    if body.get("result") == "error" and message and status < 500 and status != 429:
        err = from_message(message, operation, backend, status)
        if status == 403 and type(err) is BackendError:
            return PermissionDenied(f"WHMCS refused {operation} (403): {message}", http_status=403, code="forbidden",
                                    details=message)
        return err
    if status == 403:
        return PermissionDenied(f"WHMCS (or a firewall in front of it) refused {operation} with HTTP 403"
                                f"{f': {message}' if message else ''}. Check the API IP allow-list and API role.",
                                http_status=403, code="forbidden")
    if status == 429:
        return proxy_rate_limited("WHMCS")
    if status >= 500:
        return server_error("WHMCS", status, message)
    if status == 401:
        return AuthError(f"WHMCS (or a proxy) answered 401 to {operation}. Fix: check the URL and the credentials "
                         f"(`hostdeck secret set {backend} identifier` / `secret`).", http_status=401, code="unauthorized")
    if status == 404:
        return NotFoundError("no WHMCS API at this URL (404). Fix: set url to the WHMCS root (the folder that holds "
                             "includes/api.php).", http_status=404, code="no_api")
    return BackendError(f"{operation} failed: HTTP {status} {message}".strip(), http_status=status)
