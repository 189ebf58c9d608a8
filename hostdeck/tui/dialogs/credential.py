"""Enter a credential, masked. The value goes straight to the keyring in a thread, never to a log."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button
from textual.widgets import Input
from textual.widgets import Label
from textual.widgets import Static

from ..safe_text import as_text
from ..safe_text import visible


class CredentialDialog(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="credential.cancel")]

    def __init__(self, backend: str, field: str, env_var: str) -> None:
        super().__init__(classes="dialog")
        self.backend = backend
        self.field = field
        self.env_var = env_var

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Label(as_text(f"Set {self.field} for {self.backend}"), id="dialog-title")
            yield Input(password=True, placeholder=visible(f"{self.field} (hidden)"), id="credential-value")
            yield Static(as_text(f"Stored in the OS keyring (service hostdeck, user {self.backend}:{self.field}). "
                                 f"{self.env_var} in the environment overrides it."), id="dialog-warning")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

    @on(Input.Submitted)
    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        value = self.query_one(Input).value
        if value:
            self.dismiss(value)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
