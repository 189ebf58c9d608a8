"""Enter a credential, masked. The value goes straight to the keyring (or the chosen secrets file) in a thread, never
to a log."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.containers import Vertical
from textual.widgets import Button
from textual.widgets import Input
from textual.widgets import Label
from textual.widgets import Static

from ..safe_text import as_text
from ..safe_text import visible
from .base import Dialog


class CredentialDialog(Dialog[str | None]):
    SUBMIT = "#save"
    REQUIRED = ("#credential-value",)

    def __init__(self, backend: str, field: str, env_var: str, *, where: str = "") -> None:
        super().__init__()
        self.backend = backend
        self.field = field
        self.env_var = env_var
        self.where = where or f"Stored in the OS keyring (service hostdeck, user {backend}:{field})"

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Label(as_text(f"Set {self.field} for {self.backend}"), id="dialog-title")
            yield Input(password=True, placeholder=visible(f"{self.field} (hidden)"), id="credential-value")
            yield Static(as_text(f"{self.where}. {self.env_var} in the environment overrides it."),
                         id="dialog-warning")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        value = self.query_one(Input).value
        if value:
            self.dismiss(value)
        else:
            self.app.bell()
