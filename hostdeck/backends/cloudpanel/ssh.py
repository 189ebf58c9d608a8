"""SSH to a CloudPanel host with paramiko (blocking: the adapter calls this from threads).

Host keys are checked against hostdeck's own known_hosts (hostkeys.py) or fingerprints pinned in the config before
any credential is sent: an unknown key is refused with its fingerprint and the command that trusts it, a changed
key is refused loudly. There is no auto-add and no warn-and-continue. One `exec_command` per remote command, no PTY,
stdin closed at once (a prompt then fails instead of hanging), stdout and stderr read together, exit status read.
"""

from __future__ import annotations

import logging
import select
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path

import paramiko

from ..errors import AuthError
from ..errors import UnavailableError
from .commands import RawResult
from .errors import ChangedHostKeyError
from .errors import OutcomeUnknownError
from .errors import UnknownHostKeyError
from .hostkeys import HostKeyInfo
from .hostkeys import KnownHosts
from .hostkeys import fingerprint

MAX_OUTPUT = 4 * 1024 * 1024  # per stream; CloudPanel prints a few lines
LOG_CHANNEL = "hostdeck.cloudpanel.ssh"
# paramiko logs socket errors itself; without a handler Python would print them on stderr, over the TUI.
logging.getLogger(LOG_CHANNEL).addHandler(logging.NullHandler())


@dataclass(slots=True)
class SshSettings:
    backend: str
    host: str
    known_hosts: Path
    port: int = 22
    user: str = "root"
    key_file: str | None = None
    # the key passphrase, asked for only when a key turns out to be encrypted (no keyring lookup otherwise)
    passphrase: Callable[[], str | None] | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    sudo: bool = False
    pinned: tuple[str, ...] = ()                # SHA256 fingerprints trusted by the config
    connect_timeout: float = 10.0

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


def unknown_key(settings: SshSettings, key: paramiko.PKey) -> UnknownHostKeyError:
    fp, kind = fingerprint(key), key.get_name()
    return UnknownHostKeyError(
        f"host key unknown ({kind} {fp}): the SSH host key of {settings.where} is not trusted yet. Nothing was sent. "
        f"Check the fingerprint with the server's administrator (on the server: `ssh-keygen -lf "
        f"/etc/ssh/ssh_host_*_key.pub`), then run `hostdeck cloudpanel trust {settings.backend}`, or add "
        f'host_key_fingerprint = "{fp}" to its [[backends]] table.',
        backend=settings.backend, operation="connect", code="host_key_unknown", host=settings.host, port=settings.port,
        fingerprint=fp, key_type=kind)


def changed_key(settings: SshSettings, key: paramiko.PKey, expected: tuple[str, ...], source: str) -> ChangedHostKeyError:
    fp, kind = fingerprint(key), key.get_name()
    return ChangedHostKeyError(
        f"host key CHANGED, connection refused: {settings.where} now presents {kind} {fp}, but {source} "
        f"trusts {', '.join(expected)}. Someone may be intercepting the connection, or the server was reinstalled. "
        "Nothing was sent to the server. Only if its administrator confirms the new fingerprint, run "
        f"`hostdeck cloudpanel trust {settings.backend} --replace`"
        + (" (and update host_key_fingerprint in the config)." if source == "the config" else "."),
        backend=settings.backend, operation="connect", code="host_key_changed", host=settings.host, port=settings.port,
        fingerprint=fp, key_type=kind, expected=expected)


class _VerifyHostKey(paramiko.MissingHostKeyPolicy):  # type: ignore[misc]  # an untyped base class
    """Called by paramiko when known_hosts has no key of the presented type for this host: never adds anything."""

    def __init__(self, settings: SshSettings) -> None:
        self.settings = settings

    def missing_host_key(self, client: paramiko.SSHClient, hostname: str, key: paramiko.PKey) -> None:
        other = client.get_host_keys().lookup(hostname)
        if other:  # the host is known, with a key of another type: as loud as a changed key
            raise changed_key(self.settings, key, tuple(fingerprint(k) for k in dict(other).values()),
                              "hostdeck's known_hosts")
        if self.settings.pinned:
            if fingerprint(key) in self.settings.pinned:
                return
            raise changed_key(self.settings, key, self.settings.pinned, "the config")
        raise unknown_key(self.settings, key)


