"""One place that turns any failure into plain words: who, doing what, what they said, the fix. No traceback."""

from __future__ import annotations

from dataclasses import dataclass

from hostdeck.backends.errors import BackendError
from hostdeck.backends.errors import ConfigError
from hostdeck.backends.errors import SecretError

# What a failure says about its backend's health (shown in the header). None: the backend itself is fine
# (the request was wrong, the target is gone or busy, hostdeck refused it before sending).
HEALTH_OF_CATEGORY = {
    "auth": "failing", "unavailable": "failing", "secret": "failing",
    "permission": "degraded", "rate_limited": "degraded", "protocol": "degraded", "error": "degraded",
    "timeout": "failing", "unexpected": "degraded", "config": "failing",   # as tui/health.py reads an unanswered call
}


@dataclass(frozen=True)
class Failure:
    action: str            # what the person asked for, in words ("Reboot (ACPI) on web-01")
    backend: str | None    # the configured backend it concerned, when there is one
    category: str          # auth, permission, unavailable, ... (BackendError.category), timeout, unexpected
    said: str              # what the backend said, with the fix when one is known

    @property
    def refused(self) -> bool:
        return self.category in ("permission", "read_only")

    @property
    def who(self) -> str:
        return self.backend or "hostdeck"

    @property
    def title(self) -> str:
        return f"{self.who}: {'refused' if self.refused else 'failed'}"

    @property
    def text(self) -> str:
        if self.category == "read_only":
            return f"{self.action} was not sent: {self.said}"
        if self.refused:
            return f"{self.who} refused {self.action}: {self.said}"
        return f"{self.who}: {self.action} failed: {self.said}"

    @property
    def health(self) -> str | None:
        return HEALTH_OF_CATEGORY.get(self.category) if self.backend else None

    @property
    def short(self) -> str:
        """A word or two for a row or a status line."""
        return "refused" if self.refused else ("timed out" if self.category == "timeout" else "failed")


def describe(error: BaseException, *, action: str, backend: str | None = None) -> Failure:
    if isinstance(error, BackendError):
        return Failure(action, error.backend or backend, error.category, error.message)
    if isinstance(error, ConfigError):
        return Failure(action, backend, "config", str(error))
    if isinstance(error, SecretError):
        return Failure(action, backend, "secret", str(error))
    if isinstance(error, TimeoutError):  # asyncio.TimeoutError is TimeoutError since 3.11
        return Failure(action, backend, "timeout", "no answer in time; its outcome is unknown. Refresh to see the "
                                                   "current state before trying again.")
    if isinstance(error, NotImplementedError):
        return Failure(action, backend, "unsupported", str(error) or "this backend cannot do that.")
    # A bug of ours: the type only (its text may hold backend data); the traceback is in the log file.
    return Failure(action, backend, "unexpected", f"unexpected {type(error).__name__}; the details are in the log file.")

