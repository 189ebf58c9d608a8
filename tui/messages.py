"""Messages the screens exchange with the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from backends.models import ConnectionReport


class BackendHealth(Message):
    """A backend answered (or failed): the header shows it."""

    def __init__(self, backend: str, state: str, detail: str = "") -> None:
        super().__init__()
        self.backend = backend
        self.state = state  # ok | degraded | failing | unknown
        self.detail = detail


class ConnectionTested(Message):
    def __init__(self, report: "ConnectionReport") -> None:
        super().__init__()
        self.report = report
