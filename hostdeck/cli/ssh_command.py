"""`hostdeck server ssh BACKEND SERVER [-- COMMAND...]`: the system ssh to the server's address, host keys as ssh checks
them (known_hosts). The ssh process replaces hostdeck, so its exit code is the command's."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

HELP = ("run the system ssh to the server's address as [[backends]] ssh_user (default root); words after -- are "
        "run remotely, each quoted")


def add_ssh_command(cmd: Callable[..., argparse.ArgumentParser], parent: Any) -> None:
    """Registers the sub-command under `hostdeck server` (`cmd` is build_parser's helper)."""
    p = cmd("ssh", server_ssh, HELP, False, parent)
    p.add_argument("backend")
    p.add_argument("server")
    p.add_argument("remote", nargs=argparse.REMAINDER, metavar="-- COMMAND", help="a command to run instead of a shell")


async def _argv(args: argparse.Namespace) -> list[str]:
    from hostdeck.backends.ssh_command import ssh_argv
    from hostdeck.backends.ssh_command import ssh_user

    from .context import CommandContext

    remote = list(args.remote)
    if remote[:1] == ["--"]:
        remote = remote[1:]
    with CommandContext(args) as ws:
        user = ssh_user(ws.config.backend(args.backend))
        adapter = ws.adapter(args.backend)
        try:
            server = await adapter.get_server(args.server)
        finally:
            await ws.aclose()
    return ssh_argv(server, user=user, command=remote)


def server_ssh(args: argparse.Namespace) -> int:
    import asyncio
    import os
    import sys

    from .output import warn

    argv = asyncio.run(_argv(args))
    sys.stdout.flush()
    sys.stderr.flush()
    try:
        os.execvp(argv[0], argv)
    except OSError as exc:
        warn(f"could not run ssh ({exc.strerror}): install the OpenSSH client or put ssh on PATH.")
        return 1
    return 0  # not reached: execvp replaces the process
