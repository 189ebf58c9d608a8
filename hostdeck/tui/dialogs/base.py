"""What every dialog does with the keys people already have in their fingers: left/right (and tab) between the
buttons, Enter in a field submits a valid form, escape cancels, and a cancelled dialog says so."""

from __future__ import annotations

from typing import Any
from typing import ClassVar
from typing import TypeVar

from textual import on
from textual.actions import SkipAction
from textual.screen import ModalScreen
from textual.widget import Widget
from textual.widgets import Button
from textual.widgets import Input
from textual.widgets import Select

from ..keys import keys

ResultType = TypeVar("ResultType")


class ButtonKeys(ModalScreen[ResultType]):
    """Left and right move between the enabled buttons of `#dialog-buttons` (in a field they stay the field's)."""

    BINDINGS = keys("dialog", """
        left    previous_button  previous_button  [Previous button]
        right   next_button      next_button      [Next button]
    """)

    @property
    def buttons(self) -> list[Button]:
        return [b for b in self.query("#dialog-buttons Button").results(Button) if not b.disabled and b.display]

    def _move_between_buttons(self, step: int) -> None:
        buttons = self.buttons
        if self.focused not in buttons:
            raise SkipAction()  # a field's own left/right (or none): not ours
        at = buttons.index(self.focused)
        buttons[(at + step) % len(buttons)].focus()

    def action_previous_button(self) -> None:
        self._move_between_buttons(-1)

    def action_next_button(self) -> None:
        self._move_between_buttons(+1)


class Dialog(ButtonKeys[ResultType]):
    """`SUBMIT`: the button Enter in a field presses; while it is disabled, Enter goes to `first_missing()`."""

    BINDINGS = keys("dialog", """
        escape  cancel           cancel           [Cancel]
    """)
    SUBMIT: ClassVar[str] = ""
    REQUIRED: ClassVar[tuple[str, ...]] = ()  # the fields (Input, Select) a valid form has filled in
    CANCELLED: ClassVar[Any] = None  # what a cancelled dialog is dismissed with

    def __init__(self) -> None:
        super().__init__(classes="dialog")

    def first_missing(self) -> Widget | None:
        """The first required field still empty, for Enter to go to (None: the bell)."""
        for selector in self.REQUIRED:
            field = self.query_one(selector)
            if isinstance(field, Select) and field.value in (Select.NULL, None):
                return field
            if isinstance(field, Input) and not field.value.strip():
                return field
        return None

    @on(Input.Submitted)
    def _enter_submits(self, event: Input.Submitted) -> None:
        if not self.SUBMIT or event.input.id == "filter":
            return
        button = self.query_one(self.SUBMIT, Button)
        if not button.disabled:
            button.press()
            return
        missing = self.first_missing()
        if missing is None:
            self.app.bell()
        else:
            missing.focus()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.notify("Cancelled: nothing was changed.", timeout=3)
        self.dismiss(self.CANCELLED)
