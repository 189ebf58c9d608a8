"""Protection of a server against deletion and rebuild: two switches; only what changed is sent."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.containers import Vertical
from textual.widgets import Button
from textual.widgets import Label
from textual.widgets import Static
from textual.widgets import Switch

from hostdeck.backends.models import Server

from ..safe_text import as_text
from .base import Dialog
from .target import target_lines


def rebuild_protected(server: Server) -> bool:
    """From the provider's record (Hetzner: `protection.rebuild`); False when it does not say."""
    protection = server.raw.get("protection")
    return bool(protection.get("rebuild")) if isinstance(protection, dict) else False


class ProtectDialog(Dialog[dict[str, Any] | None]):
    """Dismissed with the switches that changed (`{"delete": bool, "rebuild": bool}`), for `Adapter.set_protection`."""

    SUBMIT = "#save"

    def __init__(self, server: Server, *, call: str = "") -> None:
        super().__init__()
        self.server = server
        self.call = call
        self.current = {"delete": server.delete_protected, "rebuild": rebuild_protected(server)}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Label(as_text(f"Protection of {self.server.name}", limit=300), id="dialog-title")
            yield Static(target_lines(self.server, call=self.call), id="dialog-body")
            for key, words in (("delete", "Protect against deletion"), ("rebuild", "Protect against rebuild")):
                with Horizontal(classes="row"):
                    yield Switch(self.current[key], id=f"protect-{key}")
                    yield Label(words, classes="switch-label")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#protect-delete").focus()

    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        changed = {key: self.query_one(f"#protect-{key}", Switch).value for key in self.current}
        changed = {k: v for k, v in changed.items() if v != self.current[k]}
        if not changed:
            self.notify("Nothing changed.", severity="warning")
            return
        self.dismiss(changed)
