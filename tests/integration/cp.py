"""Helpers for the CloudPanel integration tests: adapters pointed at a simulator or a real sshd, and a raw client."""

from __future__ import annotations

import json
from typing import Any

import paramiko
import pytest

from hostdeck.backends.cloudpanel import CloudPanelAdapter
from hostdeck.backends.config import BackendConfig
from hostdeck.backends.events import EventLog
from hostdeck.backends.secrets import Secrets


@pytest.fixture(autouse=True)
def isolated_keyring(memory_keyring):
    """An empty in-memory keyring: adapters that look up an optional secret never touch this machine's keyring."""
    yield memory_keyring


FAST = {"connect_timeout": 5, "command_timeout": 5, "create_timeout": 5, "certificate_timeout": 5}


def make_adapter(host: str, port: int, key_file: str | None, *, name: str = "cp", secrets: dict[str, str] | None = None,
                 read_only: bool = False, events: EventLog | None = None, **options: Any) -> CloudPanelAdapter:
    opts = {"host": host, "port": port, **FAST, **options}
    if key_file is not None:
        opts["key_file"] = key_file
    overlay = {(name, field): value for field, value in (secrets or {}).items()}
    return CloudPanelAdapter(BackendConfig(name=name, kind="cloudpanel", options=opts), secrets=Secrets(overlay=overlay),
                             events=events or EventLog(), read_only=read_only)


def sim_adapter(sim, **options: Any) -> CloudPanelAdapter:
    host, port = sim.address
    options.setdefault("user", sim.user)
    return make_adapter(host, port, options.pop("key_file", sim.client_key_file), **options)


def recorded(adapter: CloudPanelAdapter) -> str:
    """Everything hostdeck recorded for this adapter, as one string (events with their details)."""
    return json.dumps([e.as_dict() for e in adapter.events.recent()], default=str)


def raw_client(sim, *, user: str | None = None, key: paramiko.PKey | None = None) -> paramiko.SSHClient:
    """A plain paramiko client that trusts exactly the sim's current host key (RejectPolicy for anything else)."""
    host, port = sim.address
    client = paramiko.SSHClient()
    client.get_host_keys().add(f"[{host}]:{port}", sim.host_key.get_name(), sim.host_key)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(host, port=port, username=user or sim.user, pkey=key or sim.authorized_key, allow_agent=False,
                   look_for_keys=False, timeout=5)
    return client


def run(client: paramiko.SSHClient, line: str, *, stdin: bytes | None = None, timeout: float = 5) -> tuple[int, str, str]:
    channel = client.get_transport().open_session()
    channel.settimeout(timeout)
    try:
        channel.exec_command(line)
    except (EOFError, paramiko.SSHException):
        return -1, "", ""  # the connection went away before the command was confirmed
    if stdin:
        channel.sendall(stdin)
    channel.shutdown_write()
    out, err = b"", b""
    while True:
        if channel.recv_ready():
            out += channel.recv(65536)
        elif channel.recv_stderr_ready():
            err += channel.recv_stderr(65536)
        elif channel.exit_status_ready() and not channel.recv_ready() and not channel.recv_stderr_ready():
            break
        else:
            channel.status_event.wait(0.01)
    status = channel.recv_exit_status()
    channel.close()
    return status, out.decode(), err.decode()
