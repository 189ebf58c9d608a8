"""`?`: every key of the current screen and the app, with the binding ids the [keymap] table remaps."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable
from textual.widgets import Label
from textual.widgets import Static

from hostdeck.backends.actions import SERVER_ACTIONS

from ..widgets.topbar import legend


def server_action_rows(*, read_only: bool) -> list[tuple[str, str, str]]:
    """The action menu's entries (`a`), from the action catalogue; read-only mode hides the mutating ones."""
    rows = []
    for action in SERVER_ACTIONS:
        if read_only and action.mutating:
            continue
        rows.append(("a ›", f"{action.label}: {action.help}", ""))
    return rows


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,question_mark", "close", "Close", id="help.close")]

    def __init__(self, rows: list[tuple[str, str, str]]) -> None:
        super().__init__(classes="dialog")
        self.rows = rows

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box", classes="wide"):
            yield Label("Keys", id="dialog-title")
            table: DataTable[str] = DataTable(id="help-table", cursor_type="row", zebra_stripes=True)
            # the id before the action: an action's help is long, and the id is what a keymap needs to be seen
            table.add_columns("key", "binding id", "action")
            for key, action, ident in self.rows:
                table.add_row(key, ident, action)
            yield table
            yield Static(Text.assemble("Backends in the top bar: ", legend()), id="health-legend")
            yield Static(Text('Remap any key in the config: [keymap] "binding.id" = "keys".'), id="dialog-warning")

    def action_close(self) -> None:
        self.dismiss(None)
