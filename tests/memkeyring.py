"""Keyring backends for tests only: select with PYTHON_KEYRING_BACKEND=tests.memkeyring.MemoryKeyring."""

from __future__ import annotations

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


def _never_automatic(cls) -> float:
    # Viable only when a test names it (PYTHON_KEYRING_BACKEND or keyring.set_keyring): never keyring's automatic
    # choice in a process that merely imported this module.
    import os

    if os.environ.get("PYTHON_KEYRING_BACKEND", "").endswith("." + cls.__name__):
        return 1
    raise RuntimeError("test keyrings are chosen by name only")


class MemoryKeyring(KeyringBackend):
    store: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.store.get((service, username))

    def set_password(self, service, username, password):
        self.store[(service, username)] = password

    def delete_password(self, service, username):
        if (service, username) not in self.store:
            raise PasswordDeleteError("not found")
        del self.store[(service, username)]


class FileKeyring(KeyringBackend):
    """Stands in for the OS keyring across processes in CLI tests (the file lives in the test's tmp dir)."""

    def _path(self):
        import os
        from pathlib import Path

        return Path(os.environ["HOSTDECK_TEST_KEYRING_FILE"])

    def _load(self) -> dict:
        import json

        path = self._path()
        return json.loads(path.read_text()) if path.exists() else {}

    def _save(self, data: dict) -> None:
        import json

        self._path().write_text(json.dumps(data))

    def get_password(self, service, username):
        return self._load().get(f"{service}|{username}")

    def set_password(self, service, username, password):
        data = self._load()
        data[f"{service}|{username}"] = password
        self._save(data)

    def delete_password(self, service, username):
        data = self._load()
        if f"{service}|{username}" not in data:
            raise PasswordDeleteError("not found")
        del data[f"{service}|{username}"]
        self._save(data)


from keyring.compat import properties  # noqa: E402

for _cls in (MemoryKeyring, FileKeyring):
    _cls.priority = properties.classproperty(_never_automatic)
