"""Take an image of a server: a snapshot (kept until deleted) or a backup (needs backups on), with a description."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.widgets import Input
from textual.widgets import Label
from textual.widgets import RadioButton
from textual.widgets import RadioSet
from textual.widgets import Static

from hostdeck.backends.operations import ImageKind

from .target import ServerDialog


class ImageDialog(ServerDialog):
    """Dismissed with `{"description": text or None, "kind": ImageKind}`, the arguments of `Adapter.create_image`."""

    HEADING = "Create an image of {name}"
    SUBMIT, SUBMIT_LABEL, SUBMIT_VARIANT = "#create", "Create image", "warning"

    def fields(self) -> ComposeResult:
        with RadioSet(id="image-kind"):
            yield RadioButton("Snapshot (kept until deleted, billed per GB)", value=True, id="kind-snapshot")
            yield RadioButton("Backup (needs backups on; one of the server's 7)", id="kind-backup")
        yield Label("Description")
        yield Input(placeholder="e.g. before the upgrade", id="description")
        yield Static("A running server's image may be inconsistent: shut it down first for a clean copy.",
                     id="dialog-warning")

    def on_mount(self) -> None:
        self.query_one("#description").focus()

    def result(self) -> dict[str, Any] | None:
        backup = self.query_one("#kind-backup", RadioButton).value
        return {"description": self.query_one("#description", Input).value.strip() or None,
                "kind": ImageKind.BACKUP if backup else ImageKind.SNAPSHOT}
