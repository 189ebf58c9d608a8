"""The action menu: every action on the selected row, the call it makes, and why a missing one is missing."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.markup import escape
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option


@dataclass(frozen=True)
class MenuAction:
    id: str
    label: str
    call: str
    dangerous: bool = False
    unavailable: str | None = None  # reason; shown, not selectable


class ActionMenu(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Close", id="menu.close")]

    def __init__(self, title: str, actions: list[MenuAction]) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.actions = actions

    def compose(self) -> ComposeResult:
        options = []
        for a in self.actions:
            # Text objects, not markup: API calls and reasons contain brackets ([[backends]], [keymap]).
            if a.unavailable:
                prompt = Text.assemble("  ", (a.label, "dim"), "\n    ", (a.unavailable, "dim italic"))
            else:
                prompt = Text.assemble(("! ", "bold red") if a.dangerous else "  ", a.label, "\n    ", (a.call, "dim"))
            options.append(Option(prompt, id=a.id, disabled=a.unavailable is not None))
        with Vertical(id="dialog-box"):
            yield Label(escape(self.title_text), id="dialog-title")
            yield OptionList(*options, id="action-list")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
