"""Credentials: the env override, then the OS keyring (service `hostdeck`, user `<backend>:<field>`).

Never falls back to plaintext. Values never appear in messages.
"""

from __future__ import annotations

import os
import re
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
    """Resolves `(backend, field)` to a value and says where it came from."""

    def __init__(self, overlay: dict[tuple[str, str], str] | None = None) -> None:
        # The overlay holds the built-in demo credentials of `--demo`; it lives only in memory.
        self._overlay = dict(overlay or {})

    def _keyring(self):
        import keyring  # lazy: keeps it off the first-paint path

        return keyring

    def get(self, backend: str, field: str) -> tuple[str | None, Source]:
        value = os.environ.get(env_name(backend, field))
        if value:
            return value, "env"
        if (backend, field) in self._overlay:
            return self._overlay[(backend, field)], "demo"
        from keyring.errors import KeyringError

        try:
            value = self._keyring().get_password(SERVICE, f"{backend}:{field}")
        except KeyringError:
            return None, "missing"
        return (value, "keyring") if value else (None, "missing")

    def source(self, backend: str, field: str) -> Source:
        return self.get(backend, field)[1]

    def require(self, backend: str, field: str) -> str:
        from .errors import SecretError

        value = os.environ.get(env_name(backend, field))
        if value:
            return value
        if (backend, field) in self._overlay:
            return self._overlay[(backend, field)]
        from keyring.errors import KeyringError

        try:
            value = self._keyring().get_password(SERVICE, f"{backend}:{field}")
        except KeyringError as exc:
            raise SecretError(_no_keyring_message(backend, field, type(exc).__name__)) from None
        if not value:
            raise SecretError(
                f"No {field} is set for backend {backend!r}. Fix: run `hostdeck secret set {backend} {field}`, "
                f"or set {env_name(backend, field)} in the environment."
            )
        return value

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
        from keyring.errors import KeyringError, PasswordDeleteError

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
