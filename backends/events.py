"""The event log: every API call, action and audit entry, redacted before it gets here.

Kept in memory (a bounded ring the UI tails) and flushed to the store in batches.
"""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING, Callable

if TYPE_CHECKING:  # the models load with the first event, not at start-up
    from .models import Event

Listener = Callable[["Event"], None]


class EventLog:
    def __init__(self, capacity: int = 20_000) -> None:
        self._ring: deque[Event] = deque(maxlen=capacity)
        self._pending: list[Event] = []
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def record(self, event: Event) -> None:
        with self._lock:
            self._ring.append(event)
            self._pending.append(event)
            listeners = list(self._listeners)
        for listener in listeners:
            listener(event)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        with self._lock:
            self._listeners.append(listener)

        def unsubscribe() -> None:
            with self._lock:
                if listener in self._listeners:
                    self._listeners.remove(listener)

        return unsubscribe

    def recent(self, limit: int | None = None) -> list[Event]:
        with self._lock:
            items = list(self._ring)
        return items if limit is None else items[-limit:]

    @property
    def has_pending(self) -> bool:
        return bool(self._pending)

    def take_pending(self) -> list[Event]:
        with self._lock:
            pending, self._pending = self._pending, []
        return pending
