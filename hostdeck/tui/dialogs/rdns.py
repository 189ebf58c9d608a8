"""Reverse DNS of a server's primary IPs: each address with its PTR record; one is edited at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
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
from hostdeck.backends.validate import hostname_problem

from ..safe_text import as_text
from ..safe_text import visible
from .base import Dialog
from .target import target_lines


def ptr_line(ip: str, ptr: str | None) -> Text:
    return Text.assemble((visible(ip, limit=45).ljust(40), "bold"), (visible(ptr, limit=200) if ptr else "(default)",
                                                                     "" if ptr else "dim"))


class RdnsDialog(Dialog[dict[str, Any] | None]):
    """Dismissed with `{"ip": address, "dns_ptr": name or None}` (None: back to the provider's default), the
    arguments of `Adapter.set_reverse_dns`."""

    SUBMIT = "#save"

    def __init__(self, server: Server, entries: Sequence[tuple[str, str | None]], *, call: str = "") -> None:
        super().__init__()
        self.server = server
        self.entries = list(entries)
        self.call = call
        self.chosen: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box", classes="wide"):
            yield Label(as_text(f"Reverse DNS of {self.server.name}", limit=300), id="dialog-title")
            yield Static(target_lines(self.server, call=self.call), id="dialog-body")
            yield OptionList(*[Option(ptr_line(ip, ptr), id=f"ip-{n}") for n, (ip, ptr) in enumerate(self.entries)],
                             id="ip-list")
            yield Label("PTR record of the address above (empty: the provider's default)")
            yield Input(id="dns-ptr")
            yield Static("", id="name-problem")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button("Save", id="save", variant="primary", disabled=True)

    def on_mount(self) -> None:
        self.query_one("#ip-list" if self.entries else "#cancel").focus()

    @on(OptionList.OptionHighlighted, "#ip-list")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        ip, ptr = self.entries[int((event.option.id or "ip-0").removeprefix("ip-"))]
        self.chosen = ip
        self.query_one("#dns-ptr", Input).value = ptr or ""
        self._check()

    @on(OptionList.OptionSelected, "#ip-list")
    def _selected(self) -> None:
        self.query_one("#dns-ptr").focus()

    @on(Input.Changed, "#dns-ptr")
    def _check(self) -> None:
        value = self.query_one("#dns-ptr", Input).value.strip()
        problem = hostname_problem(value) if value else ""
        self.query_one("#name-problem", Static).update(as_text(problem or "", "red"))
        self.query_one("#save", Button).disabled = self.chosen is None or bool(problem)

    @on(Button.Pressed, "#save")
    def _save(self) -> None:
        if self.chosen is not None:
            self.dismiss({"ip": self.chosen, "dns_ptr": self.query_one("#dns-ptr", Input).value.strip() or None})
