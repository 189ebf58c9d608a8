"""Messages the screens exchange with the app."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from hostdeck.backends.models import ConnectionReport


class BackendHealth(Message):
    """What the event log says about a backend's health, posted by the App's event listener when the event was
    recorded in a thread (on the app's thread the header is updated at once)."""

    def __init__(self, backend: str, state: str, detail: str = "") -> None:
        super().__init__()
        self.backend = backend
        self.state = state  # ok | degraded | failing | unknown
        self.detail = detail


class ConnectionTested(Message):
    def __init__(self, report: ConnectionReport) -> None:
        super().__init__()
        self.report = report
