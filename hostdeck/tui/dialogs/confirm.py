"""Confirmation with Cancel focused; type-to-confirm for irreversible actions, the cursor in the field to type in."""

from __future__ import annotations

from rich.text import Text
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

LIMIT = 300  # characters of one backend string in the dialog


class ConfirmDialog(Dialog[bool]):
    """Names the backend, the target and the call. `require_text` makes the user type it (e.g. the server name)."""

    SUBMIT = "#confirm"
    CANCELLED = False

    def __init__(self, title: str, *, backend: str, target: str, call: str = "", warning: str = "",
                 confirm_label: str = "Confirm", require_text: str | None = None, danger: bool = True,
                 customer: str | None = None) -> None:
        """`customer`: who pays for the target (the billing link), "" when not linked; None leaves the line out."""
        super().__init__()
        self.title_text = title
        self.backend = backend
        self.target = target
        self.call = call
        self.warning = warning
        self.confirm_label = confirm_label
        self.require_text = require_text
        self.danger = danger
        self.customer = customer

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Label(as_text(self.title_text, limit=LIMIT), id="dialog-title")
            body = Text.assemble("Backend  ", as_text(self.backend, "bold", limit=LIMIT),
                                 "\nTarget   ", as_text(self.target, "bold", limit=LIMIT))
            if self.customer is not None:
                unlinked = Text("not linked in billing", "dim")
                who = as_text(self.customer, "bold", limit=LIMIT) if self.customer else unlinked
                body.append_text(Text.assemble("\nCustomer ", who))
            if self.call:
                body.append_text(Text.assemble("\nCall     ", as_text(self.call, "dim", limit=LIMIT)))
            yield Static(body, id="dialog-body")
            if self.warning:
                yield Static(as_text(self.warning, limit=LIMIT, multiline=True), id="dialog-warning")
            if self.require_text is not None:
                yield Label(Text.assemble("Type ", as_text(self.require_text, "bold", limit=LIMIT), " to confirm:"))
                yield Input(id="confirm-text")  # no placeholder: a grey name would look typed already
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="error" if self.danger else "primary",
                             disabled=self.require_text is not None)

    def on_mount(self) -> None:
        self.query_one("#cancel" if self.require_text is None else "#confirm-text").focus()

    def _matches(self, typed: str) -> bool:
        """The text as it is, or as shown (a name with control characters is typed with their escapes)."""
        return self.require_text is not None and typed in (self.require_text, visible(self.require_text))

    @on(Input.Changed, "#confirm-text")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#confirm", Button).disabled = not self._matches(event.value)

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        if self.require_text is None or self._matches(self.query_one("#confirm-text", Input).value):
            self.dismiss(True)
