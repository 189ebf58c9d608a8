"""One error hierarchy for every backend. Messages are for a support agent, never a traceback."""

from __future__ import annotations

from typing import Any


class BackendError(Exception):
    """Base class. `message` is plain words a support agent can act on."""

    category = "error"

    def __init__(
        self,
        message: str,
        *,
        backend: str | None = None,
        operation: str | None = None,
        http_status: int | None = None,
        code: str | None = None,
        retryable: bool = False,
        retry_after: float | None = None,
        correlation_id: str | None = None,
        details: Any = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.backend = backend
        self.operation = operation
        self.http_status = http_status
        self.code = code
        self.retryable = retryable
        self.retry_after = retry_after
        self.correlation_id = correlation_id
        self.details = details

    def __str__(self) -> str:
        where = f"{self.backend}: " if self.backend else ""
        return f"{where}{self.message}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "message": self.message,
            "backend": self.backend,
            "operation": self.operation,
            "http_status": self.http_status,
            "code": self.code,
            "retry_after": self.retry_after,
            "correlation_id": self.correlation_id,
        }


class AuthError(BackendError):
    category = "auth"


class PermissionDenied(BackendError):
    """Authenticated but not allowed (named to avoid shadowing the builtin PermissionError)."""

    category = "permission"


class ReadOnlyError(PermissionDenied):
    """hostdeck itself refused a mutation because read-only mode is on."""

    category = "read_only"


class NotFoundError(BackendError):
    category = "not_found"


class ConflictError(BackendError):
    category = "conflict"


class ValidationError(BackendError):
    category = "validation"


class RateLimitedError(BackendError):
    category = "rate_limited"


class UnavailableError(BackendError):
    category = "unavailable"


class ProtocolError(BackendError):
    category = "protocol"


class UnsupportedError(BackendError):
    """The backend (or its configuration) cannot do this; the message says why and how to enable it."""

    category = "unsupported"


class ConfigError(Exception):
    """A problem in the config file: names the file, the key and the fix."""

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None, fix: str | None = None):
        self.path = path
        self.key = key
        self.fix = fix
        parts = []
        if path:
            parts.append(str(path))
        if key:
            parts.append(f"[{key}]")
        prefix = ": ".join([" ".join(parts)]) + ": " if parts else ""
        text = f"{prefix}{message}"
        if fix:
            text += f" Fix: {fix}"
        super().__init__(text)


class SecretError(Exception):
    """A credential is missing or the keyring cannot be used; the message names the fixes."""
