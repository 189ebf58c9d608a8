"""The event log: every API call, action and audit entry, redacted before it gets here.

Kept in memory (a bounded ring the UI tails) and flushed to the store in batches. Adapters register the values of
their secrets (`add_secrets`) when they resolve them; from then on every event is scrubbed of those values on its way
in, whoever recorded it, so an echoed token never reaches the Logs screen, the log file or the database.
"""

from __future__ import annotations

import dataclasses
import threading
from collections import deque
from collections.abc import Callable
from collections.abc import Iterable
from typing import TYPE_CHECKING
from typing import Any

from .redact import MASK
from .redact import ValueRedactor

if TYPE_CHECKING:  # the models load with the first event, not at start-up
    from .models import Event

Listener = Callable[["Event"], None]


class EventLog:
    def __init__(self, capacity: int = 20_000) -> None:
        self._ring: deque[Event] = deque(maxlen=capacity)
        self._pending: list[Event] = []
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()
        self._redactor = ValueRedactor()

    def add_secrets(self, values: Any) -> None:
        """Values scrubbed from every event recorded from now on (a backend's token, secret, password)."""
        with self._lock:
            self._redactor.add(values)

    def scrub(self, value: Any) -> Any:
        return self._redactor.scrub(value)

    def record(self, event: Event) -> None:
        if self._redactor:
            event = dataclasses.replace(event, message=self._redactor.text(event.message),
                                        path=self._redactor.text(event.path) if event.path else event.path,
                                        target=self._redactor.text(event.target) if event.target else event.target,
                                        detail=self._redactor.scrub(event.detail))
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


class ScrubbedEvents:
    """Wraps an EventLog for one backend's HTTP core: each credential value (3 characters or more) is replaced by
    `***` in an event's message, path and detail before it is written, and so is the value under any of
    `masked_keys` in a detail mapping; `scrub_text` masks what a backend sends in the clear by its own syntax (the
    WHMCS `identifier=` field). Everything else is the wrapped log's."""

    def __init__(self, events: EventLog, secrets: Iterable[str | None], *,
                 scrub_text: Callable[[str], str] | None = None, masked_keys: frozenset[str] = frozenset()) -> None:
        self._events = events
        # longest first, so a secret that contains another is replaced whole
        self._values = sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True)
        self._scrub_text = scrub_text
        self._masked_keys = masked_keys

    def scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            if self._scrub_text is not None:
                value = self._scrub_text(value)
            for secret in self._values:
                value = value.replace(secret, MASK)
            return value
        if isinstance(value, dict):
            return {k: (MASK if isinstance(k, str) and k.lower() in self._masked_keys and v else self.scrub(v))
                    for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.scrub(v) for v in value)
        return value

    def record(self, event: Event) -> None:
        self._events.record(dataclasses.replace(event, message=self.scrub(event.message), path=self.scrub(event.path),
                                                detail=self.scrub(event.detail)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._events, name)
