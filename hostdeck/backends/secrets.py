"""Credentials: the env override, then built-in ones held in memory, then the OS keyring (service `hostdeck`, user
`<backend>:<field>`). The demo's built-in credentials are isolated: nothing from the environment or the keyring.

Never falls back to plaintext. Values never appear in messages.
"""

from __future__ import annotations

import os
import re
from typing import Any
from typing import Literal

SERVICE = "hostdeck"
Source = Literal["env", "keyring", "demo", "missing"]


def env_name(backend: str, field: str) -> str:
    return "HOSTDECK_SECRET_" + re.sub(r"[^A-Z0-9]", "_", f"{backend}_{field}".upper())


def _no_keyring_message(backend: str, field: str, reason: str) -> str:
    return (
        f"No usable keyring on this machine ({reason}). Fixes: set {env_name(backend, field)} in the environment "
        "of the process; or run under a desktop session / `dbus-run-session` with gnome-keyring unlocked; "
        "or pick a keyring explicitly with PYTHON_KEYRING_BACKEND (see `keyring diagnose`). "
        "hostdeck never stores secrets in plain text."
    )


class Secrets:
    """Resolves `(backend, field)` to a value and says where it came from. One lookup serves `get`, `source` and
    `require`, so what is shown as the source is what is used."""

    def __init__(self, overlay: dict[tuple[str, str], str] | None = None, *, isolated: bool = False) -> None:
        # The overlay holds built-in credentials in memory (a test's, the demo's); the environment overrides it, as it
        # overrides the keyring. `isolated` (the demo): the overlay is all there is; nothing from outside is used.
        self._overlay = dict(overlay or {})
        self._isolated = isolated

    def _keyring(self) -> Any:
        import keyring  # lazy: keeps it off the first-paint path

        return keyring

    def _lookup(self, backend: str, field: str) -> tuple[str | None, Source, Exception | None]:
        """(value, source, the keyring's failure if it had one)."""
        if self._isolated:
            found = (backend, field) in self._overlay
            return (self._overlay[(backend, field)], "demo", None) if found else (None, "missing", None)
        value = os.environ.get(env_name(backend, field))
        if value:
            return value, "env", None
        if (backend, field) in self._overlay:
            return self._overlay[(backend, field)], "demo", None
        from keyring.errors import KeyringError

        try:
            value = self._keyring().get_password(SERVICE, f"{backend}:{field}")
        except KeyringError as exc:
            return None, "missing", exc
        return (value, "keyring", None) if value else (None, "missing", None)

    def get(self, backend: str, field: str) -> tuple[str | None, Source]:
        value, source, _ = self._lookup(backend, field)
        return value, source

    def source(self, backend: str, field: str) -> Source:
        return self.get(backend, field)[1]

    def require(self, backend: str, field: str) -> str:
        from .errors import SecretError

        value, source, failure = self._lookup(backend, field)
        if failure is not None:
            raise SecretError(_no_keyring_message(backend, field, type(failure).__name__)) from None
        if source == "missing":
            if self._isolated:
                raise SecretError(f"The demo has no {field} for backend {backend!r}.")
            raise SecretError(
                f"No {field} is set for backend {backend!r}. Fix: run `hostdeck secret set {backend} {field}`, "
                f"or set {env_name(backend, field)} in the environment."
            )
        return value or ""

    def set(self, backend: str, field: str, value: str) -> None:
        from keyring.errors import KeyringError

        from .errors import SecretError

        if not value:
            raise SecretError("Refusing to store an empty secret. Fix: enter the value when asked.")
        try:
            self._keyring().set_password(SERVICE, f"{backend}:{field}", value)
        except KeyringError as exc:
            raise SecretError(_no_keyring_message(backend, field, type(exc).__name__)) from None

    def delete(self, backend: str, field: str) -> bool:
        from keyring.errors import KeyringError
        from keyring.errors import PasswordDeleteError

        from .errors import SecretError

        try:
            self._keyring().delete_password(SERVICE, f"{backend}:{field}")
        except PasswordDeleteError:
            return False
        except KeyringError as exc:
            raise SecretError(_no_keyring_message(backend, field, type(exc).__name__)) from None
        return True

    def keyring_name(self) -> str:
        try:
            kr = self._keyring().get_keyring()
        except Exception as exc:  # keyring may fail to initialise at all
            return f"unavailable ({type(exc).__name__})"
        return f"{type(kr).__module__}.{type(kr).__name__}"
