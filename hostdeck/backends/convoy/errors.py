"""Convoy (Laravel) error bodies -> the hostdeck error hierarchy, decided by HTTP status, then by message text."""

from __future__ import annotations

import re
from typing import Any

from ..errors import AuthError
from ..errors import BackendError
from ..errors import ConflictError
from ..errors import NotFoundError
from ..errors import PermissionDenied
from ..errors import RateLimitedError
from ..errors import UnavailableError
from ..errors import ValidationError

# "No query results for model [Convoy\Models\Node] 99" (findOrFail) or "... [Convoy\Models\Server]." (firstOrFail)
MODEL = re.compile(r"No query results for model \[(?:[\w\\]*\\)?(\w+)\]\s*(.*?)\.?\s*$")


def missing_model(message: str | None) -> tuple[str, str | None] | None:
    """("node", "99") from a ModelNotFoundException text; None when the text is something else."""
    found = MODEL.search(message or "")
    if not found:
        return None
    return found.group(1).lower(), (found.group(2).strip() or None)


def field_errors(errors: Any) -> dict[str, list[str]]:
    if not isinstance(errors, dict):
        return {}
    return {str(k): [str(m) for m in (v if isinstance(v, list) else [v])] for k, v in errors.items()}


def describe_fields(errors: dict[str, list[str]], names: dict[str, str] | None = None) -> str:
    """"memory_mb (limits.memory): The memory value exceeds the node's limit.; hostname: ..." """
    parts = []
    for wire, messages in errors.items():
        name = (names or {}).get(wire)
        label = f"{name} ({wire})" if name and name != wire else wire
        parts.append(f"{label}: {' '.join(messages)}")
    return "; ".join(parts)


def classify(status: int, data: Any, operation: str, backend: str = "<backend>") -> BackendError:
    body = data if isinstance(data, dict) else {}
    message = str(body.get("message") or "").strip()
    if status == 401:
        return AuthError(f"the API token was rejected (401 {message or 'Unauthenticated.'}). Fix: create an application "
                         f"API token as a root admin in Convoy and run `hostdeck secret set {backend} token`.",
                         http_status=401, code="unauthenticated")
    if status == 403:
        return PermissionDenied("the token's user is not a root admin in Convoy (403), so the application API refuses "
                                "it. Fix: create the token while logged in as a root admin.", http_status=403,
                                code="not_root_admin")
    if status == 404:
        model = missing_model(message)
        if model:
            kind, key = model
            what = f"{kind} {key}" if key else f"that {kind}"
            return NotFoundError(f"{what} does not exist in Convoy.", http_status=404, code=kind, details=message)
        return NotFoundError(f"{operation}: not found ({message or 'HTTP 404'}).", http_status=404, code="not_found")
    if status == 409:
        return ConflictError(f"Convoy refused it for now: {message or 'the server is busy'}", http_status=409,
                             code="status_conflict", retryable=False)
    if status == 422:
        errors = field_errors(body.get("errors"))
        taken = [m for m in errors.get("email", []) if "taken" in m.lower()]
        if taken:
            return ConflictError("that email address already has a Convoy account.", http_status=422, code="email_taken",
                                 details=errors)
        text = describe_fields(errors) if errors else message or "the request was not valid"
        return ValidationError(f"Convoy rejected the request: {text}", http_status=422, code="validation", details=errors)
    if status == 400:
        return ValidationError(f"Convoy rejected the request: {message or 'bad request (400)'}", http_status=400,
                               code="bad_request", details=message)
    if status == 429:
        return RateLimitedError("Convoy (or a proxy in front of it) is rate limiting this client.", http_status=429,
                                code="rate_limited", retryable=True)
    if status >= 500:
        return UnavailableError(f"Convoy had a server error (HTTP {status}: {message or 'no message'}); try again shortly.",
                                http_status=status, code="server_error", retryable=status in (502, 503, 504))
    return BackendError(f"{operation} failed: HTTP {status} {message}".strip(), http_status=status)
