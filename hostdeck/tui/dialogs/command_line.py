"""The `:` line at the bottom of the screen: type a screen or an action, Tab completes, Enter runs, Escape leaves."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.screen import ModalScreen
from textual.suggester import SuggestFromList
from textual.widgets import Input
from textual.widgets import Static

from ..command_line import completions
from ..keys import keys

SHOWN_COMPLETIONS = 12


class CommandLine(ModalScreen[str | None]):
    """Dismissed with the typed text (run by the app), or None."""

    BINDINGS = keys("command_line", """
        escape  close     close     [Close]
        tab     complete  complete  [Complete]
    """)

    def __init__(self, words: list[str]) -> None:
        super().__init__(id="command-line-screen")
        self.words = completions("", words)  # shortest first: the grey suggestion is what Tab completes to

    def compose(self) -> ComposeResult:
        yield Static(self._hint(""), id="command-completions")
        yield Input(placeholder="servers, sync, logs, reboot … (Tab completes, Enter runs, Escape closes)",
                    suggester=SuggestFromList(self.words, case_sensitive=False), id="command-input")

    def on_mount(self) -> None:
        self.query_one("#command-input", Input).focus()

    def _hint(self, typed: str) -> str:
        found = completions(typed, self.words)
        return "  ".join(f":{w}" for w in found[:SHOWN_COMPLETIONS]) + (" …" if len(found) > SHOWN_COMPLETIONS else "")

    @on(Input.Changed, "#command-input")
    def _typed(self, event: Input.Changed) -> None:
        self.query_one("#command-completions", Static).update(self._hint(event.value) or "no command starts so")

    def action_complete(self) -> None:
        box = self.query_one("#command-input", Input)
        found = completions(box.value, self.words)
        if found:
            box.value = found[0]
            box.cursor_position = len(box.value)

    @on(Input.Submitted, "#command-input")
    def _run(self, event: Input.Submitted) -> None:
        self.dismiss(event.value)

    def action_close(self) -> None:
        self.dismiss(None)
