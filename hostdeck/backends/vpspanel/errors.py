"""VPS panel answers -> the hostdeck error hierarchy (shared/api/vpspanel.md "Typed errors"), by HTTP status first,
then by the contract's messages. The raw message stays in `details`; the shown message says what to do."""

from __future__ import annotations

from typing import Any

from ..errors import AuthError
from ..errors import BackendError
from ..errors import NotFoundError
from ..errors import ProtocolError
from ..errors import RateLimitedError
from ..errors import UnavailableError
from ..errors import ValidationError

BAD_KEY = "invalid or missing api key"
BAD_FIELDS = "missing required fields"
VPS_NOT_FOUND = "vps not found"
URL_FIX = "set url to the panel's root URL, e.g. https://panel.example.com (hostdeck adds /api/vps/sync)"


def field_errors(errors: Any) -> dict[str, list[str]]:
    if not isinstance(errors, dict):
        return {}
    return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in errors.items()}


def describe_fields(errors: dict[str, list[str]]) -> str:
    return "; ".join(f"{name}: {', '.join(messages)}" for name, messages in errors.items())


def key_fix(backend: str) -> str:
    return (f"copy the sync API key (at least 32 characters) from the panel's settings and run "
            f"`hostdeck secret set {backend} api_key`")


def classify(status: int, data: Any, operation: str, backend: str = "<backend>") -> BackendError:
    body = data if isinstance(data, dict) else {}
    message = str(body.get("message") or "").strip()
    low = message.lower()
    if status == 401:
        return AuthError(f"the VPS panel rejected the API key (401 {message or 'no message'}). Fix: {key_fix(backend)}.",
                         http_status=401, code="key_rejected", details=message)
    if status in (400, 422):
        errors = field_errors(body.get("errors"))
        text = describe_fields(errors) if errors else (message or f"HTTP {status}")
        fix = ""
        if "user_id" in errors:
            fix = " Fix: map the customer to an existing panel user (the panel does not know that user_id)."
        elif status == 400 and "json" in low:
            fix = " The panel could not read hostdeck's request; report this as a hostdeck bug."
        else:
            fix = (" Fix: correct the fields named; hostdeck checks the contract's types before sending, so a panel that "
                   "still refuses them runs other rules than the contract.")
        return ValidationError(f"the VPS panel rejected {operation}: {text}.{fix}", http_status=status,
                               code="validation", details={"message": message, "errors": errors})
    if status == 404:
        if VPS_NOT_FOUND in low:
            return NotFoundError("the VPS panel has no such VPS (404 VPS not found).", http_status=404,
                                 code="vps_not_found", details=message)
        return NotFoundError(f"there is no VPS sync endpoint at this URL (404 {message or 'Not Found'}). Fix: {URL_FIX}.",
                             http_status=404, code="no_endpoint", details=message)
    if status == 405:
        return ProtocolError(f"the URL answered 405 ({message or 'Method not allowed'}) to a POST: it is not the VPS "
                             f"panel's sync endpoint. Fix: {URL_FIX}.", http_status=405, code="method_not_allowed")
    if status == 429:
        return RateLimitedError("the VPS panel (or a proxy in front of it) is rate limiting hostdeck (429); nothing was "
                                "changed.", http_status=429, code="rate_limited", retryable=True)
    if status >= 500:
        return UnavailableError(f"the VPS panel had a server error (HTTP {status}: {message or 'no message'}); try again "
                                "shortly.", http_status=status, code="server_error", retryable=status in (502, 503, 504))
    if 200 <= status < 300:
        return ProtocolError(f"{operation}: the VPS panel answered HTTP {status} where the contract says it must not.",
                             http_status=status, code="unexpected_success")
    return BackendError(f"{operation} failed: HTTP {status} {message}".strip(), http_status=status, details=message)
