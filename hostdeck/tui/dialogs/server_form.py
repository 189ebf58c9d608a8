"""What the new-server forms share: the backend they create on, the catalog their choices come from, the dialog keys."""

from __future__ import annotations

from typing import Any

from hostdeck.backends.contract import Adapter
from hostdeck.backends.models import Catalog

from ..reporting import ReportsFailures
from .base import Dialog


class ServerForm(ReportsFailures, Dialog[Any]):
    """Dismissed with `(adapter, spec)`, or None when cancelled."""

    def __init__(self, adapter: Adapter) -> None:
        super().__init__()
        self.adapter = adapter
        self.catalog: Catalog | None = None
