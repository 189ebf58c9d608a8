"""The end of a bulk action: what succeeded and what failed, with the reason for each target."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.containers import Vertical
from textual.containers import VerticalScroll
from textual.widgets import Button
from textual.widgets import Label
from textual.widgets import Static

from ..safe_text import as_text
from ..safe_text import visible
from .base import Dialog

CELL = 32  # characters of a backend or server name in the list
REASON = 300


@dataclass(frozen=True)
class TargetOutcome:
    backend: str
    server: str
    customer: str
    ok: bool
    detail: str  # "done", the adapter's message, or why it failed or was skipped


def outcome_lines(outcomes: Sequence[TargetOutcome]) -> Text:
    """Failures first (they need someone), then successes; every cell plain text."""
    text = Text()
    failed = [o for o in outcomes if not o.ok]
    done = [o for o in outcomes if o.ok]
    cells = {id(o): [visible(v, limit=CELL) for v in (o.backend, o.server, o.customer)] for o in outcomes}
    widths = [max((len(c[i]) for c in cells.values()), default=0) for i in range(3)]
    for title, group, mark, style in (("Failed", failed, "✖", "bold red"), ("Succeeded", done, "✔", "green")):
        if not group:
            continue
        text.append(f"{title} ({len(group)})\n", "bold")
        for o in group:
            backend, server, customer = cells[id(o)]
            text.append(f" {mark} ", style)
            text.append(backend.ljust(widths[0]) + "  ")
            text.append(server.ljust(widths[1]) + "  ", "bold")
            if widths[2]:
                text.append(customer.ljust(widths[2]) + "  ", "dim")
            text.append(visible(o.detail, limit=REASON) + "\n")
    return text


class BulkSummaryDialog(Dialog[None]):
    SUBMIT = "#close"

    def __init__(self, title: str, outcomes: Sequence[TargetOutcome]) -> None:
        super().__init__()
        self.title_text = title
        self.outcomes = list(outcomes)

    @property
    def counts(self) -> str:
        failed = sum(1 for o in self.outcomes if not o.ok)
        return f"{len(self.outcomes) - failed} succeeded, {failed} failed"

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box", classes="wide"):
            yield Label(as_text(self.title_text, limit=300), id="dialog-title")
            yield Static(Text(self.counts, "bold"), id="bulk-counts")
            with VerticalScroll(id="bulk-items"):
                yield Static(outcome_lines(self.outcomes), id="bulk-list")
            with Horizontal(id="dialog-buttons"):
                yield Button("Close", id="close", variant="primary")

    def on_mount(self) -> None:
        self.query_one("#close").focus()

    def on_button_pressed(self) -> None:
        self.dismiss(None)

    def action_cancel(self) -> None:  # escape closes: there is nothing to cancel any more
        self.dismiss(None)
