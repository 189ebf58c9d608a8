"""CloudPanel's own error types: SSH host-key refusals, "already exists" and a write whose outcome is unknown."""

from __future__ import annotations

from typing import Any

from ..errors import AuthError
from ..errors import ConflictError
from ..errors import UnavailableError


class HostKeyError(AuthError):
    """The SSH host key was not accepted; nothing (no credential, no command) was sent to the server."""

    category = "host_key"

    def __init__(self, message: str, *, host: str, port: int, fingerprint: str, key_type: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.host = host
        self.port = port
        self.fingerprint = fingerprint
        self.key_type = key_type

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "host": self.host, "port": self.port, "fingerprint": self.fingerprint,
                "key_type": self.key_type}


class UnknownHostKeyError(HostKeyError):
    """First contact: the presented key is in neither hostdeck's known_hosts nor the config."""


class ChangedHostKeyError(HostKeyError):
    """The server presents another key than the one hostdeck trusts: possibly an interception; refused."""

    def __init__(self, message: str, *, expected: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.expected = expected

    def as_dict(self) -> dict[str, Any]:
        return {**super().as_dict(), "expected": list(self.expected)}


class AlreadyExistsError(ConflictError):
    """clpctl said `<field>: This value already exists.` (even with exit status 0): a result, not a success.

    On the first attempt it is a conflict; on a retry of the same step the earlier attempt probably made it."""

    def __init__(self, message: str, *, field: str | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("code", "already_exists")
        super().__init__(message, **kwargs)
        self.field = field


class OutcomeUnknownError(UnavailableError):
    """The command was sent but no exit status came back (timeout, dropped connection): it may have run."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        kwargs.setdefault("code", "outcome_unknown")
        super().__init__(message, **kwargs)
