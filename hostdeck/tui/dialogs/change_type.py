"""Change a server's type: each plan with cores, memory, disk, monthly price and the difference against today's plan.

Plans the server cannot take are listed dimmed with the reason. The disk stays unless "upgrade the disk" is ticked
(then a later downgrade is no longer possible). The API changes only a server that is off: a running one can be shut
down first, by the screen, before the change is sent.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Button
from textual.widgets import Checkbox
from textual.widgets import Label
from textual.widgets import OptionList
from textual.widgets import Static

from hostdeck.backends.models import Server
from hostdeck.backends.models import ServerStatus
from hostdeck.backends.operations import TypeChoice

from ..safe_text import as_text
from ..safe_text import visible
from .target import ServerDialog
from .target import choice

MINUS = "\N{MINUS SIGN}"


def money(value: Decimal | None, currency: str) -> str:
    return "—" if value is None else f"{value:.2f} {visible(currency, limit=5)}"


def difference(value: Decimal | None) -> str:
    if value is None:
        return ""
    if value == 0:
        return "±0.00"
    return f"+{value:.2f}" if value > 0 else f"{MINUS}{-value:.2f}"


def _number(value: float | int | None, unit: str) -> str:
    return "—" if value is None else f"{value:g} {unit}"


def choice_line(choice: TypeChoice) -> Text:
    """One plan as aligned columns of plain text; not allowed: dimmed, with the reason."""
    price = f"{money(choice.monthly_gross, choice.currency)}/mo"
    cells = (visible(choice.name, limit=16).ljust(16), _number(choice.cores, "vCPU").rjust(8),
             _number(choice.memory_gb, "GB").rjust(8), _number(choice.disk_gb, "GB disk").rjust(12),
             price.rjust(15), difference(choice.monthly_difference).rjust(9))
    line = Text("  ".join(cells), style="" if choice.allowed else "dim")
    if not choice.allowed:
        line.append("  " + visible(choice.reason or "not allowed", limit=120), "dim italic")
    return line


class ChangeTypeDialog(ServerDialog):
    """Dismissed with `{"server_type": name, "upgrade_disk": bool, "shut_down_first": bool}`; the screen shuts the
    server down when asked, then calls `Adapter.change_type(server_type, upgrade_disk=...)`."""

    HEADING, WIDE = "Change the type of {name} (now {plan})", True
    SUBMIT, SUBMIT_LABEL, SUBMIT_VARIANT, SUBMIT_DISABLED = "#change", "Change type", "warning", True

    def __init__(self, server: Server, choices: Sequence[TypeChoice], *, call: str = "") -> None:
        super().__init__(server, call=call)
        self.choices = list(choices)
        self.chosen: TypeChoice | None = None
        self.running = server.status is not ServerStatus.OFF

    def fields(self) -> ComposeResult:
        yield Label(Text("  ".join(("plan".ljust(16), "cores".rjust(8), "memory".rjust(8), "disk".rjust(12),
                                    "price, gross".rjust(15), "change".rjust(9))), "bold"))
        yield OptionList(*[choice(choice_line(c), n, disabled=not c.allowed)
                           for n, c in enumerate(self.choices)], id="type-list")
        yield Checkbox("Upgrade the disk too", value=False, id="upgrade-disk")
        yield Static("Without it the disk keeps its size, so a later downgrade stays possible; with it, never.",
                     classes="note")
        if self.running:
            yield Checkbox(as_text(f"Shut {self.server.name} down first (ACPI), then change", limit=300),
                           value=False, id="shut-down-first")
            yield Static(as_text(f"{self.server.name} is {self.server.status.value}: the type changes only while "
                                 "it is off.", limit=300), id="dialog-warning")

    def on_mount(self) -> None:
        self.query_one("#type-list").focus()

    def picked(self, index: int | None) -> None:
        self.chosen = self.choices[index] if index is not None else None
        self._check()

    def after_list(self) -> str:
        return "#shut-down-first" if self.running else "#upgrade-disk"

    @on(Checkbox.Changed)
    def _check(self) -> None:
        shut_down = not self.running or self.query_one("#shut-down-first", Checkbox).value
        ok = self.chosen is not None and self.chosen.allowed and self.chosen.name != self.server.plan
        self.query_one("#change", Button).disabled = not (ok and shut_down)

    def result(self) -> dict[str, Any] | None:
        if self.chosen is None:
            return None
        return {"server_type": self.chosen.name, "upgrade_disk": self.query_one("#upgrade-disk", Checkbox).value,
                "shut_down_first": self.running}
