"""The action menu: every action on the selected row, the call it makes, and why a missing one is missing."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Label
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from hostdeck.backends.actions import Confirm

from ..keys import keys
from ..safe_text import as_text
from ..safe_text import visible

LIMIT = 1_000  # characters of one backend string in the menu


@dataclass(frozen=True)
class MenuAction:
    id: str
    label: str
    call: str
    dangerous: bool = False
    unavailable: str | None = None  # reason; shown, not selectable
    confirm: Confirm = Confirm.NONE
    form: str | None = None  # the dialog that asks for the change (and stands for the confirmation)


class ActionList(OptionList):
    """End (or G) goes to the last action, Home (or g) to the first, and scrolls the whole of it into view: a last
    action that is unavailable cannot be highlighted, but its reason is read."""

    BINDINGS = keys("menu", """
        end   bottom     last   [Last action]
        G     vi_bottom  last   [Last action]
        home  top        first  [First action]
        g     vi_top     first  [First action]
    """)

    def action_last(self) -> None:
        super().action_last()
        self.call_after_refresh(self.scroll_end, animate=False, immediate=True)

    def action_first(self) -> None:
        super().action_first()
        self.call_after_refresh(self.scroll_home, animate=False, immediate=True)


class ActionMenu(ModalScreen[str | None]):
    BINDINGS = [Binding("escape", "cancel", "Close", id="menu.close")]

    def __init__(self, title: str, actions: list[MenuAction]) -> None:
        super().__init__(classes="dialog")
        self.title_text = title
        self.actions = actions

    def compose(self) -> ComposeResult:
        options = []
        for a in self.actions:
            # Text objects, not markup: API calls and reasons contain brackets ([[backends]], [keymap]), and labels
            # and calls may carry backend names (CloudPanel users, server names).
            label, call = visible(a.label, limit=LIMIT), visible(a.call, limit=LIMIT)
            if a.unavailable:
                reason = visible(a.unavailable, limit=LIMIT)
                prompt = Text.assemble("  ", (label, "dim"), "\n    ", (reason, "dim italic"))
            else:
                prompt = Text.assemble(("! ", "bold red") if a.dangerous else "  ", label, "\n    ", (call, "dim"))
            options.append(Option(prompt, id=a.id, disabled=a.unavailable is not None))
        with Vertical(id="dialog-box"):
            yield Label(as_text(self.title_text, limit=LIMIT), id="dialog-title")
            yield ActionList(*options, id="action-list")

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.notify("Cancelled: nothing was changed.", timeout=3)   # a dialog ends with a word, a menu too
        self.dismiss(None)
