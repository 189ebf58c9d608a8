"""Matomo `result=error` answers and HTTP failures -> the hostdeck error hierarchy.

Matomo has no error codes. The HTTP status decides first (401/403 are access errors, 5xx unavailability), then the
English message text (a Matomo installed in another language answers translated texts, so text is only a hint: a
401 that names an access level in quotes — 'view', 'admin', 'write', 'superuser', which are never translated — is a
permission error, any other 401 is a rejected token). The raw message stays in `details`.
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
from ..errors import RateLimitedError
from ..errors import UnsupportedError
from ..errors import ValidationError

SITE_ACCESS = re.compile(r"'(view|admin|write)' access for the website id = (\S+?)\.?$", re.I)
ACCESS_LEVEL = re.compile(r"'(view|admin|write|superuser)'", re.I)
SITE_NOT_FOUND = re.compile(r"website id = (\S+) not found|website id was set to '([^']*)'", re.I)
VALIDATION = ("website name can't be empty", "is not a valid timezone", "is not valid. please enter a valid timezone",
              "is not valid. please enter a valid currency", "is not a valid url", "at least one url",
              "invalid website type", "please specify a value for", "date format must be", "not a valid ip")
TOKEN_FIX = ("create a token for a Matomo superuser (Administration > Personal > Security > Auth tokens) and run "
             "`hostdeck secret set {backend} token`")


def token_rejected(backend: str, http_status: int | None, raw: str) -> AuthError:
    not_post = "post parameter" in raw.lower()
    why = (" Matomo also says a secure-only token must come in the POST body; hostdeck sends it only there, so a "
           "redirect or proxy in front of Matomo may be turning the POST into a GET." if not_post else "")
    return AuthError(f"token rejected ({http_status or 401}): Matomo did not accept the API token.{why} Fix: "
                     f"{TOKEN_FIX.format(backend=backend)}. hostdeck will not send this token to Matomo again, from "
                     "any process, until it changes: every failed token check counts, and repeated ones block this "
                     "machine's IP for up to an hour.", http_status=http_status, code="token_not_in_post" if not_post else "token_rejected",
                     details=raw)


def from_message(message: str, operation: str, backend: str = "<backend>", http_status: int | None = 200) -> BackendError:
    """The error for a `{"result": "error", "message": ...}` answer."""
    raw = message.strip()
    low = raw.lower()
    if low.startswith("unable to authenticate with the provided token"):
        return token_rejected(backend, http_status, raw)
    if "too many failed logins" in low:
        return RateLimitedError("Matomo's brute-force protection has blocked this machine's IP after repeated failed "
                                "token checks. Fix the token first, then wait up to an hour or ask a Matomo superuser "
                                "to unblock the IP (Administration > System > General settings > Login).",
                                http_status=http_status, code="ip_blocked", details=raw)
    if "logging in has been turned off" in low:
        return RateLimitedError("Matomo has turned logging in off for this user after many failed attempts in the last "
                                "hour; try again later or ask a Matomo superuser.", http_status=http_status,
                                code="login_blocked", details=raw)
    if found := SITE_ACCESS.search(raw):
        access, site = found.group(1).lower(), found.group(2)
        return PermissionDenied(f"the token has no '{access}' access to Matomo site {site}, or there is no site {site} "
                                "(Matomo does not tell them apart).", http_status=http_status, code="no_site_access",
                                details={"site_id": site, "access": access, "message": raw})
    if "'superuser' access" in low:
        return PermissionDenied(f"the token's Matomo user is not a superuser, so {operation} is not allowed. Fix: use a "
                                "superuser's token.", http_status=http_status, code="superuser_required", details=raw)
    if low.startswith("you can't access this resource"):
        return PermissionDenied(f"Matomo refused {operation}: {raw}", http_status=http_status, code="no_access",
                                details=raw)
    if found := SITE_NOT_FOUND.search(raw):
        site = found.group(1) or found.group(2)
        return NotFoundError(f"Matomo has no site {site}.", http_status=http_status, code="site_not_found",
                             details={"site_id": site, "message": raw})
    if "only registered website" in low:
        return ConflictError(f"Matomo refuses to delete its only site: {raw}", http_status=http_status, code="only_site",
                             details=raw)
    if any(k in low for k in VALIDATION):
        return ValidationError(f"Matomo rejected {operation}: {raw}", http_status=http_status, code="validation",
                               details=raw)
    if "does not exist or is not available in the module" in low:
        return UnsupportedError(f"this Matomo does not know {operation} ({raw}); it may be older than the method.",
                                http_status=http_status, code="method_not_found", details=raw)
    return BackendError(f"{operation} failed: {raw}", http_status=http_status, code="error", details=raw)


def classify(status: int, data: Any, operation: str, backend: str = "<backend>") -> BackendError:
    """HTTP answers outside 200 with a JSON body (the http core's classifier): access errors, proxies, 5xx."""
    body = data if isinstance(data, dict) else {}
    message = str(body.get("message") or "").strip()
    if status in (401, 403) and message:
        err = from_message(message, operation, backend, status)
        if type(err) is not BackendError:
            return err
        if ACCESS_LEVEL.search(message) or status == 403:
            return PermissionDenied(f"Matomo refused {operation} ({status}): {message}", http_status=status,
                                    code="no_access", details=message)
        return token_rejected(backend, status, message)
    if status == 401:
        return token_rejected(backend, status, message)
    if status == 403:
        return PermissionDenied(f"Matomo (or a firewall in front of it) refused {operation} with HTTP 403.",
                                http_status=403, code="forbidden")
    if status == 429:
        return proxy_rate_limited("Matomo")
    if status >= 500:
        return server_error("Matomo", status, message)
    if body.get("result") == "error" and message:
        return from_message(message, operation, backend, status)
    if status == 404:
        return NotFoundError("no Matomo API at this URL (404). Fix: set url to the Matomo root (the folder that holds "
                             "index.php).", http_status=404, code="no_api")
    return BackendError(f"{operation} failed: HTTP {status} {message}".strip(), http_status=status)
