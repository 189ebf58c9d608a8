"""Rebuild a server from an image: the images grouped by kind, the server's name typed to confirm."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Button
from textual.widgets import Input
from textual.widgets import Label
from textual.widgets import OptionList
from textual.widgets import Static
from textual.widgets.option_list import Option

from hostdeck.backends.models import Server
from hostdeck.backends.operations import Image
from hostdeck.backends.operations import ImageKind

from ..safe_text import as_text
from ..safe_text import visible
from .target import ServerDialog
from .target import choice

GROUPS = ((ImageKind.SYSTEM, "System images"), (ImageKind.APP, "Apps"), (ImageKind.SNAPSHOT, "Snapshots"),
          (ImageKind.BACKUP, "Backups"))
LIMIT = 80  # characters of an image's name or description in the list


def image_prompt(image: Image) -> Text:
    text = as_text(image.name or image.id, limit=LIMIT)
    extra = [visible(image.description, limit=LIMIT)] if image.description and image.description != image.name else []
    if image.created:
        extra.append(f"{image.created:%Y-%m-%d}")
    if image.size_gb is not None:
        extra.append(f"{image.size_gb:g} GB")
    if image.status != "available":
        extra.append(visible(image.status, limit=LIMIT))
    if extra:
        text.append("  " + " · ".join(extra), "dim")
    return text


def one_per_name(images: Sequence[Image]) -> list[Image]:
    """System images once per name (the API lists one per architecture); snapshots and backups all."""
    seen: set[str] = set()
    kept = []
    for image in images:
        if image.kind is ImageKind.SYSTEM:
            if image.name in seen:
                continue
            seen.add(image.name)
        kept.append(image)
    return kept


def grouped_options(images: Sequence[Image]) -> list[Option]:
    """A disabled heading per kind, then its images (only available ones can be chosen)."""
    options: list[Option] = []
    for kind, title in GROUPS:
        members = [(n, i) for n, i in enumerate(images) if i.kind is kind]
        if members:
            options.append(Option(Text(title, "bold underline"), disabled=True))
            options += [choice(image_prompt(i), n, disabled=i.status != "available") for n, i in members]
    return options


class RebuildDialog(ServerDialog):
    """Dismissed with `{"image": name or id}` (a system image's name, a snapshot's or backup's id), the arguments of
    `Adapter.rebuild`."""

    HEADING, WIDE = "Rebuild {name}", True
    SUBMIT, SUBMIT_LABEL, SUBMIT_VARIANT, SUBMIT_DISABLED = "#rebuild", "Rebuild", "error", True
    AFTER_LIST = "#confirm-text"

    def __init__(self, server: Server, images: Sequence[Image], *, call: str = "") -> None:
        super().__init__(server, call=call)
        self.images = one_per_name(images)
        self.chosen: Image | None = None

    def fields(self) -> ComposeResult:
        if self.images:
            yield OptionList(*grouped_options(self.images), id="image-list")
        else:
            yield Static("No image to rebuild from.", classes="note")
        yield Static("The disk is wiped: everything on it is lost. The new root password is shown once.",
                     id="dialog-warning")
        yield Label(Text.assemble("Type ", as_text(self.server.name, "bold", limit=300), " to confirm:"))
        yield Input(id="confirm-text")

    def on_mount(self) -> None:
        self.query_one("#image-list" if self.images else "#cancel").focus()

    def picked(self, index: int | None) -> None:
        self.chosen = self.images[index] if index is not None else None
        self._check()

    @on(Input.Changed, "#confirm-text")
    def _check(self) -> None:
        typed = self.query_one("#confirm-text", Input).value
        self.query_one("#rebuild", Button).disabled = not (
            self.chosen is not None and typed in (self.server.name, visible(self.server.name)))

    def first_missing(self) -> Any:
        return self.query_one("#image-list") if self.chosen is None and self.images else None

    def result(self) -> dict[str, Any] | None:
        if self.chosen is None:
            return None
        # a system image by name: the API picks the build of the server's architecture (an id names one build)
        return {"image": self.chosen.name if self.chosen.kind is ImageKind.SYSTEM else self.chosen.id}
