"""The one error path for workers, wherever they are started.

Textual posts a worker's state changes to the node that started it (a screen, a dialog, a pane), and they do not
bubble: the App never sees them. Every node that starts workers mixes in `ReportsFailures`, which hands each failure
to `HostdeckApp.report_worker_failure`: a notification, an event in the log (Logs screen, log file, store) and,
through that event, the backend's health in the header. The node may also say it in place (`show_failure`).

A worker's `description` names the action in words; `about(worker, backend=...)` adds the backend when the error
itself may not carry it. tests/tui/test_worker_failures.py finds every worker in tui/ and fails each one.
"""

from __future__ import annotations

import weakref
from typing import TYPE_CHECKING

from textual.worker import Worker
from textual.worker import WorkerState

from .hosted import OnHostdeckApp

if TYPE_CHECKING:
    from .errors import Failure

_backend_of: weakref.WeakKeyDictionary[Worker, str] = weakref.WeakKeyDictionary()


def about(worker: Worker, *, backend: str | None) -> Worker:
    """Note the backend a worker acts on (used when its error does not name one). Returns the worker."""
    if backend:
        _backend_of[worker] = backend
    return worker


def backend_of(worker: Worker) -> str | None:
    return _backend_of.get(worker)


def action_of(worker: Worker) -> str:
    if worker.description:
        return worker.description
    return (worker.name or "a background task").strip("_").replace("_", " ")


class ReportsFailures(OnHostdeckApp):
    """Mixed into every Screen, ModalScreen and Widget that starts workers (a test checks it)."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            failure = self.app.report_worker_failure(event.worker)
            self.show_failure(event.worker, failure)

    def show_failure(self, worker: Worker, failure: Failure) -> None:
        """Say it where it happened too (a dialog ends with the error, not a spinner). The default: nothing more."""
