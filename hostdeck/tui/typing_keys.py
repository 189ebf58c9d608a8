"""While a text box has the focus (a table's filter, Customers' search), `?` and `q` are typed into it: screens with
`KeysWhileTyping` then offer F1 and ctrl+q instead, shown first in the footer (widgets/footer.py). Kept apart from the
footer so the table screens get it without importing the Footer before their first rows."""

from __future__ import annotations

from typing import Any

from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input

from .keys import keys

WHILE_TYPING = ("help_while_typing", "quit_while_typing")


class KeysWhileTyping(Screen[Any]):
    """For a screen whose text box keeps the focus (Customers' search): F1 and ctrl+q are shown only while it does."""

    BINDINGS = [
        *keys("typing", """
            f1  help  help_while_typing  Keys
        """),
        # priority, as Textual's own ctrl+q (which quits too): else that hidden one would hide this one in the footer
        Binding("ctrl+q", "quit_while_typing", "Quit", priority=True, id="typing.quit"),
    ]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in WHILE_TYPING:
            return isinstance(self.focused, Input)
        return True

    def action_help_while_typing(self) -> None:
        self.app.action_help()  # type: ignore[attr-defined]  # HostdeckApp's

    async def action_quit_while_typing(self) -> None:
        await self.app.action_quit()
