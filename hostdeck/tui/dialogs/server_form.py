"""What the new-server forms share: the backend they create on, the catalog their choices come from, Escape."""

from __future__ import annotations

from typing import Any

from textual import on
from textual.screen import ModalScreen
from textual.widgets import Button

from hostdeck.backends.contract import Adapter
from hostdeck.backends.models import Catalog

from ..reporting import ReportsFailures


class ServerForm(ReportsFailures, ModalScreen[Any]):
    """Dismissed with `(adapter, spec)`, or None when cancelled."""

    def __init__(self, adapter: Adapter) -> None:
        super().__init__(classes="dialog")
        self.adapter = adapter
        self.catalog: Catalog | None = None

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
