"""A server's labels as key=value rows: edit, add, remove. Only what the person changed is sent; every other label
stays (billing links live in labels)."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.containers import VerticalScroll
from textual.widgets import Button
from textual.widgets import Input
from textual.widgets import Static

from hostdeck.backends.models import Server

from ..safe_text import as_text
from ..safe_text import visible
from .target import ServerDialog

Rows = list[tuple[str | None, str, str]]  # (the key a row was loaded with, None for a new row; key; value)


def label_changes(original: dict[str, str], rows: Rows) -> tuple[dict[str, str], list[str]]:
    """`rows`: (the key it was loaded with or None for a new row, key, value) of the rows still there. Returns the
    labels to set and the keys to remove: a removed row or a renamed key removes its old key, nothing else."""
    kept = {was for was, _key, _value in rows if was is not None}
    removed = [k for k in original if k not in kept]
    changes: dict[str, str] = {}
    for was, key, value in rows:
        if was is not None and key != was:
            removed.append(was)
        if was is None or key != was or original.get(was) != value:
            changes[key] = value
    return changes, [k for k in removed if k not in changes]


def label_problem(rows: Rows) -> str:
    keys = [key for _was, key, _value in rows]
    if any(not k for k in keys):
        return "a label needs a key"
    if any("=" in k or k != k.strip() for k in keys):
        return "a key cannot hold '=' or spaces at its ends"
    if len(set(keys)) != len(keys):
        return "each key once"
    return ""


class LabelsDialog(ServerDialog):
    """Dismissed with `{"changes": {key: value}, "remove": [key]}`, the arguments of `Adapter.set_labels`."""

    HEADING, WIDE = "Labels of {name}", True
    SUBMIT = "#save"

    def __init__(self, server: Server, *, call: str = "") -> None:
        super().__init__(server, call=call)
        self.original = dict(server.labels)
        self._loaded: dict[int, str | None] = {}
        self._next = 0

    def _row(self, was: str | None, key: str, value: str) -> Horizontal:
        n = self._next
        self._next += 1
        self._loaded[n] = was
        # as shown: control characters escaped (an untouched label is kept as it is, see rows())
        return Horizontal(Input(visible(key), placeholder="key", id=f"key-{n}", classes="label-key"),
                          Input(visible(value), placeholder="value", id=f"value-{n}", classes="label-value"),
                          Button("✕", id=f"drop-{n}", classes="label-drop"), id=f"label-{n}", classes="row label-row")

    def fields(self) -> ComposeResult:
        with VerticalScroll(id="label-rows"):
            for key, value in sorted(self.original.items()):
                yield self._row(key, key, value)
        yield Button("Add a label", id="add")
        yield Static("", id="name-problem")

    def on_mount(self) -> None:
        found = self.query(".label-value")
        (found.first() if found else self.query_one("#add")).focus()

    def rows(self) -> Rows:
        """(the key it was loaded with, key, value) of each row still there; what still reads as it was shown is the
        label's own text."""
        out = []
        for n, was in self._loaded.items():
            if self.query(f"#label-{n}"):
                key = self.query_one(f"#key-{n}", Input).value.strip()
                value = self.query_one(f"#value-{n}", Input).value
                if was is not None:
                    key = was if key == visible(was).strip() else key
                    value = self.original[was] if value == visible(self.original[was]) else value
                out.append((was, key, value))
        return out

    @on(Input.Changed)
    def _check(self) -> None:
        problem = label_problem(self.rows())
        self.query_one("#name-problem", Static).update(as_text(problem, "red"))
        self.query_one("#save", Button).disabled = bool(problem)

    @on(Button.Pressed, "#add")
    async def _add(self) -> None:
        row = self._row(None, "", "")
        await self.query_one("#label-rows").mount(row)
        row.query_one(Input).focus()
        self._check()

    @on(Button.Pressed, ".label-drop")
    async def _drop(self, event: Button.Pressed) -> None:
        n = (event.button.id or "").removeprefix("drop-")
        await self.query_one(f"#label-{n}").remove()
        self.query_one("#add").focus()
        self._check()

    def result(self) -> dict[str, Any] | None:
        changes, remove = label_changes(self.original, self.rows())
        if not changes and not remove:
            self.notify("Nothing changed.", severity="warning")
            return None
        return {"changes": changes, "remove": remove}
