"""SSH from the console: the TUI hands the terminal to the system ssh (`App.suspend`) and takes it back afterwards."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from hostdeck.backends.models import Server

    from .actions import ServerActions


def run_ssh(screen: ServerActions, server: Server) -> None:
    """The system ssh in the real terminal (the TUI suspended), then back to this screen."""
    import subprocess

    from textual.app import SuspendNotSupported

    from hostdeck.backends.errors import BackendError
    from hostdeck.backends.errors import ConfigError
    from hostdeck.backends.ssh_command import ssh_argv
    from hostdeck.backends.ssh_command import ssh_user

    action = f"SSH to {server.name}"
    try:
        argv = ssh_argv(server, user=ssh_user(screen.app.workspace.config.backend(server.backend)))
        with screen.app.suspend():
            code = subprocess.call(argv)
    except SuspendNotSupported:
        screen.notify(f"{action}: this terminal cannot hand over to ssh; run `hostdeck server ssh {server.backend} "
                      f"{server.id}` in a shell.", severity="warning", timeout=10)
        return
    except (BackendError, ConfigError, OSError) as exc:
        screen.app.report_failure(exc, action=action, backend=server.backend)
        return
    if code:
        screen.notify(f"{action}: ssh ended with exit code {code}.", title=server.name, severity="warning", timeout=8)
