"""The system `ssh` command line to a server: its address, the user from the config, the remote command quoted.

Used by the TUI's ssh action (inside `App.suspend()`) and by `hostdeck server ssh`. Host keys are left to ssh and the
person's known_hosts: no option here weakens them (no StrictHostKeyChecking=no, no UserKnownHostsFile=/dev/null).
"""

from __future__ import annotations

import ipaddress
import re
import shlex
from collections.abc import Sequence

from .config import BackendConfig
from .errors import ConfigError
from .errors import ValidationError
from .models import Server

DEFAULT_USER = "root"
USER_RE = re.compile(r"^[a-z_][a-z0-9_.-]{0,31}$", re.IGNORECASE)


def ssh_user(config: BackendConfig) -> str:
    """`[[backends]] ssh_user` (default root), checked so it can never be read as an option of ssh."""
    user = config.option("ssh_user", DEFAULT_USER)
    if not isinstance(user, str) or not USER_RE.match(user):
        raise ConfigError(f"ssh_user {user!r} is not a user name.", key=f"backends.{config.name}.ssh_user",
                          fix='write a login name, e.g. ssh_user = "root" (letters, digits, _ . -).')
    return user


def host_address(text: str) -> str | None:
    """An IP address as given, or a network's first host (an IPv6 /64's ::1, as Hetzner assigns it); None otherwise."""
    try:
        if "/" in text:
            network = ipaddress.ip_network(text, strict=False)
            return str(network[1] if network.num_addresses > 1 else network[0])
        return str(ipaddress.ip_address(text))
    except ValueError:
        return None


def ssh_address(server: Server) -> str:
    """The address ssh connects to: the IPv4, else the IPv6."""
    for value in (server.ipv4, server.ipv6):
        address = host_address(value) if value else None
        if address:
            return address
    raise ValidationError(f"{server.name} has no IP address to connect to.", backend=server.backend, operation="ssh")


def ssh_argv(server: Server, *, user: str, command: Sequence[str] = ()) -> list[str]:
    """`ssh -l USER -- ADDRESS [COMMAND]`: each word of `command` is quoted for the remote shell, so it runs as the
    words given (`-- sh -c 'a && b'` for a pipeline)."""
    argv = ["ssh", "-l", user, "--", ssh_address(server)]
    if command:
        argv.append(" ".join(shlex.quote(word) for word in command))
    return argv
