"""Insert an ISO into a server's virtual drive: pick one of the ISOs the backend offers (or type its name)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.containers import Vertical
from textual.widgets import Button
from textual.widgets import Input
from textual.widgets import Label
from textual.widgets import OptionList
from textual.widgets import Static
from textual.widgets.option_list import Option

from hostdeck.backends.models import Server

from ..safe_text import as_text
from .base import Dialog
from .target import target_lines


class IsoDialog(Dialog[dict[str, Any] | None]):
    """Dismissed with `{"iso": name}`, the argument of `Adapter.attach_iso`."""

    SUBMIT = "#attach"
    REQUIRED = ("#iso-name",)

    def __init__(self, server: Server, isos: Sequence[str], *, call: str = "") -> None:
        super().__init__()
        self.server = server
        self.isos = list(isos)
        self.call = call

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box"):
            yield Label(as_text(f"Attach an ISO to {self.server.name}", limit=300), id="dialog-title")
            yield Static(target_lines(self.server, call=self.call), id="dialog-body")
            if self.isos:
                yield OptionList(*[Option(as_text(name, limit=120), id=f"iso-{n}") for n, name in enumerate(self.isos)],
                                 id="iso-list")
            yield Label("ISO name or id")
            yield Input(id="iso-name")
            yield Static("It replaces an ISO already inserted; the server boots from it at its next restart when the "
                         "boot order says so.", id="dialog-warning")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Attach", id="attach", variant="warning", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#iso-list" if self.isos else "#iso-name").focus()

    @on(OptionList.OptionHighlighted, "#iso-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.query_one("#iso-name", Input).value = self.isos[int((event.option.id or "iso-0").removeprefix("iso-"))]

    @on(OptionList.OptionSelected, "#iso-list")
    def _selected(self) -> None:
        self.query_one("#attach", Button).focus()

    @on(Input.Changed, "#iso-name")
    def _check(self, event: Input.Changed) -> None:
        self.query_one("#attach", Button).disabled = not event.value.strip()

    @on(Button.Pressed, "#attach")
    def _attach_iso(self) -> None:
        self.dismiss({"iso": self.query_one("#iso-name", Input).value.strip()})
