"""Credentials: the env override, then built-in ones held in memory, then the secrets file when the person opted in to
it (`[general] secret_store = "file"`, secret_file.py), then the OS keyring (service `hostdeck`, user
`<backend>:<field>`). The demo's built-in credentials are isolated: nothing from the environment or the keyring.

Never falls back to a plain file on its own. Values never appear in messages.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any
from typing import Literal

if TYPE_CHECKING:
    from .config import Config
    from .secret_file import SecretFile

SERVICE = "hostdeck"
Source = Literal["env", "keyring", "file", "demo", "missing"]
# keyring's own backends that store nothing: "fail" refuses, "null" accepts a secret and forgets it
UNUSABLE_KEYRINGS = ("keyring.backends.fail.", "keyring.backends.null.")


def env_name(backend: str, field: str) -> str:
    return "HOSTDECK_SECRET_" + re.sub(r"[^A-Z0-9]", "_", f"{backend}_{field}".upper())


def _no_keyring_message(backend: str, field: str, reason: str) -> str:
    return (
        f"No usable keyring on this machine ({reason}). Fixes: set {env_name(backend, field)} in the environment "
        "of the process; or run under a desktop session / `dbus-run-session` with gnome-keyring unlocked; "
        "or pick a keyring explicitly with PYTHON_KEYRING_BACKEND (see `keyring diagnose`); "
        'or opt in to hostdeck\'s own secrets file (0600): [general] secret_store = "file". '
        "hostdeck never falls back to a plain file on its own."
    )


def ways_out(backend: str, fields: tuple[str, ...] | list[str], reason: str, secrets_file: Path) -> str:
    """What to say when a secret cannot be stored: no usable keyring, and the three ways out."""
    names = ", ".join(env_name(backend, f) for f in fields)
    return (
        f"No usable keyring on this machine ({reason}). Nothing was saved. Ways out: (1) set {names} in "
        "hostdeck's environment and add the backend again: the secret is read from there and stored nowhere; "
        "(2) install and unlock a keyring backend (GNOME Keyring, KWallet or KeePassXC's Secret Service; "
        "`keyring diagnose` shows what keyring finds) and try again; (3) opt in to hostdeck's own secrets file, "
        f"{secrets_file} (mode 0600, like the hcloud CLI's config): the form's \"Use a secrets file\" button, or "
        "`hostdeck backend add ... --secret-store file`."
    )


def secrets_for(config: Config) -> Secrets:
    """The secrets as this config stores them: the secrets file beside it when the person opted in, else the keyring."""
    if config.general.secret_store != "file":
        return Secrets()
    from .paths import config_path
    from .secret_file import SecretFile
    from .secret_file import file_beside

    return Secrets(file=SecretFile(file_beside(config.path or config_path(None)[0])))


class Secrets:
    """Resolves `(backend, field)` to a value and says where it came from. One lookup serves `get`, `source` and
    `require`, so what is shown as the source is what is used."""

    def __init__(self, overlay: dict[tuple[str, str], str] | None = None, *, isolated: bool = False,
                 file: SecretFile | None = None) -> None:
        # The overlay holds built-in credentials in memory (a test's, the demo's); the environment overrides it, as it
        # overrides the keyring. `isolated` (the demo): the overlay is all there is; nothing from outside is used.
        # `file`: the secrets file the person opted in to; it is where new secrets go, and read before the keyring.
        self._overlay = dict(overlay or {})
        self._isolated = isolated
        self.file = file

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
        if self.file is not None:
            value = self.file.get(backend, field)
            if value:
                return value, "file", None
        from keyring.errors import KeyringError

        try:
            value = self._keyring().get_password(SERVICE, f"{backend}:{field}")
        except KeyringError as exc:
            # with the secrets file chosen, a keyring that cannot be read only means the secret is not there
            return None, "missing", (exc if self.file is None else None)
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
                + (f" (Secrets go to the secrets file {self.file.path}.)" if self.file is not None else "")
            )
        return value or ""

    def set(self, backend: str, field: str, value: str) -> None:
        from keyring.errors import KeyringError

        from .errors import SecretError

        if not value:
            raise SecretError("Refusing to store an empty secret. Fix: enter the value when asked.")
        if self.file is not None:
            self.file.set(backend, field, value)
            return
        problem = self.store_problem()
        if problem:  # a keyring that would forget the secret says so now, not at the next start
            raise SecretError(_no_keyring_message(backend, field, problem))
        try:
            self._keyring().set_password(SERVICE, f"{backend}:{field}", value)
        except KeyringError as exc:
            raise SecretError(_no_keyring_message(backend, field, type(exc).__name__)) from None

    def delete(self, backend: str, field: str) -> bool:
        from keyring.errors import KeyringError
        from keyring.errors import PasswordDeleteError

        from .errors import SecretError

        in_file = self.file is not None and self.file.delete(backend, field)
        try:
            self._keyring().delete_password(SERVICE, f"{backend}:{field}")
        except PasswordDeleteError:
            return in_file
        except KeyringError as exc:
            if self.file is not None:  # the secrets file is the store: an unusable keyring holds nothing to delete
                return in_file
            raise SecretError(_no_keyring_message(backend, field, type(exc).__name__)) from None
        return True

    @property
    def store_name(self) -> str:
        """Where `set` puts a secret, as a sentence's object."""
        return f"the secrets file {self.file.path}" if self.file is not None else "the keyring"

    def store_problem(self) -> str | None:
        """Why a secret cannot be stored now (None: it can). Asked before a connection test, so nothing is tested
        that cannot then be kept."""
        if self.file is not None or self._isolated:
            return None
        try:
            kr = self._keyring().get_keyring()
        except Exception as exc:  # keyring may fail to initialise at all
            return type(exc).__name__
        name = f"{type(kr).__module__}.{type(kr).__name__}"
        return f"keyring picked {name}, which stores nothing" if name.startswith(UNUSABLE_KEYRINGS) else None

    def keyring_name(self) -> str:
        try:
            kr = self._keyring().get_keyring()
        except Exception as exc:  # keyring may fail to initialise at all
            return f"unavailable ({type(exc).__name__})"
        return f"{type(kr).__module__}.{type(kr).__name__}"
