"""Take an image of a server: a snapshot (kept until deleted) or a backup (needs backups on), with a description."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.containers import Vertical
from textual.widgets import Button
from textual.widgets import Input
from textual.widgets import Label
from textual.widgets import RadioButton
from textual.widgets import RadioSet
from textual.widgets import Static

from hostdeck.backends.models import Server
from hostdeck.backends.operations import ImageKind

from ..safe_text import as_text
from .base import Dialog
from .target import target_lines


class ImageDialog(Dialog[dict[str, Any] | None]):
    """Dismissed with `{"description": text or None, "kind": ImageKind}`, the arguments of `Adapter.create_image`."""

    SUBMIT = "#create"

    def __init__(self, server: Server, *, call: str = "") -> None:
        super().__init__()
        self.server = server
        self.call = call

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Label(as_text(f"Create an image of {self.server.name}", limit=300), id="dialog-title")
            yield Static(target_lines(self.server, call=self.call), id="dialog-body")
            with RadioSet(id="image-kind"):
                yield RadioButton("Snapshot (kept until deleted, billed per GB)", value=True, id="kind-snapshot")
                yield RadioButton("Backup (needs backups on; one of the server's 7)", id="kind-backup")
            yield Label("Description")
            yield Input(placeholder="e.g. before the upgrade", id="description")
            yield Static("A running server's image may be inconsistent: shut it down first for a clean copy.",
                         id="dialog-warning")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Create image", id="create", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#description").focus()

    @on(Button.Pressed, "#create")
    def _create(self) -> None:
        backup = self.query_one("#kind-backup", RadioButton).value
        description = self.query_one("#description", Input).value.strip() or None
        self.dismiss({"description": description, "kind": ImageKind.BACKUP if backup else ImageKind.SNAPSHOT})
