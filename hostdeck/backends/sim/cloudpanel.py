"""A CloudPanel host for tests and the demo: an SSH server (paramiko) on 127.0.0.1 running a stateful `clpctl`.

    with CloudPanelSim(user="deploy", sudo_nopasswd=True, seed=1, cert_seconds=0.2) as sim:
        host, port = sim.address
        ... connect with sim.client_key_file, trust sim.fingerprint ...
        sim.commands   # every command line received, passwords masked

What it does (cloudpanel.md, "A faithful simulator must"):
- a fixed host key per sim (derived from the seed, so the demo's known_hosts stays valid across runs);
  `rotate_host_key()` presents a different one and drops open connections;
- key authentication for one user (`authorized_key`, private key at `client_key_file`), optionally a password;
- a non-root user needs `sudo -n` (NOPASSWD on/off: `sudo: a password is required`);
- a minimal shell: `command -v clpctl`, `test -f <vhost file>`, `ls -1 /usr/bin` (the runtimes of `state.os`),
  `[sudo -n] clpctl ...`; anything else is
  `command not found` (127). Unquoted shell metacharacters are refused (exit 2) and flagged in `unsafe`;
- faults (`faults.add(kind, match, count)`): `slow` (delay past a timeout; the command still runs), `drop` (the
  connection closes mid-command, after the command ran unless apply=False), `error_marker` (exit 0 with an
  `Error:` line on stderr, nothing done), `not_found` (`clpctl: command not found`, 127).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import random
import re
import shlex
import shutil
import socket
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import paramiko
from cryptography.hazmat.primitives.asymmetric import ec

from .clpctl import Clpctl
from .clpctl import SimState
from .clpctl import seed_state

SECRET_OPTION = re.compile(r"^(--(?:siteUserPassword|databaseUserPassword|password)=)(.*)$", re.DOTALL)
SECRET_IN_LINE = re.compile(r"(--(?:siteUserPassword|databaseUserPassword|password)=)('[^']*'|\"[^\"]*\"|\S+)")
_SAFE_UNQUOTED = re.compile(r"[A-Za-z0-9_@%+=:,./-]")
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
FAULT_KINDS = ("slow", "drop", "error_marker", "not_found")
LOG_CHANNEL = "hostdeck.sim.cloudpanel.ssh"
logging.getLogger(LOG_CHANNEL).addHandler(logging.NullHandler())  # paramiko's noise stays off stderr


class UnsafeLine(ValueError):
    """The command line has a character a real shell would interpret: the client did not quote it."""


def split_line(line: str) -> list[str]:
    """Split like a POSIX shell, but refuse anything a shell would expand or interpret outside single quotes."""
    words: list[str] = []
    current: list[str] = []
    in_word = False
    i = 0
    while i < len(line):
        c = line[i]
        if c == "'":
            end = line.find("'", i + 1)
            if end < 0:
                raise UnsafeLine("unterminated single quote")
            current.append(line[i + 1:end])
            in_word, i = True, end + 1
        elif c == '"':  # shlex.quote writes a single quote as "'"; inside double quotes $ ` \ would still expand
            end = line.find('"', i + 1)
            if end < 0:
                raise UnsafeLine("unterminated double quote")
            inner = line[i + 1:end]
            if any(ch in inner for ch in "$`\\!"):
                raise UnsafeLine(f"expansion inside double quotes at position {i}")
            current.append(inner)
            in_word, i = True, end + 1
        elif c == " ":
            if in_word:
                words.append("".join(current))
            current, in_word, i = [], False, i + 1
        elif c == "\\" and i + 1 < len(line) and line[i + 1] != "\n":
            current.append(line[i + 1])
            in_word, i = True, i + 2
        elif _SAFE_UNQUOTED.fullmatch(c):
            current.append(c)
            in_word, i = True, i + 1
        else:
            raise UnsafeLine(f"unquoted {c!r} at position {i}")
    if in_word:
        words.append("".join(current))
    return words


def mask_words(words: list[str]) -> list[str]:
    return [SECRET_OPTION.sub(lambda m: m.group(1) + "***", w) for w in words]


def derived_key(label: str) -> paramiko.ECDSAKey:
    """A P-256 key derived from `label`: the same label always gives the same key."""
    value = int.from_bytes(hashlib.sha256(label.encode()).digest(), "big") % (_P256_ORDER - 1) + 1
    private = ec.derive_private_key(value, ec.SECP256R1())
    return paramiko.ECDSAKey(vals=(private, private.public_key()))


def sha256_fingerprint(key: paramiko.PKey) -> str:
    return "SHA256:" + base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")


@dataclass
class Fault:
    kind: str
    match: str = "*"          # a substring of the command line, or "*"
    count: int | None = 1     # None: until cleared
    delay: float = 2.0        # slow: seconds before the command runs
    apply: bool = True        # slow/drop: whether the command still takes effect


class Faults:
    def __init__(self) -> None:
        self._items: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, kind: str, match: str = "*", count: int | None = 1, **options: Any) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; known: {', '.join(FAULT_KINDS)}")
        fault = Fault(kind, match, count, **options)
        with self._lock:
            self._items.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def take(self, line: str) -> Fault | None:
        with self._lock:
            for fault in self._items:
                if fault.match == "*" or fault.match in line:
                    if fault.count is not None:
                        fault.count -= 1
                        if fault.count <= 0:
                            self._items.remove(fault)
                    return fault
        return None


class _Server(paramiko.ServerInterface):  # type: ignore[misc]  # paramiko ships no types
    def __init__(self, sim: CloudPanelSim, transport: paramiko.Transport) -> None:
        self.sim = sim
        self.transport = transport

    def get_allowed_auths(self, username: str) -> str:
        return "publickey,password" if self.sim.password else "publickey"

    def check_auth_publickey(self, username: str, key: paramiko.PKey) -> int:
        good = self.sim.authorized_key
        if username == self.sim.user and key.get_name() == good.get_name() and key.asbytes() == good.asbytes():
            return int(paramiko.AUTH_SUCCESSFUL)
        self.sim.auth_failures += 1
        return int(paramiko.AUTH_FAILED)

    def check_auth_password(self, username: str, password: str) -> int:
        if self.sim.password and username == self.sim.user and password == self.sim.password:
            return int(paramiko.AUTH_SUCCESSFUL)
        self.sim.auth_failures += 1
        return int(paramiko.AUTH_FAILED)

    def check_channel_request(self, kind: str, chanid: int) -> int:
        return int(paramiko.OPEN_SUCCEEDED if kind == "session" else paramiko.OPEN_FAILED_ADMINISTRATIVELY_PROHIBITED)

    def check_channel_exec_request(self, channel: paramiko.Channel, command: bytes) -> bool:
        threading.Thread(target=self.sim._serve, args=(channel, command, self.transport), daemon=True,
                         name="cloudpanel-sim-exec").start()
        return True

    def check_channel_pty_request(self, *args: Any) -> bool:
        return False

    def check_channel_shell_request(self, channel: paramiko.Channel) -> bool:
        return False


class CloudPanelSim:
    def __init__(self, user: str = "root", sudo_nopasswd: bool = True, seed: int = 1, cert_seconds: float = 0.2, *,
                 password: str | None = None, client_key_passphrase: str | None = None, latency_ms: float = 0.0) -> None:
        self.user = user
        self.sudo_nopasswd = sudo_nopasswd
        self.seed = seed
        self.password = password
        self.client_key_passphrase = client_key_passphrase
        self.latency_ms = latency_ms
        self.clpctl_installed = True
        self.state = SimState(cert_seconds=cert_seconds)
        seed_state(self.state, seed)
        self.clpctl = Clpctl(self.state, random.Random(seed))
        self.faults = Faults()
        self.commands: list[str] = []          # every command line received, passwords masked
        self.log: list[dict[str, Any]] = []    # the same, with user, argv, exit status and flags
        self.unsafe: list[str] = []            # lines refused for unquoted shell metacharacters (masked)
        self.auth_failures = 0
        self._generation = 0
        self.host_key: paramiko.PKey = derived_key(f"hostdeck-cloudpanel-sim-host:{seed}:0")
        self.authorized_key: paramiko.PKey = derived_key(f"hostdeck-cloudpanel-sim-client:{seed}")
        self._key_dir: str | None = None
        self._listener: socket.socket | None = None
        self._transports: list[paramiko.Transport] = []
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.address: tuple[str, int] | None = None

    # state, for tests ------------------------------------------------------------------------------------------------
    @property
    def sites(self) -> dict[str, dict[str, Any]]:
        return self.state.sites

    @property
    def users(self) -> dict[str, dict[str, Any]]:
        return self.state.users

    @property
    def databases(self) -> dict[str, dict[str, Any]]:
        return self.state.databases

    @property
    def offline(self) -> bool:
        return self.state.offline

    @offline.setter
    def offline(self, value: bool) -> None:
        self.state.offline = value

    @property
    def fingerprint(self) -> str:
        return sha256_fingerprint(self.host_key)

    @property
    def client_key_file(self) -> str:
        """A private key file for `authorized_key` (PEM; encrypted when client_key_passphrase is set)."""
        if self._key_dir is None or not Path(self._key_dir).exists():
            self._key_dir = tempfile.mkdtemp(prefix="hostdeck-cloudpanel-sim-")
            # kept after stop() (a stopped host is a test case too); removed with the sim object or at exit
            weakref.finalize(self, shutil.rmtree, self._key_dir, True)
        path = Path(self._key_dir) / "client_key"
        if not path.exists():
            self.authorized_key.write_private_key_file(str(path), password=self.client_key_passphrase)
        return str(path)

    def rotate_host_key(self) -> paramiko.PKey:
        """Present a different host key from now on (a reinstalled or impersonated server); drops open connections."""
        self._generation += 1
        self.host_key = derived_key(f"hostdeck-cloudpanel-sim-host:{self.seed}:{self._generation}")
        self._drop_connections()
        return self.host_key

    def drop_connections(self) -> None:
        self._drop_connections()

    # life cycle ----------------------------------------------------------------------------------------------------------
    def start(self) -> tuple[str, int]:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        listener.settimeout(0.2)
        self._listener = listener
        self._stopping.clear()
        self.address = listener.getsockname()[:2]
        self._thread = threading.Thread(target=self._accept_loop, daemon=True, name="cloudpanel-sim-accept")
        self._thread.start()
        return self.address

    def stop(self) -> None:
        self._stopping.set()
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() at once
            except OSError:
                pass
            self._listener.close()
            self._listener = None
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None
        self._drop_connections()

    def __enter__(self) -> CloudPanelSim:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _drop_connections(self) -> None:
        with self._lock:
            transports, self._transports = self._transports, []
        for transport in transports:
            transport.close()

    def _accept_loop(self) -> None:
        while not self._stopping.is_set():
            listener = self._listener
            if listener is None:
                return
            try:
                sock, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._handshake, args=(sock,), daemon=True, name="cloudpanel-sim-conn").start()

    def _handshake(self, sock: socket.socket) -> None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        transport = paramiko.Transport(sock)
        transport.set_log_channel(LOG_CHANNEL)
        transport.add_server_key(self.host_key)
        with self._lock:
            self._transports = [t for t in self._transports if t.is_active()] + [transport]
        try:
            transport.start_server(server=_Server(self, transport))
        except (paramiko.SSHException, EOFError, OSError):
            transport.close()

    # one exec request --------------------------------------------------------------------------------------------------
    def _sleep(self, seconds: float) -> bool:
        return not self._stopping.wait(seconds)

    def _serve(self, channel: paramiko.Channel, command: bytes, transport: paramiko.Transport) -> None:
        line = command.decode("utf-8", "surrogateescape")
        try:
            if self.latency_ms:
                self._sleep(self.latency_ms / 1000)
            status, out, err = self._execute(line, channel, transport)
            if status is None:
                return
            if out:
                channel.sendall(out.encode("utf-8", "surrogateescape"))
            if err:
                channel.sendall_stderr(err.encode("utf-8", "surrogateescape"))
            channel.send_exit_status(status)
            channel.shutdown_write()
            # Let the client close first: closing before the transport thread has confirmed the exec request
            # would make the client's exec_command fail with "Channel closed".
            deadline = time.monotonic() + 2.0
            while not channel.closed and time.monotonic() < deadline and not self._stopping.is_set():
                time.sleep(0.005)
        except (OSError, EOFError, paramiko.SSHException):
            pass
        finally:
            channel.close()

    def _record(self, line: str, words: list[str] | None, **info: Any) -> dict[str, Any]:
        masked = shlex.join(mask_words(words)) if words is not None else SECRET_IN_LINE.sub(r"\1***", line)
        entry = {"line": masked, "argv": mask_words(words) if words is not None else None, "user": self.user, **info}
        with self._lock:
            self.commands.append(masked)
            self.log.append(entry)
        return entry

    def _read_line(self, channel: paramiko.Channel) -> str | None:
        data = b""
        channel.settimeout(30)
        try:
            while not data.endswith(b"\n"):
                chunk = channel.recv(1)
                if not chunk:
                    return None
                data += chunk
        except (TimeoutError, OSError):
            return None
        return data.decode("utf-8", "replace")

    def _execute(self, line: str, channel: paramiko.Channel, transport: paramiko.Transport) -> tuple[int | None, str, str]:
        try:
            words = split_line(line) if "\x00" not in line else None
            if words is None:
                raise UnsafeLine("NUL byte")
        except UnsafeLine as exc:
            entry = self._record(line, None, unsafe=True)
            self.unsafe.append(entry["line"])
            entry["exit"] = 2
            return 2, "", f"sim: refusing a command line with {exc} (the client must quote every value)\n"
        entry = self._record(line, words, unsafe=False)
        fault = self.faults.take(line)
        status, out, err = self._dispatch(words, channel, transport, fault)
        entry["exit"] = status
        return status, out, err

    def _dispatch(self, words: list[str], channel: paramiko.Channel, transport: paramiko.Transport,
                  fault: Fault | None) -> tuple[int | None, str, str]:
        if words[:2] == ["command", "-v"] and len(words) == 3:
            if words[2] == "clpctl" and self.clpctl_installed:
                return 0, "/usr/bin/clpctl\n", ""
            return 1, "", ""
        if words == ["ls", "-1", "/usr/bin"]:
            return 0, self.state.usr_bin(), ""
        if words[:2] == ["test", "-f"] and len(words) == 3:
            prefix, _, name = words[2].rpartition("/")
            found = prefix == self.state.vhost_dir and name.endswith(".conf") and name[:-5] in self.state.sites
            return (0 if found else 1), "", ""
        sudo = words[:1] == ["sudo"]
        if sudo:
            if words[1:2] != ["-n"]:
                return 1, "", ("sudo: a terminal is required to read the password; either use the -S option to read "
                               "from standard input or configure an askpass helper\nsudo: a password is required\n")
            if self.user != "root" and not self.sudo_nopasswd:
                return 1, "", "sudo: a password is required\n"
            words = words[2:]
        if not words or words[0] != "clpctl" or not self.clpctl_installed or (fault and fault.kind == "not_found"):
            name = words[0] if words else ""
            return 127, "", f"bash: line 1: {name}: command not found\n"
        if self.user != "root" and not sudo:
            return 1, "", ("sudo: a terminal is required to read the password; either use the -S option to read from "
                           "standard input or configure an askpass helper\nsudo: a password is required\n")
        if fault and fault.kind == "error_marker":
            return 0, "", "Error: An unexpected error occurred (simulated). Please try again.\n"
        if fault and fault.kind == "slow":
            if not self._sleep(fault.delay) or not fault.apply:
                return None, "", ""
        if fault and fault.kind == "drop":
            self._sleep(0.05)  # mid-command: the client has its exec confirmed and waits for the answer
            if fault.apply:
                self.clpctl.run(words[1:], lambda: self._read_line(channel), self._sleep)
            transport.close()
            return None, "", ""
        result = self.clpctl.run(words[1:], lambda: self._read_line(channel), self._sleep)
        return result
