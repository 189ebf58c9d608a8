"""One place that turns any failure into plain words for a toast. Raw tracebacks never reach the screen."""

from __future__ import annotations

from backends.errors import BackendError, ConfigError, SecretError


def plain_message(error: BaseException) -> tuple[str, str]:
    """(title, message) for an exception raised in a worker."""
    if isinstance(error, BackendError):
        title = f"{error.backend}: {error.category.replace('_', ' ')}" if error.backend else error.category
        return title, error.message
    if isinstance(error, (ConfigError, SecretError)):
        return "configuration", str(error)
    if isinstance(error, NotImplementedError):
        return "not supported", str(error) or "this backend cannot do that."
    return "unexpected error", f"{type(error).__name__}: {error}"
