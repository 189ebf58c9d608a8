"""Confirmation with Cancel focused; type-to-confirm for irreversible actions."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static


class ConfirmDialog(ModalScreen[bool]):
    """Names the backend, the target and the call. `require_text` makes the user type it (e.g. the server name)."""

    BINDINGS = [Binding("escape", "cancel", "Cancel", id="confirm.cancel")]

    def __init__(self, title: str, *, backend: str, target: str, call: str = "", warning: str = "",
                 confirm_label: str = "Confirm", require_text: str | None = None, danger: bool = True) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.backend = backend
        self.target = target
        self.call = call
        self.warning = warning
        self.confirm_label = confirm_label
        self.require_text = require_text
        self.danger = danger

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Label(escape(self.title_text), id="dialog-title")
            yield Static(f"Backend  [b]{escape(self.backend)}[/b]\nTarget   [b]{escape(self.target)}[/b]"
                         + (f"\nCall     [dim]{escape(self.call)}[/dim]" if self.call else ""), id="dialog-body")
            if self.warning:
                yield Static(escape(self.warning), id="dialog-warning")
            if self.require_text is not None:
                yield Label(f"Type [b]{escape(self.require_text)}[/b] to confirm:")
                yield Input(placeholder=self.require_text, id="confirm-text")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="error" if self.danger else "primary",
                             disabled=self.require_text is not None)

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Input.Changed, "#confirm-text")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = event.value != self.require_text

    @on(Input.Submitted, "#confirm-text")
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value == self.require_text:
            self.dismiss(True)

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        if self.require_text is None or self.query_one("#confirm-text", Input).value == self.require_text:
            self.dismiss(True)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)
