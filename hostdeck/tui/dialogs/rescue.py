"""Enable the rescue system: which of the project's SSH keys it accepts. The root password is shown once afterwards."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.containers import Vertical
from textual.widgets import Button
from textual.widgets import Label
from textual.widgets import SelectionList
from textual.widgets import Static

from hostdeck.backends.models import Server

from ..safe_text import as_text
from .base import Dialog
from .target import target_lines


class RescueDialog(Dialog[dict[str, Any] | None]):
    """Dismissed with `{"ssh_keys": [names]}` (maybe empty), the arguments of `Adapter.enable_rescue`."""

    SUBMIT = "#enable"

    def __init__(self, server: Server, ssh_keys: Sequence[str], *, call: str = "") -> None:
        super().__init__()
        self.server = server
        self.ssh_keys = list(ssh_keys)
        self.call = call

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Label(as_text(f"Enable rescue on {self.server.name}", limit=300), id="dialog-title")
            yield Static(target_lines(self.server, call=self.call), id="dialog-body")
            if self.ssh_keys:
                yield Label("SSH keys the rescue system accepts (space toggles):")
                yield SelectionList[str](*[(as_text(k, limit=120), k) for k in self.ssh_keys], id="ssh-keys")
            else:
                yield Static("The project has no SSH keys: log in with the root password.", classes="dim")
            yield Static("The server boots the rescue system (linux64) at its next restart. Its root password is "
                         "shown once.", id="dialog-warning")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Enable rescue", id="enable", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#ssh-keys" if self.ssh_keys else "#cancel").focus()

    @on(Button.Pressed, "#enable")
    def _enable(self) -> None:
        chosen = list(self.query_one(SelectionList).selected) if self.ssh_keys else []
        self.dismiss({"ssh_keys": chosen})
