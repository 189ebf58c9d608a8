"""Reverse DNS of a server's primary IPs: each address with its PTR record; one is edited at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Button
from textual.widgets import Input
from textual.widgets import Label
from textual.widgets import OptionList
from textual.widgets import Static

from hostdeck.backends.models import Server
from hostdeck.backends.validate import hostname_problem

from ..safe_text import as_text
from ..safe_text import visible
from .target import ServerDialog
from .target import choice


def ptr_line(ip: str, ptr: str | None) -> Text:
    return Text.assemble((visible(ip, limit=45).ljust(40), "bold"), (visible(ptr, limit=200) if ptr else "(default)",
                                                                     "" if ptr else "dim"))


class RdnsDialog(ServerDialog):
    """Dismissed with `{"ip": address, "dns_ptr": name or None}` (None: back to the provider's default), the
    arguments of `Adapter.set_reverse_dns`."""

    HEADING, WIDE = "Reverse DNS of {name}", True
    SUBMIT, SUBMIT_DISABLED = "#save", True
    AFTER_LIST = "#dns-ptr"

    def __init__(self, server: Server, entries: Sequence[tuple[str, str | None]], *, call: str = "") -> None:
        super().__init__(server, call=call)
        self.entries = list(entries)
        self.chosen: str | None = None

    def fields(self) -> ComposeResult:
        yield OptionList(*[choice(ptr_line(ip, ptr), n) for n, (ip, ptr) in enumerate(self.entries)],
                         id="ip-list")
        yield Label("PTR record of the address above (empty: the provider's default)")
        yield Input(id="dns-ptr")
        yield Static("", id="name-problem")

    def on_mount(self) -> None:
        self.query_one("#ip-list" if self.entries else "#cancel").focus()

    def picked(self, index: int | None) -> None:
        if index is not None:
            self.chosen, ptr = self.entries[index]
            self.query_one("#dns-ptr", Input).value = visible(ptr or "")
            self._check()

    @on(Input.Changed, "#dns-ptr")
    def _check(self) -> None:
        value = self.query_one("#dns-ptr", Input).value.strip()
        problem = hostname_problem(value) if value else ""
        self.query_one("#name-problem", Static).update(as_text(problem or "", "red"))
        self.query_one("#save", Button).disabled = self.chosen is None or bool(problem)

    def result(self) -> dict[str, Any] | None:
        if self.chosen is None:
            return None
        return {"ip": self.chosen, "dns_ptr": self.query_one("#dns-ptr", Input).value.strip() or None}
