"""The Footer with the app's own keys first: at 80 columns the screen's keys run off the right edge, `?` and `q` stay."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

FIRST_ACTIONS = ("help", "quit")  # HostdeckApp's `?` and `q`


class KeysFooter(Footer):
    def compose(self) -> ComposeResult:
        widgets = list(super().compose())
        first = [w for w in widgets if isinstance(w, FooterKey) and w.action in FIRST_ACTIONS]
        yield from first
        yield from (w for w in widgets if w not in first)
