"""A bulk write asks first: the counts of its dry run and the list of what will change (scrollable), Cancel focused."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual import on
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

LIMIT = 300  # characters of one backend string in the dialog
CELL = 40  # characters of one cell in the list


def plan_lines(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> Text:
    """The items as aligned columns of plain text (never markup: every cell comes from a backend)."""
    shown = [[visible(str(cell), limit=CELL) for cell in row] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in shown if i < len(r)]) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths)).rstrip()
    lines = [Text(line, "bold")]
    lines += [Text("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip()) for r in shown]
    return Text("\n").join(lines)


class BulkConfirmDialog(Dialog[bool]):
    """`counts`: the dry run's counts line; `rows`: one per item that will change, under `headers`."""

    SUBMIT = "#confirm"
    CANCELLED = False
    DEFAULT_CSS = """
    BulkConfirmDialog #bulk-items { height: auto; max-height: 35vh; border: round $primary-darken-1; }
    BulkConfirmDialog #bulk-counts { margin-bottom: 1; }
    """

    def __init__(self, title: str, *, backend: str, counts: str, headers: Sequence[str],
                 rows: Sequence[Sequence[str]], confirm_label: str = "Confirm") -> None:
        super().__init__()
        self.title_text = title
        self.backend = backend
        self.counts = counts
        self.headers = list(headers)
        self.rows = [list(r) for r in rows]
        self.confirm_label = confirm_label

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box", classes="wide"):
            yield Label(as_text(self.title_text, limit=LIMIT), id="dialog-title")
            yield Static(Text.assemble("Backend  ", as_text(self.backend, "bold", limit=LIMIT),
                                       "\nChanges  ", as_text(self.counts, "bold", limit=LIMIT)), id="bulk-counts")
            with VerticalScroll(id="bulk-items"):
                yield Static(plan_lines(self.headers, self.rows), id="bulk-list")
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.confirm_label, id="confirm", variant="warning")

    def on_mount(self) -> None:
        self.query_one("#cancel").focus()

    @on(Button.Pressed, "#confirm")
    def _confirm(self) -> None:
        self.dismiss(True)
