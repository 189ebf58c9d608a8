"""Insert an ISO into a server's virtual drive: pick one of the ISOs the backend offers (or type its name)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.widgets import Button
from textual.widgets import Input
from textual.widgets import Label
from textual.widgets import OptionList
from textual.widgets import Static

from hostdeck.backends.models import Server

from ..safe_text import as_text
from ..safe_text import visible
from .target import ServerDialog
from .target import choice


class IsoDialog(ServerDialog):
    """Dismissed with `{"iso": name}`, the argument of `Adapter.attach_iso`."""

    HEADING = "Attach an ISO to {name}"
    SUBMIT, SUBMIT_LABEL, SUBMIT_VARIANT, SUBMIT_DISABLED = "#attach", "Attach", "warning", True
    REQUIRED = ("#iso-name",)
    AFTER_LIST = "#attach"

    def __init__(self, server: Server, isos: Sequence[str], *, call: str = "") -> None:
        super().__init__(server, call=call)
        self.isos = list(isos)

    def fields(self) -> ComposeResult:
        if self.isos:
            yield OptionList(*[choice(as_text(name, limit=120), n) for n, name in enumerate(self.isos)],
                             id="iso-list")
        yield Label("ISO name or id")
        yield Input(id="iso-name")
        yield Static("It replaces an ISO already inserted; the server boots from it at its next restart when the "
                     "boot order says so.", id="dialog-warning")

    def on_mount(self) -> None:
        self.query_one("#iso-list" if self.isos else "#iso-name").focus()

    def picked(self, index: int | None) -> None:
        if index is not None:
            self.query_one("#iso-name", Input).value = visible(self.isos[index])

    @on(Input.Changed, "#iso-name")
    def _check(self, event: Input.Changed) -> None:
        self.query_one("#attach", Button).disabled = not event.value.strip()

    def result(self) -> dict[str, Any] | None:
        typed = self.query_one("#iso-name", Input).value.strip()
        return {"iso": next((iso for iso in self.isos if typed == visible(iso)), typed)}
