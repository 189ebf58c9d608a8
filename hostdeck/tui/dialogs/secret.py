"""A new password or console credential, shown once with a copy key. Never logged, never stored."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Button
from textual.widgets import Label
from textual.widgets import Static

from ..keys import keys
from ..safe_text import as_text

LIMIT = 300  # characters of a name in the dialog
SECRET_LIMIT = 2_000  # a longer "password" is clipped on screen; c still copies all of it


class SecretDialog(ModalScreen[None]):
    BINDINGS = keys("secret", """
        c             copy      copy_secret  Copy password
        u             copy_url  copy_url     Copy URL
        escape,enter  close     close        Close
    """)

    def __init__(self, title: str, *, backend: str, target: str, secret: str, url: str | None = None,
                 note: str | None = None) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.backend = backend
        self.target = target
        self._secret = secret
        self._url = url
        self.note = note or "Shown once: hostdeck does not store or log it."

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Label(as_text(self.title_text, limit=LIMIT), id="dialog-title")
            yield Static(Text.assemble("Backend  ", as_text(self.backend, "bold", limit=LIMIT),
                                       "\nTarget   ", as_text(self.target, "bold", limit=LIMIT)), id="dialog-body")
            # shown with control characters escaped (a hostile backend must not write to the terminal); c copies it as it is
            yield Static(as_text(self._secret, limit=SECRET_LIMIT), id="secret-value")
            if self._url:
                yield Static(as_text(self._url, limit=SECRET_LIMIT), id="secret-url")
            yield Static(Text.assemble(as_text(self.note, limit=LIMIT), " ", ("c", "bold"), " copies it",
                                       *((", ", ("u", "bold"), " the URL") if self._url else ()), "."),
                         id="dialog-warning")
            with Horizontal(id="dialog-buttons"):
                yield Button("Copy (c)", id="copy", variant="primary")
                yield Button("Close", id="close")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "copy":
            self.action_copy_secret()
        else:
            self.action_close()

    def action_copy_secret(self) -> None:
        self.app.copy_to_clipboard(self._secret)
        self.notify("Sent to the clipboard (OSC 52).", timeout=3)

    def action_copy_url(self) -> None:
        if self._url:
            self.app.copy_to_clipboard(self._url)
            self.notify("URL sent to the clipboard (OSC 52).", timeout=3)

    def action_close(self) -> None:
        self._secret = ""
        self.dismiss(None)
