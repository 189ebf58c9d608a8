"""The Footer with the app's own keys first: at 80 columns the screen's keys run off the right edge, `?` and `q` stay.
While a text box has the focus, `?` and `q` are typed into it: a screen with `KeysWhileTyping` then offers F1 and
ctrl+q instead, and the footer shows those first."""

from __future__ import annotations

from typing import Any

from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets import Input
from textual.widgets._footer import FooterKey

from ..keys import keys

WHILE_TYPING = ("help_while_typing", "quit_while_typing")
FIRST_ACTIONS = ("help", "quit", *WHILE_TYPING)  # HostdeckApp's `?` and `q`, and what stands in for them


class KeysFooter(Footer):
    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        first = [w for w in widgets if isinstance(w, FooterKey) and w.action in FIRST_ACTIONS]
        yield from first
        yield from (w for w in widgets if w not in first)


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
