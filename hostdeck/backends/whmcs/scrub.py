"""Keep the WHMCS credentials out of recorded events.

The http core redacts by key pattern, which masks `secret` and `accesskey` but not `identifier` (half of the
credential pair, sent in every form). Events pass through `ScrubbedEvents` on their way to the log: the
`identifier` field is masked wherever a request body is shown, and any credential value that still appears in a
message, path or detail is replaced by `***`.
"""

from __future__ import annotations

import dataclasses
import re
from typing import TYPE_CHECKING, Any, Iterable

from ..redact import MASK

if TYPE_CHECKING:
    from ..events import EventLog
    from ..models import Event

IDENTIFIER_FIELD = re.compile(r'((?:"|\')?(?:identifier|username)(?:"|\')?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|\'[^\']*\'|[^&\s,}]+)')


class ScrubbedEvents:
    """Wraps an EventLog for the http core: `record()` scrubs, everything else is the wrapped log's."""

    def __init__(self, events: EventLog, secrets: Iterable[str | None]) -> None:
        self._events = events
        # longest first, so a secret that contains another is replaced whole
        self._values = sorted({s for s in secrets if s and len(s) >= 3}, key=len, reverse=True)

    def scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            value = IDENTIFIER_FIELD.sub(lambda m: m.group(1) + (f'"{MASK}"' if m.group(2)[:1] == '"' else MASK), value)
            for secret in self._values:
                value = value.replace(secret, MASK)
            return value
        if isinstance(value, dict):
            return {k: (MASK if isinstance(k, str) and k.lower() in ("identifier", "username") and v
                        else self.scrub(v)) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return type(value)(self.scrub(v) for v in value)
        return value

    def record(self, event: Event) -> None:
        self._events.record(dataclasses.replace(event, message=self.scrub(event.message), path=self.scrub(event.path),
                                                detail=self.scrub(event.detail)))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._events, name)
