"""hostdeck's own known_hosts file (data_dir()/known_hosts, OpenSSH format) and SHA-256 host-key fingerprints.

Only this file decides which SSH host keys hostdeck trusts (plus fingerprints pinned in the config); the user's
~/.ssh/known_hosts is not read, so trusting a CloudPanel host is always an explicit hostdeck step.
"""

from __future__ import annotations

import base64
import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from typing import Any

from ..errors import ConfigError
from ..paths import data_dir
from ..paths import open_private
from ..paths import private_dir
from ..paths import tighten_files

if TYPE_CHECKING:
    import paramiko


@dataclass(frozen=True, slots=True)
class HostKeyInfo:
    """A key a server presented, and how hostdeck sees it: trusted, pinned (config), unknown or changed."""

    host: str
    port: int
    key_type: str
    fingerprint: str
    state: str
    expected: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {"host": self.host, "port": self.port, "key_type": self.key_type, "fingerprint": self.fingerprint,
                "state": self.state, "expected": list(self.expected)}


def default_path() -> Path:
    return data_dir() / "known_hosts"


def fingerprint(key: paramiko.PKey) -> str:
    """`SHA256:<base64 without padding>`, as `ssh-keygen -lf` prints it."""
    digest = hashlib.sha256(key.asbytes()).digest()
    return "SHA256:" + base64.b64encode(digest).decode("ascii").rstrip("=")


def normalise_fingerprint(value: str) -> str:
    """Accept `SHA256:abc` or `abc` (with or without `=` padding); return `SHA256:abc`."""
    text = value.strip()
    if text.upper().startswith("SHA256:"):
        text = text[7:]
    return "SHA256:" + text.rstrip("=")


def host_entry(host: str, port: int) -> str:
    """The name known_hosts uses: `host` on port 22, `[host]:port` otherwise."""
    return host if port == 22 else f"[{host}]:{port}"


class KnownHosts:
    """Reads and atomically rewrites one known_hosts file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_path()

    def load(self) -> paramiko.HostKeys:
        import paramiko

        keys = paramiko.HostKeys()
        if self.path.exists():
            tighten_files(self.path)  # a copy made with wider modes is private again
            try:
                keys.load(str(self.path))
            except OSError as exc:
                raise ConfigError(f"hostdeck's known_hosts file cannot be read ({exc.strerror}).", path=str(self.path),
                                  fix="check the file's permissions (it should belong to you, mode 600).") from None
        return keys

    def keys_for(self, host: str, port: int) -> dict[str, paramiko.PKey]:
        found = self.load().lookup(host_entry(host, port))
        return dict(found) if found else {}

    def state_of(self, host: str, port: int, key: paramiko.PKey) -> tuple[str, tuple[str, ...]]:
        """("trusted" | "unknown" | "changed", fingerprints hostdeck trusts for this host)."""
        known = self.keys_for(host, port)
        expected = tuple(fingerprint(k) for k in known.values())
        if not known:
            return "unknown", expected
        if fingerprint(key) in expected:
            return "trusted", expected
        return "changed", expected

    def add(self, host: str, port: int, key: paramiko.PKey, *, replace: bool = False) -> None:
        """Trust `key` for host:port. With `replace`, every other key of that host is forgotten first."""
        name = host_entry(host, port)
        with self._locked():
            keys = self.load()
            if replace:
                while True:
                    try:
                        del keys[name]
                    except KeyError:
                        break
            keys.add(name, key.get_name(), key)
            self._write(keys)

    def _write(self, keys: paramiko.HostKeys) -> None:
        private_dir(self.path.parent)
        fd, tmp = tempfile.mkstemp(prefix=".known_hosts.", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                for entry in keys._entries:  # HostKeys.save() cannot write to an open, private temp file
                    line = entry.to_line()
                    if line:
                        handle.write(line)
            os.chmod(tmp, 0o600)
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise writers (two hostdeck processes trusting at once) where the platform allows."""
        try:
            import fcntl
        except ImportError:  # Windows: the rename is still atomic
            yield
            return
        private_dir(self.path.parent)
        with open_private(self.path.parent / ".known_hosts.lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)