class SshConnection:
    """One SSH connection to one CloudPanel host, opened on first use and reopened after it drops."""

    def __init__(self, settings: SshSettings) -> None:
        self.settings = settings
        self.known_hosts = KnownHosts(settings.known_hosts)
        self._client: paramiko.SSHClient | None = None
        self._lock = threading.Lock()
        self.host_key: HostKeyInfo | None = None
        self.connect_ms: float | None = None

    # connecting ---------------------------------------------------------------------------------------------------
    def is_open(self) -> bool:
        client = self._client
        transport = client.get_transport() if client is not None else None
        return transport is not None and transport.is_active()

    def connect(self) -> paramiko.SSHClient:
        with self._lock:
            if self.is_open():
                return self._client
            self._close_locked()
            started = time.perf_counter()
            self._client = self._open()
            self.connect_ms = (time.perf_counter() - started) * 1000
            return self._client

    def _passphrase(self) -> str | None:
        return self.settings.passphrase() if self.settings.passphrase else None

    def _private_key(self) -> paramiko.PKey | None:
        s = self.settings
        if not s.key_file:
            return None
        path = Path(s.key_file).expanduser()
        password: bytes | None = None
        try:
            try:
                return paramiko.PKey.from_path(path)
            except (TypeError, paramiko.PasswordRequiredException) as exc:  # "encrypted, no password given"
                if isinstance(exc, TypeError) and "password" not in str(exc).lower():
                    raise
                passphrase = self._passphrase()
                if not passphrase:
                    raise AuthError(f"the SSH key file {path} is encrypted and no passphrase is set. Fix: run "
                                    f"`hostdeck secret set {s.backend} key_passphrase`.", backend=s.backend,
                                    operation="connect", code="key_passphrase_missing") from None
                password = passphrase.encode("utf-8")
                return paramiko.PKey.from_path(path, password=password)
        except (FileNotFoundError, PermissionError, IsADirectoryError) as exc:
            raise AuthError(f"the SSH key file {path} cannot be read ({exc.strerror}). Fix: check key_file in the "
                            f"config of backend {s.backend}.", backend=s.backend, operation="connect",
                            code="key_file_unreadable") from None
        except (paramiko.SSHException, ValueError, TypeError):
            hint = ("the key passphrase is wrong" if password is not None
                    else "it is not a private key paramiko can read")
            raise AuthError(f"the SSH key file {path} could not be opened: {hint}. Fix: check key_file"
                            + (f" and `hostdeck secret set {s.backend} key_passphrase`." if password is not None else "."),
                            backend=s.backend, operation="connect", code="key_file_invalid") from None

    def _open(self) -> paramiko.SSHClient:
        s = self.settings
        pkey = self._private_key()
        client = paramiko.SSHClient()
        client.set_log_channel(LOG_CHANNEL)
        known = self.known_hosts.load()
        for entry in known._entries:  # into the client's in-memory table only: it never writes a file
            for name in entry.hostnames:
                client.get_host_keys().add(name, entry.key.get_name(), entry.key)
        client.set_missing_host_key_policy(_VerifyHostKey(s))
        try:
            explicit = bool(pkey or s.password)  # otherwise ssh-agent and ~/.ssh keys, like `ssh`
            client.connect(s.host, port=s.port, username=s.user, pkey=pkey, password=s.password,
                           passphrase=None if explicit else self._passphrase(), timeout=s.connect_timeout,
                           banner_timeout=s.connect_timeout, auth_timeout=s.connect_timeout, allow_agent=not explicit,
                           look_for_keys=not explicit)
        except (UnknownHostKeyError, ChangedHostKeyError):
            client.close()
            raise
        except paramiko.BadHostKeyException as exc:
            client.close()
            raise changed_key(s, exc.key, (fingerprint(exc.expected_key),), "hostdeck's known_hosts") from None
        except paramiko.AuthenticationException as exc:
            client.close()
            how = "password" if s.password else (f"key {s.key_file}" if s.key_file else "keys (ssh-agent, ~/.ssh)")
            fix = (f"set the right password with `hostdeck secret set {s.backend} password`, or correct user in the "
                   "config" if s.password else f"add the public key to ~{s.user}/.ssh/authorized_keys on the server, "
                   "or correct user/key_file in the config")
            raise AuthError(f"{s.where} refused SSH login as {s.user!r} with the {how}. Fix: {fix}.",
                            backend=s.backend, operation="connect", code="ssh_auth_failed",
                            details=str(exc)) from None
        except paramiko.SSHException as exc:
            client.close()
            if "host key" in str(exc).lower():
                raise self._host_key_trouble(exc) from None
            raise UnavailableError(f"SSH to {s.where} failed: {exc}.", backend=s.backend, operation="connect",
                                   code="ssh_failed", retryable=True) from None
        except TimeoutError:
            client.close()
            raise UnavailableError(f"no SSH answer from {s.where} within {s.connect_timeout:g} s: check the host, the "
                                   "port and any firewall.", backend=s.backend, operation="connect",
                                   code="connect_timeout", retryable=True) from None
        except (OSError, EOFError) as exc:
            client.close()
            reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
            raise UnavailableError(f"cannot connect to {s.where} ({reason}): check the host, the port and that sshd "
                                   "runs there.", backend=s.backend, operation="connect", code="connect_failed",
                                   retryable=True) from None
        key = client.get_transport().get_remote_server_key()
        state = "pinned" if not self.known_hosts.keys_for(s.host, s.port) else "trusted"
        self.host_key = HostKeyInfo(s.host, s.port, key.get_name(), fingerprint(key), state)
        return client

    def _host_key_trouble(self, exc: Exception) -> Exception:
        """paramiko could not agree on a host key type (the trusted type is no longer offered): say what it offers."""
        s = self.settings
        try:
            key = self.presented_key(prefer_known=False)
        except Exception:
            return UnavailableError(f"SSH to {s.where} failed while agreeing on a host key: {exc}.", backend=s.backend,
                                    operation="connect", code="ssh_failed")
        state, expected = self.known_hosts.state_of(s.host, s.port, key)
        if state == "unknown" and not s.pinned:
            return unknown_key(s, key)
        return changed_key(s, key, expected or s.pinned, "hostdeck's known_hosts" if expected else "the config")

    def presented_key(self, *, prefer_known: bool = True) -> paramiko.PKey:
        """The host key the server presents, fetched without logging in (for `trust`)."""
        s = self.settings
        try:
            sock = socket.create_connection((s.host, s.port), timeout=s.connect_timeout)
        except OSError as exc:
            raise UnavailableError(f"cannot connect to {s.where} ({exc.strerror or exc}).", backend=s.backend,
                                   operation="fetch host key", code="connect_failed", retryable=True) from None
        transport = paramiko.Transport(sock)
        transport.set_log_channel(LOG_CHANNEL)
        try:
            known = self.known_hosts.keys_for(s.host, s.port) if prefer_known else {}
            if known:  # the same preference paramiko's SSHClient uses: the trusted type first
                options = transport.get_security_options()
                first = next(iter(known))
                options.key_types = [first] + [t for t in options.key_types if t != first]
            transport.start_client(timeout=s.connect_timeout)
            return transport.get_remote_server_key()
        except (paramiko.SSHException, OSError, EOFError) as exc:
            raise UnavailableError(f"SSH to {s.where} failed before a host key was presented ({exc}).",
                                   backend=s.backend, operation="fetch host key", code="ssh_failed",
                                   retryable=True) from None
        finally:
            transport.close()

    def host_key_info(self) -> HostKeyInfo:
        s = self.settings
        key = self.presented_key()
        state, expected = self.known_hosts.state_of(s.host, s.port, key)
        if state == "unknown" and s.pinned:
            state, expected = ("pinned" if fingerprint(key) in s.pinned else "changed"), s.pinned
        return HostKeyInfo(s.host, s.port, key.get_name(), fingerprint(key), state, expected)

    # running --------------------------------------------------------------------------------------------------------
    def run(self, line: str, *, timeout: float, operation: str, stdin: bytes | None = None) -> RawResult:
        """Run one command line; raise UnavailableError when it provably did not start, OutcomeUnknownError when it
        may have run but no exit status came back (timeout, dropped connection)."""
        s = self.settings
        client = self.connect()
        started = time.perf_counter()
        try:
            channel = client.get_transport().open_session(timeout=s.connect_timeout)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            self.close()
            raise UnavailableError(f"{operation}: could not open an SSH channel to {s.where} ({exc}); nothing was run.",
                                   backend=s.backend, operation=operation, code="channel_failed",
                                   retryable=True) from None
        try:
            channel.exec_command(line)
            if stdin:
                channel.sendall(stdin)
            channel.shutdown_write()
            out, err = self._read(channel, started + timeout, operation, timeout)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            channel.close()
            self.close()
            raise OutcomeUnknownError(f"{operation}: the SSH connection to {s.where} broke while the command was "
                                      f"sent ({type(exc).__name__}): it may or may not have run.", backend=s.backend,
                                      operation=operation) from None
        status = channel.exit_status
        channel.close()
        return RawResult(status, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                         (time.perf_counter() - started) * 1000)

    def _read(self, channel: paramiko.Channel, deadline: float, operation: str, timeout: float) -> tuple[bytes, bytes]:
        s = self.settings
        out, err = bytearray(), bytearray()
        transport = channel.get_transport()
        while True:
            while channel.recv_ready():
                chunk = channel.recv(65536)
                if len(out) < MAX_OUTPUT:
                    out += chunk
            while channel.recv_stderr_ready():
                chunk = channel.recv_stderr(65536)
                if len(err) < MAX_OUTPUT:
                    err += chunk
            finished = channel.closed or not transport.is_active() or (
                channel.status_event.is_set() and channel.eof_received)
            if finished and not channel.recv_ready() and not channel.recv_stderr_ready():
                break
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                channel.close()
                raise OutcomeUnknownError(f"{operation}: no answer from {s.where} within {timeout:g} s; the command "
                                          "may still be running there (outcome unknown).", backend=s.backend,
                                          operation=operation)
            select.select([channel], [], [], min(remaining, 0.05))
        if channel.exit_status < 0:  # closed (or killed by a signal) without an exit status
            channel.close()
            self.close()
            raise OutcomeUnknownError(f"{operation}: the SSH connection to {s.where} closed before the command "
                                      "finished: it may or may not have run.", backend=s.backend, operation=operation)
        return bytes(out), bytes(err)

    def close(self) -> None:
        with self._lock:
            self._close_locked()

    def _close_locked(self) -> None:
        if self._client is not None:
            try:
                self._client.close()
            except Exception:
                pass
            self._client = None
