"""Enable the rescue system: which of the project's SSH keys it accepts. The root password is shown once afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual.app import ComposeResult
from textual.widgets import Label
from textual.widgets import SelectionList
from textual.widgets import Static

from hostdeck.backends.models import Server

from ..safe_text import as_text
from .target import ServerDialog


class RescueDialog(ServerDialog):
    """Dismissed with `{"ssh_keys": [names]}` (maybe empty), the arguments of `Adapter.enable_rescue`."""

    HEADING = "Enable rescue on {name}"
    SUBMIT, SUBMIT_LABEL, SUBMIT_VARIANT = "#enable", "Enable rescue", "warning"

    def __init__(self, server: Server, ssh_keys: Sequence[str], *, call: str = "") -> None:
        super().__init__(server, call=call)
        self.ssh_keys = list(ssh_keys)

    def fields(self) -> ComposeResult:
        if self.ssh_keys:
            yield Label("SSH keys the rescue system accepts (space toggles):")
            yield SelectionList[str](*[(as_text(k, limit=120), k) for k in self.ssh_keys], id="ssh-keys")
        else:
            yield Static("The project has no SSH keys: log in with the root password.", classes="note")
        yield Static("The server boots the rescue system (linux64) at its next restart. Its root password is "
                     "shown once.", id="dialog-warning")

    def on_mount(self) -> None:
        self.query_one("#ssh-keys" if self.ssh_keys else "#cancel").focus()

    def result(self) -> dict[str, Any] | None:
        return {"ssh_keys": list(self.query_one(SelectionList).selected) if self.ssh_keys else []}
