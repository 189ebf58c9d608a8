"""Protection of a server against deletion and rebuild: two switches; only what changed is sent."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label
from textual.widgets import Switch

from hostdeck.backends.models import Server

from .target import ServerDialog


def rebuild_protected(server: Server) -> bool:
    """From the provider's record (Hetzner: `protection.rebuild`); False when it does not say."""
    protection = server.raw.get("protection")
    return bool(protection.get("rebuild")) if isinstance(protection, dict) else False


class ProtectDialog(ServerDialog):
    """Dismissed with the switches that changed (`{"delete": bool, "rebuild": bool}`), for `Adapter.set_protection`."""

    HEADING = "Protection of {name}"
    SUBMIT = "#save"

    def __init__(self, server: Server, *, call: str = "") -> None:
        super().__init__(server, call=call)
        self.current = {"delete": server.delete_protected, "rebuild": rebuild_protected(server)}

    def fields(self) -> ComposeResult:
        for key, words in (("delete", "Protect against deletion"), ("rebuild", "Protect against rebuild")):
            with Horizontal(classes="row"):
                yield Switch(self.current[key], id=f"protect-{key}")
                yield Label(words, classes="switch-label")

    def on_mount(self) -> None:
        self.query_one("#protect-delete").focus()

    def result(self) -> dict[str, Any] | None:
        changed = {key: self.query_one(f"#protect-{key}", Switch).value for key in self.current}
        changed = {k: v for k, v in changed.items() if v != self.current[k]}
        if not changed:
            self.notify("Nothing changed.", severity="warning")
            return None
        return changed
