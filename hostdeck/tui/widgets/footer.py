"""The Footer with the app's own keys first: at 80 columns the screen's keys run off the right edge, `?` and `q` stay
(and F1 and ctrl+q, which stand in for them while a text box has the focus: typing_keys.py)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

from ..typing_keys import WHILE_TYPING

FIRST_ACTIONS = ("help", "quit", *WHILE_TYPING)  # HostdeckApp's `?` and `q`, and what stands in for them


class KeysFooter(Footer):
    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        first = [w for w in widgets if isinstance(w, FooterKey) and w.action in FIRST_ACTIONS]
        yield from first
        yield from (w for w in widgets if w not in first)
