"""Hetzner error bodies -> the hostdeck error hierarchy, decided by `error.code` first, then HTTP status."""

from __future__ import annotations

from typing import Any

from ..errors import AuthError
from ..errors import BackendError
from ..errors import ConflictError
from ..errors import NotFoundError
from ..errors import PermissionDenied
from ..errors import ProtocolError
from ..errors import RateLimitedError
from ..errors import UnavailableError
from ..errors import ValidationError

BY_CODE: dict[str, type[BackendError]] = {
    "unauthorized": AuthError,
    "forbidden": PermissionDenied,
    "token_readonly": PermissionDenied,
    "protected": PermissionDenied,
    "not_found": NotFoundError,
    "method_not_allowed": ProtocolError,
    "invalid_input": ValidationError,
    "json_error": ValidationError,
    "uniqueness_error": ConflictError,
    "conflict": ConflictError,
    "locked": ConflictError,
    "resource_locked": ConflictError,
    "resource_limit_exceeded": ValidationError,
    "resource_unavailable": UnavailableError,
    "unavailable": UnavailableError,
    "maintenance": UnavailableError,
    "rate_limit_exceeded": RateLimitedError,
    "server_error": UnavailableError,
    "service_error": UnavailableError,
    "timeout": UnavailableError,
    "bad_gateway": UnavailableError,
    "deprecated_api_endpoint": ProtocolError,
    "unsupported_error": ValidationError,
    "placement_error": ValidationError,
    "server_not_stopped": ConflictError,
    "invalid_server_type": ValidationError,
    "rescue_already_enabled": ConflictError,
    "rescue_already_disabled": ConflictError,
}

BY_STATUS: dict[int, type[BackendError]] = {
    400: ValidationError, 401: AuthError, 403: PermissionDenied, 404: NotFoundError, 409: ConflictError,
    410: ProtocolError, 422: ValidationError, 423: ConflictError, 429: RateLimitedError,
}

PLAIN = {
    "unauthorized": "the API token was rejected (401). Fix: set a valid token with `hostdeck secret set {backend} token`.",
    "token_readonly": "the API token is read-only, so it cannot change anything. Fix: create a Read & Write token in the Hetzner console.",
    # what read-only tokens were seen answering to actions (shared/api/hetzner.md "Learned at first contact")
    "forbidden": "the API token may not do this (403 forbidden): a read-only token can only read. Fix: create a Read & "
                 "Write token in the Hetzner console (Security > API tokens) and set it with `hostdeck secret set "
                 "{backend} token`.",
    "protected": "the server (or image) is protected against this. Fix: turn the protection off first (hostdeck server "
                 "protect {backend} SERVER --delete off --rebuild off).",
    "server_not_stopped": "the server is running: its type changes only while it is off. Fix: shut it down first "
                          "(hostdeck server power {backend} SERVER shutdown --yes).",
    "rescue_already_enabled": "rescue mode is already on for this server; reboot it to enter the rescue system, or "
                              "disable rescue first to get a new password.",
    "rescue_already_disabled": "rescue mode is already off for this server.",
    "locked": "another action is still running on this server; try again when it has finished.",
    "resource_locked": "another action is still running on this server; try again when it has finished.",
    "rate_limit_exceeded": "the project's API rate limit is used up; it refills at one request per second.",
    "uniqueness_error": "that name is already used in this project; choose another.",
}

RETRY_CODES_FOR_ACTIONS = frozenset({"conflict", "locked", "resource_locked"})


def classify(status: int, data: Any, operation: str, backend: str = "<backend>") -> BackendError:
    error = data.get("error") if isinstance(data, dict) else None
    if not isinstance(error, dict):
        cls = BY_STATUS.get(status) or (UnavailableError if status >= 500 else BackendError)
        if status >= 500:
            return UnavailableError(f"the Hetzner API had a server error (HTTP {status}); try again shortly.", http_status=status)
        return cls(f"{operation} failed with HTTP {status} and no error body.", http_status=status)
    code = str(error.get("code") or "")
    message = str(error.get("message") or "")
    details = error.get("details")
    cls = BY_CODE.get(code) or BY_STATUS.get(status) or (UnavailableError if status >= 500 else BackendError)
    text = PLAIN.get(code, message or code or f"HTTP {status}").replace("{backend}", backend)
    if cls is UnavailableError and code not in PLAIN:
        text = f"the Hetzner API is unavailable ({message or code or status}); try again shortly."
    if code == "invalid_input" and isinstance(details, dict) and details.get("fields"):
        parts = []
        for f in details["fields"]:
            msgs = "; ".join(f.get("messages") or []) or "invalid"
            parts.append(f"{f.get('name')}: {msgs}")
        text = f"the request was rejected: {', '.join(parts)}."
    elif code == "not_found":
        text = f"not found ({message})." if message else "not found."
    return cls(text, http_status=status, code=code or None, details=details,
               retryable=code in ("conflict", "locked", "resource_locked", "rate_limit_exceeded") or status in (502, 503, 504))
