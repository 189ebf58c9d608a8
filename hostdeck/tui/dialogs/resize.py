"""Resize or rename a server (Convoy): the current values filled in; only what changes is sent."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.containers import Vertical
from textual.widgets import Button
from textual.widgets import Input
from textual.widgets import Label
from textual.widgets import Static

from hostdeck.backends.models import Server
from hostdeck.backends.validate import hostname_problem

from ..safe_text import as_text
from ..safe_text import visible
from .base import Dialog

LIMIT = 300  # characters of a name in a title


class ResizeDialog(Dialog[dict | None]):
    SUBMIT = "#resize"

    def __init__(self, server: Server) -> None:
        super().__init__()
        self.server = server
        res = server.raw.get("resources") or {}
        self.current = {"cpu": res.get("cpu"), "memory_mb": res.get("memory_mb"), "disk_gb": res.get("disk_gb"),
                        "bandwidth_gb": res.get("bandwidth_gb")}

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Label(as_text(f"Resize {visible(self.server.name, limit=LIMIT)} on {self.server.backend}"), id="dialog-title")
            yield Label("CPU cores · memory MB · disk GB · bandwidth GB (empty: unlimited)")
            with Horizontal(classes="row"):
                for key in ("cpu", "memory_mb", "disk_gb", "bandwidth_gb"):
                    value = self.current.get(key)
                    yield Input("" if value is None else str(value), id=key, type="integer")
            yield Static("The addresses stay. A disk cannot shrink.", id="dialog-warning")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Resize", id="resize", variant="error")

    def on_mount(self) -> None:
        self.query_one("#cancel", Button).focus()

    @on(Button.Pressed, "#resize")
    def _resize(self) -> None:
        changed = {}
        for key, old in self.current.items():
            text = self.query_one(f"#{key}", Input).value.strip()
            new = int(text) if text.isdigit() else None
            if new != old and not (key == "bandwidth_gb" and new is None and old is None):
                changed[key] = new
        if not changed:
            self.notify("Nothing changed.", severity="warning")
            return
        self.dismiss(changed)


class RenameDialog(Dialog[dict | None]):
    SUBMIT = "#rename"

    def __init__(self, server: Server) -> None:
        super().__init__()
        self.server = server

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Label(as_text(f"Rename {visible(self.server.name, limit=LIMIT)} on {self.server.backend}"), id="dialog-title")
            yield Label("Name (1-40 characters) and host name")
            # as shown: a name with control characters is offered with them escaped, and kept unless edited
            yield Input(visible(self.server.name), id="name")
            yield Input(visible(self.server.raw.get("hostname") or ""), id="hostname")
            yield Static("", id="name-problem")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Rename", id="rename", variant="primary")

    @on(Input.Changed)
    def _check(self) -> None:
        name, host = self.query_one("#name", Input).value, self.query_one("#hostname", Input).value.strip()
        problems = []
        if not 1 <= len(name.strip()) <= 40:
            problems.append("the name must be 1 to 40 characters")
        if host and hostname_problem(host):
            problems.append(f"host name: {hostname_problem(host)}")
        self.query_one("#name-problem", Static).update(as_text("\n".join(problems), "red", multiline=True))
        self.query_one("#rename", Button).disabled = bool(problems)

    @on(Button.Pressed, "#rename")
    def _rename(self) -> None:
        name, host = self.query_one("#name", Input).value.strip(), self.query_one("#hostname", Input).value.strip()
        changed = {}
        if name not in (self.server.name, visible(self.server.name).strip()):
            changed["name"] = name
        old_host = str(self.server.raw.get("hostname") or "")
        if host and host not in (old_host, visible(old_host).strip()):
            changed["hostname"] = host
        if not changed:
            self.notify("Nothing changed.", severity="warning")
            return
        self.dismiss(changed)
