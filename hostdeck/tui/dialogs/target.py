"""What every day-2 dialog shares: a title, the lines naming backend, server and customer, its fields, then Cancel and
the button that submits (which Enter presses once the form is valid)."""

from __future__ import annotations

from typing import Any
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.containers import Vertical
from textual.widgets import Button
from textual.widgets import Label
from textual.widgets import OptionList
from textual.widgets import Static
from textual.widgets.option_list import Option

from hostdeck.backends.models import Server

from ..safe_text import as_text
from .base import Dialog

LIMIT = 300  # characters of one backend string


def target_lines(server: Server, *, call: str = "") -> Text:
    """Backend, server (with its id) and customer (the billing link's client, when billing knows it), as plain Text."""
    text = Text.assemble("Backend   ", as_text(server.backend, "bold", limit=LIMIT),
                         "\nServer    ", as_text(server.name, "bold", limit=LIMIT),
                         as_text(f" (id {server.id})", "dim"), "\nCustomer  ")
    if server.billing_link:
        text.append_text(as_text(server.billing_link, "bold", limit=LIMIT))
    else:
        text.append("not linked in billing", "dim")
    if call:
        text.append_text(Text.assemble("\nCall      ", as_text(call, "dim", limit=LIMIT)))
    return text


CHOICE = "choice-"  # the id of a choice in a dialog's list is this and its index in the dialog's data


def choice(prompt: Any, index: int, *, disabled: bool = False) -> Option:
    return Option(prompt, id=f"{CHOICE}{index}", disabled=disabled)


def option_index(option: Option) -> int | None:
    """The position in the dialog's data of a `choice` (None: a heading)."""
    ident = option.id or ""
    return int(ident.removeprefix(CHOICE)) if ident.startswith(CHOICE) else None


class ServerDialog(Dialog[dict[str, Any] | None]):
    """Dismissed with the keyword arguments of the adapter method the form feeds, or None when cancelled.

    A subclass sets `HEADING` ("Rebuild {name}"), the submit button (`SUBMIT`, `SUBMIT_LABEL`, `SUBMIT_VARIANT`,
    `SUBMIT_DISABLED` until the form is valid) and yields its fields from `fields()`."""

    HEADING: ClassVar[str] = "{name}"
    AFTER_LIST: ClassVar[str] = ""  # where the focus goes once a choice is made in the dialog's list (Enter)
    WIDE: ClassVar[bool] = False
    SUBMIT_LABEL: ClassVar[str] = "Save"
    SUBMIT_VARIANT: ClassVar[Any] = "primary"
    SUBMIT_DISABLED: ClassVar[bool] = False

    def __init__(self, server: Server, *, call: str = "") -> None:
        super().__init__()
        self.server = server
        self.call = call

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog-box", classes="wide" if self.WIDE else ""):
            yield Label(as_text(self.HEADING.format(name=self.server.name, plan=self.server.plan or "unknown"),
                                limit=LIMIT), id="dialog-title")
            yield Static(target_lines(self.server, call=self.call), id="dialog-body")
            yield from self.fields()
            with Horizontal(id="dialog-buttons"):
                yield Button("Cancel", id="cancel")
                yield Button(self.SUBMIT_LABEL, id=self.SUBMIT.removeprefix("#"), variant=self.SUBMIT_VARIANT,
                             disabled=self.SUBMIT_DISABLED)

    def fields(self) -> ComposeResult:
        raise NotImplementedError

    def result(self) -> dict[str, Any] | None:
        """What the dialog is dismissed with when the submit button is pressed (None: stay open, it said why)."""
        raise NotImplementedError

    def picked(self, index: int | None) -> None:
        """The highlighted choice of the dialog's list changed (None: a heading)."""

    def after_list(self) -> str:
        return self.AFTER_LIST

    @on(OptionList.OptionHighlighted)
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        self.picked(option_index(event.option))

    @on(OptionList.OptionSelected)
    def _selected(self) -> None:
        if self.after_list():
            self.query_one(self.after_list()).focus()

    @on(Button.Pressed)
    def _submitted(self, event: Button.Pressed) -> None:
        if f"#{event.button.id}" == self.SUBMIT:
            result = self.result()
            if result is not None:
                self.dismiss(result)
