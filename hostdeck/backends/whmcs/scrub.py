"""Keep the WHMCS credentials out of recorded events.

The http core redacts by key pattern, which masks `secret` and `accesskey` but not `identifier` (half of the
credential pair, sent in every form). Events pass through `ScrubbedEvents` on their way to the log: the
`identifier` field is masked wherever a request body is shown, and any credential value that still appears in a
message, path or detail is replaced by `***`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ..events import EventLog
from ..events import ScrubbedEvents as Scrubbed
from ..redact import MASK

IDENTIFIER_FIELD = re.compile(r'((?:"|\')?(?:identifier|username)(?:"|\')?\s*[:=]\s*)("(?:[^"\\]|\\.)*"|\'[^\']*\'|[^&\s,}]+)')


def _mask_identifier(text: str) -> str:
    return IDENTIFIER_FIELD.sub(lambda m: m.group(1) + (f'"{MASK}"' if m.group(2)[:1] == '"' else MASK), text)


def ScrubbedEvents(events: EventLog, secrets: Iterable[str | None]) -> Scrubbed:  # noqa: N802 (built like a class)
    """The event log the WHMCS core writes to: the identifier field masked, every credential value replaced."""
    return Scrubbed(events, secrets, scrub_text=_mask_identifier, masked_keys=frozenset({"identifier", "username"}))
